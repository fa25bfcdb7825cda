"""DeepL through the official `deepl` package.

HTML is sent with tag_handling="html" (elements marked translate="no" stay as they are). Formality
"more"/"less" is sent as "prefer_more"/"prefer_less", which DeepL applies where the target language
supports it and ignores elsewhere, so one setting serves every market. Glossaries are created once
per language pair and glossary version, named "connector <SRC>-<TGT> <version>", and reused (found by
name) on later runs instead of being created again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import deepl
import deepl.http_client

from connector.logs import redact, register_secret
from connector.translation.glossary import Glossary, base_language
from connector.translation.providers.base import Provider, ProviderError

MAX_TEXTS_PER_REQUEST = 50  # DeepL's limit for one /v2/translate call
_FORMALITY = {"more": "prefer_more", "less": "prefer_less"}


class DeepLProvider(Provider):
    name = "deepl"

    def __init__(
        self,
        auth_key: str,
        *,
        server_url: str | None = None,
        english_variant: str = "EN-US",
        portuguese_variant: str = "PT-PT",
        max_network_retries: int | None = None,
    ):
        """max_network_retries, when given, sets the `deepl` package's retry count (a process-wide setting)."""
        super().__init__()
        if not auth_key:
            raise ProviderError(self.name, "auth", "no DeepL authentication key is configured")
        if max_network_retries is not None:
            deepl.http_client.max_network_retries = max_network_retries
        self._auth_key = auth_key
        register_secret(auth_key)  # never in an error or a log line
        self._server_url = server_url
        self._translator = deepl.Translator(auth_key, server_url=server_url, send_platform_info=False)
        self._variants = {"en": english_variant.upper(), "pt": portuguese_variant.upper()}
        self._glossary_ids: dict[str, str] = {}

    def translate(
        self,
        texts: Sequence[str],
        source_lang: str,
        target_lang: str,
        *,
        html: bool,
        glossary: Glossary | None,
        formality: str | None,
    ) -> list[str]:
        if not texts:
            return []
        glossary_id = self._glossary_id(glossary, source_lang, target_lang)
        translated: list[str] = []
        for start in range(0, len(texts), MAX_TEXTS_PER_REQUEST):
            with self._mapped_errors():
                results = self._translator.translate_text(
                    list(texts[start : start + MAX_TEXTS_PER_REQUEST]),
                    source_lang=base_language(source_lang).upper(),
                    target_lang=self.target_code(target_lang),
                    tag_handling="html" if html else None,
                    formality=_FORMALITY.get(formality or "", formality) if formality != "default" else None,
                    glossary=glossary_id,
                )
            self.characters_billed += sum(result.billed_characters for result in results)
            translated.extend(result.text for result in results)
        return translated

    def usage(self) -> tuple[int | None, int | None]:
        """Characters used and the limit this billing period (GET /v2/usage); raises ProviderError."""
        with self._mapped_errors():
            usage = self._translator.get_usage()
        return usage.character.count, usage.character.limit

    def target_code(self, language: str) -> str:
        """DeepL's target code: 'de' -> 'DE', 'en' -> the configured English variant, 'en-gb' -> 'EN-GB'."""
        code = language.replace("_", "-").upper()
        return self._variants.get(code.lower(), code)

    def _glossary_id(self, glossary: Glossary | None, source_lang: str, target_lang: str) -> str | None:
        entries = glossary.entries_for(target_lang) if glossary else {}
        if not glossary or not entries:
            return None
        source, target = base_language(source_lang).upper(), base_language(target_lang).upper()
        name = f"connector {source}-{target} {glossary.version(source_lang, target_lang)}"
        if name not in self._glossary_ids:
            with self._mapped_errors():
                existing = [
                    info for info in self._translator.list_glossaries() if info.name == name and info.ready
                ]
                info = (
                    existing[0]
                    if existing
                    else self._translator.create_glossary(name, source, target, entries)
                )
            self._glossary_ids[name] = info.glossary_id
        return self._glossary_ids[name]

    @contextlib.contextmanager
    def _mapped_errors(self) -> Iterator[None]:
        where = self._server_url or "api.deepl.com"
        try:
            yield
        except deepl.AuthorizationException:
            raise ProviderError(
                self.name,
                "auth",
                "DeepL refused the authentication key (HTTP 403); check the configured DeepL key",
            ) from None
        except deepl.QuotaExceededException:
            raise ProviderError(
                self.name, "quota", "the DeepL character quota for this billing period is used up (HTTP 456)"
            ) from None
        except deepl.TooManyRequestsException:
            raise ProviderError(self.name, "rate_limited", "DeepL answered 429 Too Many Requests") from None
        except deepl.ConnectionException as exc:
            detail = redact(str(exc))
            raise ProviderError(
                self.name, "unreachable", f"cannot reach DeepL at {where}: {detail}"
            ) from None
        except deepl.DeepLException as exc:
            status = exc.http_status_code
            kind = "bad_request" if status == 400 else "unexpected"
            detail = redact(str(exc))
            raise ProviderError(
                self.name, kind, f"DeepL answered an error (HTTP {status}): {detail}"
            ) from None

    def close(self) -> None:
        self._translator.close()
