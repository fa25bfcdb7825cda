"""A Shopify pull killed with SIGKILL mid-run and restarted ends with exactly the shop's data.

Two shops: one below the adapter's bulk thresholds (cursor pages), one above them (a bulk operation per
resource, its JSONL streamed page by page). Kills land at random points of the run; sales happen while a run
is under way and between runs. The interrupted pass then completes, one more incremental pass reads what
changed meanwhile, and the state must equal the simulator's records one by one.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import pytest

from connector.platforms.shopify import documents
from connector.platforms.shopify.bulk import PAGE_ROOTS as BULK_PAGE
from connector.sandbox.shopify import CheckoutRefused, ShopifySim
from connector.sandbox.shopify.shop import gid
from connector.state import parse_iso

STORE = "fr"
FAST_BUCKET = {"bucket_max": 2000, "restore_rate": 50_000}  # pacing is not what these tests are about
BULK_THRESHOLDS = {"products": 250, "orders": 250, "customers": 1_000}  # small shops, both kinds of read
# Paged reads: pages of 250, so a shop below these makes some 20 requests a pass, enough to be killed inside.
PAGED_THRESHOLDS = {"products": 1_000, "orders": 1_000, "customers": 2_000}


def thresholds_toml(thresholds: dict[str, int]) -> str:
    return f"[stores.{STORE}.bulk_thresholds]\n" + "".join(f"{k} = {v}\n" for k, v in thresholds.items())
BULK_IN_PROGRESS = ("CREATED", "RUNNING")
WAIT = 60.0  # seconds before a run that neither progresses nor ends fails the test


# --- the state file, read the way `connector status` would while a sync writes it --------------------------


def read_state(path: Path, query: str, parameters: tuple = ()) -> list[tuple]:
    """Rows of a query on the state file; none while the file or its tables do not exist yet."""
    if not path.exists():
        return []
    try:
        with closing(sqlite3.connect(path, timeout=10)) as db:
            return db.execute(query, parameters).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise


def cursors(path: Path) -> dict[str, dict]:
    rows = read_state(path, "select resource, position from cursors where store = ?", (STORE,))
    return {resource: json.loads(position) for resource, position in rows}


def resume_of(path: Path, resource: str) -> dict | None:
    """The adapter's position inside an unfinished pass of `resource`, as its last committed page left it."""
    resume = cursors(path).get(resource, {}).get("resume")
    return json.loads(resume) if resume else None


def held(path: Path, table: str) -> int:
    rows = read_state(path, f"select count(*) from {table} where store = ?", (STORE,))
    return rows[0][0] if rows else 0


def last_pull_counts(path: Path, resource: str) -> dict:
    """The counts of the latest finished pull of `resource` recorded in sync_runs."""
    rows = read_state(
        path,
        "select outcome, counts from sync_runs where job = ? and store = ? order by id desc limit 1",
        (f"pull:{resource}", STORE),
    )
    assert rows and rows[0][0] == "ok", f"no finished pull of {resource}: {rows}"
    return json.loads(rows[0][1])


# --- the records on both sides -----------------------------------------------------------------------------


def state_records(path: Path) -> dict[str, object]:
    def table(query: str) -> list[tuple]:
        return read_state(path, query, (STORE,))

    return {
        "products": {
            i: parse_iso(u) for i, u in table("select id, updated_at from products where store = ?")
        },
        "variants": {
            i: (product, sku, stock)
            for i, product, sku, stock in table(
                "select id, product_id, sku, stock from variants where store = ?"
            )
        },
        "orders": {i: parse_iso(u) for i, u in table("select id, updated_at from orders where store = ?")},
        "order_lines": sorted(
            table("select order_id, line_no, sku, quantity from order_lines where store = ?")
        ),
        "customers": {
            i: (parse_iso(u), count, Decimal(spent))
            for i, u, count, spent in table(
                "select id, updated_at, orders_count, total_spent from customers where store = ?"
            )
        },
    }


def shop_records(sim: ShopifySim) -> dict[str, object]:
    with sim.lock:
        shop = sim.shop
        location = shop.primary_location.id
        return {
            "products": {gid("Product", n): p.updated_at for n, p in shop.products.items()},
            "variants": {
                gid("ProductVariant", n): (
                    gid("Product", v.product.id),
                    v.sku,
                    shop.quantity(v, location, "available"),
                )
                for n, v in shop.variants.items()
            },
            "orders": {gid("Order", n): o.updated_at for n, o in shop.orders.items()},
            "order_lines": sorted(
                (gid("Order", n), line_no, line.sku, line.quantity)
                for n, o in shop.orders.items()
                for line_no, line in enumerate(o.lines)
            ),
            "customers": {
                gid("Customer", n): (c.updated_at, c.number_of_orders, c.amount_spent)
                for n, c in shop.customers.items()
            },
        }


def assert_state_equals_shop(path: Path, sim: ShopifySim) -> None:
    in_state, in_shop = state_records(path), shop_records(sim)
    for name in in_shop:
        if in_state[name] == in_shop[name]:
            continue
        if isinstance(in_shop[name], dict):
            missing = sorted(set(in_shop[name]) - set(in_state[name]))
            extra = sorted(set(in_state[name]) - set(in_shop[name]))
            stale = sorted(
                k for k in set(in_shop[name]) & set(in_state[name]) if in_state[name][k] != in_shop[name][k]
            )
            detail = f"missing {missing[:5]}, extra {extra[:5]}, stale {stale[:5]} ({len(stale)})"
        else:
            detail = f"{len(in_state[name])} rows held, {len(in_shop[name])} in the shop"
        pytest.fail(f"{name}: the state differs from the shop: {detail}")


# --- running the command -----------------------------------------------------------------------------------


class Shopper:
    """Sales by the shop's existing customers, on SKUs drawn from the catalogue."""

    def __init__(self, sim: ShopifySim, chance: random.Random) -> None:
        self.sim, self.chance = sim, chance
        with sim.lock:
            self.skus = sorted(sim.shop.variants_by_sku)
            self.emails = sorted(sim.shop.customers_by_email)
        self.sales = 0

    def sell(self) -> None:
        while True:
            items = [
                {"sku": sku, "quantity": self.chance.randint(1, 2)} for sku in self.chance.sample(self.skus, 2)
            ]
            try:
                self.sim.sell(items, email=self.chance.choice(self.emails))
            except CheckoutRefused:  # more than the shop has (inventory policy DENY): other items then
                continue
            self.sales += 1
            return


def sync_command(config) -> list[str]:
    return [sys.executable, "-m", "connector.cli", "sync", "all", "-c", str(config.path), "--json"]


def start(config) -> subprocess.Popen:
    """The sync in the background; its log goes to a file, so a full pipe can never hold it up."""
    with open(config.path.parent / "sync.log", "ab") as log:
        return subprocess.Popen(
            sync_command(config), env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=log
        )


def log_tail(config) -> str:
    return (config.path.parent / "sync.log").read_text(errors="replace")[-2000:]


def wait_until(process: subprocess.Popen, condition: Callable[[], bool]) -> bool:
    """Poll until `condition` holds (True) or the process ends first (False)."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if process.poll() is not None:
            return False
        assert time.monotonic() < deadline, "the sync made no progress"
        time.sleep(0.005)
    return process.poll() is None


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def run_to_end(config) -> dict:
    finished = subprocess.run(sync_command(config), env=os.environ.copy(), capture_output=True, timeout=120)
    assert finished.returncode == 0, finished.stderr.decode()[-2000:]
    summary = json.loads(finished.stdout)
    assert summary["ok"], summary
    return {result["resource"]: result for result in summary["results"] if "resource" in result}


def served(sim: ShopifySim) -> int:
    return sum(sim.stats()["requests"].values())


def has_served(sim: ShopifySim, count: int) -> Callable[[], bool]:
    return lambda: served(sim) >= count


# --- paged reads -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_paged_pull_killed_at_random_points_ends_with_exactly_the_shop(simulators, client_config):
    sim = simulators("shopify", STORE, **FAST_BUCKET)
    # below every bulk threshold, with room for the orders the sales add: every read pages by cursor
    sim.seed(
        products=PAGED_THRESHOLDS["products"] - 10,
        variants=3,
        customers=PAGED_THRESHOLDS["customers"] // 2,
        orders=PAGED_THRESHOLDS["orders"] - 30,
        seed=5,
    )
    sim.set_faults(latency_ms=40)  # some 20 requests a pass: long enough to be killed well inside it
    config = client_config({STORE: sim}, thresholds_toml(PAGED_THRESHOLDS))
    path = config.state_path
    chance = random.Random(2027)
    shopper = Shopper(sim, chance)
    kills = mid_pass = 0
    for _ in range(4):
        begun = served(sim)
        sale_at, kill_at = begun + chance.randint(2, 4), begun + chance.randint(5, 10)
        process = start(config)
        if wait_until(process, has_served(sim, sale_at)):
            shopper.sell()  # while the pass runs: the record moves behind the pages already read
        if wait_until(process, has_served(sim, kill_at)):
            kill(process)
            kills += 1
            mid_pass += any(position.get("resume") for position in cursors(path).values())
        else:
            assert process.wait(timeout=30) == 0, log_tail(config)
        shopper.sell()  # between runs: the restarted pull must see it too
    assert kills >= 2 and mid_pass >= 2, f"{kills} kills, {mid_pass} inside a pass; the shop is too small"
    with sim.lock:
        assert all(len(sim.shop.collection(r)) <= PAGED_THRESHOLDS[r] for r in PAGED_THRESHOLDS)

    # the interrupted pass completes, then the next scheduled pass reads what changed meanwhile
    for _ in range(2):
        results = run_to_end(config)
        assert all(result["outcome"] == "ok" for result in results.values())
    assert not any(position.get("resume") for position in cursors(path).values())
    assert_state_equals_shop(path, sim)


# --- bulk reads --------------------------------------------------------------------------------------------


def bulk_in_progress(sim: ShopifySim, query: str) -> bool:
    current = sim.bulk.current_view()
    return (
        current is not None and current.status in BULK_IN_PROGRESS and current.query.strip() == query.strip()
    )


@pytest.mark.slow
def test_a_bulk_pull_killed_while_its_operation_runs_or_streams_ends_with_exactly_the_shop(
    simulators, client_config
):
    sim = simulators("shopify", STORE, bulk_delay=0.8, **FAST_BUCKET)
    products, orders = 4 * BULK_PAGE, 4 * BULK_PAGE  # each read is a bulk operation of four pages
    assert products > BULK_THRESHOLDS["products"] and orders > BULK_THRESHOLDS["orders"]
    sim.seed(
        products=products, variants=3, customers=BULK_THRESHOLDS["customers"] + 100, orders=orders, seed=9
    )
    config = client_config({STORE: sim}, thresholds_toml(BULK_THRESHOLDS))
    path = config.state_path
    chance = random.Random(2028)
    shopper = Shopper(sim, chance)
    mid_run: list[str] = []

    # 1. killed while the products' bulk operation runs on the shop; a sale lands during the pass
    process = start(config)
    assert wait_until(process, has_served(sim, 1)), log_tail(config)
    shopper.sell()
    assert wait_until(process, lambda: bulk_in_progress(sim, documents.PRODUCTS_BULK)), log_tail(config)
    time.sleep(chance.uniform(0.05, 0.7))
    running = bulk_in_progress(sim, documents.PRODUCTS_BULK)
    assert process.poll() is None, f"the sync ended before the kill: {log_tail(config)}"
    kill(process)
    if running:
        mid_run.append("products operation running")
        assert held(path, "products") == 0
    shopper.sell()

    # 2. killed while the products' result streams, after a random number of pages committed
    process = start(config)
    pages = chance.randint(1, products // BULK_PAGE - 2)
    assert wait_until(process, lambda: held(path, "products") >= pages * BULK_PAGE), log_tail(config)
    kill(process)
    position = resume_of(path, "products")
    assert position is not None and position["mode"] == "bulk", "the products read ended before the kill"
    mid_run.append("products result streaming")
    committed = held(path, "products")
    assert 0 < committed < products and position["roots"] > committed  # roots' line numbers in the result
    shopper.sell()

    # 3. the products read continues from its operation and line; killed while the orders' result streams
    process = start(config)
    pages = chance.randint(1, orders // BULK_PAGE - 2)
    assert wait_until(process, lambda: held(path, "orders") >= pages * BULK_PAGE), log_tail(config)
    kill(process)
    assert last_pull_counts(path, "products")["read"] == products - committed
    orders_position = resume_of(path, "orders")
    assert orders_position is not None and orders_position["mode"] == "bulk"
    mid_run.append("orders result streaming")
    # the shop no longer has the operation (its result expired): the orders read must start again
    with sim.lock:
        sim.bulk.reset()
    shopper.sell()
    with sim.lock:
        orders_now = len(sim.shop.orders)

    assert len(mid_run) >= 2, mid_run
    # the interrupted pass completes, then the next scheduled pass reads what changed meanwhile
    results = run_to_end(config)
    assert results["orders"]["read"] == orders_now, "the orders read did not start again from scratch"
    assert results["customers"]["read"] == BULK_THRESHOLDS["customers"] + 100
    run_to_end(config)
    assert not any(position.get("resume") for position in cursors(path).values())
    assert_state_equals_shop(path, sim)
