"""Shopify abandoned checkouts: the simulator, the adapter's paged read, the pull, the runner and the service,
and the cart abandonment rate of `connector report` on what was pulled."""

from __future__ import annotations

import json
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import SecretStr

from connector.cli import main
from connector.errors import UsageError
from connector.jobs.pull import pull
from connector.jobs.runner import run_sync
from connector.platforms.base import RESOURCES
from connector.platforms.registry import open_adapter
from connector.platforms.retry import retrying
from connector.platforms.shopify import adapter as adapter_module
from connector.platforms.shopify.adapter import ShopifyAdapter
from connector.platforms.shopify.config import ShopifyStore
from connector.platforms.shopify.transport import ShopifyTransport
from connector.records import AbandonedCheckout
from connector.sandbox.shopify import ShopifySim
from connector.scheduler import Service
from connector.state import open_state

FAST_BUCKET = {"bucket_max": 2000, "restore_rate": 50_000}
SEEDED = 9  # abandoned checkouts in the `sim` fixture
COUNTED_STATUSES = {"paid", "partially_refunded", "refunded"}  # REPORTS.md, "Which orders count"


def shop_adapter(sim: ShopifySim) -> ShopifyAdapter:
    store = ShopifyStore(
        platform="shopify", shop=sim.base_url, access_token=SecretStr(sim.access_token), timeout=5
    )
    transport = ShopifyTransport(
        store.shop,
        sim.access_token,
        timeout=5,
        store_name="sim-shop",
        retry_policy=retrying(max_attempts=8, max_wait=0.5, initial_wait=0.01),
    )
    return ShopifyAdapter("sim-shop", store, transport=transport)


@pytest.fixture
def sim():
    with ShopifySim("Maison Paniers", **FAST_BUCKET) as shop:
        shop.seed(products=6, variants=2, customers=4, orders=5, abandoned_checkouts=SEEDED, seed=5)
        yield shop


def read_all(adapter, since=None, resume=None) -> list:
    return [record for page in adapter.read("abandoned_checkouts", since, resume) for record in page.records]


def held_checkouts(sim: ShopifySim) -> dict[str, dict]:
    """The simulator's own abandoned checkouts, by global id."""
    with sim.lock:
        return {
            f"gid://shopify/AbandonedCheckout/{c.id}": {
                "total": c.total,
                "country": c.country,
                "created_at": c.created_at,
                "completed_at": c.completed_at,
            }
            for c in sim.shop.abandoned_checkouts.values()
        }


# --- the simulator -----------------------------------------------------------------------------------------


def test_seeded_checkouts_are_deterministic_and_leave_the_rest_of_the_shop_unchanged():
    def snapshot(**extra):
        with ShopifySim("Seeded") as shop:
            counts = shop.seed(products=4, variants=2, customers=3, orders=4, seed=9, **extra)
            with shop.lock:
                orders = [(o.id, o.total, o.created_at) for o in shop.shop.orders.values()]
                checkouts = [
                    (c.id, c.email, c.country, c.total, c.created_at)
                    for c in shop.shop.abandoned_checkouts.values()
                ]
            return counts, orders, checkouts

    first, again, without = snapshot(abandoned_checkouts=5), snapshot(abandoned_checkouts=5), snapshot()
    assert first == again
    assert first[0]["abandoned_checkouts"] == 5 and without[0]["abandoned_checkouts"] == 0
    assert first[1] == without[1]  # the orders do not move when checkouts are seeded after them
    assert all(total > 0 and country for _, _, country, total, _ in first[2])


def test_control_action_adds_a_checkout_without_touching_stock(sim):
    sku = "SKU-00002-01"
    before = sim.stock(sku)
    added = sim.abandon_checkout(
        [{"sku": sku, "quantity": 2}], "late@example.com", "CH", "2025-02-03T08:00:00Z"
    )
    assert added["created_at"] == "2025-02-03T08:00:00Z"
    assert sim.stock(sku) == before
    assert sim.control("counts", {})["abandoned_checkouts"] == SEEDED + 1
    with pytest.raises(ValueError, match="no variant with SKU"):
        sim.abandon_checkout([{"sku": "NOPE"}])
    with pytest.raises(ValueError, match="no time zone"):
        sim.abandon_checkout([{"sku": sku}], created_at="2025-02-03T08:00:00")


# --- the adapter -------------------------------------------------------------------------------------------


def test_adapter_reads_every_checkout_with_decimal_totals_and_utc_times(sim):
    expected = held_checkouts(sim)
    with closing(shop_adapter(sim)) as adapter:
        assert "abandoned_checkouts" in adapter.resources
        records = read_all(adapter)
    assert len(records) == SEEDED and {r.id for r in records} == set(expected)
    for record in records:
        assert isinstance(record, AbandonedCheckout)
        assert isinstance(record.total, Decimal) and record.total == expected[record.id]["total"]
        assert record.currency == "EUR" and record.country == expected[record.id]["country"]
        assert record.created_at.tzinfo is not None and record.created_at.utcoffset() == timedelta(0)
        assert record.created_at == expected[record.id]["created_at"] and record.completed_at is None
        assert record.updated_at >= record.created_at
        assert "email" not in record.raw and "shippingAddress" not in record.raw


def test_adapter_resumes_after_a_page_and_reads_only_the_window(sim, monkeypatch):
    with closing(shop_adapter(sim)) as adapter:
        adapter.page_sizes["abandoned_checkouts"] = 4
        pages = list(adapter.read("abandoned_checkouts", None))
        assert [len(p.records) for p in pages] == [4, 4, 1] and pages[-1].resume is None
        rest = read_all(adapter, None, pages[0].resume)
        assert [r.id for r in rest] == [r.id for p in pages[1:] for r in p.records]

        newest = max(r.updated_at for p in pages for r in p.records)
        late = sim.abandon_checkout([{"sku": "SKU-00001-02"}], "late@example.com", "US")
        assert [r.id for r in read_all(adapter, newest + timedelta(seconds=1))] == [late["checkout_id"]]
        assert adapter.requests.by_route["abandonedCheckouts"] == 3 + 2 + 1  # no count, no bulk query


def test_a_recovered_checkout_is_read_again_with_its_completion(sim):
    with closing(shop_adapter(sim)) as adapter:
        first = read_all(adapter)
        since = max(r.updated_at for r in first) + timedelta(seconds=1)
        sim.control("recover_checkout", {"checkout_id": first[2].id})
        (recovered,) = read_all(adapter, since)
    assert recovered.id == first[2].id and recovered.completed_at is not None
    assert recovered.updated_at == recovered.completed_at >= since
    assert sim.control("counts", {})["orders"] == 6  # the checkout became an order


def test_a_long_pass_restarts_above_the_last_id_read_without_repeats(sim, monkeypatch):
    monkeypatch.setattr(adapter_module, "CURSOR_RESTART_AFTER", 3)
    with closing(shop_adapter(sim)) as adapter:
        adapter.page_sizes["abandoned_checkouts"] = 2
        pages = list(adapter.read("abandoned_checkouts", None))
        ids = [r.id for p in pages for r in p.records]
        assert len(ids) == len(set(ids)) == SEEDED
        restarted = json.loads(pages[1].resume)
        assert restarted["after"] is None and restarted["above_id"] == ids[3].rsplit("/", 1)[1]
        assert [r.id for r in read_all(adapter, None, pages[1].resume)] == ids[4:]


def test_woocommerce_reads_no_abandoned_checkouts(simulators, client_config):
    woo = simulators("woocommerce", "fr")
    woo.seed(products=3, variants=2, customers=2, orders=3, seed=1)
    config = client_config({"fr": woo})
    with closing(open_adapter("fr", config.stores["fr"])) as adapter:
        assert adapter.resources == RESOURCES
        assert list(adapter.read("abandoned_checkouts", None)) == []
        assert adapter.requests.reads == 0
    assert woo.stats()["requests"] == {}


# --- the pull job, the runner and the service ---------------------------------------------------------------


def test_pull_stores_checkouts_once_and_records_a_recovery(sim, client_config):
    config = client_config({"shop": sim})
    expected = held_checkouts(sim)
    with (
        closing(open_adapter("shop", config.stores["shop"])) as adapter,
        open_state(config.state_path) as state,
    ):
        first = pull(state, adapter, "abandoned_checkouts")
        assert (first.read, first.created, first.updated) == (SEEDED, SEEDED, 0)
        rows = {row["id"]: row for row in state.db["abandoned_checkouts"].rows}
        assert set(rows) == set(expected)
        for checkout_id, row in rows.items():
            assert row["store"] == "shop" and row["currency"] == "EUR" and row["completed_at"] is None
            assert Decimal(row["total"]) == expected[checkout_id]["total"]
            assert row["country"] == expected[checkout_id]["country"]
            assert datetime.fromisoformat(row["created_at"]) == expected[checkout_id]["created_at"]
        assert json.loads(state.cursor("shop", "abandoned_checkouts"))["high_water"]

        again = pull(state, adapter, "abandoned_checkouts")
        assert (again.created, again.updated) == (0, 0)  # nothing changed: nothing written

        recovered_id = sorted(rows)[0]
        sim.control("recover_checkout", {"checkout_id": recovered_id})
        third = pull(state, adapter, "abandoned_checkouts")
        assert (third.created, third.updated) == (0, 1)
        completed = state.db["abandoned_checkouts"].get(("shop", recovered_id))["completed_at"]
        assert datetime.fromisoformat(completed).tzinfo is not None


def test_sync_all_pulls_checkouts_from_shopify_stores_only(sim, simulators, client_config):
    woo = simulators("woocommerce", "fr")
    woo.seed(products=3, variants=2, customers=2, orders=3, seed=1)
    config = client_config({"fr": woo, "shop": sim})
    outcome = run_sync(config, ["all"], as_json=True)
    pulled = {(r["store"], r["resource"]) for r in outcome.results if r["outcome"] == "ok"}
    assert outcome.ok
    assert pulled == {(s, r) for s in ("fr", "shop") for r in RESOURCES} | {("shop", "abandoned_checkouts")}

    only = run_sync(config, ["abandoned_checkouts"], as_json=True)
    # the second pass reads the 5-minute overlap only, and writes nothing
    assert [(r["store"], r["created"], r["updated"]) for r in only.results] == [("shop", 0, 0)]
    assert 0 < only.results[0]["read"] < SEEDED
    with pytest.raises(UsageError, match="abandoned checkouts come from Shopify only"):
        run_sync(config, ["abandoned_checkouts"], store="fr")


def test_service_pulls_checkouts_on_the_orders_schedule_for_shopify_stores(sim, simulators, client_config):
    woo = simulators("woocommerce", "fr")
    config = client_config({"fr": woo, "shop": sim}, '[schedules]\norders = "every 3m"\n')
    service = Service([config.path])
    service._add_client(config)
    try:
        jobs = {job.id.split("|", 1)[1]: job for job in service.scheduler.get_jobs()}
        assert "pull:abandoned_checkouts|shop" in jobs and "pull:abandoned_checkouts|fr" not in jobs
        assert {key for key in jobs if key.startswith("pull:")} == {
            f"pull:{r}|{s}" for s in ("fr", "shop") for r in RESOURCES
        } | {"pull:abandoned_checkouts|shop"}
        assert jobs["pull:abandoned_checkouts|shop"].trigger.interval.total_seconds() == 180
        runtime = service.clients[str(config.path)]
        (result,) = service._execute(runtime, "pull:abandoned_checkouts", ("shop",))
        assert result["outcome"] == "ok" and result["created"] == SEEDED
    finally:
        for runtime in service.clients.values():
            runtime.close()


# --- end to end: pulled checkouts give the report's cart abandonment rate ------------------------------------


def test_report_cart_abandonment_rate_from_a_pulled_shop(simulators, client_config, capsys):
    shop = simulators("shopify", "shop", **FAST_BUCKET)
    # Seeded records are one a minute from 2025-01-01T00:00Z: 6 products, 4 customers, 12 orders, then 8
    # abandoned checkouts, all on 2025-01-01 (UTC, the client's default time zone).
    shop.seed(products=6, variants=2, customers=4, orders=12, abandoned_checkouts=8, seed=4)
    shop.abandon_checkout([{"sku": "SKU-00001-01"}], "later@example.com", "FR", "2025-01-02T09:00:00Z")
    shop.abandon_checkout([{"sku": "SKU-00003-02"}], "before@example.com", "DE", "2024-12-31T23:59:59Z")
    shop.sell([{"sku": "SKU-00002-01"}], "today@example.com", "FR")  # an order of today, after the period
    config = client_config({"shop": shop})

    assert main(["sync", "all", "-c", str(config.path), "--json"]) == 0
    capsys.readouterr()
    code = main(
        ["report", "-c", str(config.path), "--since", "2025-01-01", "--until", "2025-01-01", "--json"]
    )
    total = json.loads(capsys.readouterr().out)["total"]
    assert code == 0

    # By hand: 8 abandoned checkouts and 12 paid orders on 2025-01-01: 8 / (8 + 12) = 0.4
    day = date(2025, 1, 1)
    with shop.lock:
        abandoned = sum(1 for c in shop.shop.abandoned_checkouts.values() if c.created_at.date() == day)
        orders = sum(
            1
            for o in shop.shop.orders.values()
            if o.created_at.astimezone(UTC).date() == day and o.financial_status.lower() in COUNTED_STATUSES
        )
    assert (abandoned, orders) == (8, 12)
    assert total["orders"] == 12
    assert total["abandoned_checkouts"] == 8
    assert total["cart_abandonment_rate"] == "0.4000"
