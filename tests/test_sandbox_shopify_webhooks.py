"""The Shopify simulator's products/update, orders/cancelled and orders/updated deliveries: subscribed through the
Admin API, signed with the app's client secret, with the REST bodies Shopify sends; orderCancel restocks when asked."""

from __future__ import annotations

import json

import pytest
from test_sandbox_shopify import levels, post

from connector.sandbox.shopify import ShopifySim
from connector.webhooks.verify import Accepted, StoreKeys, verify

SUBSCRIBE = """mutation($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id } userErrors { message } } }"""
CANCEL = """mutation($id: ID!, $restock: Boolean!, $refund: Boolean) {
  orderCancel(orderId: $id, reason: CUSTOMER, restock: $restock, refund: $refund) {
    job { id done }
    jobResult { status errors { code } order { cancelledAt displayFinancialStatus } }
    orderCancelUserErrors { field message code } } }"""
BULK_UPDATE = """mutation($p: ID!, $v: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $p, variants: $v) { userErrors { code } } }"""


@pytest.fixture
def sim():
    with ShopifySim("Hooks Test") as shop:
        shop.seed(products=4, variants=2, customers=2, orders=0, seed=5)
        shop.control("webhooks", {"delay_ms": 0})
        yield shop


def subscribe(sim, url: str, *topics: str) -> None:
    for topic in topics:
        answer = post(sim, SUBSCRIBE, {"topic": topic, "uri": f"{url}/hooks"}).json()
        assert answer["data"]["webhookSubscriptionCreate"]["userErrors"] == []


def topic_of(received: dict) -> str:
    return received["headers"]["X-Shopify-Topic"]


def body_of(received: dict) -> dict:
    return json.loads(received["raw"])


def accepted(sim, received: dict) -> Accepted:
    keys = {"acme": {"us": StoreKeys("shopify", sim.client_secret, sim.shop_domain)}}
    outcome = verify("acme", "us", received["headers"], received["raw"], keys)
    assert isinstance(outcome, Accepted), outcome
    return outcome


def test_a_product_or_variant_edit_sends_products_update_signed_with_the_rest_product(sim, capture):
    subscribe(sim, capture.url, "PRODUCTS_UPDATE")
    node = post(sim, "{ productVariants(first: 1) { nodes { id sku product { id } } } }").json()
    variant = node["data"]["productVariants"]["nodes"][0]
    product_id = variant["product"]["id"]
    edit = {"p": product_id, "v": [{"id": variant["id"], "price": "10.50"}]}
    assert post(sim, BULK_UPDATE, edit).json()["data"]["productVariantsBulkUpdate"]["userErrors"] == []
    first = capture.wait(1)[0]
    assert topic_of(first) == "products/update"
    hint = accepted(sim, first).hint
    assert hint["product_id"] == product_id and variant["sku"] in hint["skus"]
    body = body_of(first)
    assert body["admin_graphql_api_id"] == product_id and body["id"] == int(product_id.rsplit("/", 1)[1])
    edited = next(v for v in body["variants"] if v["sku"] == variant["sku"])
    assert edited["price"] == "10.50" and edited["inventory_policy"] == "deny"
    assert isinstance(body["tags"], str) and body["status"] == "active"

    post(sim, BULK_UPDATE, edit)  # the same price again: nothing changes, nothing is sent
    post(
        sim,
        "mutation($p: ProductUpdateInput!) { productUpdate(product: $p) { userErrors { message } } }",
        {"p": {"id": product_id, "title": "A new title"}},
    )
    assert body_of(capture.wait(2)[1])["title"] == "A new title"
    content = post(
        sim,
        "query($id: ID!) { translatableResource(resourceId: $id) { translatableContent { key digest } } }",
        {"id": product_id},
    ).json()["data"]["translatableResource"]["translatableContent"]
    title = next(entry for entry in content if entry["key"] == "title")
    entry = {"key": "title", "locale": "de", "value": "Hemd", "translatableContentDigest": title["digest"]}
    translated = post(
        sim,
        """mutation($id: ID!, $t: [TranslationInput!]!) { translationsRegister(resourceId: $id, translations: $t) {
           userErrors { code } } }""",
        {"id": product_id, "t": [entry]},
    ).json()
    assert translated["data"]["translationsRegister"]["userErrors"] == []
    sim.control("touch", {"skus": [variant["sku"]]})  # an edit in the admin
    assert sim.webhooks.queue.idle()
    assert [topic_of(r) for r in capture.received] == ["products/update"] * 3  # not the translation
    assert body_of(capture.received[2])["updated_at"] >= body["updated_at"]


def test_order_cancel_restocks_when_asked_and_sends_orders_cancelled_and_updated(sim, capture):
    subscribe(sim, capture.url, "ORDERS_CANCELLED", "ORDERS_UPDATED", "INVENTORY_LEVELS_UPDATE")
    sku = sim.shop.variants[min(sim.shop.variants)].sku
    _, _, before = levels(sim, sku)
    order_id = sim.sell([{"sku": sku, "quantity": 2}])["order_id"]
    assert sim.webhooks.queue.idle()
    sold = len(capture.received)  # the sale's inventory_levels/update
    answer = post(sim, CANCEL, {"id": order_id, "restock": True}).json()["data"]["orderCancel"]
    assert answer["orderCancelUserErrors"] == [] and answer["job"]["done"] is True
    assert answer["jobResult"]["status"] == "SUCCEEDED" and answer["jobResult"]["order"]["cancelledAt"]
    _, _, after = levels(sim, sku)
    assert after == before  # committed released, available again
    assert sim.webhooks.queue.idle()
    sent = capture.received[sold:]
    topics = [topic_of(r) for r in sent]
    assert topics.count("orders/cancelled") == 1 and topics.count("orders/updated") == 1
    cancelled = body_of(next(r for r in sent if topic_of(r) == "orders/cancelled"))
    assert cancelled["admin_graphql_api_id"] == order_id
    assert cancelled["cancelled_at"] and cancelled["cancel_reason"] == "customer"
    assert [line["sku"] for line in cancelled["line_items"]] == [sku]
    assert accepted(sim, sent[topics.index("orders/cancelled")]).hint["skus"] == [sku]
    restocked = [body_of(r) for r in sent if topic_of(r) == "inventory_levels/update"]
    assert restocked and restocked[-1]["available"] == before["available"]

    again = post(sim, CANCEL, {"id": order_id, "restock": True}).json()["data"]["orderCancel"]
    assert again["job"] is None and again["orderCancelUserErrors"][0]["code"] == "INVALID"

    kept = sim.sell([{"sku": sku, "quantity": 1}])["order_id"]
    answer = post(sim, CANCEL, {"id": kept, "restock": False, "refund": True}).json()["data"]["orderCancel"]
    assert answer["jobResult"]["order"]["displayFinancialStatus"] == "REFUNDED"
    _, _, unrestocked = levels(sim, sku)
    assert unrestocked == {**before, "available": before["available"] - 1, "on_hand": before["on_hand"] - 1}


def test_the_cancel_control_names_a_wrong_order_or_reason(sim):
    order_id = sim.sell([{"sku": sim.shop.variants[min(sim.shop.variants)].sku}])["order_id"]
    with pytest.raises(ValueError, match="no order 'gid://shopify/Order/1'"):
        sim.cancel("gid://shopify/Order/1")
    with pytest.raises(ValueError, match="cancel reason 'BORED' is not one of CUSTOMER"):
        sim.cancel(order_id, "bored")
    assert sim.cancel(order_id, "staff")["cancelled_at"]
