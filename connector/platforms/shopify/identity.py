"""Whether an answer can come from Shopify's Admin GraphQL API, so a wrong `shop` address is named as such.

Shopify answers GraphQL calls with a JSON object holding `data` and/or `errors`, also on its HTTP errors
(`{"errors": "[API] Invalid API key or access token ..."}`): https://shopify.dev/docs/api/admin-graphql
("Status and error codes"). Anything else (an HTML page, an empty body, a 501 from a server that does not
take POST) comes from some other server at that address. 429 and 500/502/503/504 stay transient whatever
the body: a proxy or CDN in front of Shopify answers those in its own words.
"""

from __future__ import annotations

import json

import requests

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
OWN_HANDLING = frozenset({401, 403, 404})  # the transport names these precisely already


def not_shopify(response: requests.Response, endpoint: str) -> str | None:
    """A sentence saying the address answers but is not Shopify, or None when the answer may be Shopify's."""
    status = response.status_code
    if status in TRANSIENT_STATUSES or status in OWN_HANDLING:
        return None
    try:
        body = json.loads(response.content or b"")
    except ValueError:
        body = None
    if isinstance(body, dict) and ("data" in body or "errors" in body):
        return None
    kind = response.headers.get("Content-Type", "no content type").split(";")[0]
    return (
        f"{endpoint} answers (HTTP {status}, {kind}) but not as Shopify's Admin API does; check `shop`: "
        "it should be the shop's myshopify.com domain (acme.myshopify.com)"
    )
