"""WooCommerce webhooks through REST wc/v3 (`/webhooks`): created with the secret they sign with.

https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks. WooCommerce disables a webhook on its 7th
consecutive failed delivery (failure_count above `woocommerce_max_webhook_delivery_failures`, 5; recorded in
tests/reference/woocommerce/58b); the service's check sets it active again.

Deliveries: `X-WC-Webhook-Signature` is base64(HMAC-SHA256(raw body)) keyed with the webhook's secret
(WC_Webhook::generate_signature, recorded in tests/reference/woocommerce/56d). `X-WC-Webhook-Delivery-ID` is a
hash of the webhook and the second, not unique (56f and 57d share one): the event key is webhook id, resource id
and the body's modification time. The creation ping (form-encoded `webhook_id=N`, no signature, 56b) is answered
200 and nothing else.
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


HEADER_TOPICS = frozenset(TOPICS.values())
SIGNED_WITH_APP_SECRET = False  # each store's webhooks sign with a secret the connector gives them


def read_delivery(
    client: str, store: str, headers: Headers, body: bytes, keys: StoreKeys
) -> Accepted | Refused:
    where = f"{client}/{store}"
    sent = headers.get("X-WC-Webhook-Signature")
    if not signed(body, keys.secret, sent):
        return Refused(401, f"{where}: missing or wrong X-WC-Webhook-Signature")
    topic = (headers.get("X-WC-Webhook-Topic") or "").strip()
    if topic not in HEADER_TOPICS:
        return Refused(404, f"{where}: topic {topic or '(none)'} is not one the connector subscribes to")
    payload = json_object(body)
    if payload is None:
        return Refused(401, f"{where}: signed body is not a JSON object")
    webhook = (headers.get("X-WC-Webhook-ID") or "").strip()
    resource_id = str(payload.get("id") or "")
    modified = payload.get("date_modified_gmt") or payload.get("date_created_gmt") or ""
    key = f"woocommerce:{webhook}:{topic}:{resource_id}:{modified}"
    return Accepted("woocommerce", client, store, topic, key, resource_id, _woocommerce_hint(topic, payload))


def is_ping(headers: Headers, body: bytes) -> bool:
    """WC_Webhook::deliver_ping: `webhook_id=N`, form-encoded, without any X-WC-Webhook-* header (56b)."""
    if headers.get("X-WC-Webhook-Signature"):
        return False
    kind = (headers.get("Content-Type") or "").lower()
    text = body.decode("ascii", "replace")
    return (
        kind.startswith("application/x-www-form-urlencoded")
        and text.startswith("webhook_id=")
        and (text[len("webhook_id=") :].isdigit())
    )


def _woocommerce_hint(topic: str, payload: dict) -> dict[str, Any]:
    if topic.startswith("product."):
        return {
            "product_id": str(payload.get("id") or ""),
            "parent_id": str(payload.get("parent_id") or ""),
            "skus": sku_list([payload.get("sku")]),
        }
    lines = payload.get("line_items") or []
    return {"order_id": str(payload.get("id") or ""), "skus": sku_list(line.get("sku") for line in lines)}
