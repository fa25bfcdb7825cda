"""connector/webhooks/verify.py alone: what it accepts, how it keys an event, what it refuses and why."""

from __future__ import annotations

import json

from test_sandbox_woocommerce import load

from connector.webhooks.verify import MAX_BODY, Accepted, Refused, StoreKeys, signature, verify

KEYS = {
    "acme": {
        "us": StoreKeys("shopify", "shpss_app-secret-0123456789", "shop-us.myshopify.com"),
        "fr": StoreKeys("woocommerce", "wc-webhook-secret-0123456789"),
    }
}


def shopify_headers(body: bytes, event: str = "evt-1", secret: str = "shpss_app-secret-0123456789") -> dict:
    return {
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-SHA256": signature(body, secret),
        "X-Shopify-Shop-Domain": "shop-us.myshopify.com",
        "X-Shopify-Event-Id": event,
        "X-Shopify-Webhook-Id": "w-1",
    }


def test_a_shopify_event_keeps_one_key_over_its_retries_and_names_the_order_and_skus():
    body = json.dumps(
        {"id": 7, "line_items": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 2}]}
    ).encode()
    first = verify("acme", "us", shopify_headers(body), body, KEYS)
    retry = verify("acme", "us", {**shopify_headers(body), "X-Shopify-Webhook-Id": "w-2"}, body, KEYS)
    assert isinstance(first, Accepted) and isinstance(retry, Accepted)
    assert first.event_key == retry.event_key == "shopify:evt-1"
    assert first.hint == {"order_id": "gid://shopify/Order/7", "skus": ["A", "B"]}


def test_woocommerce_deliveries_sharing_a_delivery_id_get_distinct_keys():
    # 56f and 57d: one webhook, one second, one X-WC-Webhook-Delivery-ID, two resources
    keys = set()
    for name in (
        "56f_webhook_product_updated_delivery_for_variation",
        "57d_webhook_product_updated_delivery_after_order_170",
    ):
        received = load(name)["received_request"]
        raw = received["raw_body"].encode()
        headers = {
            **received["headers"],
            "X-WC-Webhook-Signature": signature(raw, "wc-webhook-secret-0123456789"),
        }
        accepted = verify("acme", "fr", headers, raw, KEYS)
        assert isinstance(accepted, Accepted), accepted
        keys.add(accepted.event_key)
    assert len(keys) == 2


def test_refusals_name_the_store_and_never_a_secret():
    body = b'{"id": 1}'
    cases = {
        "forged": (shopify_headers(body, secret="wrong"), body, 401),
        "unsigned": ({k: v for k, v in shopify_headers(body).items() if "Hmac" not in k}, body, 401),
        "foreign": ({**shopify_headers(body), "X-Shopify-Shop-Domain": "other.myshopify.com"}, body, 404),
        "topic": ({**shopify_headers(body), "X-Shopify-Topic": "customers/create"}, body, 404),
        "big": (shopify_headers(b"x" * (MAX_BODY + 1)), b"x" * (MAX_BODY + 1), 413),
    }
    for case, (headers, raw, status) in cases.items():
        refused = verify("acme", "us", headers, raw, KEYS)
        assert isinstance(refused, Refused) and refused.status == status, case
        assert refused.reason.startswith("acme/us:") and "secret-0123456789" not in refused.reason
        if "X-Shopify-Hmac-SHA256" in headers:
            assert headers["X-Shopify-Hmac-SHA256"] not in refused.reason
    assert verify("acme", "nowhere", shopify_headers(body), body, KEYS).status == 404
    assert verify("nobody", "us", shopify_headers(body), body, KEYS).status == 404


def test_the_woocommerce_ping_is_accepted_and_keeps_nothing():
    ping = load("56b_webhook_ping_delivery_on_create")["received_request"]
    accepted = verify("acme", "fr", ping["headers"], ping["raw_body"].encode(), KEYS)
    assert isinstance(accepted, Accepted) and accepted.ping and accepted.event_key == ""
    # a form body with a signature header is no ping: it must verify like any delivery
    signed = {**ping["headers"], "X-WC-Webhook-Signature": "forged"}
    assert verify("acme", "fr", signed, ping["raw_body"].encode(), KEYS).status == 401
