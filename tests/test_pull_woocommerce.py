"""WooCommerce pull against the simulator as WooCommerce 10 is in late 2026: the 10.3 variations endpoint and the
per-product fallback, pages anchored so that a deletion or a trash never hides a record, records removed from the
store marked gone, state rows written counted by SQLite, the overlap window, requests in flight, one session."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from datetime import timedelta
from urllib.parse import parse_qsl

import pytest

from connector.jobs.pull import pull
from connector.platforms.registry import open_adapter
from connector.platforms.woocommerce import adapter as woocommerce_adapter
from connector.state import open_state, parse_iso

RESOURCES = ("products", "orders", "customers")


@pytest.fixture(autouse=True)
def fresh_route_index():
    woocommerce_adapter._variations_route.clear()  # each test is a new process as far as discovery goes


@pytest.fixture
def woo(simulators):
    sim = simulators("woocommerce", "fr")
    sim.seed(products=250, variants=400, customers=60, orders=300, seed=5)
    return sim


def adapter_for(client_config, sim, in_flight: int = 4, **stores):
    config = client_config({"fr": sim}, extra="")
    store = config.stores["fr"].model_copy(update={"requests_in_flight": in_flight})
    return config, open_adapter("fr", store)


def held_ids(state, table: str) -> set[int]:
    return {int(r[0]) for r in state.db.execute(f"select id from {table} where store = 'fr'")}


def live_products(sim) -> set[int]:
    return {p.id for p in sim.store.products.records.values() if p.status != "trash"}


def live_variants(sim) -> set[int]:
    products = [p for p in sim.store.products.records.values() if p.status != "trash"]
    return {v for p in products for v in (p.variation_ids if p.type == "variable" else [p.id])}


def later(sim, seconds: int):
    start = sim._now()
    return lambda: start + seconds


# --- variations: the 10.3 endpoint and the fallback ----------------------------------------------------------


def test_a_10_3_store_and_a_10_0_store_give_the_same_records_with_fewer_requests_on_10_3(woo, client_config):
    held = {}
    for version in ("10.3.0", "10.0.2"):
        woocommerce_adapter._variations_route.clear()
        woo.version(version)
        config, adapter = adapter_for(client_config, woo)
        config.state_path.unlink(missing_ok=True)
        woo.reset_stats()
        with open_state(config.state_path) as state:
            pull(state, adapter, "products")
            held[version] = (
                state.db.execute(
                    "select id, title, kind, status, updated_at, raw_hash from products order by id"
                ).fetchall(),
                state.db.execute(
                    "select id, product_id, sku, price, stock from variants order by id"
                ).fetchall(),
            )
        routes = woo.stats()["requests"]
        variable = sum(1 for p in woo.store.products.records.values() if p.type == "variable")
        if version == "10.3.0":
            assert routes["GET /wp-json/wc/v3/variations"] <= 3 * 5  # a few pages per page of products
            assert "GET /wp-json/wc/v3/products/<product_id>/variations" not in routes
        else:
            assert routes["GET /wp-json/wc/v3/products/<product_id>/variations"] == variable
            assert "GET /wp-json/wc/v3/variations" not in routes
        assert routes["GET /wp-json/wc/v3"] == 1  # the route index, once
        adapter.close()
    assert held["10.3.0"] == held["10.0.2"]
    assert {int(r[0]) for r in held["10.3.0"][1]} == live_variants(woo)


def test_check_says_which_path_each_store_reads_variations_by(woo, client_config, capsys):
    from connector.cli import main

    config = client_config({"fr": woo})
    assert main(["check", "-c", str(config.path)]) == 0
    assert "/wc/v3/variations (WooCommerce 10.3 or later)" in capsys.readouterr().out
    woocommerce_adapter._variations_route.clear()
    woo.version("10.0.2")
    assert main(["check", "-c", str(config.path)]) == 0
    assert "one variable product at a time (no /wc/v3/variations" in capsys.readouterr().out


# --- paging that never skips -----------------------------------------------------------------------------


@pytest.mark.parametrize("in_flight", [1, 4])
def test_deletions_and_trash_between_pages_hide_no_record(woo, client_config, in_flight):
    config, adapter = adapter_for(client_config, woo, in_flight)
    wc = woocommerce_client(woo)
    removed = {}

    def remove_from_read_pages(summary):
        if summary.pages in (1, 2):  # pages already committed: the later ones move up a place
            with open_state(config.state_path) as peek:
                first = sorted(held_ids(peek, "products"))[:4]
            trashed, deleted = first[2 * (summary.pages - 1)], first[2 * (summary.pages - 1) + 1]
            assert wc.delete(f"products/{trashed}").status_code == 200
            assert wc.delete(f"products/{deleted}", params={"force": "true"}).status_code == 200
            removed.setdefault("trashed", set()).add(trashed)
            removed.setdefault("deleted", set()).add(deleted)

    with open_state(config.state_path) as state:
        summary = pull(state, adapter, "products", on_page=remove_from_read_pages)
        assert live_products(woo) <= held_ids(state, "products")  # every remaining record found
        # the trash is asked once the pass ends; a force-deleted one waits for the comparison of ids
        assert not removed["trashed"] & held_ids(state, "products")
        assert removed["deleted"] <= held_ids(state, "products")
        assert summary.gone == len(removed["trashed"])
        pull(state, adapter, "products", full=True)
        assert held_ids(state, "products") == live_products(woo)
        assert held_ids(state, "variants") == live_variants(woo)
        gone = dict(
            state.db.execute("select id, reason from gone_records where resource = 'products'").fetchall()
        )
    assert gone == {
        **{str(i): "trashed" for i in removed["trashed"]},
        **{str(i): "deleted" for i in removed["deleted"]},
    }


def test_a_crash_after_a_page_then_the_oldest_order_trashed_then_the_resume_loses_nothing(woo, client_config):
    config, adapter = adapter_for(client_config, woo)

    class Crash(Exception):
        pass

    def crash(summary):
        raise Crash

    with open_state(config.state_path) as state:
        with pytest.raises(Crash):
            pull(state, adapter, "orders", on_page=crash)
        oldest = sorted(held_ids(state, "orders"))[:2]  # two: more than the one record pages overlap by
        for order_id in oldest:
            assert woocommerce_client(woo).delete(f"orders/{order_id}").json()["status"] == "trash"
        pull(state, adapter, "orders")
        assert held_ids(state, "orders") == set(woo.store.orders.records)  # the trashed ones are kept
        statuses = {
            r[0]
            for r in state.db.execute("select status from orders where id in (?, ?)", [*map(str, oldest)])
        }
    assert statuses == {
        "trash"
    }  # and reports leave them out of the sales (reports/kpis.py counts no `trash`)


def test_a_page_starting_after_the_last_id_read_is_asked_again_further_back(woo, client_config):
    """The anchor check itself: 150 products removed from the front while a pass stands after its first page."""
    config, adapter = adapter_for(client_config, woo, in_flight=1)

    class Crash(Exception):
        pass

    def crash(summary):
        raise Crash

    with open_state(config.state_path) as state:
        with pytest.raises(Crash):
            pull(state, adapter, "products", on_page=crash)
        wc = woocommerce_client(woo)
        for product_id in sorted(held_ids(state, "products"))[:60]:
            wc.delete(f"products/{product_id}", params={"force": "true"})
        before = woo.stats()["requests"].get("GET /wp-json/wc/v3/products", 0)
        pull(state, adapter, "products")
        asked = woo.stats()["requests"]["GET /wp-json/wc/v3/products"] - before
        assert live_products(woo) <= held_ids(state, "products")
    assert asked >= 3  # the page past the anchor, the step back, and what follows


# --- no write when nothing changed --------------------------------------------------------------------------


def test_a_second_pass_over_an_unchanged_store_writes_no_state_row(woo, client_config, monkeypatch):
    # Read every field the store sends, related_ids included (shuffled on every request): the content hash
    # must still see nothing changed.
    fields = dict(
        woocommerce_adapter.FIELDS, products=woocommerce_adapter.FIELDS["products"] + ",related_ids"
    )
    monkeypatch.setattr(woocommerce_adapter, "FIELDS", fields)
    config, adapter = adapter_for(client_config, woo)
    with open_state(config.state_path) as state:
        first = {r: pull(state, adapter, r) for r in RESOURCES}
        assert all(first[r].written > 0 for r in RESOURCES)
        raw = json.loads(
            state.db.execute("select raw from products where kind = 'simple' limit 1").fetchone()[0]
        )
        assert raw["related_ids"]
        again = {r: pull(state, adapter, r) for r in RESOURCES}
        rows = state.db.execute("select count(*) from products").fetchone()[0]
    assert {r: again[r].written for r in RESOURCES} == {r: 0 for r in RESOURCES}
    assert again["products"].read > 0 and again["customers"].read >= 0
    assert rows == len(woo.store.products.records)


def test_a_change_in_the_same_second_as_the_high_water_mark_is_read_by_the_next_pass(woo, client_config):
    config, adapter = adapter_for(client_config, woo)
    with open_state(config.state_path) as state:
        pull(state, adapter, "products")
        cursor = json.loads(state.cursor("fr", "products"))
        high_water = parse_iso(cursor["high_water"])
        product = min(
            (p for p in woo.store.products.records.values() if p.type == "simple"), key=lambda p: p.id
        )
        woo.clock = lambda: int(high_water.timestamp())  # the very second of the mark
        woo.touch([product.sku])
        woo.clock = time.time
        again = pull(state, adapter, "products")
        since = parse_iso(json.loads(state.cursor("fr", "products"))["pass_since"])
        title = state.db.execute("select title from products where id = ?", [str(product.id)]).fetchone()[0]
    assert since == high_water - timedelta(minutes=5)  # the overlap, written here as the literal it is
    assert again.updated == 1 and again.written >= 1 and title.endswith(" *")


# --- the stored text ------------------------------------------------------------------------------------------


def test_the_state_keeps_the_text_as_stored_not_as_rendered(woo, client_config):
    sent = {
        "name": "Huile d'olive vierge extra",
        "sku": "REF-HUILE",
        "regular_price": "12.50",
        "description": "L'huile d'olive\n\nPremière pression à froid, <strong>bio</strong>.",
        "short_description": 'L\'huile "bio" -- 1 litre',
    }
    created = woocommerce_client(woo).post("products", sent).json()
    rendered = woocommerce_client(woo).get(f"products/{created['id']}").json()
    assert rendered["short_description"] == "<p>L&#8217;huile &#8220;bio&#8221; &#8212; 1 litre</p>\n"
    config, adapter = adapter_for(client_config, woo)
    with open_state(config.state_path) as state:
        pull(state, adapter, "products")
        held = state.db.execute(
            "select title, description_html, short_description_html from products where id = ?",
            [str(created["id"])],
        ).fetchone()
    assert held == (sent["name"], sent["description"], sent["short_description"])


def test_a_removed_product_takes_its_open_data_problems_along(woo, client_config):
    product = min((p for p in woo.store.products.records.values() if p.type == "simple"), key=lambda p: p.id)
    with woo.lock:
        woo.store.set_sku(product, "")
        woo.store.saved(product)
    config, adapter = adapter_for(client_config, woo)
    with open_state(config.state_path) as state:
        pull(state, adapter, "products")
        assert (
            state.db.execute("select count(*) from data_problems where resolved_at is null").fetchone()[0]
            == 1
        )
        woocommerce_client(woo).delete(f"products/{product.id}")
        woo.clock = later(woo, 600)
        pull(state, adapter, "products")
        assert (
            state.db.execute("select count(*) from data_problems where resolved_at is null").fetchone()[0]
            == 0
        )
        assert state.db.execute(
            "select reason from gone_records where id = ?", [str(product.id)]
        ).fetchone() == ("trashed",)


# --- customers -----------------------------------------------------------------------------------------------


def test_customers_are_people_who_bought_or_have_the_customer_role(woo, client_config):
    admin = woo.add_user("admin@shop.example", role="administrator")
    manager = woo.add_user("manager@shop.example", role="shop_manager")
    buyer = woo.add_user("buyer@shop.example", role="subscriber", paying=True)
    config, adapter = adapter_for(client_config, woo)
    with open_state(config.state_path) as state:
        pull(state, adapter, "customers")
        ids = held_ids(state, "customers")
    assert buyer in ids and admin not in ids and manager not in ids
    assert ids == {
        c.id for c in woo.store.customers.records.values() if c.role == "customer" or c.is_paying_customer
    }


# --- requests: in flight, one session, each parameter once ---------------------------------------------------


@pytest.mark.parametrize("in_flight", [1, 4])
def test_requests_in_flight_never_exceed_the_store_setting(woo, client_config, in_flight):
    config, adapter = adapter_for(client_config, woo, in_flight)
    woo.set_faults(latency_ms=15)
    gauge = {"now": 0, "most": 0}
    lock = threading.Lock()
    send = adapter.transport.send

    def counted(*args, **kwargs):
        with lock:
            gauge["now"] += 1
            gauge["most"] = max(gauge["most"], gauge["now"])
        try:
            return send(*args, **kwargs)
        finally:
            with lock:
                gauge["now"] -= 1

    adapter.transport.send = counted
    woo.version("10.0.2")  # one request per variable product: many independent reads
    with open_state(config.state_path) as state:
        pull(state, adapter, "products")  # pages fetched ahead, each with its products' variations
        assert held_ids(state, "products") == live_products(woo)
    assert 1 <= gauge["most"] <= in_flight
    levels = list(adapter.stock_levels(None))  # every variable product's variations asked side by side
    assert len(levels) == len({lv.variant_id for lv in levels}) and gauge["most"] == in_flight


def test_one_keep_alive_connection_and_each_parameter_sent_once(woo, client_config):
    config, adapter = adapter_for(client_config, woo, in_flight=1)
    seen = []
    serve = woo._serve

    def spy(request):
        seen.append((threading.current_thread().ident, request.raw_query))
        return serve(request)

    woo._serve = spy
    with open_state(config.state_path) as state:
        pull(state, adapter, "orders")
    from urllib.parse import parse_qsl

    assert len(seen) >= 3
    assert len({thread for thread, _ in seen}) == 1  # the server saw one connection: kept alive
    for _, query in seen:
        names = [name for name, _ in parse_qsl(query)]
        assert len(names) == len(set(names)), query


# --- the write-permission probe -----------------------------------------------------------------------------


def test_missing_write_access_probes_with_an_empty_batch_and_changes_nothing(woo, client_config, monkeypatch):
    config, adapter = adapter_for(client_config, woo)
    before = {p.id: (p.modified, p.stock_quantity) for p in woo.store.posts.values()}
    assert adapter.missing_write_access(["inventory", "prices"]) == []
    assert woo.stats()["requests"] == {"POST /wp-json/wc/v3/products/batch": 1}
    monkeypatch.setenv("ACME_FR_KEY", woo.read_only_key)
    monkeypatch.setenv("ACME_FR_SECRET", woo.read_only_secret)
    from connector.config import load_config

    reader = open_adapter("fr", load_config(config.path).stores["fr"])
    (sentence,) = reader.missing_write_access(["inventory", "translations", "reports"])
    assert "read access only" in sentence and "stock, translated texts" in sentence
    assert "stores.fr.consumer_key" in sentence and woo.read_only_key not in sentence
    woo.reset_stats()
    assert reader.missing_write_access(["reports"]) == []  # nothing to write: nothing asked
    assert woo.stats()["requests"] == {}
    assert {p.id: (p.modified, p.stock_quantity) for p in woo.store.posts.values()} == before


# --- full stock reads ----------------------------------------------------------------------------------------


def test_a_full_stock_read_costs_at_most_two_requests_per_hundred_skus_on_10_3(woo, client_config):
    levels = {}
    for version in ("10.3.0", "10.0.2"):
        woocommerce_adapter._variations_route.clear()
        woo.version(version)
        _, adapter = adapter_for(client_config, woo)
        adapter.has_variations_endpoint()
        woo.reset_stats()
        levels[version] = sorted((lv.sku, lv.quantity, lv.variant_id) for lv in adapter.stock_levels(None))
        reads = sum(woo.stats()["requests"].values())
        if version == "10.3.0":
            assert reads <= 2 * len(levels[version]) / 100 + 2
    assert levels["10.3.0"] == levels["10.0.2"]
    assert reads > 2 * len(levels["10.0.2"]) / 100  # the fallback: one request per variable product


def woocommerce_client(sim):
    from woocommerce import API

    return API(
        url=sim.base_url,
        consumer_key=sim.consumer_key,
        consumer_secret=sim.consumer_secret,
        version="wc/v3",
        timeout=10,
    )


# --- every list read names its fields ------------------------------------------------------------------------

LIST_ENDPOINT = re.compile(r"^/wp-json/wc/v3/(products|products/\d+/variations|variations|orders|customers)/?$")


@pytest.mark.parametrize("version", ["10.3.0", "10.0.2"])  # /wc/v3/variations, or one product at a time
def test_every_list_read_asks_for_fields_and_each_parameter_once(simulators, client_config, version):
    woo = simulators("woocommerce", "fr")
    woo.seed(products=120, variants=60, customers=8, orders=8, seed=7)  # two pages of products
    woo.version(version)
    config, adapter = adapter_for(client_config, woo)
    woo.reset_stats()
    with open_state(config.state_path) as state:
        for resource in RESOURCES:
            pull(state, adapter, resource, full=True)
    levels = list(adapter.stock_levels())
    adapter.close()
    assert len(levels) == len(live_variants(woo))

    listings = Counter()
    for sent in woo.request_log():
        route = LIST_ENDPOINT.match(sent["path"])
        if sent["method"] != "GET" or route is None:
            continue
        listings[re.sub(r"\d+", "<id>", route[1])] += 1
        names = [name for name, _ in parse_qsl(sent["query"], keep_blank_values=True)]
        assert names.count("_fields") == 1, sent
        assert sorted(names) == sorted(set(names)), sent  # no parameter twice
    variations = "variations" if version == "10.3.0" else "products/<id>/variations"
    assert set(listings) == {"products", variations, "orders", "customers"}
    assert listings["products"] >= 2 * 3  # pulled in two pages, listed by id, trash asked, and the stock read
