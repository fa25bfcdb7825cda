"""Webhooks of the simulated shop, as Shopify sends them.

Subscriptions through the Admin API (webhookSubscriptionCreate / webhookSubscriptions / webhookSubscriptionDelete,
schema 2026-10: `uri`). A delivery is an HTTPS POST of the REST-format payload with X-Shopify-Topic,
X-Shopify-Hmac-SHA256 (base64 HMAC-SHA256 of the raw body with the app's client secret), X-Shopify-Shop-Domain,
X-Shopify-Webhook-Id, X-Shopify-Event-Id (the same on every retry and duplicate), X-Shopify-Triggered-At,
X-Shopify-API-Version (https://shopify.dev/docs/apps/build/webhooks/subscribe/https). A failed delivery (no 2xx
within 1 s to connect and 5 s to answer) is retried 8 times with the original payload (over 4 hours; here
after `retry_ms` doubling); an API-created subscription is deleted when the 8th retry fails too
(https://shopify.dev/docs/apps/build/webhooks/troubleshooting-webhooks,
https://shopify.dev/changelog/updates-to-webhook-retry-mechanism).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from connector.platforms.shopify.schema import API_VERSION

from ..webhooks import Delivery, WebhookQueue
from .shop import Order, Product, Variant, gid, iso

RETRIES = 8  # after the 8th failed retry of a delivery the subscription is deleted
TOPIC_HEADERS = {
    "ORDERS_CREATE": "orders/create",
    "ORDERS_UPDATED": "orders/updated",
    "ORDERS_CANCELLED": "orders/cancelled",
    "ORDERS_PAID": "orders/paid",
    "REFUNDS_CREATE": "refunds/create",
    "PRODUCTS_CREATE": "products/create",
    "PRODUCTS_UPDATE": "products/update",
    "PRODUCTS_DELETE": "products/delete",
    "INVENTORY_LEVELS_UPDATE": "inventory_levels/update",
}


class ShopWebhooks:
    def __init__(self, sim: Any) -> None:
        self.sim = sim
        self.subscriptions: dict[int, dict[str, Any]] = {}
        self._next_id = 1
        self.queue = WebhookQueue(sim.name, self._result)

    def stop(self) -> None:
        self.queue.stop()

    # -- the Admin API -------------------------------------------------------------------------

    def create(self, topic: str, uri: str | None) -> dict[str, Any]:
        if topic not in TOPIC_HEADERS:
            return {
                "webhookSubscription": None,
                "userErrors": [{"field": ["topic"], "message": "Topic is not supported"}],
            }
        if not uri or not uri.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            return {
                "webhookSubscription": None,
                "userErrors": [{"field": ["webhookSubscription", "uri"], "message": "Address is invalid"}],
            }
        for existing in self.subscriptions.values():
            if existing["topic"] == topic and existing["uri"] == uri:
                return {
                    "webhookSubscription": None,
                    "userErrors": [
                        {
                            "field": ["webhookSubscription", "callbackUrl"],
                            "message": "Address for this topic has already been taken",
                        }
                    ],
                }
        now = iso(datetime.now(UTC))
        number = self._next_id
        self._next_id += 1
        subscription = {
            "id": gid("WebhookSubscription", number),
            "legacyResourceId": str(number),
            "topic": topic,
            "uri": uri,
            "callbackUrl": uri,
            "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": uri},
            "format": "JSON",
            "apiVersion": {"handle": API_VERSION, "displayName": API_VERSION, "supported": True},
            "includeFields": [],
            "metafieldNamespaces": [],
            "metafields": [],
            "filter": None,
            "name": None,
            "createdAt": now,
            "updatedAt": now,
            "failures": 0,
        }
        self.subscriptions[number] = subscription
        return {"webhookSubscription": subscription, "userErrors": []}

    def delete(self, subscription_id: str) -> dict[str, Any]:
        number = _number(subscription_id)
        if number not in self.subscriptions:
            return {
                "deletedWebhookSubscriptionId": None,
                "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
            }
        del self.subscriptions[number]
        return {"deletedWebhookSubscriptionId": subscription_id, "userErrors": []}

    def listed(self, topics: list[str] | None = None, uri: str | None = None) -> list[dict[str, Any]]:
        return [
            s
            for _, s in sorted(self.subscriptions.items())
            if (not topics or s["topic"] in topics) and (uri is None or s["uri"] == uri)
        ]

    # -- events of the shop ----------------------------------------------------------------------

    def on_shop_event(self, kind: str, subject: Any) -> None:
        if not self.subscriptions:
            return
        if kind == "inventory":
            self._emit("INVENTORY_LEVELS_UPDATE", inventory_level_payload(self.sim.shop, subject))
        elif kind == "order_created":
            self._emit("ORDERS_CREATE", order_payload(subject))
        elif kind == "order_updated":
            self._emit("ORDERS_UPDATED", order_payload(subject))
        elif kind == "order_cancelled":
            self._emit("ORDERS_CANCELLED", order_payload(subject))
            self._emit("ORDERS_UPDATED", order_payload(subject))
        elif kind == "product":
            self._emit("PRODUCTS_UPDATE", product_payload(self.sim.shop, subject))
        elif kind == "refund":
            order, refund = subject
            self._emit(
                "REFUNDS_CREATE",
                {
                    "id": refund.id,
                    "order_id": order.id,
                    "created_at": iso(refund.created_at),
                    "refund_line_items": _refund_lines(order, refund),
                },
            )
            self._emit("ORDERS_UPDATED", order_payload(order))

    def _emit(self, topic: str, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        event = str(uuid.uuid4())
        triggered = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        for number, subscription in sorted(self.subscriptions.items()):
            if subscription["topic"] != topic:
                continue
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "Shopify-Captain-Hook",
                "X-Shopify-Topic": TOPIC_HEADERS[topic],
                "X-Shopify-Hmac-SHA256": sign(body, self.sim.client_secret),
                "X-Shopify-Shop-Domain": self.sim.shop_domain,
                "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                "X-Shopify-Event-Id": event,
                "X-Shopify-Triggered-At": triggered,
                "X-Shopify-API-Version": API_VERSION,
            }
            self.queue.enqueue(Delivery(str(number), subscription["uri"], headers, body, retries=RETRIES))

    def _result(self, delivery: Delivery, ok: bool) -> bool:
        with self.sim.lock:
            subscription = self.subscriptions.get(int(delivery.subscription))
            if subscription is None:
                return False  # deleted meanwhile: no more attempts
            if ok:
                subscription["failures"] = 0
                return False
            subscription["failures"] += 1
            if delivery.attempt >= delivery.retries:  # the 8th retry failed too
                del self.subscriptions[int(delivery.subscription)]
                return False
            return True


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode("ascii")


def _number(subscription_id: Any) -> int:
    try:
        return int(str(subscription_id).rsplit("/", 1)[-1])
    except ValueError:
        return -1


def inventory_level_payload(shop: Any, variant: Variant) -> dict[str, Any]:
    location = shop.primary_location.id
    return {
        "inventory_item_id": variant.inventory_item_id,
        "location_id": location,
        "available": shop.quantity(variant, location, "available"),
        "updated_at": iso(variant.updated_at),
        "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{location}?inventory_item_id={variant.inventory_item_id}",
    }


def product_payload(shop: Any, product: Product) -> dict[str, Any]:
    """The REST Product resource, as products/update carries it: the product with every variant, `tags` one
    comma-separated string, enums lower-cased (https://shopify.dev/docs/apps/build/webhooks/delivery-structure,
    example products/update payload; https://shopify.dev/docs/api/webhooks?reference=toml#list-of-topics-products/update)."""
    location = shop.primary_location.id
    return {
        "id": product.id,
        "admin_graphql_api_id": gid("Product", product.id),
        "title": product.title,
        "body_html": product.description_html,
        "vendor": product.vendor,
        "product_type": product.product_type,
        "handle": product.handle,
        "status": product.status.lower(),
        "created_at": iso(product.created_at),
        "updated_at": iso(product.updated_at),
        "published_at": iso(product.created_at) if product.status == "ACTIVE" else None,
        "published_scope": "global",
        "template_suffix": None,
        "tags": ", ".join(product.tags),
        "variants": [
            {
                "id": variant.id,
                "admin_graphql_api_id": gid("ProductVariant", variant.id),
                "product_id": product.id,
                "title": variant.title,
                "price": str(variant.price),
                "compare_at_price": str(variant.compare_at_price)
                if variant.compare_at_price is not None
                else None,
                "sku": variant.sku,
                "barcode": variant.barcode,
                "position": variant.position,
                "inventory_policy": variant.inventory_policy.lower(),
                "inventory_item_id": variant.inventory_item_id,
                "inventory_quantity": shop.quantity(variant, location, "available"),
                "taxable": variant.taxable,
                **{
                    f"option{n + 1}": (variant.option_values[n] if n < len(variant.option_values) else None)
                    for n in range(3)
                },
                "created_at": iso(variant.created_at),
                "updated_at": iso(variant.updated_at),
            }
            for variant in product.variants
        ],
        "options": [
            {"product_id": product.id, "name": name, "position": n + 1, "values": _option_values(product, n)}
            for n, name in enumerate(product.option_names)
        ],
        "images": [],
        "image": None,
    }


def _option_values(product: Product, index: int) -> list[str]:
    values: list[str] = []
    for variant in product.variants:
        if index < len(variant.option_values) and variant.option_values[index] not in values:
            values.append(variant.option_values[index])
    return values


def order_payload(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "admin_graphql_api_id": gid("Order", order.id),
        "name": order.name,
        "email": order.email,
        "created_at": iso(order.created_at),
        "updated_at": iso(order.updated_at),
        "cancelled_at": iso(order.cancelled_at) if order.cancelled_at else None,
        "cancel_reason": order.cancel_reason.lower() if order.cancel_reason else None,
        "currency": order.currency,
        "financial_status": order.financial_status.lower(),
        "total_price": str(order.total),
        "line_items": [
            {
                "id": line.id,
                "admin_graphql_api_id": gid("LineItem", line.id),
                "variant_id": line.variant_id,
                "sku": line.sku,
                "title": line.title,
                "quantity": line.quantity,
                "price": str(line.unit_price),
            }
            for line in order.lines
        ],
    }


def _refund_lines(order: Order, refund: Any) -> list[dict[str, Any]]:
    by_id = {line.id: line for line in order.lines}
    return [
        {
            "line_item_id": line_id,
            "quantity": quantity,
            "line_item": {"id": line_id, "sku": by_id[line_id].sku if line_id in by_id else None},
        }
        for line_id, quantity in refund.lines
    ]
