"""A local LibreTranslate server: the same marked pseudo-translation as the DeepL sandbox.

Endpoints: `POST /translate` (JSON or form: q as a string or a list, source, target, format
"text"|"html", api_key) answering {"translatedText": ...} in the shape of q; `GET /languages`.
When API keys are configured, a missing or wrong `api_key` gets 403 {"error": ...} as a real
server started with --api-keys. `char_limit` mimics --char-limit: a request with more characters
gets 400. As the real server (translatehtml), HTML mode collapses runs of whitespace and leaves
elements marked translate="no" and <code>, <script>, <style> … untranslated.

Fault hook: control action `translation_fault` ({"drop_tag": "li", "times": 1}), as in the DeepL sandbox.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from connector.sandbox.deepl import LANGUAGE_NAMES, PseudoTranslation, TranslationFaults
from connector.sandbox.server import Request, Response, SandboxServer

SANDBOX_LIBRETRANSLATE_KEY = "sandbox-libretranslate-key"
LANGUAGES = sorted(code.lower() for code in LANGUAGE_NAMES)
NON_TRANSLATABLE_ELEMENTS = frozenset({"address", "applet", "audio", "canvas", "code", "embed", "script", "style", "time", "video"})  # fmt: skip


class LibreTranslateSandbox(SandboxServer):
    def __init__(
        self,
        *,
        api_keys: tuple[str, ...] | None = (SANDBOX_LIBRETRANSLATE_KEY,),
        char_limit: int | None = None,
        port: int = 0,
    ):
        """api_keys=None runs an open server that needs no key."""
        super().__init__("libretranslate", port=port)
        self.api_keys = set(api_keys) if api_keys is not None else None
        self.char_limit = char_limit
        self.characters_translated = 0
        self.faults = TranslationFaults()
        self.translated_texts: list[str] = []

    def route_key(self, request: Request) -> str:
        return f"{request.method} {request.path}"

    def is_write(self, request: Request) -> bool:
        return False

    def control(self, action: str, payload: dict) -> Any:
        with self.lock:
            if action == "reset":
                self.characters_translated = 0
                self.translated_texts.clear()
                self.faults.set({})
                return {"characters_translated": 0}
            if action == "translation_fault":
                return self.faults.set(payload)
            if action == "char_limit":
                self.char_limit = payload.get("char_limit")
                return {"char_limit": self.char_limit}
        raise KeyError(action)

    def handle(self, request: Request) -> Response:
        if request.path == "/languages" and request.method == "GET":
            return Response(
                200,
                [
                    {
                        "code": code,
                        "name": LANGUAGE_NAMES[code.upper()],
                        "targets": [t for t in LANGUAGES if t != code],
                    }
                    for code in LANGUAGES
                ],
            )
        if request.path == "/translate" and request.method == "POST":
            params = _params(request)
            if isinstance(params, Response):
                return params
            with self.lock:
                return self._translate(params)
        return Response(404, {"error": "Not Found"})

    def _translate(self, params: dict[str, Any]) -> Response:
        if self.api_keys is not None:
            key = params.get("api_key")
            if not key:
                return Response(403, {"error": "Visit https://portal.libretranslate.com to get an API key"})
            if key not in self.api_keys:
                return Response(403, {"error": "Invalid API key"})
        q = params.get("q")
        source = str(params.get("source") or "")
        target = str(params.get("target") or "")
        text_format = str(params.get("format") or "text")
        for name, value in (("q", q), ("source", source), ("target", target)):
            if not value:
                return Response(400, {"error": f"Invalid request: missing {name} parameter"})
        texts = q if isinstance(q, list) else [q]
        if not all(isinstance(text, str) for text in texts):
            return Response(400, {"error": "Invalid request: q must be a string or a list of strings"})
        if source != "auto" and source not in LANGUAGES:
            return Response(400, {"error": f"{source} is not supported"})
        if target not in LANGUAGES:
            return Response(400, {"error": f"{target} is not supported"})
        if text_format not in ("text", "html"):
            return Response(400, {"error": f"{text_format} format is not supported"})
        characters = sum(len(text) for text in texts)
        if self.char_limit is not None and characters > self.char_limit:
            return Response(
                400,
                {"error": f"Invalid request: request ({characters}) exceeds text limit ({self.char_limit})"},
            )
        self.characters_translated += characters
        self.translated_texts.extend(texts)
        translation = PseudoTranslation(
            "fr" if source == "auto" else source, target, untranslated_elements=NON_TRANSLATABLE_ELEMENTS
        )
        translated = []
        for text in texts:
            if text_format == "html":
                result = translation.html(" ".join(text.split()))
            else:
                result = translation.text(text)
            translated.append(self.faults.apply(result))
        answer: dict[str, Any] = {"translatedText": translated if isinstance(q, list) else translated[0]}
        if source == "auto":
            detected = {"confidence": 90.0, "language": "fr"}
            answer["detectedLanguage"] = [detected] * len(texts) if isinstance(q, list) else detected
        return Response(200, answer)


def _params(request: Request) -> dict[str, Any] | Response:
    content_type = request.headers.get("Content-Type", "")
    if "application/json" in content_type:
        try:
            body = request.json()
        except ValueError:
            return Response(400, {"error": "Invalid request: the body is not valid JSON"})
        return (
            body
            if isinstance(body, dict)
            else Response(400, {"error": "Invalid request: expected an object"})
        )
    form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values if name == "q" and len(values) > 1 else values[-1] for name, values in form.items()}
