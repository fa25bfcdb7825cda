"""The Shopify adapter against the simulator, through the real transport: reads, bulk, stock, prices, tags."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import vcr
from pydantic import SecretStr

from connector.platforms import registry
from connector.platforms.base import PriceWrite, StockWrite
from connector.platforms.retry import retrying
from connector.platforms.shopify import adapter as adapter_module
from connector.platforms.shopify import bulk as bulk_module
from connector.platforms.shopify import normalise
from connector.platforms.shopify.adapter import ShopifyAdapter, sku_query, variants_bulk_update_document
from connector.platforms.shopify.config import ShopifyStore
from connector.platforms.shopify.credentials import ClientCredentials
from connector.platforms.shopify.schema import validate_document
from connector.platforms.shopify.transport import ShopifyTransport
from connector.sandbox.shopify import ShopifySim
from connector.sandbox.shopify.shop import gid
from connector.sandbox.shopify.views import address

FAST_BUCKET = {"bucket_max": 2000, "restore_rate": 50_000}


def open_adapter(sim: ShopifySim, **config) -> ShopifyAdapter:
    store = ShopifyStore(
        platform="shopify",
        shop=sim.base_url,
        client_id=SecretStr(sim.client_id),
        client_secret=SecretStr(sim.client_secret),
        timeout=5,
        **config,
    )
    transport = ShopifyTransport(
        store.shop,
        ClientCredentials("sim-shop", sim.base_url, sim.client_id, sim.client_secret, timeout=5),
        timeout=5,
        store_name="sim-shop",
        retry_policy=retrying(max_attempts=12, max_wait=0.5, initial_wait=0.01),
    )
    adapter = ShopifyAdapter("sim-shop", store, transport=transport)
    adapter.bulk_poll_interval = 0.02
    return adapter


@pytest.fixture
def sim():
    with ShopifySim("Maison Adapter", bulk_delay=0.01, **FAST_BUCKET) as shop:
        shop.seed(products=30, variants=3, customers=8, orders=24, seed=11)
        with shop.lock:  # one product with more variants than a products page carries
            shop.shop.add_product(
                "Wide Range Tee",
                option_names=["Size"],
                variants=[
                    {
                        "sku": f"WIDE-{n:02d}",
                        "title": f"S{n}",
                        "price": "19.90",
                        "available": n,
                        "weight_grams": 250,
                    }
                    for n in range(1, 10)
                ],
            )
        yield shop


@pytest.fixture
def adapter(sim):
    shop_adapter = open_adapter(sim)
    yield shop_adapter
    shop_adapter.close()


def every_record(pages):
    return [record for page in pages for record in page.records]


# --- probe and reads ---------------------------------------------------------------------------------------


def test_probe_names_the_shop_and_its_currency_in_one_request(sim):
    store = ShopifyStore(platform="shopify", shop=sim.base_url, access_token=SecretStr(sim.access_token))
    adapter = registry.open_adapter("maison", store)
    assert isinstance(adapter, ShopifyAdapter)
    info = adapter.probe()
    adapter.close()
    assert (info.platform, info.name, info.currency, info.api_version) == (
        "shopify",
        "Maison Adapter",
        "EUR",
        "2026-10",
    )
    assert adapter.requests.reads == 1 and adapter.requests.writes == 0


def test_a_full_read_of_products_equals_the_shop(sim, adapter):
    adapter.page_sizes["variantsFirst"] = 6  # the wide product's variants then take a page of their own
    pages = list(adapter.read("products", None))
    products = every_record(pages)
    shop = sim.shop
    assert sorted(p.id for p in products) == sorted(gid("Product", n) for n in shop.products)
    variants = {v.id: v for p in products for v in p.variants}
    assert len(variants) == len(shop.variants) == 99
    for number, held in shop.variants.items():
        read = variants[gid("ProductVariant", number)]
        assert read.sku == held.sku
        assert read.price == held.price and isinstance(read.price, Decimal)
        assert read.compare_at_price == held.compare_at_price
        assert read.stock == shop.quantity(held, shop.primary_location.id, "available")
        assert read.inventory_item_id == gid("InventoryItem", held.inventory_item_id)
        assert read.manage_stock is True
        assert read.weight == Decimal(held.weight_grams) / 1000 and isinstance(read.weight, Decimal)
        assert read.options == {"Size": held.title}
    wide = next(p for p in products if p.title == "Wide Range Tee")
    assert [v.sku for v in wide.variants] == [f"WIDE-{n:02d}" for n in range(1, 10)]
    assert adapter.requests.by_route["ProductVariantsSyncPage"] == 1  # only the wide product needed more
    first = next(p for p in products if p.id == gid("Product", min(shop.products)))
    held_product = shop.products[min(shop.products)]
    assert (first.title, first.status, first.kind) == (held_product.title, "active", "variable")
    assert first.description_html == held_product.description_html
    assert [p.resume is None for p in pages] == [False] * (len(pages) - 1) + [True]
    assert not any(page.problems for page in pages)


def test_a_full_read_of_orders_and_customers_equals_the_shop(sim, adapter):
    orders = {o.id: o for o in every_record(adapter.read("orders", None))}
    shop = sim.shop
    assert len(orders) == len(shop.orders) == 24
    refunded = 0
    for number, held in shop.orders.items():
        read = orders[gid("Order", number)]
        assert read.number == str(held.number)
        assert read.status == held.financial_status.lower()
        assert (read.total, read.subtotal, read.tax_total, read.shipping_total) == (
            held.total,
            held.subtotal,
            held.total_tax,
            held.total_shipping,
        )
        assert isinstance(read.total, Decimal) and read.refunded_total == held.total_refunded
        refunded += read.refunded_total > 0
        assert read.customer_id == gid("Customer", held.customer.id)
        assert read.customer_email == held.customer.email.lower()
        assert read.billing_country == read.shipping_country == held.shipping_country
        assert read.risk_level == held.risk_level.lower()
        assert [(line.sku, line.quantity, line.unit_price) for line in read.lines] == [
            (line.sku, line.quantity, line.unit_price) for line in held.lines
        ]
        assert all(line.total == line.unit_price * line.quantity for line in read.lines)
        expected_key = normalise.address_key(address(held.shipping_country, held.customer.id, "Order"))
        assert read.shipping_address == expected_key and len(expected_key) == 16
        for personal in ("shippingAddress", "billingAddress", "email"):
            assert personal not in read.raw
        assert read.raw["shippingCountry"] == held.shipping_country
    assert refunded >= 1

    customers = {c.id: c for c in every_record(adapter.read("customers", None))}
    assert len(customers) == len(shop.customers)
    for number, held in shop.customers.items():
        read = customers[gid("Customer", number)]
        assert (read.email, read.country, read.orders_count) == (
            held.email,
            held.country,
            held.number_of_orders,
        )
        assert read.total_spent == held.amount_spent and isinstance(read.total_spent, Decimal)
        assert "defaultEmailAddress" not in read.raw and "defaultAddress" not in read.raw


def test_an_incremental_read_after_touch_returns_the_touched_products(sim, adapter):
    products = every_record(adapter.read("products", None))
    seeded = max(p.updated_at for p in products if p.title != "Wide Range Tee")
    sim.control("touch", {"skus": ["SKU-00004-02", "SKU-00017-01"]})
    changed = every_record(adapter.read("products", seeded + timedelta(seconds=1)))
    # The touched products, and the wide product added after the seed; none of the others.
    assert sorted(p.variants[0].sku for p in changed) == ["SKU-00004-01", "SKU-00017-01", "WIDE-01"]


def test_resuming_after_a_page_continues_without_a_gap(sim, monkeypatch):
    first_pass = open_adapter(sim)
    first_pass.page_sizes["products"] = 7
    pages = first_pass.read("products", None)
    first_page = next(pages)
    pages.close()  # the worker stops here
    assert len(first_page.records) == 7 and first_page.resume
    # Meanwhile one product already read and one not yet read change: the next pass must see both.
    sim.control("touch", {"skus": ["SKU-00002-01", "SKU-00025-01"]})
    resumed = every_record(open_adapter(sim).read("products", None, first_page.resume))
    seen = {p.id for p in first_page.records} | {p.id for p in resumed}
    assert seen == {gid("Product", n) for n in sim.shop.products}
    touched = {p.id for p in resumed if any(v.sku in ("SKU-00002-01", "SKU-00025-01") for v in p.variants)}
    assert len(touched) == 2


@pytest.mark.parametrize("resource", ["products", "orders", "customers"])
def test_a_bulk_read_above_the_threshold_equals_the_paged_read(sim, adapter, resource):
    paged = sorted(every_record(adapter.read(resource, None)), key=lambda r: r.id)
    assert "BulkOperationRunQuery" not in adapter.requests.by_route
    adapter.bulk_thresholds[resource] = 5
    bulk_pages = list(adapter.read(resource, None))
    bulk = sorted(every_record(bulk_pages), key=lambda r: r.id)
    assert adapter.requests.by_route["BulkOperationRunQuery"] == 1
    assert bulk == paged
    # The same raw JSON too, so the state sees no change when an incremental read follows a bulk one.
    assert [r.raw for r in bulk] == [r.raw for r in paged]
    if resource == "products":
        assert [v.raw for p in bulk for v in p.variants] == [v.raw for p in paged for v in p.variants]
    assert bulk_pages[-1].resume is None


def test_an_interrupted_bulk_read_resumes_from_its_line_or_restarts_cleanly(sim, monkeypatch):
    monkeypatch.setattr(bulk_module, "PAGE_ROOTS", 8)
    everything = {gid("Product", n) for n in sim.shop.products}
    crashed = open_adapter(sim)
    crashed.bulk_thresholds["products"] = 5
    pages = crashed.read("products", None)
    first_page = next(pages)
    pages.close()
    assert len(first_page.records) == 8

    resumed = open_adapter(sim)
    rest = every_record(resumed.read("products", None, first_page.resume))
    assert {p.id for p in first_page.records}.isdisjoint(p.id for p in rest)
    assert {p.id for p in first_page.records} | {p.id for p in rest} == everything
    assert "BulkOperationRunQuery" not in resumed.requests.by_route  # the same operation's result

    with sim.lock:
        sim.bulk.reset()  # the operation and its result are gone (expired)
    restarted = open_adapter(sim)
    again = every_record(restarted.read("products", None, first_page.resume))
    assert {p.id for p in again} == everything
    assert restarted.requests.by_route["BulkOperationRunQuery"] == 1


def test_a_small_bucket_is_paced_and_never_throttles():
    with ShopifySim("Tiny Bucket", bucket_max=300, restore_rate=600) as small:
        small.seed(products=45, variants=3, customers=0, orders=0, seed=2)
        paced = open_adapter(small)
        paced.page_sizes["products"] = 5  # pages requested near the bucket's size, actually far cheaper
        products = every_record(paced.read("products", None))
        levels = list(paced.stock_levels(None))
        assert len(products) == 45 and len(levels) == 135
        assert small.stats()["throttled"] == 0 and paced.transport.throttled == 0
        assert paced.transport.throttle_waits_seconds > 0  # the bucket did run low: pacing waited


def test_data_problems_are_reported_not_fatal(sim, adapter):
    with sim.lock:
        shop = sim.shop
        shop.add_product("No Sku Cap", variants=[{"sku": None, "price": "9.00", "available": 3}])
        broken = shop.variants_by_sku["SKU-00003-01"]
        broken.price = Decimal("NaN")
        sold = next(iter(shop.orders.values()))
        gone = sold.lines[0].variant_id
        product = shop.variants[gone].product
        for variant in product.variants:
            del shop.variants[variant.id]
        del shop.products[product.id]
        shop.changed()
    product_pages = list(adapter.read("products", None))
    problems = {(p.kind, p.ref) for page in product_pages for p in page.problems}
    assert ("bad_price", gid("ProductVariant", broken.id)) in problems
    assert any(kind == "missing_sku" for kind, _ in problems)
    assert len(every_record(product_pages)) == len(sim.shop.products)
    order_pages = list(adapter.read("orders", None))
    line_problems = [p for page in order_pages for p in page.problems if p.kind == "unknown_line_product"]
    assert any(p.ref.startswith(gid("Order", sold.id)) for p in line_problems)
    assert len(every_record(order_pages)) == len(sim.shop.orders)


# --- stock --------------------------------------------------------------------------------------------------


def test_stock_levels_by_sku_match_the_shop(sim, adapter):
    wanted = ["SKU-00001-01", "SKU-00010-03", "WIDE-07", "NOT-A-SKU"]
    levels = {level.sku: level for level in adapter.stock_levels(wanted)}
    assert sorted(levels) == ["SKU-00001-01", "SKU-00010-03", "WIDE-07"]
    for sku, level in levels.items():
        assert level.quantity == sim.stock(sku)["available"]
        held = sim.shop.variants_by_sku[sku]
        assert level.inventory_item_id == gid("InventoryItem", held.inventory_item_id)
        assert level.variant_id == gid("ProductVariant", held.id)
        assert level.product_id == gid("Product", held.product.id)
    assert adapter.requests.by_route["StockLevels"] == 1
    assert len(list(adapter.stock_levels(None))) == 99


def test_a_stale_compare_and_set_is_reported_as_a_conflict(sim, adapter):
    skus = ["SKU-00001-01", "SKU-00002-01", "SKU-00003-01"]
    sim.control("restock", {"sku": "SKU-00002-01", "quantity": 3})  # seeded with none: something to sell
    levels = {level.sku: level for level in adapter.stock_levels(skus)}
    sim.sell([{"sku": "SKU-00002-01", "quantity": 1}])  # a sale lands between read and write
    writes = [StockWrite(sku, levels[sku].quantity + 5, levels[sku].quantity, levels[sku]) for sku in skus]
    outcomes = adapter.write_stock(writes)
    assert [(o.sku, o.ok, o.conflict) for o in outcomes] == [
        ("SKU-00001-01", True, False),
        ("SKU-00002-01", False, True),
        ("SKU-00003-01", True, False),
    ]
    assert "CHANGE_FROM_QUANTITY_STALE" in outcomes[1].message
    assert sim.stock("SKU-00001-01")["available"] == levels["SKU-00001-01"].quantity + 5
    assert sim.stock("SKU-00002-01")["available"] == levels["SKU-00002-01"].quantity - 1
    assert sim.stock("SKU-00003-01")["available"] == levels["SKU-00003-01"].quantity + 5
    assert adapter.requests.writes == 2  # the refused group, then the others again


def test_a_write_that_changes_nothing_is_not_sent(adapter):
    level = next(adapter.stock_levels(["SKU-00005-02"]))
    outcomes = adapter.write_stock([StockWrite(level.sku, level.quantity, level.quantity, level)])
    assert outcomes[0].ok and adapter.requests.writes == 0


# --- prices -------------------------------------------------------------------------------------------------


def price_write(sim, sku: str, price: str, compare_at: str | None = None, **extra) -> PriceWrite:
    """A write for Shopify's `price` and `compareAtPrice`: a compare-at price is the list price of a sale."""
    variant = sim.shop.variants_by_sku[sku]
    if compare_at is not None:
        price, extra["sale_price"] = compare_at, Decimal(price)
    return PriceWrite(
        sku=sku,
        variant_id=gid("ProductVariant", variant.id),
        product_id=gid("Product", variant.product.id),
        currency=extra.pop("currency", "EUR"),
        price=Decimal(price),
        **extra,
    )


def test_the_aliased_price_document_is_valid_against_the_schema():
    for count in (1, 2, adapter_module.PRODUCTS_PER_PRICE_REQUEST):
        assert validate_document(variants_bulk_update_document(count)) == []


def test_variant_prices_of_several_products_go_in_one_request(sim, adapter):
    writes = [
        price_write(sim, "SKU-00001-01", "21.90"),
        price_write(sim, "SKU-00001-02", "22.90", "29.90"),
        price_write(sim, "SKU-00007-03", "49.00"),
        price_write(sim, "WIDE-03", "15.00", sale_price=Decimal("12.50")),
    ]
    outcomes = adapter.write_prices(writes)
    assert all(o.ok for o in outcomes), outcomes
    assert adapter.requests.writes == 1
    held = sim.shop.variants_by_sku
    assert (held["SKU-00001-01"].price, held["SKU-00001-01"].compare_at_price) == (Decimal("21.90"), None)
    assert held["SKU-00001-02"].compare_at_price == Decimal("29.90")
    assert held["SKU-00007-03"].price == Decimal("49.00")
    assert (held["WIDE-03"].price, held["WIDE-03"].compare_at_price) == (Decimal("12.50"), Decimal("15.00"))

    current = adapter.current_prices([w.sku for w in writes])
    assert current["SKU-00001-02"] == (Decimal("22.90"), Decimal("29.90"))
    assert current["WIDE-03"] == (Decimal("12.50"), Decimal("15.00"))
    # A second run computes the same prices: comparing with current_prices leaves nothing to send.
    again = [w for w in writes if current[w.sku] != adapter.displayed_prices(w)]
    assert again == []


def test_market_prices_go_to_the_markets_price_list(sim, adapter):
    writes = [
        price_write(sim, "SKU-00002-01", "59.00", currency="CHF", market="Switzerland"),
        price_write(sim, "SKU-00002-02", "61.00", "70.00", currency="CHF", market="switzerland"),
        price_write(sim, "SKU-00002-03", "45.00", currency="GBP", market="Switzerland"),
    ]
    outcomes = adapter.write_prices(writes)
    assert [o.ok for o in outcomes] == [True, True, False]
    assert "GBP" in outcomes[2].message and "CHF" in outcomes[2].message
    assert adapter.requests.writes == 1
    price_list = next(p for p in sim.shop.price_lists.values() if p.currency == "CHF")
    held = sim.shop.variants_by_sku
    assert price_list.fixed_prices[held["SKU-00002-01"].id] == (Decimal("59.00"), None)
    assert price_list.fixed_prices[held["SKU-00002-02"].id] == (Decimal("61.00"), Decimal("70.00"))
    assert held["SKU-00002-01"].price != Decimal("59.00")  # the variant's own price is untouched

    current = adapter.current_prices(["SKU-00002-01", "SKU-00002-02", "SKU-00002-03"], market="Switzerland")
    assert current == {
        "SKU-00002-01": (Decimal("59.00"), None),
        "SKU-00002-02": (Decimal("61.00"), Decimal("70.00")),
    }
    assert adapter.requests.by_route["MarketPriceLists"] == 1  # the price list is looked up once
    unknown = adapter.write_prices([price_write(sim, "SKU-00002-01", "1.00", currency="CHF", market="Mars")])
    assert not unknown[0].ok and "Mars" in unknown[0].message


# --- orders, translations, helpers --------------------------------------------------------------------------


def test_tag_order_adds_the_tag(sim, adapter):
    number = min(sim.shop.orders)
    adapter.tag_order(gid("Order", number), "fraud-check: high risk")
    assert sim.shop.orders[number].tags == ["fraud-check: high risk"]
    assert adapter.requests.writes == 1


def test_sku_query_quotes_each_value():
    assert sku_query(["A-1", 'B"2']) == 'sku:"A-1" OR sku:"B\\"2"'


# --- cassette -----------------------------------------------------------------------------------------------

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes" / "shopify"
TOKEN_HEADER = "X-Shopify-Access-Token"


def _scrub_token_request(request):
    """The token exchange's form body holds the app's client id and secret: never recorded."""
    if request.path.endswith("/admin/oauth/access_token"):
        request.body = b"grant_type=client_credentials&client_id=FILTERED&client_secret=FILTERED"
    return request


def _scrub_token_answer(response):
    body = response["body"]["string"]
    text = body.decode() if isinstance(body, bytes) else body
    if '"access_token"' in text:
        answer = json.loads(text)
        for key in ("access_token", "refresh_token"):
            if key in answer:
                answer[key] = "FILTERED"
        response["body"]["string"] = json.dumps(answer).encode()
    return response


def cassette_recorder(mode: str) -> vcr.VCR:
    return vcr.VCR(
        record_mode=mode,
        match_on=["method", "path", "body"],
        filter_headers=[TOKEN_HEADER],
        before_record_request=_scrub_token_request,
        before_record_response=_scrub_token_answer,
        decode_compressed_response=True,
    )


def test_a_recorded_read_replays_without_the_simulator_and_holds_no_token(tmp_path):
    cassette = tmp_path / "read_customers.yaml"
    with ShopifySim("Cassette Shop", **FAST_BUCKET) as recorded_sim:
        recorded_sim.seed(products=3, variants=2, customers=6, orders=4, seed=5)
        shop_url = recorded_sim.base_url
        with cassette_recorder("once").use_cassette(str(cassette)):
            recording = open_adapter(recorded_sim)
            info = recording.probe()
            customers = every_record(recording.read("customers", None))
            token = recording.transport.credentials.token()
    assert len(customers) == 6 and recorded_sim.stats()["tokens_issued"] == 1
    text = cassette.read_text(encoding="utf-8")
    for secret in (token, recorded_sim.client_id, recorded_sim.client_secret, "shpat_", "shpss_"):
        assert secret not in text
    assert "oauth/access_token" in text  # the exchange was recorded, without its secrets
    assert "customersCount" in text
    # The simulator is gone: every answer now comes from the cassette.
    assert replay_customers(cassette, shop_url) == (info, customers)


def test_the_committed_shopify_cassette_replays_into_records():
    """cassettes/shopify/read_customers.yaml: six customers of a seeded simulator, recorded by the test above."""
    info, customers = replay_customers(CASSETTES / "read_customers.yaml", "http://127.0.0.1:8766")
    assert info.platform == "shopify" and info.currency
    assert len(customers) == 6 and all(c.email and c.created_at.tzinfo for c in customers)
    assert all(isinstance(c.total_spent, Decimal) for c in customers)


def replay_customers(cassette: Path, shop_url: str):
    store = ShopifyStore(
        platform="shopify", shop=shop_url, client_id=SecretStr("id"), client_secret=SecretStr("shpss_replay"), timeout=2
    )
    credentials = ClientCredentials("replay", shop_url, "id", "shpss_replay", timeout=2)
    transport = ShopifyTransport(
        shop_url, credentials, timeout=2, store_name="replay", retry_policy=retrying(max_attempts=1)
    )
    with cassette_recorder("none").use_cassette(str(cassette)) as played:
        replaying = ShopifyAdapter("replay", store, transport=transport)
        result = replaying.probe(), every_record(replaying.read("customers", None))
        assert played.all_played
    return result
