"""Is this HTTP request a delivery from one of the client's stores? A pure function: no state, no I/O.

`verify(client, store, headers, body, keys)` answers an `Accepted` delivery or a `Refused` one (an HTTP status
and a reason that holds no secret). The receiver of `connector run` and a stateless receiver in front of
workers both call it; what happens next (the inbox, processing) is theirs.

Both platforms sign the raw body: base64(HMAC-SHA256(raw body, key)), compared in constant time.
- Shopify: `X-Shopify-Hmac-SHA256`, keyed with the app's client secret; `X-Shopify-Shop-Domain` names the shop
  and `X-Shopify-Event-Id` is the same on every retry of one event
  (https://shopify.dev/docs/apps/build/webhooks/subscribe/https, .../webhooks/ignore-duplicates).
- WooCommerce: `X-WC-Webhook-Signature`, keyed with the webhook's secret (WC_Webhook::generate_signature, recorded
  in tests/reference/woocommerce/56d). `X-WC-Webhook-Delivery-ID` is a hash of the webhook and the second, not
  unique (56f and 57d share one): the event key is webhook id, resource id and the body's modification time.
  The creation ping (form-encoded `webhook_id=N`, no signature, 56b) is answered 200 and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_BODY = 1024 * 1024  # larger deliveries are refused with 413

# The topics the connector subscribes to, as each platform names them in its headers.
SHOPIFY_TOPICS = frozenset(
    {
        "orders/create",
        "orders/updated",
        "orders/cancelled",
        "refunds/create",
        "products/update",
        "products/delete",
        "inventory_levels/update",
    }
)
WOOCOMMERCE_TOPICS = frozenset(
    {"order.created", "order.updated", "order.deleted", "product.updated", "product.deleted"}
)


@dataclass(frozen=True)
class StoreKeys:
    """What the receiver may use to check one store's deliveries."""

    platform: str  # "shopify" or "woocommerce"
    secret: str  # Shopify: the app's client secret; WooCommerce: the secret the connector gave its webhooks
    shop_domain: str | None = None  # Shopify: the shop's myshopify.com domain


@dataclass(frozen=True)
class Accepted:
    platform: str
    client: str
    store: str
    topic: str
    event_key: str  # the same for every copy of one event: the inbox keeps one
    resource_id: str
    hint: dict[str, Any] = field(default_factory=dict)  # ids and SKUs the body names; no personal data
    ping: bool = False  # WooCommerce's creation ping: answer 200, keep nothing


@dataclass(frozen=True)
class Refused:
    status: int  # 401, 404 or 413
    reason: str  # for the log: names the store and what was wrong, never a secret


def verify(
    client: str,
    store: str,
    headers: Mapping[str, str],
    body: bytes,
    keys: Mapping[str, Mapping[str, StoreKeys]],
) -> Accepted | Refused:
    """`headers` must look names up case-insensitively (as aiohttp's and requests' do)."""
    where = f"{client}/{store}"
    if client in keys and not headers.get("X-WC-Webhook-Signature") and _is_ping(headers, body):
        # carries nothing and changes nothing; sent while the webhook is being created, before it is installed
        return Accepted(
            "woocommerce", client, store, "ping", "", body.decode("ascii", "replace")[11:], ping=True
        )
    store_keys = keys.get(client, {}).get(store)
    if store_keys is None:
        return Refused(404, f"{where}: no such client or store with webhooks installed")
    if len(body) > MAX_BODY:
        return Refused(413, f"{where}: body of {len(body)} bytes is over the {MAX_BODY} byte limit")
    if store_keys.platform == "shopify":
        return _shopify(client, store, headers, body, store_keys)
    return _woocommerce(client, store, headers, body, store_keys)


def signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode("ascii")


def _signed(body: bytes, secret: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(signature(body, secret).encode(), str(sent).strip().encode())


def _shopify(client: str, store: str, headers: Mapping[str, str], body: bytes, keys: StoreKeys):
    where = f"{client}/{store}"
    if not _signed(body, keys.secret, headers.get("X-Shopify-Hmac-SHA256")):
        return Refused(401, f"{where}: missing or wrong X-Shopify-Hmac-SHA256 signature")
    domain = (headers.get("X-Shopify-Shop-Domain") or "").strip().lower()
    if keys.shop_domain and domain != keys.shop_domain.lower():
        return Refused(404, f"{where}: delivery for shop {domain or '(none)'}, not {keys.shop_domain}")
    topic = (headers.get("X-Shopify-Topic") or "").strip()
    if topic not in SHOPIFY_TOPICS:
        return Refused(404, f"{where}: topic {topic or '(none)'} is not one the connector subscribes to")
    payload = _json(body)
    if payload is None:
        return Refused(401, f"{where}: signed body is not a JSON object")
    event = headers.get("X-Shopify-Event-Id") or headers.get("X-Shopify-Webhook-Id") or ""
    if not event:
        return Refused(401, f"{where}: no X-Shopify-Event-Id")
    resource_id = str(payload.get("inventory_item_id") or payload.get("order_id") or payload.get("id") or "")
    return Accepted(
        "shopify", client, store, topic, f"shopify:{event}", resource_id, _shopify_hint(topic, payload)
    )


def _woocommerce(client: str, store: str, headers: Mapping[str, str], body: bytes, keys: StoreKeys):
    where = f"{client}/{store}"
    sent = headers.get("X-WC-Webhook-Signature")
    if not _signed(body, keys.secret, sent):
        return Refused(401, f"{where}: missing or wrong X-WC-Webhook-Signature")
    topic = (headers.get("X-WC-Webhook-Topic") or "").strip()
    if topic not in WOOCOMMERCE_TOPICS:
        return Refused(404, f"{where}: topic {topic or '(none)'} is not one the connector subscribes to")
    payload = _json(body)
    if payload is None:
        return Refused(401, f"{where}: signed body is not a JSON object")
    webhook = (headers.get("X-WC-Webhook-ID") or "").strip()
    resource_id = str(payload.get("id") or "")
    modified = payload.get("date_modified_gmt") or payload.get("date_created_gmt") or ""
    key = f"woocommerce:{webhook}:{topic}:{resource_id}:{modified}"
    return Accepted("woocommerce", client, store, topic, key, resource_id, _woocommerce_hint(topic, payload))


def _is_ping(headers: Mapping[str, str], body: bytes) -> bool:
    """WC_Webhook::deliver_ping: `webhook_id=N`, form-encoded, without any X-WC-Webhook-* header (56b)."""
    kind = (headers.get("Content-Type") or "").lower()
    text = body.decode("ascii", "replace")
    return (
        kind.startswith("application/x-www-form-urlencoded")
        and text.startswith("webhook_id=")
        and (text[len("webhook_id=") :].isdigit())
    )


def _json(body: bytes) -> dict | None:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def _sku_list(values: Any) -> list[str]:
    return sorted({str(v) for v in values if v})


def _shopify_hint(topic: str, payload: dict) -> dict[str, Any]:
    """Ids and SKUs only: a delivery is a hint, re-read through the API, and the inbox keeps no personal data."""
    # Shopify's payloads carry REST ids; the state keeps the GraphQL global ids.
    if topic == "inventory_levels/update":
        return {"inventory_item_id": _gid("InventoryItem", payload.get("inventory_item_id"))}
    if topic.startswith("products/"):
        variants = payload.get("variants") or []
        return {
            "product_id": _gid("Product", payload.get("id")),
            "skus": _sku_list(v.get("sku") for v in variants),
        }
    if topic == "refunds/create":
        lines = payload.get("refund_line_items") or []
        skus = _sku_list((line.get("line_item") or {}).get("sku") for line in lines)
        return {"order_id": _gid("Order", payload.get("order_id")), "skus": skus}
    lines = payload.get("line_items") or []
    return {
        "order_id": _gid("Order", payload.get("id")),
        "skus": _sku_list(line.get("sku") for line in lines),
    }


def _gid(kind: str, number: Any) -> str:
    return f"gid://shopify/{kind}/{number}" if number not in (None, "") else ""


def _woocommerce_hint(topic: str, payload: dict) -> dict[str, Any]:
    if topic.startswith("product."):
        return {
            "product_id": str(payload.get("id") or ""),
            "parent_id": str(payload.get("parent_id") or ""),
            "skus": _sku_list([payload.get("sku")]),
        }
    lines = payload.get("line_items") or []
    return {"order_id": str(payload.get("id") or ""), "skus": _sku_list(line.get("sku") for line in lines)}
