"""Shopify webhook subscriptions through the Admin GraphQL API (2026-10: `uri`, `callbackUrl` is deprecated).

https://shopify.dev/docs/api/admin-graphql/latest/mutations/webhookSubscriptionCreate,
.../queries/webhookSubscriptions, .../mutations/webhookSubscriptionDelete. Shopify deletes a subscription made
through the API after 8 consecutive failed deliveries (https://shopify.dev/docs/apps/build/webhooks/troubleshooting-webhooks),
so a missing one is re-created by the service's check.

Deliveries: `X-Shopify-Hmac-SHA256` is base64(HMAC-SHA256(raw body)) keyed with the app's client secret;
`X-Shopify-Shop-Domain` names the shop and `X-Shopify-Event-Id` is the same on every retry of one event
(https://shopify.dev/docs/apps/build/webhooks/subscribe/https, .../webhooks/ignore-duplicates).
"""

from __future__ import annotations

from typing import Any

from connector.platforms.deliveries import (
    Accepted,
    Headers,
    Refused,
    StoreKeys,
    json_object,
    signed,
    sku_list,
)
from connector.platforms.errors import BadRequestError

# Our topics as the API's enum names them -> as the X-Shopify-Topic header names them.
TOPICS = {
    "ORDERS_CREATE": "orders/create",
    "ORDERS_UPDATED": "orders/updated",
    "ORDERS_CANCELLED": "orders/cancelled",
    "REFUNDS_CREATE": "refunds/create",
    "PRODUCTS_UPDATE": "products/update",
    "PRODUCTS_DELETE": "products/delete",
    "INVENTORY_LEVELS_UPDATE": "inventory_levels/update",
}

LIST = """query WebhookSubscriptions($after: String) {
  webhookSubscriptions(first: 100, after: $after) {
    nodes { id topic uri }
    pageInfo { hasNextPage endCursor }
  }
}"""
CREATE = """mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}"""
DELETE = """mutation WebhookSubscriptionDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } }
}"""
SHOP_DOMAIN = "query ShopDomain { shop { myshopifyDomain } }"


def shop_domain(adapter: Any) -> str | None:
    return (adapter._call("ShopDomain", SHOP_DOMAIN).get("shop") or {}).get("myshopifyDomain")


def subscriptions(adapter: Any) -> list[dict[str, Any]]:
    """Every subscription of the app on the shop: id, topic (the enum name), address, status."""
    found, after = [], None
    while True:
        page = adapter._call("WebhookSubscriptions", LIST, {"after": after}).get("webhookSubscriptions") or {}
        for node in page.get("nodes") or []:
            found.append(
                {"id": node["id"], "topic": node["topic"], "address": node["uri"], "status": "active"}
            )
        info = page.get("pageInfo") or {}
        if not info.get("hasNextPage"):
            return found
        after = info.get("endCursor")


def create(adapter: Any, topic: str, address: str, secret: str | None) -> dict[str, Any]:  # noqa: ARG001 - Shopify signs with the app's secret
    answer = adapter._call("WebhookSubscriptionCreate", CREATE, {"topic": topic, "uri": address}, write=True)
    payload = answer.get("webhookSubscriptionCreate") or {}
    if payload.get("userErrors"):
        raise BadRequestError(
            adapter.name, f"webhookSubscriptionCreate {topic}: {payload['userErrors'][0]['message']}"
        )
    node = payload["webhookSubscription"]
    return {"id": node["id"], "topic": node["topic"], "address": node["uri"], "status": "active"}


def delete(adapter: Any, subscription_id: str) -> None:
    answer = adapter._call("WebhookSubscriptionDelete", DELETE, {"id": subscription_id}, write=True)
    errors = (answer.get("webhookSubscriptionDelete") or {}).get("userErrors")
    if errors:
        raise BadRequestError(adapter.name, f"webhookSubscriptionDelete: {errors[0]['message']}")


def reactivate(adapter: Any, subscription: dict[str, Any]) -> None:  # noqa: ARG001 - Shopify deletes, never disables
    raise NotImplementedError


HEADER_TOPICS = frozenset(TOPICS.values())
SIGNED_WITH_APP_SECRET = True  # the app's client secret signs every delivery; nothing to keep per store
APP_SECRET_FIX = "give it client_id and client_secret (a Dev Dashboard app) or leave it on polling"


def is_ping(headers: Headers, body: bytes) -> bool:  # noqa: ARG001 - Shopify sends no creation ping
    return False


def read_delivery(
    client: str, store: str, headers: Headers, body: bytes, keys: StoreKeys
) -> Accepted | Refused:
    where = f"{client}/{store}"
    if not signed(body, keys.secret, headers.get("X-Shopify-Hmac-SHA256")):
        return Refused(401, f"{where}: missing or wrong X-Shopify-Hmac-SHA256 signature")
    domain = (headers.get("X-Shopify-Shop-Domain") or "").strip().lower()
    if keys.shop_domain and domain != keys.shop_domain.lower():
        return Refused(404, f"{where}: delivery for shop {domain or '(none)'}, not {keys.shop_domain}")
    topic = (headers.get("X-Shopify-Topic") or "").strip()
    if topic not in HEADER_TOPICS:
        return Refused(404, f"{where}: topic {topic or '(none)'} is not one the connector subscribes to")
    payload = json_object(body)
    if payload is None:
        return Refused(401, f"{where}: signed body is not a JSON object")
    event = headers.get("X-Shopify-Event-Id") or headers.get("X-Shopify-Webhook-Id") or ""
    if not event:
        return Refused(401, f"{where}: no X-Shopify-Event-Id")
    resource_id = str(payload.get("inventory_item_id") or payload.get("order_id") or payload.get("id") or "")
    return Accepted(
        "shopify", client, store, topic, f"shopify:{event}", resource_id, _shopify_hint(topic, payload)
    )


def _shopify_hint(topic: str, payload: dict) -> dict[str, Any]:
    """Ids and SKUs only: a delivery is a hint, re-read through the API, and the inbox keeps no personal data."""
    # Shopify's payloads carry REST ids; the state keeps the GraphQL global ids.
    if topic == "inventory_levels/update":
        return {"inventory_item_id": _gid("InventoryItem", payload.get("inventory_item_id"))}
    if topic.startswith("products/"):
        variants = payload.get("variants") or []
        return {
            "product_id": _gid("Product", payload.get("id")),
            "skus": sku_list(v.get("sku") for v in variants),
        }
    if topic == "refunds/create":
        lines = payload.get("refund_line_items") or []
        skus = sku_list((line.get("line_item") or {}).get("sku") for line in lines)
        return {"order_id": _gid("Order", payload.get("order_id")), "skus": skus}
    lines = payload.get("line_items") or []
    return {
        "order_id": _gid("Order", payload.get("id")),
        "skus": sku_list(line.get("sku") for line in lines),
    }


def _gid(kind: str, number: Any) -> str:
    return f"gid://shopify/{kind}/{number}" if number not in (None, "") else ""
