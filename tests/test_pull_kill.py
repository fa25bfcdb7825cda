"""A pull killed with SIGKILL at random points and restarted ends with exactly the store's data."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

import pytest
from woocommerce import API

from connector.state import open_state, parse_iso


def state_snapshot(config, table):
    with open_state(config.state_path) as state:
        return {
            row[0]: int(parse_iso(row[1]).timestamp())
            for row in state.db.execute(f"select id, updated_at from {table} where store = 'fr'")
        }


def rows_held(config) -> int:
    """Products, orders and customers the state holds, read without taking part in its writes."""
    try:
        with closing(sqlite3.connect(f"file:{config.state_path}?mode=ro", uri=True, timeout=5)) as db:
            return db.execute(
                "select (select count(*) from products) + (select count(*) from orders)"
                " + (select count(*) from customers)"
            ).fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def store_snapshot(collection):
    """id -> modification time; None for a record in the trash (it leaves the listings)."""
    return {
        str(record.id): None if record.status == "trash" else record.modified
        for record in collection.records.values()
    }


@pytest.mark.slow
def test_sigkill_at_random_points_then_restart_leaves_no_gap_and_no_duplicate(simulators, client_config):
    sim = simulators("woocommerce", "fr")
    sim.seed(products=4000, variants=4000, customers=500, orders=8000, seed=11)
    config = client_config({"fr": sim})
    api = API(
        url=sim.base_url, consumer_key=sim.consumer_key, consumer_secret=sim.consumer_secret, timeout=10
    )
    command = [sys.executable, "-m", "connector.cli", "sync", "all", "-c", str(config.path), "--json"]
    chance = random.Random(2026)
    total = len(sim.store.products.records) + len(sim.store.orders.records) + len(sim.store.customers.records)
    kills = 0
    for _ in range(4):
        # killed once it has kept a random share (5-30 %) of the store more than when it started: at a random
        # point of the pull however fast this machine runs it (the first two runs are always killed)
        target = rows_held(config) + chance.uniform(0.05, 0.3) * total
        process = subprocess.Popen(
            command, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        while process.poll() is None and rows_held(config) < target:
            time.sleep(0.005)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=30)
        # a sale between runs: the restarted pull must see it too
        sku = next(
            p.sku for p in sim.store.products.records.values() if p.type == "simple" and p.manage_stock
        )
        sim.sell([{"sku": sku, "quantity": 1}])
        # and records removed from the front of the listings, where pages already read would move up:
        # a product and an order trashed, a product deleted for good
        live = sorted(p.id for p in sim.store.products.records.values() if p.status != "trash")
        api.delete(f"products/{live[chance.randrange(150)]}")
        api.delete(f"products/{live[chance.randrange(150)]}", params={"force": "true"})
        listed = sorted(o.id for o in sim.store.orders.records.values() if o.status != "trash")
        api.delete(f"orders/{listed[chance.randrange(150)]}")
    assert kills >= 2, "the pull finished before it could be killed; seed more data"
    # the interrupted pass completes, then the next scheduled pass reads what changed meanwhile (and asks
    # what the store trashed since)
    for _ in range(2):
        finished = subprocess.run(command, env=os.environ.copy(), capture_output=True, timeout=300)
        assert finished.returncode == 0, finished.stderr.decode()[-2000:]
    live_products = {k: v for k, v in store_snapshot(sim.store.products).items() if v is not None}
    held = state_snapshot(config, "products")
    assert set(live_products) <= set(held)  # no record hidden by the removals
    assert {k: held[k] for k in live_products} == live_products
    assert not {str(p.id) for p in sim.store.products.records.values() if p.status == "trash"} & set(held)
    orders = state_snapshot(config, "orders")
    live_orders = {k: v for k, v in store_snapshot(sim.store.orders).items() if v is not None}
    assert {k: orders[k] for k in live_orders} == live_orders
    in_trash = {str(o.id) for o in sim.store.orders.records.values() if o.status == "trash"}
    assert set(orders) - set(live_orders) <= in_trash  # a trashed order already read is kept ...
    with open_state(config.state_path) as state:
        trashed = {r[0] for r in state.db.execute("select id from orders where status = 'trash'")}
    assert trashed == set(orders) & in_trash  # ... marked trash, which reports do not count as a sale
    # a product deleted for good is found by comparing ids: daily, or on a full pull
    full = subprocess.run(
        [*command[:4], "products", *command[5:], "--full"],
        env=os.environ.copy(),
        capture_output=True,
        timeout=300,
    )
    assert full.returncode == 0, full.stderr.decode()[-2000:]
    assert state_snapshot(config, "products") == live_products
    with open_state(config.state_path) as state:
        assert state.db.execute("select count(*) from order_lines where store = 'fr'").fetchone()[0] == sum(
            len(order.data["line_items"])
            for order in sim.store.orders.records.values()
            if str(order.id) in orders
        )
