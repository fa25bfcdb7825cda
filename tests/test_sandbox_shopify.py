"""The Shopify simulator answers as the Admin GraphQL API does: raw HTTP against a local shop."""

from __future__ import annotations

import json

import pytest
import requests

from connector.sandbox.shopify import CheckoutRefused, ShopifySim
from connector.sandbox.shopify.cost import MAX_QUERY_COST

LEVELS = """
query($sku: String!) {
  productVariants(first: 1, query: $sku) {
    nodes { id updatedAt product { id updatedAt }
      inventoryItem { id inventoryLevels(first: 1) { nodes { location { id }
        quantities(names: ["available", "on_hand", "committed"]) { name quantity } } } } }
  }
}
"""
SET_QUANTITIES = """
mutation($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) @idempotent(key: "%s") {
    inventoryAdjustmentGroup { changes { name delta quantityAfterChange } }
    userErrors { field message code }
  }
}
"""


@pytest.fixture
def sim():
    with ShopifySim("Maison Test") as shop:
        shop.seed(products=12, variants=3, customers=6, orders=8, seed=7)
        yield shop


def post(sim, query, variables=None, token="default"):
    headers = (
        {} if token is None else {"X-Shopify-Access-Token": sim.access_token if token == "default" else token}
    )
    return requests.post(
        sim.graphql_url, json={"query": query, "variables": variables or {}}, headers=headers, timeout=10
    )


def levels(sim, sku):
    body = post(sim, LEVELS, {"sku": f"sku:{sku}"}).json()
    node = body["data"]["productVariants"]["nodes"][0]
    level = node["inventoryItem"]["inventoryLevels"]["nodes"][0]
    return node, level, {q["name"]: q["quantity"] for q in level["quantities"]}


def test_missing_or_wrong_token_is_refused_with_shopifys_body(sim):
    for token in (None, "shpat_wrong"):
        response = post(sim, "{ shop { name } }", token=token)
        assert response.status_code == 401
        assert response.json() == {
            "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
        }


def test_an_unknown_api_version_or_path_is_not_found(sim):
    response = requests.post(
        f"{sim.base_url}/admin/api/2019-01/graphql.json",
        json={"query": "{ shop { name } }"},
        headers={"X-Shopify-Access-Token": sim.access_token},
        timeout=10,
    )
    assert response.status_code == 404


def test_a_document_invalid_for_the_schema_is_answered_with_errors(sim):
    response = post(sim, "{ shop { name nme } }")
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body
    assert "nme" in body["errors"][0]["message"]
    assert body["errors"][0]["locations"] == [{"line": 1, "column": 15}]


def test_shop_and_cost_extensions(sim):
    body = post(sim, "{ shop { name currencyCode ianaTimezone myshopifyDomain } }").json()
    assert body["data"]["shop"] == {
        "name": "Maison Test",
        "currencyCode": "EUR",
        "ianaTimezone": "Europe/Paris",
        "myshopifyDomain": "maison-test.myshopify.com",
    }
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 1 and cost["actualQueryCost"] == 1
    assert cost["throttleStatus"]["maximumAvailable"] == 2000.0
    assert cost["throttleStatus"]["restoreRate"] == 100.0


def test_connection_cost_scales_logarithmically_and_actual_counts_returned_nodes(sim):
    body = post(
        sim, '{ productVariants(first: 50, query: "sku:SKU-00001-01") { nodes { id product { id } } } }'
    ).json()
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 2 + 7 * 2  # 50 nodes are charged as 7 (Shopify's log scale)
    assert cost["actualQueryCost"] == 2 + 1 * 2


def test_real_shop_measurements_are_reproduced(sim):
    """Requested costs measured on real shops: nested connections far below `2 + first x child`."""
    product = post(sim, "{ products(first: 1) { nodes { id } } }").json()["data"]["products"]["nodes"][0]
    nested = post(
        sim,
        "query($id: ID!) { product(id: $id) { variants(first: 250) { nodes { inventoryItem { id } } } } }",
        {"id": product["id"]},
    ).json()
    assert nested["extensions"]["cost"]["requestedQueryCost"] == 25
    plain = post(sim, "{ orders(first: 250) { nodes { id name createdAt updatedAt } } }").json()
    assert plain["extensions"]["cost"]["requestedQueryCost"] == 13


def test_the_cost_debug_header_explains_a_cost(sim):
    query = "{ products(first: 10) { nodes { id variants(first: 5) { nodes { id } } } } }"
    plain = post(sim, query).json()["extensions"]["cost"]
    assert "fields" not in plain
    debugged = requests.post(
        sim.graphql_url,
        json={"query": query},
        headers={"X-Shopify-Access-Token": sim.access_token, "Shopify-GraphQL-Cost-Debug": "1"},
        timeout=10,
    ).json()["extensions"]["cost"]
    by_path = {tuple(f["path"]): f for f in debugged["fields"]}
    assert by_path[("products",)]["requestedTotalCost"] == debugged["requestedQueryCost"]
    assert by_path[("products", "nodes", "variants")]["requestedTotalCost"] == 2 + 3 * 1


def test_a_query_over_the_single_query_limit_is_refused(sim):
    query = (
        "{ products(first: 250) { nodes { id variants(first: 250) { nodes { id inventoryItem "
        "{ inventoryLevels(first: 250) { nodes { id location { id } } } } } } } } }"
    )
    body = post(sim, query).json()
    error = body["errors"][0]
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert error["extensions"]["maxCost"] == MAX_QUERY_COST
    assert error["extensions"]["cost"] > MAX_QUERY_COST
    assert "data" not in body


def test_an_empty_bucket_answers_throttled_with_http_200():
    with ShopifySim("Tiny", bucket_max=30, restore_rate=1) as sim:
        sim.seed(products=5, variants=2, customers=0, orders=0)
        first = post(
            sim, "{ products(first: 10) { nodes { id variants(first: 2) { nodes { id } } } } }"
        ).json()
        assert first["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] < 30
        response = post(sim, "{ products(first: 25) { nodes { id variants(first: 2) { nodes { id } } } } }")
        assert response.status_code == 200
        body = response.json()
        assert body["errors"][0]["message"] == "Throttled"
        assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
        assert body["extensions"]["cost"]["requestedQueryCost"] == 2 + 6 * (1 + 2 + 1 * 1)
        assert body["extensions"]["cost"]["actualQueryCost"] is None
        assert "data" not in body
        assert sim.stats()["throttled"] == 1


def test_cursor_paging_by_updated_at_sees_every_product_once(sim):
    query = """query($after: String) { products(first: 5, after: $after, sortKey: UPDATED_AT) {
        edges { cursor node { id updatedAt } } pageInfo { hasNextPage endCursor } } }"""
    seen, after = [], None
    while True:
        page = post(sim, query, {"after": after}).json()["data"]["products"]
        seen += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len({node["id"] for node in seen}) == 12
    assert [node["updatedAt"] for node in seen] == sorted(node["updatedAt"] for node in seen)


def test_reverse_and_updated_at_filter(sim):
    newest = post(
        sim, "{ products(first: 1, sortKey: UPDATED_AT, reverse: true) { nodes { id updatedAt } } }"
    )
    newest_node = newest.json()["data"]["products"]["nodes"][0]
    filtered = post(
        sim,
        "query($q: String) { products(first: 50, query: $q) { nodes { id } } }",
        {"q": f"updated_at:>='{newest_node['updatedAt']}'"},
    ).json()["data"]["products"]["nodes"]
    assert [node["id"] for node in filtered] == [newest_node["id"]]


def test_a_sale_creates_an_order_reduces_available_and_bumps_updated_at(sim):
    before_node, _, before = levels(sim, "SKU-00003-02")
    response = requests.post(
        f"{sim.base_url}/__sandbox/sell",
        json={"items": [{"sku": "SKU-00003-02", "quantity": 2}], "email": "new@example.com", "country": "DE"},
        timeout=10,
    )
    assert response.status_code == 200
    order_id = response.json()["order_id"]
    after_node, _, after = levels(sim, "SKU-00003-02")
    assert after["available"] == before["available"] - 2
    assert after["committed"] == before["committed"] + 2
    assert after["on_hand"] == before["on_hand"]
    assert after_node["updatedAt"] > before_node["updatedAt"]
    assert after_node["product"]["updatedAt"] > before_node["product"]["updatedAt"]
    order = post(
        sim,
        """query($id: ID!) { order(id: $id) { name currencyCode displayFinancialStatus
           shippingAddress { countryCodeV2 } customer { email numberOfOrders }
           lineItems(first: 5) { nodes { sku quantity } } totalPriceSet { shopMoney { amount currencyCode } } } }""",
        {"id": order_id},
    ).json()["data"]["order"]
    assert order["lineItems"]["nodes"] == [{"sku": "SKU-00003-02", "quantity": 2}]
    assert order["shippingAddress"]["countryCodeV2"] == "DE"
    assert order["customer"] == {"email": "new@example.com", "numberOfOrders": "1"}
    assert order["totalPriceSet"]["shopMoney"]["currencyCode"] == "EUR"


def test_inventory_set_quantities_is_compare_and_set(sim):
    node, level, quantities = levels(sim, "SKU-00002-01")
    item = {
        "inventoryItemId": node["inventoryItem"]["id"],
        "locationId": level["location"]["id"],
        "quantity": 40,
        "changeFromQuantity": quantities["available"] + 3,
    }
    payload = {"name": "available", "reason": "correction", "quantities": [item]}
    stale = post(sim, SET_QUANTITIES % "key-1", {"input": payload}).json()["data"]["inventorySetQuantities"]
    assert stale["inventoryAdjustmentGroup"] is None
    assert stale["userErrors"] == [
        {
            "field": ["input", "quantities", "0", "changeFromQuantity"],
            "message": "The changeFromQuantity value does not match persisted value.",
            "code": "CHANGE_FROM_QUANTITY_STALE",
        }
    ]
    assert sim.stock("SKU-00002-01")["available"] == quantities["available"]
    item["changeFromQuantity"] = quantities["available"]
    applied = post(sim, SET_QUANTITIES % "key-2", {"input": payload}).json()["data"]["inventorySetQuantities"]
    assert applied["userErrors"] == []
    assert applied["inventoryAdjustmentGroup"]["changes"][0]["quantityAfterChange"] == 40
    # A retry with the same idempotency key replays the result instead of applying again.
    sim.control("set_stock", {"sku": "SKU-00002-01", "quantity": 11})
    replayed = post(sim, SET_QUANTITIES % "key-2", {"input": payload}).json()["data"][
        "inventorySetQuantities"
    ]
    assert replayed["userErrors"] == []
    assert sim.stock("SKU-00002-01")["available"] == 11


def test_inventory_set_quantities_requires_the_idempotent_directive_and_at_most_250(sim):
    node, level, quantities = levels(sim, "SKU-00002-01")
    item = {
        "inventoryItemId": node["inventoryItem"]["id"],
        "locationId": level["location"]["id"],
        "quantity": 1,
        "changeFromQuantity": None,
    }
    without_key = """mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) {
        userErrors { code } } }"""
    body = post(
        sim, without_key, {"input": {"name": "available", "reason": "correction", "quantities": [item]}}
    )
    assert "idempotent" in body.json()["errors"][0]["message"]
    too_many = {"name": "available", "reason": "correction", "quantities": [item] * 251}
    body = post(sim, SET_QUANTITIES % "key-3", {"input": too_many}).json()
    assert body["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    assert sim.stock("SKU-00002-01")["available"] == quantities["available"]


def test_stats_count_mutations_as_writes_and_queries_not(sim):
    sim.reset_stats()
    post(sim, "{ shop { name } }")
    variant = post(sim, "{ productVariants(first: 1) { nodes { id product { id } } } }").json()
    node = variant["data"]["productVariants"]["nodes"][0]
    post(
        sim,
        """mutation($p: ID!, $v: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $p, variants: $v) {
           userErrors { code } } }""",
        {"p": node["product"]["id"], "v": [{"id": node["id"], "price": "10.00"}]},
    )
    stats = sim.stats()
    assert stats["requests"] == {"POST /admin/api/<version>/graphql.json": 3}
    assert stats["writes"] == 1


def test_a_sale_past_stock_is_refused_with_inventory_policy_deny_and_sells_on_with_continue(sim):
    """Shopify's checkout: DENY (the default) refuses a sale past what is available, CONTINUE sells on
    (https://shopify.dev/docs/api/admin-graphql/latest/enums/ProductVariantInventoryPolicy)."""
    with sim.lock:
        product = sim.shop.add_product("Policy", variants=[{"sku": "POL-1", "available": 2}])
    orders = len(sim.shop.orders)
    with pytest.raises(CheckoutRefused, match="POL-1: 3 asked, 2 available"):
        sim.sell([{"sku": "POL-1", "quantity": 3}])
    with pytest.raises(CheckoutRefused):  # two lines of one variant count together
        sim.sell([{"sku": "POL-1", "quantity": 2}, {"sku": "POL-1", "quantity": 1}])
    assert (sim.stock("POL-1")["available"], len(sim.shop.orders)) == (2, orders)  # nothing changed
    sim.sell([{"sku": "POL-1", "quantity": 2}])
    with pytest.raises(CheckoutRefused):
        sim.sell([{"sku": "POL-1", "quantity": 1}])
    refused = requests.post(
        f"{sim.base_url}/__sandbox/sell", json={"items": [{"sku": "POL-1", "quantity": 1}]}, timeout=5
    )
    assert refused.status_code == 400 and "inventory policy DENY" in refused.json()["error"]

    variant = f"gid://shopify/ProductVariant/{product.variants[0].id}"
    answer = post(
        sim,
        """mutation($p: ID!, $v: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $p, variants: $v) {
           productVariants { inventoryPolicy } userErrors { code } } }""",
        {"p": f"gid://shopify/Product/{product.id}", "v": [{"id": variant, "inventoryPolicy": "CONTINUE"}]},
    ).json()
    assert answer["data"]["productVariantsBulkUpdate"]["productVariants"] == [{"inventoryPolicy": "CONTINUE"}]
    sim.sell([{"sku": "POL-1", "quantity": 3}])
    assert sim.stock("POL-1")["available"] == -3  # oversold, as the merchant allowed
    with sim.lock:
        sim.shop.add_product("Backorders", variants=[{"sku": "POL-2", "inventory_policy": "CONTINUE"}])
    sim.sell([{"sku": "POL-2", "quantity": 1}])
    assert sim.stock("POL-2")["available"] == -1


def test_seeding_is_deterministic():
    documents = []
    for _ in range(2):
        with ShopifySim("Same") as sim:
            sim.seed(products=4, variants=2, customers=3, orders=3, seed=42)
            body = post(
                sim,
                """{ productVariants(first: 20) { nodes { id sku price compareAtPrice inventoryQuantity updatedAt } }
                   orders(first: 5) { nodes { name totalPriceSet { shopMoney { amount } } } } }""",
            ).json()
            documents.append(body["data"])
    assert documents[0] == documents[1]


def test_bulk_result_is_grouped_shopify_jsonl_when_asked(sim):
    started = post(
        sim,
        """mutation($q: String!) { bulkOperationRunQuery(query: $q, groupObjects: true) {
            bulkOperation { id status } userErrors { code } } }""",
        {"q": "{ products { edges { node { id title variants { edges { node { id sku } } } } } } }"},
    ).json()["data"]["bulkOperationRunQuery"]
    assert started["userErrors"] == []
    operation_id = started["bulkOperation"]["id"]
    sim.bulk.wait()
    polled = post(
        sim,
        "query($id: ID!) { node(id: $id) { ... on BulkOperation { status url objectCount } } }",
        {"id": operation_id},
    ).json()["data"]["node"]
    assert polled["status"] == "COMPLETED"
    assert polled["objectCount"] == str(12 + 36)
    lines = requests.get(polled["url"], timeout=10).text.splitlines()
    records = [json.loads(line) for line in lines]
    products = [r for r in records if "__parentId" not in r]
    assert len(products) == 12 and all("variants" not in r for r in products)
    parent = None
    for record in records:
        if "__parentId" not in record:
            parent = record["id"]
        else:
            assert record["__parentId"] == parent and record["sku"].startswith("SKU-")


def test_stale_translation_digest_is_refused(sim):
    product = post(sim, "{ products(first: 1) { nodes { id } } }").json()["data"]["products"]["nodes"][0]
    content = post(
        sim,
        "query($id: ID!) { translatableResource(resourceId: $id) { translatableContent { key value digest } } }",
        {"id": product["id"]},
    ).json()["data"]["translatableResource"]["translatableContent"]
    title = next(entry for entry in content if entry["key"] == "title")
    register = """mutation($id: ID!, $t: [TranslationInput!]!) { translationsRegister(resourceId: $id, translations: $t) {
        translations { key value } userErrors { field message code } } }"""
    entry = {"key": "title", "locale": "de", "value": "Hemd", "translatableContentDigest": title["digest"]}
    accepted = post(sim, register, {"id": product["id"], "t": [entry]}).json()["data"]["translationsRegister"]
    assert accepted == {"translations": [{"key": "title", "value": "Hemd"}], "userErrors": []}
    post(
        sim,
        "mutation($p: ProductUpdateInput!) { productUpdate(product: $p) { userErrors { message } } }",
        {"p": {"id": product["id"], "title": "New title"}},
    )
    refused = post(sim, register, {"id": product["id"], "t": [entry]}).json()["data"]["translationsRegister"]
    assert refused["translations"] is None
    assert refused["userErrors"][0]["code"] == "INVALID_TRANSLATABLE_CONTENT"
    outdated = post(
        sim,
        'query($id: ID!) { translatableResource(resourceId: $id) { translations(locale: "de") { key outdated } } }',
        {"id": product["id"]},
    ).json()["data"]["translatableResource"]["translations"]
    assert outdated == [{"key": "title", "outdated": True}]
