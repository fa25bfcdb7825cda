"""HTTP to one WooCommerce store: one `requests.Session` with keep-alive, signed as WooCommerce wants it.

The `woocommerce` package's `API` opens a new connection for every call (a module-level `requests.request`:
a TCP connection, and on https a TLS handshake, for each of thousands of requests), and over plain http it
puts the query string in the signed URL and passes the same parameters again to requests, so every
parameter is sent twice (recorded in 50c, 51, 54 ...). This transport keeps the package's OAuth 1.0a
signing (`woocommerce.oauth.OAuth`, with the strong nonces set up in this package's __init__) and sends
each parameter once, over one pooled session sized for the requests the store may have in flight.

Over https the key pair goes as HTTP Basic; over plain http WooCommerce honours only OAuth 1.0a one-legged
signatures (WC_REST_Authentication; recorded in 13, 14).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import requests
from requests.adapters import HTTPAdapter
from woocommerce.oauth import OAuth

USER_AGENT = "connector (WooCommerce REST wc/v3)"


class Transport:
    def __init__(self, config: Any, *, pool_size: int) -> None:
        self.base = f"{config.url.rstrip('/')}/wp-json/{config.api_version}/"
        self.version = config.api_version
        self.timeout = config.timeout
        self.https = config.url.startswith("https")
        self._key = config.consumer_key.get_secret_value()
        self._secret = config.consumer_secret.get_secret_value()
        self.session = requests.Session()
        self.session.verify = config.verify_tls
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        pool = HTTPAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1))
        self.session.mount("http://", pool)
        self.session.mount("https://", pool)
        if self.https:
            self.session.auth = (self._key, self._secret)

    def send(self, method: str, endpoint: str, params: dict[str, Any] | None, data: Any) -> requests.Response:
        query = urlencode({name: _text(value) for name, value in (params or {}).items()})
        url = self.base + endpoint + (f"?{query}" if query else "")
        if not self.https:
            url = OAuth(
                url=url,
                consumer_key=self._key,
                consumer_secret=self._secret,
                version=self.version,
                method=method,
            ).get_oauth_url()
        body = None if data is None else json.dumps(data, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json;charset=utf-8"} if body is not None else None
        return self.session.request(method, url, data=body, headers=headers, timeout=self.timeout)

    def close(self) -> None:
        self.session.close()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set):
        return ",".join(str(v) for v in value)
    return str(value)
