"""The OAuth endpoints of a simulated shop: the client credentials grant, the authorization code grant with
expiring offline tokens, and refresh tokens that rotate.

As Shopify documents them:
- client credentials: `POST /admin/oauth/access_token`, form-encoded `grant_type=client_credentials&client_id=..
  &client_secret=..`, answered `{"access_token", "scope", "expires_in": 86399}`
  (https://shopify.dev/docs/apps/build/authentication-authorization/client-secrets,
  https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/client-credentials-grant);
- authorization code: the merchant opens `/admin/oauth/authorize?client_id&scope&redirect_uri&state`, Shopify
  redirects to `redirect_uri?code&hmac&host&shop&state&timestamp`, where `hmac` is the hex HMAC-SHA256 of the
  other query parameters (sorted, `k=v` joined by `&`) keyed with the client secret; the app exchanges the
  code (single use) with `grant_type=authorization_code`. Expiring offline tokens (`expiring=1`) last 3,600 s
  and come with a refresh token (https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/
  authorization-code-grant, https://shopify.dev/changelog/offline-access-tokens-now-support-expiry-and-refresh);
- refresh: `grant_type=refresh_token` answers a new pair. The refresh token used stays usable until the app
  uses its replacement, which retires it (https://shopify.dev/changelog/more-resilient-refreshes-for-expiring-
  offline-access-tokens); a retired or unknown one is `invalid_grant`.
Error bodies follow OAuth 2.0 (RFC 6749 section 5.2) as Shopify sends them: `{"error", "error_description"}`.
The merchant's consent is given at once (the simulator has no admin user to click "Install").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from ..server import Request, Response

CLIENT_CREDENTIALS_TTL = 86_399
EXPIRING_OFFLINE_TTL = 3_600
REFRESH_TOKEN_TTL = 90 * 86_400
# Every scope the connector's jobs use; a simulated app is granted all of them unless told otherwise.
DEFAULT_SCOPES = (
    "read_products,write_products,read_inventory,write_inventory,read_orders,write_orders,read_customers,"
    "read_translations,write_translations,read_markets,read_locales,read_locations"
)
INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, or unsupported "
    "authentication method."
)
INVALID_GRANT = "Token has been expired or revoked."


@dataclass
class _Refresh:
    token: str
    expires_at: float
    replaces: str | None = None  # the refresh token it replaced, retired once this one is used
    retired: bool = False


def query_hmac(params: dict[str, str], secret: str) -> str:
    """Shopify's `hmac` of a query: every other parameter, sorted, `k=v` joined by `&`, HMAC-SHA256 in hex."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("hmac", "signature"))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


class ShopAuth:
    """The tokens one simulated shop has issued and the app credentials it knows."""

    def __init__(self, shop_domain: str, *, static_token: str | None = None) -> None:
        self.shop_domain = shop_domain
        self.client_id = secrets.token_hex(16)
        self.client_secret = f"shpss_{secrets.token_hex(16)}"
        self.scopes = DEFAULT_SCOPES
        self.token_ttl: float | None = None  # None: the grant's own lifetime
        self.revoked = False  # the app uninstalled (or its access revoked): every token refused
        self.tokens_issued = 0
        self.tokens_refused = 0  # API requests answered 401 for a missing, unknown or expired token
        self._lock = threading.Lock()
        self._access: dict[str, float | None] = {}  # token -> monotonic expiry (None: never)
        if static_token:
            self._access[static_token] = None  # a legacy admin-created app's shpat_ token
        self._codes: dict[str, str] = {}  # authorization code -> its redirect_uri
        self._refresh: dict[str, _Refresh] = {}

    # -- controls --------------------------------------------------------------------------------

    def configure(self, payload: dict) -> dict:
        with self._lock:
            if "token_ttl" in payload:
                ttl = payload["token_ttl"]
                if ttl is not None and float(ttl) <= 0:
                    raise ValueError("token_ttl must be a positive number of seconds, or null")
                self.token_ttl = None if ttl is None else float(ttl)
            if "scopes" in payload:
                self.scopes = ",".join(s.strip() for s in str(payload["scopes"]).split(",") if s.strip())
            if "revoked" in payload:
                self.revoked = bool(payload["revoked"])
            if payload.get("expire_all"):
                now = time.monotonic()
                self._access = {t: (now if e is not None else None) for t, e in self._access.items()}
            return {
                "token_ttl": self.token_ttl,
                "scopes": self.scopes,
                "revoked": self.revoked,
                "tokens_issued": self.tokens_issued,
            }

    # -- checking a request ----------------------------------------------------------------------

    def valid(self, token: str | None) -> bool:
        if not token or self.revoked:
            return False
        with self._lock:
            for known, expires in self._access.items():
                if secrets.compare_digest(known, token):
                    return expires is None or time.monotonic() < expires
        return False

    def count_refused(self) -> None:
        with self._lock:
            self.tokens_refused += 1

    def granted(self) -> set[str]:
        return set(self.scopes.split(","))

    # -- endpoints -------------------------------------------------------------------------------

    def authorize(self, request: Request) -> Response:
        """`GET /admin/oauth/authorize`: the merchant approves, Shopify redirects to the app with a code."""
        client_id = request.param("client_id")
        redirect_uri = request.param("redirect_uri")
        if client_id != self.client_id:
            return Response(400, "Oauth error invalid_request: The client_id is invalid", {})
        if not redirect_uri or not urlsplit(redirect_uri).scheme:
            return Response(400, "Oauth error invalid_request: The redirect_uri is missing or not a URL", {})
        code = secrets.token_hex(16)
        with self._lock:
            self._codes[code] = redirect_uri
        params = {
            "code": code,
            "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvc2ltdWxhdGVk",
            "shop": self.shop_domain,
            "state": request.param("state") or "",
            "timestamp": str(int(time.time())),
        }
        params["hmac"] = query_hmac(params, self.client_secret)
        separator = "&" if "?" in redirect_uri else "?"
        return Response(302, b"", {"Location": f"{redirect_uri}{separator}{urlencode(params)}"})

    def access_token(self, request: Request) -> Response:
        """`POST /admin/oauth/access_token`, form-encoded (JSON is accepted too, as Shopify does)."""
        form = _form(request)
        if self.revoked:
            return _oauth_error(401, "invalid_client", "The app is not installed on this shop.")
        if form.get("client_id") != self.client_id or not secrets.compare_digest(
            form.get("client_secret", ""), self.client_secret
        ):
            return _oauth_error(401, "invalid_client", INVALID_CLIENT)
        grant = form.get("grant_type")
        if grant == "client_credentials":
            return Response(200, self._issue(CLIENT_CREDENTIALS_TTL, refresh=False))
        if grant == "authorization_code" or (grant is None and "code" in form):
            with self._lock:
                redirect = self._codes.pop(form.get("code", ""), None)
            if redirect is None:
                return _oauth_error(400, "invalid_grant", "The authorization code was not found or was already used")
            expiring = form.get("expiring") in ("1", "true")
            return Response(200, self._issue(EXPIRING_OFFLINE_TTL if expiring else None, refresh=expiring))
        if grant == "refresh_token":
            return self._refresh_grant(form.get("refresh_token", ""))
        return _oauth_error(400, "unsupported_grant_type", f"grant_type {grant!r} is not supported")

    def _refresh_grant(self, token: str) -> Response:
        with self._lock:
            entry = self._refresh.get(token)
            if entry is None or entry.retired or time.monotonic() >= entry.expires_at:
                return _oauth_error(400, "invalid_grant", INVALID_GRANT)
            # Using a replacement retires the token it replaced; the one used stays retryable until then.
            if entry.replaces and entry.replaces in self._refresh:
                self._refresh[entry.replaces].retired = True
        return Response(200, self._issue(EXPIRING_OFFLINE_TTL, refresh=True, replaces=token))

    def _issue(self, ttl: float | None, *, refresh: bool, replaces: str | None = None) -> dict:
        with self._lock:
            if self.token_ttl is not None:
                ttl = self.token_ttl
            token = f"shpat_{secrets.token_hex(16)}" if not refresh else f"shpua_{secrets.token_hex(16)}"
            self._access[token] = None if ttl is None else time.monotonic() + ttl
            self.tokens_issued += 1
            answer: dict = {"access_token": token, "scope": self.scopes}
            if ttl is not None:
                answer["expires_in"] = int(ttl) if float(ttl).is_integer() else ttl
            if refresh:
                refresh_token = f"shprt_{secrets.token_hex(16)}"
                self._refresh[refresh_token] = _Refresh(
                    refresh_token, time.monotonic() + REFRESH_TOKEN_TTL, replaces=replaces
                )
                answer["refresh_token"] = refresh_token
                answer["refresh_token_expires_in"] = REFRESH_TOKEN_TTL
            return answer


def _form(request: Request) -> dict[str, str]:
    content_type = (request.headers.get("Content-Type") or "").lower()
    text = request.body.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            payload = json.loads(text or "{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in payload.items()} if isinstance(payload, dict) else {}
    return dict(parse_qsl(text, keep_blank_values=True))


def _oauth_error(status: int, error: str, description: str) -> Response:
    return Response(status, {"error": error, "error_description": description})
