"""Clients isolated from each other in one `connector run`: a client whose stores hang or refuse every connection
takes none of the workers the other clients need, and every log line and metric names its client.

The figures are compared within one run (the healthy clients served alone, then next to the failing one), so
they do not depend on the machine's speed."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime

import pytest

from connector.config import load_config
from connector.sandbox.launch import start_sandbox
from connector.scheduler import Service
from connector.state import open_state

INTERVAL = 2  # seconds between two orders pulls and two inventory cycles of every client
SALES = 12  # per healthy client and phase, one SKU each


def client_sandbox(name, tmp_path, monkeypatch, products=20):
    """A sandbox (a master store "boutique" and a "de-shop") as client `name`: every client has a store
    called boutique, and its own env variables."""
    box = start_sandbox(
        woocommerce=2, shopify=0, products=products, variants=2, orders=4, schedule_seconds=3600
    )
    prefix = name.upper()
    for key, value in box.env.items():
        monkeypatch.setenv(key.replace("SANDBOX_", f"{prefix}_", 1), value)
    text = (
        box.config_text.replace('name = "sandbox"', f'name = "{name}"')
        .replace('state_file = "sandbox.sqlite"', f'state_file = "{name}.sqlite"')
        .replace("env:SANDBOX_", f"env:{prefix}_")
        .replace('orders = "every 3600s"', f'orders = "every {INTERVAL}s"')
        .replace('inventory = "every 3600s"', f'inventory = "every {INTERVAL}s"')
    )
    box.path = tmp_path / f"{name}.toml"
    box.path.write_text(text)
    box.name = name
    return box


@pytest.fixture
def clients(tmp_path, monkeypatch):
    boxes = [client_sandbox(name, tmp_path, monkeypatch) for name in ("alpha", "beta")]
    boxes.append(client_sandbox("gamma", tmp_path, monkeypatch, products=6))
    yield boxes
    for box in boxes:
        box.stop()


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def in_step(box):
    """The client's first inventory cycle and an orders pull of each store came through."""
    with open_state(load_config(box.path).state_path) as state:
        done = {
            (job, store)
            for job, store in state.db.execute(
                "select job, store from sync_runs where outcome = 'ok'"
            ).fetchall()
        }
    return {
        ("inventory", "boutique+de-shop"),
        ("pull:orders", "boutique"),
        ("pull:orders", "de-shop"),
    } <= done


def skus(box):
    return sorted(
        p.sku
        for p in box.stores["boutique"].store.posts.values()
        if p.type == "simple" and p.manage_stock and (p.stock_quantity or 0) > 5
    )[:SALES]


def follow_times(box, spacing=0.37):  # not a divisor of INTERVAL: the sales fall at every point of it
    """Sell one unit of each SKU on de-shop, one every `spacing` s; seconds until the master store shows each."""
    master, market = box.stores["boutique"], box.stores["de-shop"]
    to_sell, pending, times = skus(box), {}, []
    next_sale = time.monotonic()
    while to_sell or pending:
        now = time.monotonic()
        if to_sell and now >= next_sale:
            sku = to_sell.pop(0)
            pending[sku] = (master.stock(sku)["stock_quantity"] - 1, now)
            market.sell([{"sku": sku, "quantity": 1}])
            next_sale = now + spacing
        for sku, (expected, sold_at) in list(pending.items()):
            if master.stock(sku)["stock_quantity"] == expected:
                times.append(time.monotonic() - sold_at)
                del pending[sku]
            elif now - sold_at > 60:
                raise AssertionError(f"{box.name}: the sale of {sku} never reached the master store")
        time.sleep(0.02)
    return times


def orders_pull_gaps(box, since):
    """Seconds between two consecutive starts of the orders pull of each store, from `since` (a state time)."""
    gaps = []
    with open_state(load_config(box.path).state_path) as state:
        for store in ("boutique", "de-shop"):
            starts = [
                datetime.fromisoformat(started).timestamp()
                for (started,) in state.db.execute(
                    "select started_at from sync_runs where job = 'pull:orders' and store = ? and started_at >= ?"
                    " order by started_at",
                    [store, since],
                )
            ]
            gaps += [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    return gaps


def p95(values):
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def serve_and_measure(boxes, healthy):
    """Serve `boxes` in one service; once the healthy ones are in step, their sales' follow times and the gaps
    of their orders pulls, measured for all of them at once."""
    service = Service([box.path for box in boxes])
    coalesced = []
    service.observers.append(
        lambda client, store, job, result: result["outcome"] == "coalesced" and coalesced.append(client)
    )
    busiest = {}
    service.start([load_config(box.path) for box in boxes])
    stop_watching = threading.Event()

    def watch_pools():
        while not stop_watching.wait(0.1):
            for runtime in list(service.clients.values()):
                name = runtime.config.client.name
                busiest[name] = max(busiest.get(name, 0), service.pools[runtime.key].running())

    threading.Thread(target=watch_pools, daemon=True).start()
    try:
        assert wait_for(lambda: all(in_step(box) for box in healthy), 60), (
            "the healthy clients never got in step"
        )
        since = datetime.now(UTC).isoformat(timespec="microseconds")
        results = {}

        def measure(box):
            results[box.name] = follow_times(box)

        sellers = [threading.Thread(target=measure, args=(box,)) for box in healthy]
        for seller in sellers:
            seller.start()
        for seller in sellers:
            seller.join()
        gaps = [gap for box in healthy for gap in orders_pull_gaps(box, since)]
        follow = [seconds for box in healthy for seconds in results[box.name]]
    finally:
        stop_watching.set()
        for box in boxes:
            if box not in healthy:
                box.stop()  # ends the requests left hanging, so that the service stops at once
        service.stop()
    return follow, gaps, busiest, coalesced


def test_a_client_whose_stores_hang_or_refuse_takes_no_worker_from_the_others(clients):
    alpha, beta, gamma = clients
    alone = serve_and_measure([alpha, beta], [alpha, beta])

    gamma.stores["boutique"].set_faults(hang_rate=1.0, hang_seconds=120)  # accepts, never answers
    gamma.stores["de-shop"].stop()  # every connection refused
    beside = serve_and_measure([alpha, beta, gamma], [alpha, beta])

    follow_alone, gaps_alone, _, _ = alone
    follow, gaps, busiest, coalesced = beside
    print(
        f"\nsale to master store, p95: {p95(follow_alone):.2f} s alone, {p95(follow):.2f} s beside a hanging client "
        f"(ratio {p95(follow) / p95(follow_alone):.2f}); longest gap between orders pulls: {max(gaps_alone):.2f} s "
        f"alone, {max(gaps):.2f} s beside it (interval {INTERVAL} s); the failing client's busiest pool: "
        f"{busiest.get('gamma')} of {load_config(gamma.path).service.concurrent_jobs}, {len(coalesced)} job(s) coalesced"
    )
    # the failing client did hold every thread it may have, and more of its jobs came due meanwhile
    assert busiest["gamma"] == load_config(gamma.path).service.concurrent_jobs
    assert "gamma" in coalesced
    assert len(follow) == len(follow_alone) == 2 * SALES
    assert p95(follow) <= 1.5 * p95(follow_alone)
    assert len(gaps) >= 4 and max(gaps) < 2 * INTERVAL  # the healthy clients' lag stays under one interval


def test_retry_lines_and_metrics_name_the_client_of_a_store_of_the_same_name(clients, tmp_path):
    alpha, _, gamma = clients
    gamma.stores["boutique"].stop()  # gamma's boutique refuses; alpha's boutique answers
    log_path = tmp_path / "service.log"
    command = [sys.executable, "-m", "connector.cli", "--log-json", "run", "-c", str(alpha.path), "-c",
               str(gamma.path), "--health-port", "0"]  # fmt: skip
    with log_path.open("w") as log_file:
        service = subprocess.Popen(command, stderr=log_file, env=os.environ.copy())
    try:
        assert wait_for(lambda: "retrying in" in log_path.read_text(), 30), log_path.read_text()[-2000:]
        port = re.search(r"health checks on http://127.0.0.1:(\d+)", log_path.read_text())[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            metrics = answer.read().decode()
    finally:
        service.terminate()
        service.wait(timeout=30)
    assert service.returncode == 0
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    retries = [line for line in lines if "retrying in" in line["message"]]
    assert retries and {(line["client"], line["store"]) for line in retries} == {("gamma", "boutique")}
    assert all(line["message"].startswith("store boutique: attempt") for line in retries)
    during_jobs = [line for line in lines if line["logger"].startswith("connector.platforms")]
    assert during_jobs and all(line.get("client") in ("alpha", "gamma") for line in during_jobs)
    for client in ("alpha", "gamma"):
        assert f'connector_api_requests_total{{client="{client}",store="boutique"}}' in metrics
        assert f'connector_client_job_limit{{client="{client}"}} 4.0' in metrics


def test_a_reload_gives_a_client_the_pool_its_config_now_asks_for(clients):
    alpha = clients[0]
    service = Service([alpha.path])
    service.start([load_config(alpha.path)], schedule=False)
    try:
        (key,) = service.clients
        first = service.pools[key]
        service.reload()
        assert service.pools[key] is first  # unchanged config: the same threads
        alpha.path.write_text(alpha.path.read_text() + "\n[service]\nconcurrent_jobs = 2\n")
        service.reload()
        assert service.pools[key] is not first and service.pools[key].limit == 2
        jobs = service.scheduler.get_jobs()
        assert jobs and {job.executor for job in jobs} == {key}
    finally:
        for runtime in service.clients.values():
            runtime.close()
