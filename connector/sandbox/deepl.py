"""A local DeepL API v2 server: deterministic pseudo-translation, no network, no account.

Serves what the official `deepl` package (1.22) calls: `POST /v2/translate` (JSON, or form
fields), `GET /v2/usage`, `GET /v2/languages[?type=target]`, `GET /v2/glossary-language-pairs`, and
`/v2/glossaries` (create from TSV/CSV entries, list, get, entries as TSV, delete). Authentication is
the `Authorization: DeepL-Auth-Key <key>` header (or the legacy `auth_key` field); a wrong key gets
403, a request beyond the character limit gets 456, as the real API.

The "translation" is marked and readable: each block of text starts with "[DE] " (the target
language), a small word list turns common French and English words into the target language, and
glossary entries win over the word list. With tag_handling=html the markup is kept exactly, and
elements marked translate="no" or named in ignore_tags are left untouched. Billed characters are
the length of each text sent, markup included.

Fault hook (for rejection tests): control action `translation_fault` with {"drop_tag": "strong",
"times": 1} removes the first <strong>…</strong> element's tags from the next answer(s); {} clears.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs

from connector.sandbox.server import Request, Response, SandboxServer

SANDBOX_DEEPL_KEY = "sandbox-deepl-key:fx"

LANGUAGE_NAMES = {
    "BG": "Bulgarian",
    "CS": "Czech",
    "DA": "Danish",
    "DE": "German",
    "EL": "Greek",
    "EN": "English",
    "ES": "Spanish",
    "ET": "Estonian",
    "FI": "Finnish",
    "FR": "French",
    "HU": "Hungarian",
    "IT": "Italian",
    "JA": "Japanese",
    "KO": "Korean",
    "NB": "Norwegian",
    "NL": "Dutch",
    "PL": "Polish",
    "PT": "Portuguese",
    "RO": "Romanian",
    "RU": "Russian",
    "SK": "Slovak",
    "SV": "Swedish",
    "TR": "Turkish",
    "UK": "Ukrainian",
    "ZH": "Chinese",
}
TARGET_LANGUAGES = sorted((set(LANGUAGE_NAMES) - {"EN", "PT"}) | {"EN-GB", "EN-US", "PT-BR", "PT-PT"})
FORMALITY_LANGUAGES = {"DE", "ES", "FR", "IT", "JA", "NL", "PL", "PT-BR", "PT-PT", "RU"}
FORMALITY_VALUES = {"default", "more", "less", "prefer_more", "prefer_less"}

# A few words per language pair, enough for a pseudo-translation to look translated.
WORD_LISTS: dict[tuple[str, str], dict[str, str]] = {
    ("fr", "de"): {
        "le": "der", "la": "die", "les": "die", "un": "ein", "une": "eine", "des": "einige", "et": "und",
        "avec": "mit", "pour": "für", "sans": "ohne", "de": "von", "du": "vom", "en": "in", "est": "ist",
        "crème": "Creme", "savon": "Seife", "huile": "Öl", "visage": "Gesicht", "peau": "Haut",
        "corps": "Körper", "mains": "Hände", "naturel": "natürlich", "naturelle": "natürliche",
        "douce": "sanft", "doux": "sanft", "sèche": "trocken", "sèches": "trockene", "parfum": "Duft",
        "flacon": "Flasche", "livraison": "Lieferung", "gratuite": "kostenlos", "nouveau": "neu",
        "bio": "Bio", "fabriqué": "hergestellt", "france": "Frankreich", "vous": "Sie", "votre": "Ihre",
    },
    ("fr", "en"): {
        "le": "the", "la": "the", "les": "the", "un": "a", "une": "a", "des": "some", "et": "and",
        "avec": "with", "pour": "for", "sans": "without", "de": "of", "du": "of the", "en": "in",
        "est": "is", "crème": "cream", "savon": "soap", "huile": "oil", "visage": "face", "peau": "skin",
        "corps": "body", "mains": "hands", "naturel": "natural", "naturelle": "natural", "douce": "soft",
        "doux": "soft", "sèche": "dry", "sèches": "dry", "parfum": "fragrance", "flacon": "bottle",
        "livraison": "delivery", "gratuite": "free", "nouveau": "new", "bio": "organic",
        "fabriqué": "made", "france": "France", "vous": "you", "votre": "your",
    },
    ("fr", "es"): {
        "le": "el", "la": "la", "les": "los", "un": "un", "une": "una", "et": "y", "avec": "con",
        "pour": "para", "sans": "sin", "de": "de", "crème": "crema", "savon": "jabón", "huile": "aceite",
        "peau": "piel", "visage": "rostro", "douce": "suave", "vous": "usted", "votre": "su",
    },
    ("en", "de"): {
        "the": "die", "a": "ein", "and": "und", "with": "mit", "for": "für", "cream": "Creme",
        "soap": "Seife", "oil": "Öl", "skin": "Haut", "face": "Gesicht", "you": "Sie", "your": "Ihre",
    },
    ("en", "fr"): {
        "the": "le", "a": "un", "and": "et", "with": "avec", "for": "pour", "cream": "crème",
        "soap": "savon", "oil": "huile", "skin": "peau", "face": "visage", "you": "vous", "your": "votre",
    },
}  # fmt: skip
INFORMAL_YOU = {"de": {"Sie": "du", "Ihre": "deine"}, "es": {"usted": "tú", "su": "tu"}}

_BLOCK_ELEMENTS = frozenset(
    "p li h1 h2 h3 h4 h5 h6 td th div dt dd blockquote figcaption caption section article".split()
)
_VOID_ELEMENTS = frozenset("area base br col embed hr img input link meta source track wbr".split())


def _base(code: str) -> str:
    return code.split("-")[0].lower()


@dataclass
class PseudoTranslation:
    """Deterministic translation of text or HTML from source_lang to target_lang."""

    source_lang: str
    target_lang: str
    glossary: dict[str, str] | None = None
    ignore_tags: frozenset[str] = frozenset()
    informal: bool = False
    untranslated_elements: frozenset[str] = frozenset({"script", "style"})

    def __post_init__(self) -> None:
        source, target = _base(self.source_lang), _base(self.target_lang)
        self.words = dict(WORD_LISTS.get((source, target), {}))
        if self.informal:
            self.words = {word: INFORMAL_YOU.get(target, {}).get(t, t) for word, t in self.words.items()}
        self.marker = f"[{self.target_lang.split('-')[0].upper()}] "
        terms = sorted(self.glossary or {}, key=len, reverse=True)
        glossary_pattern = "|".join(rf"(?<!\w){re.escape(term)}(?!\w)" for term in terms)
        self._pattern = re.compile(
            rf"(?P<term>{glossary_pattern})|(?P<word>\w+)" if terms else r"(?P<word>\w+)"
        )

    def words_of(self, text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            if match.lastgroup == "term":
                return (self.glossary or {})[match.group()]
            word = match.group()
            translated = self.words.get(word.lower())
            if translated is None:
                return word
            return translated[0].upper() + translated[1:] if word[0].isupper() else translated

        return self._pattern.sub(replace, text)

    def text(self, text: str) -> str:
        return self.marker + self.words_of(text) if text.strip() else text

    def html(self, markup: str) -> str:
        writer = _PseudoHtmlWriter(self)
        writer.feed(markup)
        writer.close()
        return "".join(writer.out)


class _PseudoHtmlWriter(HTMLParser):
    def __init__(self, translation: PseudoTranslation):
        super().__init__(convert_charrefs=False)
        self.translation = translation
        self.out: list[str] = []
        self.open: list[tuple[str, bool]] = []  # (tag, left untranslated)
        self.need_marker = True

    @property
    def untranslated(self) -> bool:
        return any(skip for _, skip in self.open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        skip = (
            tag in self.translation.ignore_tags
            or tag in self.translation.untranslated_elements
            or dict(attrs).get("translate") == "no"
        )
        if tag in _BLOCK_ELEMENTS:
            self.need_marker = True
        if skip and self.need_marker and not self.untranslated:
            self.out.append(self.translation.marker)
            self.need_marker = False
        self.out.append(self.get_starttag_text() or f"<{tag}>")
        if tag not in _VOID_ELEMENTS:
            self.open.append((tag, skip))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or f"<{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")
        for position in range(len(self.open) - 1, -1, -1):
            if self.open[position][0] == tag:
                del self.open[position:]
                break

    def handle_data(self, data: str) -> None:
        if self.untranslated or not data.strip():
            self.out.append(data)
            return
        translated = self.translation.words_of(data)
        if self.need_marker:
            leading = len(data) - len(data.lstrip())
            translated = translated[:leading] + self.translation.marker + translated[leading:]
            self.need_marker = False
        self.out.append(translated)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")


def drop_first_element_tags(markup: str, tag: str) -> str:
    """markup without the start and end tag of its first <tag> element (its content stays)."""
    start = re.search(rf"<{re.escape(tag)}\b[^>]*>", markup, re.IGNORECASE)
    if start is None:
        return markup
    without_start = markup[: start.start()] + markup[start.end() :]
    end = re.compile(rf"</{re.escape(tag)}\s*>", re.IGNORECASE).search(without_start, start.start())
    if end is None:
        return without_start
    return without_start[: end.start()] + without_start[end.end() :]


class TranslationFaults:
    """Answer faults shared by the fake translation servers."""

    def __init__(self) -> None:
        self.drop_tag: str | None = None
        self.times: int | None = None

    def set(self, payload: dict) -> dict:
        unknown = set(payload) - {"drop_tag", "times"}
        if unknown:
            raise ValueError(f"unknown translation fault field(s): {sorted(unknown)}")
        self.drop_tag = payload.get("drop_tag")
        self.times = payload.get("times")
        return {"drop_tag": self.drop_tag, "times": self.times}

    def apply(self, translated: str) -> str:
        if self.drop_tag is None or self.times == 0:
            return translated
        damaged = drop_first_element_tags(translated, self.drop_tag)
        if damaged != translated and self.times is not None:
            self.times -= 1
        return damaged


def _now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class DeepLSandbox(SandboxServer):
    def __init__(
        self,
        *,
        auth_keys: tuple[str, ...] = (SANDBOX_DEEPL_KEY,),
        character_limit: int = 500_000,
        port: int = 0,
    ):
        super().__init__("deepl", port=port)
        self.auth_keys = set(auth_keys)
        self.character_limit = character_limit
        self.character_count = 0
        self.glossaries: dict[str, dict[str, Any]] = {}
        self.faults = TranslationFaults()
        self.translated_texts: list[str] = []  # every text received by /v2/translate, in order

    # -- SandboxServer hooks -------------------------------------------------------------------

    def route_key(self, request: Request) -> str:
        path = re.sub(r"^/v2/glossaries/[^/]+", "/v2/glossaries/<id>", request.path)
        return f"{request.method} {path}"

    def is_write(self, request: Request) -> bool:
        return request.path.startswith("/v2/glossaries") and request.method in ("POST", "DELETE")

    def control(self, action: str, payload: dict) -> Any:
        with self.lock:
            if action == "reset":
                self.character_count = 0
                self.glossaries.clear()
                self.translated_texts.clear()
                self.faults.set({})
                return {"character_count": 0}
            if action == "translation_fault":
                return self.faults.set(payload)
            if action == "usage":
                if "character_limit" in payload:
                    self.character_limit = int(payload["character_limit"])
                if "character_count" in payload:
                    self.character_count = int(payload["character_count"])
                return {"character_count": self.character_count, "character_limit": self.character_limit}
        raise KeyError(action)

    def handle(self, request: Request) -> Response:
        if not request.path.startswith("/v2/"):
            return Response(404, {"message": "Not found"})
        params = _params(request)
        if isinstance(params, Response):
            return params
        if self._auth_key(request, params) not in self.auth_keys:
            return Response(403, {"message": "Authorization failure, check auth_key"})
        path, method = request.path, request.method
        with self.lock:
            if path == "/v2/translate" and method == "POST":
                return self._translate(params)
            if path == "/v2/usage":
                return Response(200, self._usage(self._auth_key(request, params) or ""))
            if path == "/v2/languages":
                return Response(200, _languages(str(_one(params, "type") or "source")))
            if path == "/v2/glossary-language-pairs":
                pairs = [
                    {"source_lang": source.lower(), "target_lang": target.lower()}
                    for source in LANGUAGE_NAMES
                    for target in LANGUAGE_NAMES
                    if source != target
                ]
                return Response(200, {"supported_languages": pairs})
            if path == "/v2/glossaries":
                if method == "POST":
                    return self._create_glossary(params)
                return Response(
                    200, {"glossaries": [self._glossary_info(g) for g in self.glossaries.values()]}
                )
            match = re.fullmatch(r"/v2/glossaries/([^/]+)(/entries)?", path)
            if match:
                return self._glossary(method, match.group(1), bool(match.group(2)))
        return Response(404, {"message": "Not found"})

    # -- endpoints -----------------------------------------------------------------------------

    def _usage(self, key: str) -> dict[str, Any]:
        """GET /v2/usage as DeepL documents it (developers.deepl.com/api-reference/usage-and-quota): a Free
        key (ending ":fx") gets character_count and character_limit only; a Pro key also the key's own count,
        its key-level limit (1000000000000 when none is set) and the billing period."""
        usage: dict[str, Any] = {"character_count": self.character_count, "character_limit": self.character_limit}
        if not key.endswith(":fx"):
            usage |= {
                "api_key_character_count": self.character_count,
                "api_key_character_limit": 1_000_000_000_000,
                "start_time": "2026-11-13T09:18:42Z",
                "end_time": "2026-12-13T09:18:42Z",
            }
        return usage

    @staticmethod
    def _auth_key(request: Request, params: dict[str, Any]) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("DeepL-Auth-Key "):
            return header[len("DeepL-Auth-Key ") :].strip()
        key = _one(params, "auth_key")
        return str(key) if key else None

    def _translate(self, params: dict[str, Any]) -> Response:
        texts = params.get("text")
        if isinstance(texts, str):
            texts = [texts]
        if not texts or not all(isinstance(text, str) for text in texts):
            return Response(400, {"message": "Parameter 'text' not specified."})
        if len(texts) > 50:
            return Response(413, {"message": "Too many texts in one request (at most 50)."})
        target = str(_one(params, "target_lang") or "").upper()
        if target not in TARGET_LANGUAGES:
            return Response(400, {"message": "Value for 'target_lang' not supported."})
        source = str(_one(params, "source_lang") or "").upper()
        if source and source not in LANGUAGE_NAMES:
            return Response(400, {"message": "Value for 'source_lang' not supported."})
        formality = str(_one(params, "formality") or "default").lower()
        if formality not in FORMALITY_VALUES:
            return Response(400, {"message": "Value for 'formality' not supported."})
        if formality in ("more", "less") and target not in FORMALITY_LANGUAGES:
            return Response(400, {"message": "'formality' is not supported for given 'target_lang'."})
        glossary_entries = None
        glossary_id = _one(params, "glossary_id")
        if glossary_id:
            if not source:
                return Response(400, {"message": "Use of a glossary requires the 'source_lang' parameter."})
            glossary = self.glossaries.get(str(glossary_id))
            if glossary is None:
                return Response(400, {"message": "Invalid glossary id."})
            if (glossary["source_lang"], glossary["target_lang"]) != (source.lower(), _base(target)):
                return Response(400, {"message": "Language pair of the glossary does not match the request."})
            glossary_entries = glossary["entries"]
        billed = sum(len(text) for text in texts)
        if self.character_count + billed > self.character_limit:
            return Response(456, {"message": "Quota Exceeded"})
        self.character_count += billed
        self.translated_texts.extend(texts)
        detected = source or _guess_source(texts)
        translation = PseudoTranslation(
            detected,
            target,
            glossary=glossary_entries,
            ignore_tags=frozenset(_tag_list(params.get("ignore_tags"))),
            informal=formality in ("less", "prefer_less"),
        )
        is_html = _one(params, "tag_handling") == "html"
        show_billed = str(_one(params, "show_billed_characters")).lower() in ("true", "1")
        translations = []
        for text in texts:
            translated = self.faults.apply(translation.html(text) if is_html else translation.text(text))
            item: dict[str, Any] = {"detected_source_language": detected, "text": translated}
            if show_billed:
                item["billed_characters"] = len(text)
            translations.append(item)
        return Response(200, {"translations": translations})

    def _create_glossary(self, params: dict[str, Any]) -> Response:
        name = str(_one(params, "name") or "").strip()
        source = str(_one(params, "source_lang") or "").lower()
        target = str(_one(params, "target_lang") or "").lower()
        entries_format = str(_one(params, "entries_format") or "tsv")
        if not name:
            return Response(400, {"message": "Parameter 'name' not specified."})
        if source.upper() not in LANGUAGE_NAMES or target.upper() not in LANGUAGE_NAMES:
            return Response(400, {"message": "Unsupported glossary source and target language pair."})
        try:
            entries = _parse_entries(str(_one(params, "entries") or ""), entries_format)
        except ValueError as exc:
            return Response(400, {"message": f"Invalid glossary entries: {exc}"})
        if not entries:
            return Response(400, {"message": "Invalid glossary entries: no entries."})
        glossary_id = str(uuid.uuid4())
        self.glossaries[glossary_id] = {
            "glossary_id": glossary_id,
            "name": name,
            "source_lang": source,
            "target_lang": target,
            "creation_time": _now_text(),
            "entries": entries,
        }
        return Response(201, self._glossary_info(self.glossaries[glossary_id]))

    def _glossary(self, method: str, glossary_id: str, entries: bool) -> Response:
        glossary = self.glossaries.get(glossary_id)
        if glossary is None:
            return Response(404, {"message": "Glossary not found"})
        if method == "DELETE" and not entries:
            del self.glossaries[glossary_id]
            return Response(204, None)
        if entries:
            tsv = "\n".join(f"{source}\t{target}" for source, target in glossary["entries"].items())
            return Response(200, tsv, {"Content-Type": "text/tab-separated-values; charset=UTF-8"})
        return Response(200, self._glossary_info(glossary))

    @staticmethod
    def _glossary_info(glossary: dict[str, Any]) -> dict[str, Any]:
        info = {key: value for key, value in glossary.items() if key != "entries"}
        return {**info, "ready": True, "entry_count": len(glossary["entries"])}


# -- request parsing -----------------------------------------------------------------------------


def _params(request: Request) -> dict[str, Any] | Response:
    """Query, form and JSON parameters merged; list values stay lists (form fields may repeat)."""
    params: dict[str, Any] = {
        name: values if len(values) > 1 else values[0] for name, values in request.query.items()
    }
    if not request.body:
        return params
    content_type = request.headers.get("Content-Type", "")
    if "application/json" in content_type:
        try:
            body = request.json()
        except ValueError:
            return Response(400, {"message": "The request body is not valid JSON."})
        if not isinstance(body, dict):
            return Response(400, {"message": "The request body must be a JSON object."})
        params.update(body)
    else:
        form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        for name, values in form.items():
            params[name] = values if name == "text" or len(values) > 1 else values[0]
    return params


def _one(params: dict[str, Any], name: str) -> Any:
    value = params.get(name)
    return value[-1] if isinstance(value, list) and value else value


def _tag_list(value: Any) -> list[str]:
    if not value:
        return []
    items = value if isinstance(value, list) else [value]
    return [tag.strip().lower() for item in items for tag in str(item).split(",") if tag.strip()]


def _parse_entries(text: str, entries_format: str) -> dict[str, str]:
    if entries_format == "tsv":
        rows = [line.split("\t") for line in text.splitlines() if line.strip()]
    elif entries_format == "csv":
        rows = [row for row in csv.reader(io.StringIO(text)) if row]
    else:
        raise ValueError(f"unknown entries_format {entries_format!r}")
    entries = {}
    for row in rows:
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise ValueError(f"bad entry {json.dumps(row, ensure_ascii=False)}")
        entries[row[0].strip()] = row[1].strip()
    return entries


def _languages(kind: str) -> list[dict[str, Any]]:
    if kind == "target":
        return [
            {
                "language": code,
                "name": LANGUAGE_NAMES[code.split("-")[0]]
                + (f" ({code.split('-')[1]})" if "-" in code else ""),
                "supports_formality": code in FORMALITY_LANGUAGES,
            }
            for code in TARGET_LANGUAGES
        ]
    return [{"language": code, "name": name} for code, name in sorted(LANGUAGE_NAMES.items())]


def _guess_source(texts: list[str]) -> str:
    """A crude source-language guess for requests without source_lang: French or English."""
    sample = " ".join(texts).lower()
    french = len(re.findall(r"\b(le|la|les|une|et|avec|pour|est|des)\b", sample))
    english = len(re.findall(r"\b(the|and|with|for|is|a|of)\b", sample))
    return "FR" if french >= english else "EN"
