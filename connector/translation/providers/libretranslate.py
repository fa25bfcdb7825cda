"""A LibreTranslate server (self-hosted or libretranslate.com) over HTTP with `requests`.

`POST /translate` with JSON {q: [texts], source, target, format: "html"|"text", api_key}. The answer
is {"translatedText": [...]}. In HTML mode LibreTranslate leaves elements marked translate="no" as
they are, which is how do-not-translate terms are kept. It has no glossaries and no formality
setting: term translations and formality are not applied by this provider.
Rate-limited (429) and 5xx answers are retried a few times, honouring Retry-After.
"""

from __future__ import annotations

from collections.abc import Sequence

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from connector.logs import redact, register_secret
from connector.translation.glossary import Glossary, base_language
from connector.translation.providers.base import Provider, ProviderError

MAX_TEXTS_PER_REQUEST = 50


class LibreTranslateProvider(Provider):
    name = "libretranslate"

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        retries: int = 3,
        backoff_factor: float = 0.5,
    ):
        super().__init__()
        self._url = url.rstrip("/")
        self._api_key = api_key or None
        register_secret(self._api_key)  # never in an error or a log line
        self._timeout = timeout
        self._session = requests.Session()
        retry = Retry(
            total=retries,
            connect=retries,
            read=0,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=None,  # POST /translate is safe to repeat
            backoff_factor=backoff_factor,
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        self._session.mount("http://", HTTPAdapter(max_retries=retry))
        self._session.mount("https://", HTTPAdapter(max_retries=retry))

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
        translated: list[str] = []
        for start in range(0, len(texts), MAX_TEXTS_PER_REQUEST):
            batch = list(texts[start : start + MAX_TEXTS_PER_REQUEST])
            translated.extend(self._translate_batch(batch, source_lang, target_lang, html))
        return translated

    def _translate_batch(self, texts: list[str], source_lang: str, target_lang: str, html: bool) -> list[str]:
        payload: dict[str, object] = {
            "q": texts,
            "source": base_language(source_lang),
            "target": base_language(target_lang),
            "format": "html" if html else "text",
        }
        if self._api_key:
            payload["api_key"] = self._api_key
        try:
            response = self._session.post(f"{self._url}/translate", json=payload, timeout=self._timeout)
        except requests.RequestException as exc:
            detail = redact(f"{type(exc).__name__}: {exc}")
            raise ProviderError(
                self.name, "unreachable", f"cannot reach LibreTranslate at {self._url}: {detail}"
            ) from None
        if response.status_code >= 400:
            raise self._error(response)
        try:
            answer = response.json()["translatedText"]
        except (ValueError, KeyError, TypeError):
            raise ProviderError(
                self.name,
                "unexpected",
                f"LibreTranslate answered HTTP {response.status_code} without a translation",
            ) from None
        if isinstance(answer, str):
            answer = [answer]
        if not isinstance(answer, list) or len(answer) != len(texts):
            raise ProviderError(
                self.name,
                "unexpected",
                f"LibreTranslate returned {len(answer)} translations for {len(texts)} texts",
            )
        self.characters_billed += sum(len(text) for text in texts)
        return [str(text) for text in answer]

    def _error(self, response: requests.Response) -> ProviderError:
        try:
            message = str(response.json().get("error", ""))
        except (ValueError, AttributeError):
            message = response.text[:200]
        message = redact(message)
        status = response.status_code
        if status == 403:
            return ProviderError(
                self.name,
                "auth",
                f"LibreTranslate refused the API key (HTTP 403: {message}); check the configured key",
            )
        if status == 429:
            return ProviderError(
                self.name, "rate_limited", f"LibreTranslate is rate limiting (HTTP 429: {message})"
            )
        if status == 400 and "limit" in message.lower():
            return ProviderError(
                self.name, "quota", f"LibreTranslate character limit reached (HTTP 400: {message})"
            )
        kind = "bad_request" if status == 400 else "unexpected"
        return ProviderError(self.name, kind, f"LibreTranslate answered HTTP {status}: {message}")

    def close(self) -> None:
        self._session.close()
