"""Shopify webhook subscriptions through the Admin GraphQL API (2026-10: `uri`, `callbackUrl` is deprecated).

https://shopify.dev/docs/api/admin-graphql/latest/mutations/webhookSubscriptionCreate,
.../queries/webhookSubscriptions, .../mutations/webhookSubscriptionDelete. Shopify deletes a subscription made
through the API after 8 consecutive failed deliveries (https://shopify.dev/docs/apps/build/webhooks/troubleshooting-webhooks),
so a missing one is re-created by the service's check.
"""

from __future__ import annotations

from typing import Any

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
