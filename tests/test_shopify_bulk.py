"""The one bulk read path and the one paginator, against the simulator as Shopify is from 2026-01: several bulk
operations per shop, LIMIT_REACHED, operations adopted after a crash, waits that end on shutdown."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing

import pytest

from connector.jobs.pull import pull
from connector.platforms import registry
from connector.platforms.retry import retrying
from connector.platforms.shopify import bulk as bulk_module
from connector.platforms.shopify import documents
from connector.platforms.shopify.transport import RepeatedCursorError, ShopifyTransport
from connector.reports.build import ReportRequest, build_kpis, parse_period
from connector.sandbox.server import Response, SandboxServer
from connector.sandbox.shopify.bulk import IN_PROGRESS
from connector.state import open_state
from connector.status import collect_status

FAST_BUCKET = {"bucket_max": 2000, "restore_rate": 50_000}
LOW = '[stores.fr.bulk_thresholds]\nproducts = 5\norders = 5\ncustomers = 5\n'


def test_a_cursor_answered_twice_stops_the_read_with_a_clear_error():
    class Looping(SandboxServer):  # a connection whose next page names the same cursor again
        def handle(self, request):
            page = {"nodes": [{"id": "gid://shopify/Product/1"}], "pageInfo": {"hasNextPage": True, "endCursor": "c1"}}
            return Response(200, {"data": {"products": page}})

    with Looping("loop") as server:
        transport = ShopifyTransport(server.base_url, "shpat_x", store_name="loop", retry_policy=retrying(1))
        pages = transport.pages("query($after: String) { products(first: 1, after: $after) { nodes { id } } }", {}, "products")
        assert len(next(pages).nodes) == 1
        assert len(next(pages).nodes) == 1  # the first answer of c1 is followed once
        with pytest.raises(RepeatedCursorError, match="answered the cursor 'c1' of products twice"):
            next(pages)


def test_a_pacing_wait_ends_at_once_on_shutdown():
    from connector.platforms.retry import SHUTDOWN, StopRequested
    from connector.platforms.shopify.transport import _Bucket

    transport = ShopifyTransport("http://127.0.0.1:9", "shpat_x", store_name="paced")
    transport._bucket = _Bucket(maximum=2000, available=0, restore_rate=1, observed_at=time.monotonic())
    SHUTDOWN.set()
    try:
        started = time.monotonic()
        with pytest.raises(StopRequested):
            transport._pace("{ shop { id } }", cost_hint=500)  # would wait 500 s for the points
        assert time.monotonic() - started < 1
    finally:
        SHUTDOWN.clear()


def adapter_for(config):
    adapter = registry.open_adapter("fr", config.stores["fr"])
    adapter.bulk_poll_interval = 0.02
    return adapter


def test_limit_reached_waits_for_a_free_place_and_status_shows_it(simulators, client_config, monkeypatch):
    sim = simulators("shopify", "fr", bulk_delay=1.0, **FAST_BUCKET)
    sim.seed(products=30, variants=3, customers=4, orders=4, seed=2)
    config = client_config({"fr": sim}, LOW)
    with sim.lock:  # five operations (of other resources, other passes) fill the shop's places
        for _ in range(5):
            assert sim.bulk.start("{ customers { edges { node { id } } } }")["userErrors"] == []
    monkeypatch.setattr(bulk_module, "LIMIT_WAIT_INITIAL", 0.05)
    seen_in_status: list = []
    with closing(adapter_for(config)) as adapter, open_state(config.state_path) as state:
        worker = threading.Thread(target=lambda: pull(state, adapter, "products"))
        worker.start()
        deadline = time.monotonic() + 20
        while worker.is_alive() and time.monotonic() < deadline and not seen_in_status:
            seen_in_status = collect_status(config)["store_limits"]
            time.sleep(0.05)
        worker.join(30)
        assert seen_in_status and "LIMIT_REACHED" in seen_in_status[0]["message"]
        assert state.db.execute("select count(*) from variants").fetchone()[0] == 90
        assert adapter.requests.by_route["BulkOperationRunQuery"] >= 2  # refused, then accepted
    assert collect_status(config)["store_limits"] == []  # a free place was found: the limit is gone


def test_a_pass_that_died_before_hearing_its_operation_id_adopts_the_operation(simulators, client_config):
    sim = simulators("shopify", "fr", bulk_delay=0.3, **FAST_BUCKET)
    sim.seed(products=40, variants=3, customers=4, orders=4, seed=4)
    config = client_config({"fr": sim}, LOW)
    with closing(adapter_for(config)) as adapter, open_state(config.state_path) as state:
        # the query was recorded, the mutation reached Shopify, the process died before the answer
        adapter.store_state.record_bulk("products", documents.PRODUCTS_BULK, None)
        with sim.lock:
            sim.bulk.start(documents.PRODUCTS_BULK)
        pull(state, adapter, "products")
        assert "BulkOperationRunQuery" not in adapter.requests.by_route
        assert adapter.requests.by_route["BulkOperations"] >= 1
        assert len(sim.bulk._operations) == 1  # never a second operation for the same resource
        assert state.db.execute("select count(*) from variants").fetchone()[0] == 120
        assert adapter.store_state.bulk("products") is None  # the read ended: its record goes


def test_sigterm_while_a_bulk_operation_runs_stops_at_once_and_the_next_run_adopts_it(simulators, client_config, tmp_path):
    sim = simulators("shopify", "fr", bulk_delay=60.0, **FAST_BUCKET)  # far past the 14-second hard exit
    sim.seed(products=60, variants=3, customers=4, orders=4, seed=6)
    config = client_config({"fr": sim}, LOW)
    log = open(tmp_path / "service.log", "wb")
    service = subprocess.Popen(
        [sys.executable, "-m", "connector.cli", "run", "-c", str(config.path)], stdout=log, stderr=log, env=os.environ.copy()
    )
    deadline = time.monotonic() + 30
    while not any(op.status in IN_PROGRESS for op in list(sim.bulk._operations.values())):
        assert time.monotonic() < deadline and service.poll() is None, (tmp_path / "service.log").read_text()
        time.sleep(0.05)
    time.sleep(0.3)  # the service polls the operation now
    service.send_signal(signal.SIGTERM)
    service.wait(timeout=30)
    log.close()
    said = (tmp_path / "service.log").read_text()
    assert service.returncode == 0 and "still running after" not in said, said[-2000:]  # not the hard exit
    with closing(sqlite3.connect(config.state_path)) as db:
        outcome = db.execute(
            "select outcome from sync_runs where job = 'pull:products' order by id desc limit 1"
        ).fetchone()[0]
        recorded = db.execute("select operation from shopify_bulk where resource = 'products'").fetchone()
    assert outcome == "interrupted" and recorded and recorded[0]
    operations = len(sim.bulk._operations)
    sim.bulk.delay = 0.5  # the operation on the shop finishes soon
    finished = subprocess.run(
        [sys.executable, "-m", "connector.cli", "sync", "products", "-c", str(config.path), "--json"],
        capture_output=True, text=True, timeout=60, env=os.environ.copy(),
    )
    assert finished.returncode == 0, finished.stderr
    assert json.loads(finished.stdout)["results"][0]["read"] == 60
    assert len(sim.bulk._operations) == operations  # the running operation was adopted, none started


def test_without_protected_customer_data_orders_keep_everything_else(simulators, client_config):
    sim = simulators("shopify", "fr", **FAST_BUCKET)
    sim.seed(products=5, variants=2, customers=6, orders=12, seed=8)
    sim.set_faults(protected_customer_data=False)
    config = client_config({"fr": sim})
    with closing(adapter_for(config)) as adapter, open_state(config.state_path) as state:
        orders = pull(state, adapter, "orders")
        customers = pull(state, adapter, "customers")
        assert orders.read == 12 and customers.read == 6 and not orders.skipped
        rows = state.db.execute("select customer_email, shipping_country, total from orders").fetchall()
        assert len(rows) == 12 and all(email is None and total for email, _country, total in rows)
        assert state.db.execute("select count(*) from order_lines").fetchone()[0] > 12
    limits = collect_status(config)["store_limits"]
    assert [(limit["store"], limit["kind"]) for limit in limits] == [("fr", "personal_data")]
    assert "protected customer data" in limits[0]["message"]
    # the reports say which figures cannot be computed for that store
    with open_state(config.state_path) as state:
        report = build_kpis(config, state, ReportRequest(parse_period("2024-01-01", None, "UTC")))
    assert "gives no personal data" in report.total.unavailable["repeat_purchase_rate"]
    # bulk reads too: the operation fails ACCESS_DENIED once, then runs without the personal fields
    with closing(adapter_for(config)) as adapter:
        adapter.store_state.clear_limit("personal_data")
        adapter.bulk_thresholds["orders"] = 5
        records = [r for page in adapter.read("orders", None) for r in page.records]
        assert len(records) == 12 and all(r.customer_email is None for r in records)
