"""The Shopify transport against the simulator: paging, errors, pacing, bulk, faults and secrecy."""

from __future__ import annotations

import logging
import uuid

import pytest
import requests

from connector.platforms.errors import AuthError, BadRequestError, BadResponseError, TransientError
from connector.platforms.retry import retrying
from connector.platforms.shopify import documents
from connector.platforms.shopify.transport import ShopifyTransport, graphql_endpoint
from connector.sandbox.server import Response, SandboxServer
from connector.sandbox.shopify import ShopifySim

FAST_RETRIES = {"max_attempts": 12, "max_wait": 0.2, "initial_wait": 0.01}


@pytest.fixture
def sim():
    with ShopifySim("Transport Shop") as shop:
        shop.seed(products=20, variants=3, customers=5, orders=5, seed=3)
        yield shop


def transport_for(sim, *, token=None, timeout=5.0, **retry):
    return ShopifyTransport(
        sim.base_url,
        token or sim.access_token,
        timeout=timeout,
        store_name="transport-shop",
        retry_policy=retrying(**{**FAST_RETRIES, **retry}),
    )


def all_skus(transport, page_size=7):
    nodes = list(transport.paginate(documents.VARIANTS_PAGE, {"first": page_size}, "productVariants"))
    return [node["sku"] for node in nodes]


def test_endpoint_from_domain_or_url():
    assert (
        graphql_endpoint("acme.myshopify.com") == "https://acme.myshopify.com/admin/api/2026-10/graphql.json"
    )
    assert (
        graphql_endpoint("http://127.0.0.1:8081/") == "http://127.0.0.1:8081/admin/api/2026-10/graphql.json"
    )


def test_cursor_paging_reads_every_variant_once(sim):
    transport = transport_for(sim)
    skus = all_skus(transport, page_size=7)
    assert len(skus) == len(set(skus)) == 60
    assert transport.calls == 9  # ceil(60 / 7)
    pages = list(transport.pages(documents.VARIANTS_PAGE, {"first": 25}, "productVariants"))
    assert [len(page.nodes) for page in pages] == [25, 25, 10]
    assert [page.has_next_page for page in pages] == [True, True, False]


def test_updated_at_filter_picks_up_a_sale(sim):
    transport = transport_for(sim)
    newest = transport.execute(
        "{ products(first: 1, sortKey: UPDATED_AT, reverse: true) { nodes { updatedAt } } }"
    )["products"]["nodes"][0]["updatedAt"]
    sim.sell([{"sku": "SKU-00004-02", "quantity": 1}])
    changed = list(
        transport.paginate(
            documents.PRODUCTS_PAGE, {"first": 10, "query": f"updated_at:>'{newest}'"}, "products"
        )
    )
    assert [[v["sku"] for v in p["variants"]["nodes"]] for p in changed] == [
        ["SKU-00004-01", "SKU-00004-02", "SKU-00004-03"]
    ]


def test_a_wrong_token_fails_at_once_with_an_auth_error(sim):
    transport = transport_for(sim, token="shpat_not_the_right_one")
    with pytest.raises(AuthError, match="Invalid API key or access token") as caught:
        transport.execute(documents.SHOP)
    assert caught.value.store == "transport-shop"
    assert transport.calls == 1
    assert sim.stats()["requests"] == {"POST /admin/api/<version>/graphql.json": 1}


def test_compare_and_set_conflict_comes_back_as_the_user_error(sim):
    transport = transport_for(sim)
    location = transport.execute(documents.SHOP)["locations"]["nodes"][0]["id"]
    node = transport.execute(
        documents.INVENTORY_LEVELS, {"first": 1, "query": "sku:SKU-00005-01", "locationId": location}
    )["productVariants"]["nodes"][0]
    seen = {q["name"]: q["quantity"] for q in node["inventoryItem"]["inventoryLevel"]["quantities"]}[
        "available"
    ]
    sim.sell([{"sku": "SKU-00005-01", "quantity": 1}])  # a customer buys between our read and our write
    change = {
        "name": "available",
        "reason": "correction",
        "quantities": [
            {
                "inventoryItemId": node["inventoryItem"]["id"],
                "locationId": location,
                "quantity": 30,
                "changeFromQuantity": seen,
            }
        ],
    }
    result = transport.execute(
        documents.INVENTORY_SET_QUANTITIES, {"input": change, "idempotencyKey": str(uuid.uuid4())}
    )["inventorySetQuantities"]
    assert [error["code"] for error in result["userErrors"]] == ["CHANGE_FROM_QUANTITY_STALE"]
    assert sim.stock("SKU-00005-01")["available"] == seen - 1


def test_stale_digest_is_refused(sim):
    transport = transport_for(sim)
    product_id = transport.execute("{ products(first: 1) { nodes { id } } }")["products"]["nodes"][0]["id"]
    result = transport.execute(
        documents.TRANSLATIONS_REGISTER,
        {
            "resourceId": product_id,
            "translations": [
                {"key": "title", "locale": "de", "value": "Titel", "translatableContentDigest": "0" * 64}
            ],
        },
    )["translationsRegister"]
    assert result["userErrors"][0]["code"] == "INVALID_TRANSLATABLE_CONTENT"


def test_pacing_keeps_a_tiny_bucket_from_ever_throttling():
    with ShopifySim("Tiny Bucket", bucket_max=40, restore_rate=400) as sim:
        sim.seed(products=30, variants=2, customers=0, orders=0)
        transport = transport_for(sim, max_attempts=1)  # a THROTTLED answer would raise
        skus = all_skus(transport, page_size=10)  # each page requests 2 + 10 * 3 = 32 of the 40 points
        assert len(skus) == 60
        assert transport.throttled == 0
        assert sim.stats()["throttled"] == 0
        assert transport.throttle_waits_seconds > 0
    # A bucket of the same size refuses raw requests that do not pace (restoring slowly enough that no
    # pause of a loaded machine between them refills it).
    with ShopifySim("Tiny Bucket", bucket_max=40, restore_rate=1) as sim:
        sim.seed(products=30, variants=2, customers=0, orders=0)
        codes = []
        for _ in range(10):
            raw = requests.post(
                sim.graphql_url,
                json={"query": documents.VARIANTS_PAGE, "variables": {"first": 10}},
                headers={"X-Shopify-Access-Token": sim.access_token},
                timeout=5,
            ).json()
            codes.append(raw["errors"][0]["extensions"]["code"] if "errors" in raw else "ok")
        assert "THROTTLED" in codes, codes


def test_a_throttled_answer_is_waited_out_and_retried():
    with ShopifySim("Drained", bucket_max=40, restore_rate=20) as sim:
        sim.seed(products=10, variants=2, customers=0, orders=0)
        shape = "{ products(first: %d) { nodes { id variants(first: 5) { nodes { id } } } } }"
        drain = shape % 35  # requested 2 + 6 x 6 = 38, actual 2 + 4 x 4 = 18
        requests.post(
            sim.graphql_url,
            json={"query": drain},
            headers={"X-Shopify-Access-Token": sim.access_token},
            timeout=5,
        )
        transport = transport_for(sim, max_wait=5)  # the wait comes from the throttle status: about 0.6 s
        data = transport.execute(shape % 38)
        assert len(data["products"]["nodes"]) == 10
        assert transport.throttled == 1 and transport.calls == 2


def test_max_cost_exceeded_is_a_bad_request_not_retried(sim):
    transport = transport_for(sim)
    with pytest.raises(BadRequestError, match="exceeds the single query max cost"):
        transport.execute(
            "{ products(first: 250) { nodes { variants(first: 250) { nodes { inventoryItem { "
            "inventoryLevels(first: 250) { nodes { id location { id } } } } } } } } }"
        )
    assert transport.calls == 1


@pytest.mark.parametrize(
    "faults",
    [
        {"error_rate": 0.4, "seed": 11},
        {"rate_limit_rate": 0.4, "retry_after": 0.05, "seed": 12},
        {"drop_rate": 0.4, "seed": 13},
        {"hang_rate": 0.3, "hang_seconds": 3, "seed": 14},
    ],
    ids=["5xx", "429-retry-after", "dropped-connection", "hang-timeout"],
)
def test_each_fault_kind_is_survived_through_retries(sim, faults):
    expected = all_skus(transport_for(sim))
    sim.set_faults(**faults)
    transport = transport_for(sim, timeout=0.5)
    assert all_skus(transport) == expected
    assert sim.stats()["faulted"] + sim.stats()["throttled"] > 0
    assert transport.calls > 9


def test_429_honours_retry_after(sim, caplog):
    sim.set_faults(rate_limit_rate=1.0, retry_after=0.07)
    transport = transport_for(sim, max_attempts=3)
    with caplog.at_level(logging.INFO, logger="connector.platforms.retry"):
        with pytest.raises(TransientError, match="429"):
            transport.execute(documents.SHOP)
    waits = [record.getMessage() for record in caplog.records if "retrying in" in record.getMessage()]
    assert len(waits) == 2 and all("retrying in 0.07s" in message for message in waits)
    assert all("transport-shop" in message for message in waits)


def test_an_answer_that_is_not_json_is_a_bad_response():
    class NotJson(SandboxServer):
        def handle(self, request):
            return Response(200, "<html><body>Maintenance</body></html>", {"Content-Type": "text/html"})

    with NotJson("broken") as server:
        transport = ShopifyTransport(server.base_url, "shpat_secret_value_123", store_name="broken")
        with pytest.raises(BadResponseError, match="Maintenance") as caught:
            transport.execute(documents.SHOP)
        assert caught.value.store == "broken"


def test_the_token_never_appears_in_errors_logs_or_repr(sim, caplog):
    secret = sim.access_token
    messages = []
    with caplog.at_level(logging.DEBUG):
        wrong = transport_for(sim, token=secret + "x")
        with pytest.raises(AuthError) as auth:
            wrong.execute(documents.SHOP)
        messages += [str(auth.value), repr(auth.value)]
        sim.set_faults(error_rate=1.0, seed=1)
        failing = transport_for(sim, max_attempts=3)
        with pytest.raises(TransientError) as transient:
            failing.execute(documents.SHOP)
        messages += [str(transient.value), repr(failing), repr(wrong)]
        sim.set_faults(drop_rate=1.0)
        with pytest.raises(TransientError) as dropped:
            failing.execute(documents.SHOP)
        messages.append(str(dropped.value))
    messages += [record.getMessage() for record in caplog.records]
    assert any("retrying" in message for message in messages)
    assert not [message for message in messages if secret in message]
