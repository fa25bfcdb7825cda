"""`connector shopify authorize`: an agency's app is installed on a client's shop by the authorization code grant.

1. The install URL (`https://{shop}/admin/oauth/authorize?client_id&scope&redirect_uri&state`) is printed for
   the merchant to open; `state` is a fresh random value.
2. Shopify redirects the merchant's browser to `redirect_uri` with `code`, `hmac`, `host`, `shop`, `state` and
   `timestamp`. The redirect is received on a local port (or its URL pasted), and refused unless `state` is the
   one sent and `hmac` is the HMAC-SHA256 of the other query parameters keyed with the app's client secret
   (verified by the ShopifyAPI package's `Session.validate_hmac`, in constant time).
3. The code is exchanged (`grant_type=authorization_code`, `expiring=1` for an expiring offline token with a
   refresh token) and the pair is stored in the client's state (mode 0600).
(https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant,
https://shopify.dev/docs/apps/build/security/credentials-and-data/use-expiring-offline-access-tokens)
"""

from __future__ import annotations

import secrets
import sys
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import shopify

from connector.errors import UsageError
from connector.platforms.errors import AuthError
from connector.platforms.shopify.credentials import (
    AUTHORIZE_PATH,
    pair_from_answer,
    request_token,
    shop_base_url,
)
from connector.platforms.shopify.store_state import ShopifyStoreState

CALLBACK_PATH = "/callback"
WAIT_SECONDS = 600


class AuthorizationRefused(Exception):
    """The redirect did not prove itself (state or hmac) or Shopify refused the code."""


def install_url(shop: str, client_id: str, scopes: Iterable[str], redirect_uri: str, state: str) -> str:
    query = urlencode(
        {"client_id": client_id, "scope": ",".join(sorted(set(scopes))), "redirect_uri": redirect_uri, "state": state}
    )
    return f"{shop_base_url(shop)}{AUTHORIZE_PATH}?{query}"


def verify_redirect(params: dict[str, str], state: str, client_secret: str, shop: str) -> str:
    """The authorization code of a genuine redirect; AuthorizationRefused naming what is wrong otherwise."""
    if "error" in params:
        raise AuthorizationRefused(f"Shopify answered {params['error']}: {params.get('error_description', '')}")
    if not secrets.compare_digest(params.get("state", ""), state):
        raise AuthorizationRefused("the redirect's state is not the one this command sent; start again")
    shopify.Session.setup(api_key="", secret=client_secret)
    if not shopify.Session.validate_hmac(params):
        raise AuthorizationRefused(
            "the redirect's hmac does not match the app's client secret: it did not come from Shopify, "
            "or client_secret is not this app's"
        )
    domain = urlsplit(shop_base_url(shop)).netloc
    if domain.endswith(".myshopify.com") and params.get("shop") != domain:
        raise AuthorizationRefused(f"the redirect is for shop {params.get('shop')!r}, not {domain}")
    if not params.get("code"):
        raise AuthorizationRefused("the redirect has no code")
    return params["code"]


def receive_redirect(port: int, on_ready: Callable[[int], None], timeout: float = WAIT_SECONDS) -> dict[str, str]:
    """Serve one GET of the callback on 127.0.0.1 and return its query parameters."""
    received: dict[str, str] = {}
    done = threading.Event()

    class Callback(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            parts = urlsplit(self.path)
            if parts.path != CALLBACK_PATH:
                self.send_error(404)
                return
            received.update(parse_qsl(parts.query, keep_blank_values=True))
            body = b"connector: authorization received; you can close this window.\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            done.set()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", port), Callback)
    server.timeout = 0.5
    on_ready(server.server_address[1])
    try:
        waited = 0.0
        while not done.is_set():
            server.handle_request()
            waited += server.timeout
            if waited > timeout and not done.is_set():
                raise AuthorizationRefused(f"no redirect arrived within {int(timeout)} s; start again")
    finally:
        server.server_close()
    return received


def authorize_store(
    name: str,
    store,
    scopes: Iterable[str],
    *,
    port: int,
    pasted: bool,
    out=sys.stdout,
    read_line: Callable[[], str] = lambda: sys.stdin.readline(),
) -> list[str]:
    """Run the grant for one store; returns the scopes granted. Raises UsageError or AuthorizationRefused."""
    if store.client_id is None or store.client_secret is None or store.auth != "authorization_code":
        raise UsageError(
            f'store {name}: authorize needs auth = "authorization_code" with client_id and client_secret '
            "(the agency app's) in its [stores] table"
        )
    client_id = store.client_id.get_secret_value()
    client_secret = store.client_secret.get_secret_value()
    state = secrets.token_urlsafe(24)
    if pasted:
        redirect_uri = f"http://127.0.0.1:{port or 8976}{CALLBACK_PATH}"
        print(f"Open this URL as the shop's owner and approve the app:\n\n{install_url(store.shop, client_id, scopes, redirect_uri, state)}\n", file=out, flush=True)
        print("Then paste the full address the browser was sent to:", file=out, flush=True)
        params = dict(parse_qsl(urlsplit(read_line().strip()).query, keep_blank_values=True))
    else:

        def ready(bound: int) -> None:
            url = install_url(store.shop, client_id, scopes, f"http://127.0.0.1:{bound}{CALLBACK_PATH}", state)
            print(f"Open this URL as the shop's owner and approve the app:\n\n{url}\n", file=out, flush=True)
            print(f"waiting for Shopify's redirect on http://127.0.0.1:{bound}{CALLBACK_PATH} ...", file=out, flush=True)

        params = receive_redirect(port, ready)
    code = verify_redirect(params, state, client_secret, store.shop)
    try:
        body = request_token(
            name,
            store.shop,
            {"client_id": client_id, "client_secret": client_secret, "code": code, "expiring": "1"},
            timeout=store.timeout,
        )
    except AuthError as exc:
        raise AuthorizationRefused(exc.message) from None
    pair = pair_from_answer(body)
    ShopifyStoreState(name, store.state_path).save_tokens(pair)
    return sorted(s for s in pair.scope.split(",") if s)
