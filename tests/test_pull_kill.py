"""A pull killed with SIGKILL at random points and restarted ends with exactly the store's data."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from connector.state import open_state, parse_iso


def state_snapshot(config, table):
    with open_state(config.state_path) as state:
        return {
            row[0]: int(parse_iso(row[1]).timestamp())
            for row in state.db.execute(f"select id, updated_at from {table} where store = 'fr'")
        }


def store_snapshot(collection):
    return {str(record.id): record.modified for record in collection.records.values()}


@pytest.mark.slow
def test_sigkill_at_random_points_then_restart_leaves_no_gap_and_no_duplicate(simulators, client_config):
    sim = simulators("woocommerce", "fr")
    sim.seed(products=4000, variants=4000, customers=500, orders=8000, seed=11)
    config = client_config({"fr": sim})
    command = [sys.executable, "-m", "connector.cli", "sync", "all", "-c", str(config.path), "--json"]
    chance = random.Random(2026)
    kills = 0
    for _ in range(4):
        process = subprocess.Popen(
            command, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        time.sleep(chance.uniform(0.5, 2.5))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=30)
        # a sale between runs: the restarted pull must see it too
        sku = next(
            p.sku for p in sim.store.products.records.values() if p.type == "simple" and p.manage_stock
        )
        sim.sell([{"sku": sku, "quantity": 1}])
    assert kills >= 2, "the pull finished before it could be killed; seed more data"
    # the interrupted pass completes, then the next scheduled pass reads what changed meanwhile
    for _ in range(2):
        finished = subprocess.run(command, env=os.environ.copy(), capture_output=True, timeout=300)
        assert finished.returncode == 0, finished.stderr.decode()[-2000:]
    assert state_snapshot(config, "products") == store_snapshot(sim.store.products)
    assert state_snapshot(config, "orders") == store_snapshot(sim.store.orders)
    with open_state(config.state_path) as state:
        assert state.db.execute("select count(*) from order_lines where store = 'fr'").fetchone()[0] == sum(
            len(order.data["line_items"]) for order in sim.store.orders.records.values()
        )
