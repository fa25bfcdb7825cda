"""WooCommerce REST authentication (WC_REST_Authentication), verified for real.

Over https (here: a request carrying `X-Forwarded-Proto: https`, as the recorded install's
wp-config treats it) the key pair may come as HTTP Basic or as consumer_key/consumer_secret
query parameters. Over plain http only OAuth 1.0a one-legged signatures count: HMAC-SHA256 or
HMAC-SHA1 over the method, the site's home URL plus path, and the sorted query parameters,
a timestamp within 15 minutes and a nonce never used before.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote

from ..server import Request

TIMESTAMP_WINDOW = 15 * 60
OAUTH_PARAMS = (
    "oauth_consumer_key",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
)
READ_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class ApiKey:
    consumer_key: str
    consumer_secret: str
    permissions: str  # read | write | read_write
    description: str = ""

    def may(self, method: str) -> bool:
        if method in READ_METHODS:
            return self.permissions in ("read", "read_write")
        return self.permissions in ("write", "read_write")


@dataclass(frozen=True)
class AuthFailure:
    code: str
    message: str


AuthOutcome = ApiKey | AuthFailure | None  # None: no credentials that count


def make_key_pair(name: str, permissions: str) -> ApiKey:
    """A deterministic ck_/cs_ pair for a store name, shaped like WooCommerce's (40 hex digits)."""
    seed = f"{name}:{permissions}".encode()
    key = hashlib.sha1(b"ck:" + seed).hexdigest()
    secret = hashlib.sha1(b"cs:" + seed).hexdigest()
    return ApiKey(f"ck_{key}", f"cs_{secret}", permissions)


def rawurlencode(value: str) -> str:
    """PHP rawurlencode(): RFC 3986, only unreserved characters kept."""
    return quote(value, safe="~")


def is_ssl(request: Request) -> bool:
    return (request.headers.get("X-Forwarded-Proto") or "").lower() == "https"


class Authenticator:
    def __init__(self, keys: list[ApiKey], clock: Callable[[], float]) -> None:
        self._keys = {key.consumer_key: key for key in keys}
        self._clock = clock
        self._nonces: dict[str, dict[str, int]] = {}
        self._nonce_lock = threading.Lock()

    def add_key(self, key: ApiKey) -> None:
        self._keys[key.consumer_key] = key

    def authenticate(self, request: Request, home_url: str) -> AuthOutcome:
        """The key that signed the request, a failure WooCommerce would report, or None."""
        if is_ssl(request):
            outcome = self._basic(request)
            if outcome is not None:
                return outcome
        outcome = self._oauth(request, home_url)
        if isinstance(outcome, ApiKey) and not outcome.may(request.method):
            kind = "read" if request.method in READ_METHODS else "write"
            return AuthFailure(
                "woocommerce_rest_authentication_error",
                f"The API key provided does not have {kind} permissions.",
            )
        return outcome

    def _basic(self, request: Request) -> AuthOutcome:
        consumer_key = consumer_secret = ""
        header = request.headers.get("Authorization") or ""
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                decoded = ""
            consumer_key, _, consumer_secret = decoded.partition(":")
        elif request.param("consumer_key") and request.param("consumer_secret"):
            consumer_key, consumer_secret = (
                request.param("consumer_key") or "",
                request.param("consumer_secret") or "",
            )
        if not consumer_key or not consumer_secret:
            return None
        key = self._keys.get(consumer_key)
        if key is None:
            return None  # WooCommerce falls through: the request is simply not authenticated
        if not hmac.compare_digest(key.consumer_secret, consumer_secret):
            return AuthFailure("woocommerce_rest_authentication_error", "Consumer secret is invalid.")
        if not key.may(request.method):
            kind = "read" if request.method in READ_METHODS else "write"
            return AuthFailure(
                "woocommerce_rest_authentication_error",
                f"The API key provided does not have {kind} permissions.",
            )
        return key

    def _oauth(self, request: Request, home_url: str) -> AuthOutcome:
        params = _php_get(request.raw_query)
        header = request.headers.get("Authorization") or ""
        if header.lower().startswith("oauth "):
            params.update(_oauth_header(header[6:]))
        missing = [name for name in OAUTH_PARAMS if not params.get(name)]
        if len(missing) == len(OAUTH_PARAMS):
            return None
        if missing:
            plural = "s" if len(missing) > 1 else ""
            return AuthFailure(
                "woocommerce_rest_authentication_missing_parameter",
                f"Missing OAuth parameter{plural} {', '.join(missing)}",
            )
        key = self._keys.get(params["oauth_consumer_key"])
        if key is None:
            return AuthFailure("woocommerce_rest_authentication_error", "Consumer key is invalid.")
        failure = self._check_signature(request, home_url, key, params)
        if failure is not None:
            return failure
        return self._check_timestamp_and_nonce(key, params["oauth_timestamp"], params["oauth_nonce"])

    def _check_signature(
        self, request: Request, home_url: str, key: ApiKey, params: dict[str, str]
    ) -> AuthFailure | None:
        provided = unquote(params["oauth_signature"].replace(" ", "+"))
        signed = {name: value for name, value in params.items() if name != "oauth_signature"}
        base_uri = rawurlencode(home_url + request.path)
        pairs = [
            rawurlencode(f"{rawurlencode(name)}={rawurlencode(signed[name])}") for name in sorted(signed)
        ]
        string_to_sign = f"{request.method}&{base_uri}&{'%26'.join(pairs)}"
        method = params["oauth_signature_method"]
        if method not in ("HMAC-SHA1", "HMAC-SHA256"):
            return AuthFailure(
                "woocommerce_rest_authentication_error", "Invalid signature - signature method is invalid."
            )
        digest = hashlib.sha1 if method == "HMAC-SHA1" else hashlib.sha256
        expected = base64.b64encode(
            hmac.new(f"{key.consumer_secret}&".encode(), string_to_sign.encode(), digest).digest()
        ).decode()
        if not hmac.compare_digest(expected, provided):
            return AuthFailure(
                "woocommerce_rest_authentication_error",
                "Invalid signature - provided signature does not match.",
            )
        return None

    def _check_timestamp_and_nonce(self, key: ApiKey, timestamp: str, nonce: str) -> AuthOutcome:
        now = int(self._clock())
        try:
            stamp = int(timestamp)
        except ValueError:
            stamp = 0
        if stamp < now - TIMESTAMP_WINDOW or stamp > now + TIMESTAMP_WINDOW:
            return AuthFailure("woocommerce_rest_authentication_error", "Invalid timestamp.")
        with self._nonce_lock:
            used = self._nonces.setdefault(key.consumer_key, {})
            if nonce in used:
                return AuthFailure(
                    "woocommerce_rest_authentication_error", "Invalid nonce - nonce has already been used."
                )
            used[nonce] = stamp
            if len(used) > 4096:
                for old_nonce, old_stamp in list(used.items()):
                    if old_stamp < now - TIMESTAMP_WINDOW:
                        del used[old_nonce]
        return key


def _php_get(raw_query: str) -> dict[str, str]:
    """$_GET as PHP builds it for plain keys: decoded, the last value of a repeated key wins."""
    params: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        params[name] = value
    return params


def _oauth_header(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for part in value.split(","):
        name, _, quoted = part.strip().partition("=")
        if name.startswith("oauth_"):
            params[name] = unquote(quoted.strip().strip('"'))
    return params
