"""Where a Shopify store's access token comes from: one of three credential forms.

- `access_token`: a legacy admin-created custom app's `shpat_` token (no such app can be created since
  2026-01-01; existing ones keep working). Static: a 401 means it was revoked.
- client credentials (`client_id`, `client_secret`): an app of the merchant's own organization, made in the Dev
  Dashboard and installed on their shop, exchanges its credentials for a token at
  `POST https://{shop}/admin/oauth/access_token` (form-encoded `grant_type=client_credentials`); the answer
  holds `access_token`, `scope` and `expires_in` (about 24 hours)
  (https://shopify.dev/docs/apps/build/authentication-authorization/client-secrets,
  https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/client-credentials-grant).
  The token lives in memory only and is renewed before it expires, and once after a 401.
- authorization code (an agency's app on a client's shop): `connector shopify authorize` stores an expiring
  offline token (one hour) and its refresh token in the client's state; a refresh answers a new pair and the
  refresh token is replaced at every use
  (https://shopify.dev/docs/apps/build/security/credentials-and-data/use-expiring-offline-access-tokens,
  https://shopify.dev/changelog/offline-access-tokens-now-support-expiry-and-refresh). The new pair is committed
  to the state before the old one is dropped; Shopify keeps the used refresh token valid until its replacement
  is used (https://shopify.dev/changelog/more-resilient-refreshes-for-expiring-offline-access-tokens), so a
  crash between the answer and the commit is recovered by refreshing again with the stored token.

Every token, refresh token and secret is registered for redaction as soon as it is known.
"""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import requests

from connector.logs import register_secret
from connector.platforms.errors import AuthError, BadResponseError, TransientError
from connector.platforms.shopify.store_state import ShopifyStoreState, TokenPair

TOKEN_PATH = "/admin/oauth/access_token"
AUTHORIZE_PATH = "/admin/oauth/authorize"
# Renew a token when less than this share of its life is left (at most RENEW_MARGIN_MAX seconds before).
RENEW_SHARE = 0.1
RENEW_MARGIN_MAX = 300.0


FORMS = ("access_token", "client_credentials", "authorization_code")


def form_of(config) -> str:
    """Which of the three forms a validated Shopify store config uses."""
    if config.access_token is not None:
        return "access_token"
    return "authorization_code" if config.auth == "authorization_code" else "client_credentials"


def form_problems(raw: dict) -> list[str]:
    """Problems of a store's credential keys (before validation), each naming the keys to write."""
    has = {key: bool(raw.get(key)) for key in ("access_token", "client_id", "client_secret")}
    forms = (
        '`client_id` and `client_secret` (a Dev Dashboard app on your own shop: the client credentials grant), '
        'the same with `auth = "authorization_code"` (an agency\'s app, then `connector shopify authorize`), '
        "or `access_token` (a legacy app created in the Shopify admin)"
    )
    if has["access_token"] and (has["client_id"] or has["client_secret"] or raw.get("auth")):
        return [f"several credential forms are given; keep exactly one of: {forms}"]
    if not any(has.values()):
        return [f"no credential is given; write one of: {forms}"]
    if not has["access_token"] and has["client_id"] != has["client_secret"]:
        missing = "client_secret" if has["client_id"] else "client_id"
        return [f"{missing} is missing: the Dev Dashboard app's client_id and client_secret go together"]
    return []


def shop_base_url(shop_url_or_domain: str) -> str:
    """`acme.myshopify.com` or `http://127.0.0.1:8081/admin` -> `https://acme.myshopify.com` / `http://127.0.0.1:8081`."""
    text = shop_url_or_domain.strip()
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    return f"{parts.scheme}://{parts.netloc}"


def _margin(lifetime: float) -> float:
    return min(RENEW_MARGIN_MAX, lifetime * RENEW_SHARE)


def _iso_in(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="microseconds")


def request_token(
    store: str, shop: str, form: dict[str, str], *, timeout: float, session: requests.Session | None = None
) -> dict:
    """POST the token endpoint (form-encoded); the JSON answer, or AuthError with Shopify's own error text."""
    url = shop_base_url(shop) + TOKEN_PATH
    poster = session.post if session is not None else requests.post
    try:
        response = poster(url, data=form, headers={"Accept": "application/json"}, timeout=timeout)
    except requests.Timeout:
        raise TransientError(store, f"no answer from the token endpoint within {timeout}s") from None
    except requests.ConnectionError as exc:
        raise TransientError(store, f"the token endpoint is unreachable ({type(exc).__name__})") from None
    if response.status_code >= 500 or response.status_code == 429:
        raise TransientError(store, f"HTTP {response.status_code} from the token endpoint")
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400 or not isinstance(body, dict) or "access_token" not in body:
        if isinstance(body, dict) and body.get("error"):
            said = f"{body['error']}: {body.get('error_description') or ''}".strip(": ")
        else:
            said = f"HTTP {response.status_code}: {response.text[:200]}"
        if response.status_code < 400:
            raise BadResponseError(store, f"the token endpoint answered no access_token ({said})")
        raise AuthError(store, f"Shopify refused the token request ({said})")
    for key in ("access_token", "refresh_token"):
        register_secret(body.get(key))
    return body


class StaticToken:
    form = "access token (legacy admin-created app)"
    renewable = False

    def __init__(self, store: str, token: str) -> None:
        self.store = store
        self._token = token
        self.scope: str | None = None
        register_secret(token)

    def token(self) -> str:
        return self._token

    def renew(self, rejected: str) -> str:
        raise AuthError(self.store, "the access token was refused (revoked or wrong)")


# Client-credentials tokens of this process, shared by the adapters of one app on one shop (a service opens
# adapters every cycle): in memory only, never written anywhere.
_ISSUED: dict[tuple[str, str], tuple[str, float, str | None]] = {}
_ISSUED_LOCK = threading.Lock()


class ClientCredentials:
    """Tokens by the client credentials grant, kept in memory only."""

    form = "client credentials (Dev Dashboard app)"
    renewable = True

    def __init__(
        self, store: str, shop: str, client_id: str, client_secret: str, *, timeout: float = 30
    ) -> None:
        self.store = store
        self.shop = shop
        self._client = (client_id, client_secret)
        self.timeout = timeout
        self.scope: str | None = None
        self.issued = 0
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = threading.Lock()
        register_secret(client_secret)

    def _key(self) -> tuple[str, str]:
        # The secret is part of the key: a replaced (or wrong) secret never reuses a token got with another.
        client_id, client_secret = self._client
        return (shop_base_url(self.shop), client_id + ":" + hashlib.sha256(client_secret.encode()).hexdigest())

    def token(self) -> str:
        with self._lock:
            if self._token is None:
                with _ISSUED_LOCK:
                    shared = _ISSUED.get(self._key())
                if shared is not None:
                    self._token, self._renew_at, self.scope = shared
            if self._token is None or time.monotonic() >= self._renew_at:
                self._exchange()
            assert self._token is not None
            return self._token

    def renew(self, rejected: str) -> str:
        with self._lock:
            with _ISSUED_LOCK:
                shared = _ISSUED.get(self._key())
            if shared is not None and shared[0] != rejected and time.monotonic() < shared[1]:
                self._token, self._renew_at, self.scope = shared  # another adapter renewed it already
            elif self._token == rejected or self._token is None:
                self._exchange()
            assert self._token is not None
            return self._token

    def _exchange(self) -> None:
        client_id, client_secret = self._client
        body = request_token(
            self.store,
            self.shop,
            {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret},
            timeout=self.timeout,
        )
        lifetime = float(body.get("expires_in") or 86_399)
        self._token = body["access_token"]
        self._renew_at = time.monotonic() + lifetime - _margin(lifetime)
        self.scope = body.get("scope")
        self.issued += 1
        with _ISSUED_LOCK:
            _ISSUED[self._key()] = (self._token, self._renew_at, self.scope)


class AuthorizationCode:
    """Expiring offline tokens from the client's state, refreshed (and rotated) before they expire."""

    form = "authorization code (expiring offline token)"
    renewable = True

    def __init__(
        self,
        store: str,
        shop: str,
        client_id: str,
        client_secret: str,
        state: ShopifyStoreState,
        *,
        config_path: str = "FILE",
        timeout: float = 30,
    ) -> None:
        self.store = store
        self.shop = shop
        self._client = (client_id, client_secret)
        self.state = state
        self.timeout = timeout
        self.config_path = config_path
        self._lock = threading.Lock()
        self._pair: TokenPair | None = None
        self._lifetime = 3600.0  # an expiring offline token's; the refresh answers' own expires_in after that
        register_secret(client_secret)

    @property
    def scope(self) -> str | None:
        pair = self._pair or self.state.tokens()
        return pair.scope if pair else None

    def _authorize_hint(self) -> str:
        return f"run `connector shopify authorize -c {self.config_path} --store {self.store}`"

    def _load(self) -> TokenPair:
        pair = self.state.tokens()
        if pair is None:
            raise AuthError(self.store, f"the shop has not been authorized yet; {self._authorize_hint()}")
        register_secret(pair.access_token)
        register_secret(pair.refresh_token)
        return pair

    def _fresh(self, pair: TokenPair) -> bool:
        if pair.access_expires_at is None:
            return True
        left = (datetime.fromisoformat(pair.access_expires_at) - datetime.now(UTC)).total_seconds()
        return left > _margin(self._lifetime)

    def token(self) -> str:
        with self._lock:
            pair = self._pair if self._pair is not None else self._load()
            if not self._fresh(pair):
                pair = self._refresh(pair.access_token)
            self._pair = pair
            return pair.access_token

    def renew(self, rejected: str) -> str:
        with self._lock:
            self._pair = self._refresh(rejected)
            return self._pair.access_token

    def _refresh(self, rejected: str) -> TokenPair:
        stored = self._load()
        if stored.access_token != rejected and self._fresh(stored):
            return stored  # another process refreshed it already
        client_id, client_secret = self._client
        try:
            body = request_token(
                self.store,
                self.shop,
                {
                    "grant_type": "refresh_token",
                    "client_id": client_id,
                    "client_secret": client_secret,
                    "refresh_token": stored.refresh_token,
                },
                timeout=self.timeout,
            )
        except AuthError as exc:
            raise AuthError(self.store, f"{exc.message}; {self._authorize_hint()} again") from None
        pair = pair_from_answer(body, fallback_refresh=stored.refresh_token)
        self.state.save_tokens(pair)  # committed: only now is the old pair gone
        self._lifetime = float(body.get("expires_in") or self._lifetime)
        return pair


def pair_from_answer(body: dict, fallback_refresh: str = "") -> TokenPair:
    expires = body.get("expires_in")
    refresh_expires = body.get("refresh_token_expires_in")
    return TokenPair(
        access_token=body["access_token"],
        refresh_token=body.get("refresh_token") or fallback_refresh,
        access_expires_at=_iso_in(float(expires)) if expires is not None else None,
        refresh_expires_at=_iso_in(float(refresh_expires)) if refresh_expires is not None else None,
        scope=body.get("scope") or "",
    )
