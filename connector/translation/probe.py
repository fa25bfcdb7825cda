"""`connector check` for the translation provider: is the key accepted, and how much is left to spend.

DeepL: GET /v2/usage (https://developers.deepl.com/api-reference/usage-and-quota) gives the characters used
and the limit of the billing period; a refused key answers 403. LibreTranslate: GET /languages tells the
server answers (it has no usage endpoint; a key is checked at the first translation).
"""

from __future__ import annotations

from dataclasses import dataclass

import requests

from connector.config import ClientConfig
from connector.logs import redact
from connector.platforms.network import unreachable_reason
from connector.translation.providers.base import ProviderError

TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class ProviderCheck:
    ok: bool
    detail: str

    def summary(self) -> str:
        return ("ok: " if self.ok else "FAILED: ") + self.detail


def check_provider(config: ClientConfig) -> ProviderCheck | None:
    """One line about the configured provider; None when no machine translation is configured."""
    settings = config.translation
    key = settings.api_key.get_secret_value() if settings.api_key else ""
    if settings.provider == "deepl":
        return _check_deepl(key, settings.server_url)
    if settings.provider == "libretranslate":
        return _check_libretranslate(settings.server_url)
    return None


def _check_deepl(key: str, server_url: str | None) -> ProviderCheck:
    from connector.translation.providers.deepl import DeepLProvider

    try:
        provider = DeepLProvider(key, server_url=server_url, max_network_retries=0)
        try:
            used, limit = provider.usage()
        finally:
            provider.close()
    except ProviderError as exc:
        return ProviderCheck(False, redact(f"{exc}; check translation.api_key and translation.server_url"))
    if limit is None:
        return ProviderCheck(True, f"deepl key valid, {used or 0:,} characters used this period (no limit)")
    left = max(0, limit - (used or 0))
    detail = f"deepl key valid, {used or 0:,} of {limit:,} characters used this period ({left:,} left)"
    if left == 0:
        return ProviderCheck(False, f"{detail}: the quota is used up; translations wait for the next period")
    return ProviderCheck(True, detail)


def _check_libretranslate(server_url: str | None) -> ProviderCheck:
    if not server_url:
        return ProviderCheck(False, "libretranslate: translation.server_url is not set")
    try:
        answer = requests.get(f"{server_url.rstrip('/')}/languages", timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        reason = unreachable_reason(exc, server_url) or f"cannot reach {server_url} ({type(exc).__name__})"
        return ProviderCheck(False, f"libretranslate: {reason}")
    if answer.status_code != 200:
        return ProviderCheck(False, f"libretranslate at {server_url} answered HTTP {answer.status_code}")
    try:
        count = len(answer.json())
    except ValueError:
        return ProviderCheck(False, f"libretranslate: {server_url} answers, but not with JSON; check the URL")
    return ProviderCheck(True, f"libretranslate at {server_url} answers ({count} languages)")
