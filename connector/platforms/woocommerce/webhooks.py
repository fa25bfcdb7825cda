"""WooCommerce webhooks through REST wc/v3 (`/webhooks`): created with the secret they sign with.

https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks. WooCommerce disables a webhook on its 7th
consecutive failed delivery (failure_count above `woocommerce_max_webhook_delivery_failures`, 5; recorded in
tests/reference/woocommerce/58b); the service's check sets it active again.
"""

from __future__ import annotations

from typing import Any

# Our topics (the API's and the X-WC-Webhook-Topic header's names are the same). There is no separate
# cancelled or refunded topic: both change the order, so order.updated carries them.
TOPICS = {
    "order.created": "order.created",
    "order.updated": "order.updated",
    "order.deleted": "order.deleted",
    "product.updated": "product.updated",
    "product.deleted": "product.deleted",
}
NAME = "connector {topic}"


def shop_domain(adapter: Any) -> str | None:  # noqa: ARG001 - a WooCommerce delivery is known by its signature
    return None


def subscriptions(adapter: Any) -> list[dict[str, Any]]:
    found, page = [], 1
    while True:
        body, _headers = adapter.call("GET", "webhooks", params={"per_page": 100, "page": page})
        for hook in body or []:
            found.append(
                {
                    "id": str(hook["id"]),
                    "topic": hook["topic"],
                    "address": hook["delivery_url"],
                    "status": hook["status"],
                }
            )
        if len(body or []) < 100:
            return found
        page += 1


def create(adapter: Any, topic: str, address: str, secret: str | None) -> dict[str, Any]:
    body, _headers = adapter.call(
        "POST",
        "webhooks",
        data={
            "name": NAME.format(topic=topic),
            "topic": topic,
            "delivery_url": address,
            "secret": secret,
            "status": "active",
        },
    )
    return {
        "id": str(body["id"]),
        "topic": body["topic"],
        "address": body["delivery_url"],
        "status": body["status"],
    }


def delete(adapter: Any, subscription_id: str) -> None:
    adapter.call("DELETE", f"webhooks/{subscription_id}", params={"force": "true"})


def reactivate(adapter: Any, subscription: dict[str, Any]) -> None:
    adapter.call("PUT", f"webhooks/{subscription['id']}", data={"status": "active"})
