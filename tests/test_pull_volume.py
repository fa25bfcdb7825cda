"""Pull at the issue's volume: 10,000 products / 30,000 variants / 20,000 orders from a WooCommerce and a Shopify
simulator. Counts in SQLite equal the simulators' own; a second pull with nothing changed reads only the cursors'
overlap window (plus what the platform cannot filter) and writes nothing; 50 changed products are picked up next.

One case per platform, so that pytest-xdist can run the two on separate workers (about a minute each).
The Shopify simulator keeps its default cost bucket (2,000 points, 100 a second): the first full read of
products and orders goes through bulk operations (a handful of cheap calls, their ungrouped JSONL joined
through the spill), customers are paged, and the later reads are a few small pages.
"""

from __future__ import annotations

import hashlib
import json
import math
from contextlib import closing
from datetime import datetime

import pytest

from connector.jobs.pull import OVERLAP, pull
from connector.platforms.registry import open_adapter
from connector.platforms.shopify import adapter as shopify_adapter
from connector.platforms.woocommerce import adapter as woocommerce_adapter
from connector.state import open_state, parse_iso

RESOURCES = ("products", "orders", "customers")
TABLES = ("products", "variants", "orders", "order_lines", "customers")
PRODUCTS, ORDERS, CUSTOMERS = 10_000, 20_000, 2_000
CHANGED = 50


def held(state, table: str, store: str) -> int:
    return state.db.execute(f"select count(*) from {table} where store = ?", [store]).fetchone()[0]


def fingerprint(state, store: str) -> str:
    """A digest of every row the pull keeps for a store: equal digests, nothing created or updated."""
    digest = hashlib.sha256()
    for table in TABLES:
        order = "order_id, line_no" if table == "order_lines" else "id"
        for row in state.db.execute(f"select * from {table} where store = ? order by {order}", [store]):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def window_start(state, store: str, resource: str) -> datetime:
    return parse_iso(json.loads(state.cursor(store, resource))["high_water"]) - OVERLAP


def pages(count: int, size: int) -> int:
    """Requests to list `count` records `size` a page: an empty listing still costs one."""
    return max(1, math.ceil(count / size))


# --- what each simulator holds, counted through its own store ----------------------------------------------


def woocommerce_counts(sim) -> dict[str, int]:
    with sim.lock:
        store = sim.store
        products = [p for p in store.products.records.values() if p.type != "variation"]
        return {
            "products": len(products),
            "variants": sum(len(p.variation_ids) if p.type == "variable" else 1 for p in products),
            "orders": len(store.orders.records),
            "order_lines": sum(len(o.data["line_items"]) for o in store.orders.records.values()),
            "customers": len(store.customers.records),
        }


def shopify_counts(sim) -> dict[str, int]:
    with sim.lock:
        lines = sum(len(order.lines) for order in sim.shop.orders.values())
    return {**sim.control("counts", {}), "order_lines": lines}


def woocommerce_newest(sim) -> dict[str, int]:
    with sim.lock:
        store = sim.store
        return {
            "products": max(p.modified for p in store.products.records.values() if p.type != "variation"),
            "orders": max(o.modified for o in store.orders.records.values()),
        }


def shopify_newest(sim) -> dict[str, int]:
    with sim.lock:
        shop = sim.shop
        return {
            "products": int(max(p.updated_at for p in shop.products.values()).timestamp()),
            "orders": int(max(o.updated_at for o in shop.orders.values()).timestamp()),
            "customers": int(max(c.updated_at for c in shop.customers.values()).timestamp()),
        }


def woocommerce_second_pull_requests(sim, state, store: str) -> int:
    """What a pass with nothing changed must ask WooCommerce: the pages of products and orders modified inside
    the overlap window, one variations listing per variable product among them (wc/v3 has no endpoint listing
    variations across products), and every page of customers (wc/v3 has no modification filter for them)."""
    size = woocommerce_adapter.PAGE_SIZE
    products_since = window_start(state, store, "products").timestamp()
    orders_since = window_start(state, store, "orders").timestamp()
    with sim.lock:
        data = sim.store
        recent = [
            p
            for p in data.products.records.values()
            if p.type != "variation" and p.modified >= products_since
        ]
        variations = sum(pages(len(p.variation_ids), size) for p in recent if p.type == "variable")
        orders = sum(1 for o in data.orders.records.values() if o.modified >= orders_since)
        customers = len(data.customers.records)
    return pages(len(recent), size) + variations + pages(orders, size) + pages(customers, size)


def shopify_second_pull_requests(sim, state, store: str) -> int:
    """What a pass with nothing changed must ask Shopify: the cursor pages of each resource updated inside the
    overlap window, and the extra pages of any product or order there with more variants or lines than the
    page's nested connection holds."""
    sizes = shopify_adapter.PAGE_SIZES
    a = shopify_adapter
    since = {resource: window_start(state, store, resource) for resource in RESOURCES}
    with sim.lock:
        shop = sim.shop
        products = [p for p in shop.products.values() if p.updated_at >= since["products"]]
        orders = [o for o in shop.orders.values() if o.updated_at >= since["orders"]]
        customers = sum(1 for c in shop.customers.values() if c.updated_at >= since["customers"])
    extra_variants = sum(
        math.ceil((len(p.variants) - sizes["variantsFirst"]) / a.VARIANTS_PAGE)
        for p in products
        if len(p.variants) > sizes["variantsFirst"]
    )
    extra_lines = sum(
        math.ceil((len(o.lines) - sizes["linesFirst"]) / a.LINES_PAGE)
        for o in orders
        if len(o.lines) > sizes["linesFirst"]
    )
    return (
        pages(len(products), sizes["products"])
        + extra_variants
        + pages(len(orders), sizes["orders"])
        + extra_lines
        + pages(customers, sizes["customers"])
    )


def woocommerce_changed_skus(sim) -> list[str]:
    """Half simple products, half variable ones through one of their variations (which bumps the parent)."""
    with sim.lock:
        store = sim.store
        products = sorted(store.products.records.values(), key=lambda p: p.id)
        simple = [p.sku for p in products if p.type == "simple" and p.sku][: CHANGED // 2]
        variable = [
            store.posts[p.variation_ids[0]].sku for p in products if p.type == "variable" and p.variation_ids
        ][: CHANGED - len(simple)]
    return simple + variable


def shopify_changed_skus(sim) -> list[str]:
    """The first variant of 50 products spread over the catalogue."""
    with sim.lock:
        products = sorted(sim.shop.products.values(), key=lambda p: p.id)
    step = len(products) // CHANGED
    return [products[n * step].variants[0].sku for n in range(CHANGED)]


def later(clock, minutes: int):
    """A WooCommerce simulator clock moved past the cursor's overlap window, and within the 15 minutes of
    clock skew its OAuth 1.0a check accepts."""
    moved = clock() + minutes * 60
    return lambda: moved


PLATFORMS = {
    "woocommerce": {
        "seed": {"products": PRODUCTS, "variants": 3 * PRODUCTS, "customers": CUSTOMERS, "orders": ORDERS},
        "counts": woocommerce_counts,
        "newest": woocommerce_newest,
        "second_pull_requests": woocommerce_second_pull_requests,
        "changed_skus": woocommerce_changed_skus,
    },
    "shopify": {
        "seed": {"products": PRODUCTS, "variants": 3, "customers": CUSTOMERS, "orders": ORDERS},
        "counts": shopify_counts,
        "newest": shopify_newest,
        "second_pull_requests": shopify_second_pull_requests,
        "changed_skus": shopify_changed_skus,
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_volume_pull_then_nothing_changed_then_fifty_changed(platform, simulators, client_config):
    case = PLATFORMS[platform]
    sim = simulators(platform, "volume")
    sim.seed(**case["seed"], seed=3)
    expected = case["counts"](sim)
    if platform == "woocommerce":
        assert expected["variants"] == PRODUCTS // 2 + 3 * PRODUCTS  # 5,000 simple + 30,000 variations
    else:
        assert expected["variants"] == 3 * PRODUCTS
    assert expected["products"] == PRODUCTS and expected["orders"] == ORDERS
    config = client_config({"vol": sim})
    with (
        closing(open_adapter("vol", config.stores["vol"])) as adapter,
        open_state(config.state_path) as state,
    ):
        first = {resource: pull(state, adapter, resource) for resource in RESOURCES}
        for table in TABLES:
            assert held(state, table, "vol") == expected[table], table
        for resource in RESOURCES:
            assert first[resource].created == expected[resource] and not first[resource].skipped, resource
        if platform == "shopify":
            # products and orders are above the adapter's bulk thresholds: one bulk operation each, no cursor
            # paging; 2,000 customers are paged (below the threshold: eight pages of 250)
            assert adapter.requests.by_route["BulkOperationRunQuery"] == 2
            assert not {"products", "orders"} & set(adapter.requests.by_route)
            assert adapter.requests.by_route["customers"] == CUSTOMERS // 250
        # the cursors stand at the newest record read, so the next pass's window is the overlap only
        for resource, newest in case["newest"](sim).items():
            high_water = json.loads(state.cursor("vol", resource))["high_water"]
            assert int(parse_iso(high_water).timestamp()) == newest, resource

        held_before = fingerprint(state, "vol")
        required = case["second_pull_requests"](sim, state, "vol")
        before = sim.stats()
        again = {resource: pull(state, adapter, resource) for resource in RESOURCES}
        after = sim.stats()
        assert after["writes"] == before["writes"] == 0
        assert after["throttled"] == 0
        sent = sum(after["requests"].values()) - sum(before["requests"].values())
        assert sent <= required, (sent, required, after["requests"])
        for resource in RESOURCES:
            assert again[resource].created == again[resource].updated == 0, again[resource]
        assert fingerprint(state, "vol") == held_before

        skus = case["changed_skus"](sim)
        assert len(set(skus)) == CHANGED
        if platform == "woocommerce":
            sim.clock = later(sim.clock, minutes=10)
            sim.touch(skus)
        else:
            # Shopify's seeded records are dated from 2025-01-01 on: a touch now is far past the overlap.
            sim.control("touch", {"skus": skus})
        changed = pull(state, adapter, "products")
        assert changed.updated == CHANGED and changed.created == 0
        assert sim.stats()["writes"] == 0
        for table in TABLES:
            assert held(state, table, "vol") == expected[table], table
