"""The WooCommerce simulator's webhooks against the recorded deliveries (files 56-58 of tests/reference/woocommerce/,
copied from the shared recordings): the creation ping, product.updated for a product and for a variation, a sale's
order.created and product.updated, the headers and the signature over the raw body, and a failing receiver
disabling the webhook on its 7th consecutive failure."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from test_sandbox_woocommerce import assert_same_shape, client, load

from connector.sandbox.woocommerce import WooCommerceSim
from connector.webhooks.verify import Accepted, StoreKeys, verify

SECRET = "a-webhook-secret-of-the-connector-0123456789"
TRANSPORT = {"host", "connection", "content-length", "accept-encoding"}  # set by each HTTP client


@pytest.fixture
def sim():
    with WooCommerceSim("shop-hooks") as running:
        running.seed(products=6, variants=6, customers=2, orders=0, seed=3)
        running.control("webhooks", {"delay_ms": 0})
        yield running


def header_names(headers: dict) -> set[str]:
    return {name.lower() for name in headers} - TRANSPORT


def assert_like_recorded_delivery(name: str, received: dict) -> dict:
    recorded = load(name)["received_request"]
    assert header_names(received["headers"]) == header_names(recorded["headers"])
    for header in (
        "X-WC-Webhook-Topic",
        "X-WC-Webhook-Resource",
        "X-WC-Webhook-Event",
        "Content-Type",
        "Accept",
    ):
        assert received["headers"][header] == recorded["headers"][header], header
    assert received["headers"]["User-Agent"].endswith("Hookshot (WordPress/6.8.3)")
    assert received["headers"]["X-WC-Webhook-Source"].endswith("/")
    raw = received["raw"]
    expected = base64.b64encode(hmac.new(SECRET.encode(), raw, hashlib.sha256).digest()).decode()
    assert received["headers"]["X-WC-Webhook-Signature"] == expected  # over the raw bytes
    assert b"\\/" in raw and b'":"' in raw and b'", "' not in raw  # json_encode: / escaped, no spaces
    assert raw.isascii()  # non-ASCII as \uXXXX, as in the recording
    assert recorded["raw_body"].isascii() and "\\/" in recorded["raw_body"]
    body = json.loads(raw)
    assert_same_shape(recorded["body"], body)
    return body


def create(wc, topic: str, url: str) -> dict:
    answer = wc.post(
        "webhooks", {"name": f"ref {topic}", "topic": topic, "delivery_url": url, "secret": SECRET}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_samples_56_webhook_created_pinged_and_a_stock_change_delivered(sim, capture):
    wc = client(sim)
    created = create(wc, "product.updated", f"{capture.url}/ok/product-updated")
    recorded = load("56_post_webhooks_create_product_updated")
    assert_same_shape(recorded["body"], created)
    assert created["hooks"] == recorded["body"]["hooks"] and created["status"] == "active"
    (ping,) = capture.wait(1)  # sent during the request that created it (56b)
    recorded_ping = load("56b_webhook_ping_delivery_on_create")["received_request"]
    assert ping["raw"] == f"webhook_id={created['id']}".encode()
    assert header_names(ping["headers"]) == header_names(recorded_ping["headers"])
    assert ping["headers"]["Content-Type"] == recorded_ping["headers"]["Content-Type"]
    product = next(p for p in wc.get("products", params={"type": "simple"}).json() if p["manage_stock"])
    assert wc.put(f"products/{product['id']}", {"stock_quantity": 41}).status_code == 200  # 56c
    capture.wait(2)
    (delivery,) = capture.deliveries("product.updated")
    body = assert_like_recorded_delivery("56d_webhook_product_updated_delivery", delivery)
    assert body["id"] == product["id"] and body["stock_quantity"] == 41
    parent = next(p for p in wc.get("products", params={"type": "variable"}).json())
    variation = wc.get(f"products/{parent['id']}/variations").json()[0]
    assert (
        wc.put(f"products/{parent['id']}/variations/{variation['id']}", {"stock_quantity": 51}).status_code
        == 200
    )
    capture.wait(3)
    last = capture.deliveries("product.updated")[-1]
    body = assert_like_recorded_delivery("56f_webhook_product_updated_delivery_for_variation", last)
    assert (body["type"], body["parent_id"], body["stock_quantity"]) == ("variation", parent["id"], 51)
    # the connector's receiver takes these as they come, and keys them by webhook, resource and modification
    keys = {"acme": {"fr": StoreKeys("woocommerce", SECRET)}}
    accepted = verify("acme", "fr", last["headers"], last["raw"], keys)
    assert isinstance(accepted, Accepted) and accepted.hint["skus"] == [variation["sku"]]
    assert (
        accepted.event_key
        == f"woocommerce:{created['id']}:product.updated:{variation['id']}:{body['date_modified_gmt']}"
    )
    ping_answer = verify("acme", "fr", ping["headers"], ping["raw"], keys)
    assert isinstance(ping_answer, Accepted) and ping_answer.ping


def test_samples_57_a_sale_sends_order_created_and_product_updated(sim, capture):
    wc = client(sim)
    create(wc, "product.updated", f"{capture.url}/ok/product-updated")
    create(wc, "order.created", f"{capture.url}/ok/order-created")
    capture.wait(2)
    product = next(p for p in wc.get("products", params={"type": "simple"}).json() if p["manage_stock"])
    order = {
        **load("57b_post_order_processing")["request"]["body"],
        "line_items": [{"product_id": product["id"], "quantity": 2}],
    }
    assert wc.post("orders", order).status_code == 201
    capture.wait(4)
    (created,) = capture.deliveries("order.created")
    body = assert_like_recorded_delivery("57c_webhook_order_created_delivery", created)
    assert body["line_items"][0]["sku"] == product["sku"] and body["status"] == "processing"
    (updated,) = capture.deliveries("product.updated")
    body = assert_like_recorded_delivery("57d_webhook_product_updated_delivery_after_order_170", updated)
    assert body["stock_quantity"] == product["stock_quantity"] - 2


def test_samples_58_a_failing_receiver_disables_the_webhook_on_its_7th_consecutive_failure(sim, capture):
    capture.status = 500
    wc = client(sim)
    hook = create(wc, "product.updated", f"{capture.url}/fail/product-updated")
    sim.control("webhooks", {"delay_ms": 500})  # the nine changes are queued before the queue runs
    products = [p for p in wc.get("products", params={"type": "simple"}).json() if p["manage_stock"]]
    for number in range(9):
        assert wc.put(
            f"products/{products[number % len(products)]['id']}", {"stock_quantity": 30 + number}
        ).ok
    assert sim.webhooks.queue.idle(10)
    answer = wc.get(f"webhooks/{hook['id']}").json()
    recorded = load("58b_get_webhook_after_failed_deliveries")
    assert_same_shape(recorded["body"], answer)
    assert answer["status"] == recorded["body"]["status"] == "disabled"
    assert sim.webhooks.hooks[hook["id"]]["failure_count"] == int(
        recorded["db_wp_wc_webhooks_row_after"]["failure_count"]
    )
    deliveries = [r for r in capture.received if "X-WC-Webhook-Topic" in r["headers"]]
    pings = [r for r in capture.received if r["raw"].startswith(b"webhook_id=")]
    assert len(deliveries) == 9  # queued before it was disabled: still sent (58b)
    assert len(pings) == 1 + len(deliveries)  # the creation ping, then one with every failed delivery
    wc.put(f"products/{products[0]['id']}", {"stock_quantity": 1})
    assert sim.webhooks.queue.idle(5)
    assert (
        len([r for r in capture.received if "X-WC-Webhook-Topic" in r["headers"]]) == 9
    )  # disabled: no more
