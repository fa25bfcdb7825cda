"""The service as it is operated: alerts received on a local endpoint, /healthz (and ?strict=1), the status
while it runs, one log line per job run; and alerts for failing jobs and held prices."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import woocommerce

from connector import scheduler
from connector.config import load_config
from connector.sandbox.launch import start_sandbox
from connector.scheduler import Service


class AlertInbox:
    """A local HTTP endpoint for Apprise's json:// target: every POST body, in order."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/alerts"

    def titles(self) -> list[str]:
        return [alert["title"] for alert in self.received]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def inbox():
    box = AlertInbox()
    yield box
    box.close()


@pytest.fixture
def sandbox(tmp_path, monkeypatch, inbox):
    box = start_sandbox(woocommerce=2, shopify=1, products=16, variants=8, orders=20, schedule_seconds=2)
    for key, value in {**box.env, "SANDBOX_ALERTS": inbox.url}.items():
        monkeypatch.setenv(key, value)
    box.path = box.write_config(tmp_path / "sandbox.toml")
    box.path.write_text(
        box.path.read_text() + '\n[alerts]\nurls = ["env:SANDBOX_ALERTS"]\nafter_failures = 2\n'
    )
    yield box
    box.stop()


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    return None


def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def connector(*args, **options):
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", *args], capture_output=True, text=True, timeout=60, **options
    )


def test_a_running_service_reports_health_alerts_once_and_recovers(sandbox, inbox, tmp_path):
    sandbox.stores["global"].control("auth", {"revoked": True})  # the app's access revoked: every call 401
    log_path = tmp_path / "service.log"
    env = dict(os.environ)
    with log_path.open("w") as log_file:
        service = subprocess.Popen(
            [sys.executable, "-m", "connector.cli", "--log-json", "run", "-c", str(sandbox.path),
             "--health-port", "0"],
            stderr=log_file, env=env,
        )  # fmt: skip
    try:
        port = wait_for(
            lambda: (m := re.search(r"health checks on http://127.0.0.1:(\d+)", log_path.read_text()))
            and m[1],
            20,
        )
        assert port, log_path.read_text()[-2000:]

        def stores():
            status, body = get(port, "/healthz")
            return status, body["clients"].get("sandbox", {})

        def store(name):
            return stores()[1].get(name, {"status": None, "last_success": {}, "late": []})

        assert wait_for(lambda: store("global")["status"] == "stopped", 60), stores()
        assert wait_for(lambda: "pull:orders" in store("boutique")["last_success"], 60), stores()
        status, listed = stores()
        assert status == 200 and set(listed) == {"boutique", "de-shop", "global"}
        assert listed["boutique"]["status"] == "ok" and "refused" in listed["global"]["stopped"]
        strict, body = get(port, "/healthz?strict=1")
        assert strict == 503 and body["status"] == "stopped"

        assert wait_for(lambda: inbox.received, 20), "no alert arrived"
        time.sleep(5)  # several more cycles of the stopped store: still one alert
        refused = [t for t in inbox.titles() if "credential refused" in t]
        assert refused == ["connector sandbox/global: credential refused"], inbox.titles()
        assert os.environ["SANDBOX_GLOBAL_CLIENT_SECRET"] not in json.dumps(inbox.received)

        status_out = connector("status", "-c", str(sandbox.path), env={**env, "COLUMNS": "80"})
        assert status_out.returncode == 0, status_out.stderr
        assert "served by pid" in status_out.stdout and "next run" in status_out.stdout

        # a store that stops answering: degraded at once, late after three of its intervals
        sandbox.stores["de-shop"].stop()
        assert wait_for(lambda: store("de-shop")["late"], 60), stores()
        assert stores()[1]["de-shop"]["status"] == "degraded"

        # the access is granted again; a reload (SIGHUP) lets the store run again: one recovery notice
        sandbox.stores["global"].control("auth", {"revoked": False})
        service.send_signal(signal.SIGHUP)
        assert wait_for(lambda: any("recovered (credential refused)" in t for t in inbox.titles()), 60), (
            inbox.titles()
        )
        assert stores()[1]["global"]["status"] in ("ok", "degraded")
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=30)
    assert service.returncode == 0
    runs = [json.loads(line) for line in log_path.read_text().splitlines() if '"duration_seconds"' in line]
    boutique = [r for r in runs if r["store"] == "boutique" and r["job"] == "pull:orders"]
    assert boutique and boutique[0]["outcome"] == "ok" and "read" in boutique[0]["counts"]
    after = connector("status", "-c", str(sandbox.path), env={**env, "COLUMNS": "80"})
    assert "no service running" in after.stdout and "next run" not in after.stdout


def test_a_job_failing_in_a_row_and_held_prices_alert_once_and_recover(sandbox, inbox, monkeypatch):
    monkeypatch.setattr(scheduler, "BACKOFF_FIRST", 0.0)  # retry at once: the test counts failures, not time
    config = load_config(sandbox.path)
    service = Service([sandbox.path])
    service.start([config], schedule=False)
    runtime = next(iter(service.clients.values()))
    try:
        de = sandbox.stores["de-shop"]
        runtime.adapters["de-shop"].attempts = 1  # each run fails at its first 503: the test counts runs
        de.set_faults(error_rate=1.0, retry_after=0, seed=3)
        for _ in range(4):
            service.run_job(runtime.key, "pull:orders", ("de-shop",))
        runtime.alerts.flush()
        assert [t for t in inbox.titles() if "failing" in t] == ["connector sandbox/de-shop: failing"]
        # a restart (or the next `run --once`) knows the incident is open: no second alert
        restarted = Service([sandbox.path])
        restarted.start([config], schedule=False)
        again = next(iter(restarted.clients.values()))
        again.adapters["de-shop"].attempts = 1
        for _ in range(3):
            restarted.run_job(again.key, "pull:orders", ("de-shop",))
        again.alerts.flush()
        restarted.stop()
        assert [t for t in inbox.titles() if "failing" in t] == ["connector sandbox/de-shop: failing"]
        de.set_faults()
        service.run_job(runtime.key, "pull:orders", ("de-shop",))
        runtime.alerts.flush()
        assert inbox.titles()[-1] == "connector sandbox/de-shop: recovered (failing)"

        stores = tuple(sorted(config.stores))
        for store in stores:
            service.run_job(runtime.key, "pull:products", (store,))
        service.run_job(runtime.key, "prices", stores)  # first push: the guardrail's reference
        master = sandbox.stores["boutique"]
        api = woocommerce.API(url=master.base_url, consumer_key=master.consumer_key,
                              consumer_secret=master.consumer_secret, version="wc/v3")  # fmt: skip
        product = next(p for p in api.get("products", params={"type": "simple"}).json() if p["regular_price"])
        original = product["regular_price"]
        doubled = str(Decimal(original) * 2)
        assert api.put(f"products/{product['id']}", {"regular_price": doubled}).status_code == 200
        service.run_job(runtime.key, "pull:products", ("boutique",))
        service.run_job(runtime.key, "prices", stores)
        service.run_job(runtime.key, "prices", stores)  # still held: no second alert
        runtime.alerts.flush()
        held = [t for t in inbox.titles() if "prices held" in t]
        assert len(held) == len(config.markets), inbox.titles()  # one per market, once
        assert api.put(f"products/{product['id']}", {"regular_price": original}).status_code == 200
        service.run_job(runtime.key, "pull:products", ("boutique",))
        service.run_job(runtime.key, "prices", stores)
        runtime.alerts.flush()
        assert len([t for t in inbox.titles() if "recovered (prices held)" in t]) == len(config.markets)
    finally:
        service.stop()


def test_held_stock_changes_alert_once_and_recover(sandbox, inbox):
    config = load_config(sandbox.path)
    service = Service([sandbox.path])
    service.start([config], schedule=False)
    runtime = next(iter(service.clients.values()))
    stores = tuple(sorted(config.stores))

    def cycle():
        for store in stores:
            service.run_job(runtime.key, "pull:products", (store,))
        service.run_job(runtime.key, "inventory", stores)
        runtime.alerts.flush()

    try:
        cycle()  # the first sync: pools and baselines
        de = sandbox.stores["de-shop"]
        sku = next(
            p.sku
            for p in sorted(de.store.posts.values(), key=lambda p: p.id)
            if p.type == "simple" and p.manage_stock and (p.stock_quantity or 0) > 3
        )
        shown = de.stock(sku)["stock_quantity"]
        de.set_stock(sku, -5)  # a typo in wp-admin: below zero, no order explains it
        cycle()
        cycle()  # still held: no second alert
        assert [t for t in inbox.titles() if "stock held" in t] == ["connector sandbox/de-shop: stock held"]
        assert sku in inbox.received[-1]["message"]
        de.set_stock(sku, shown)  # corrected in the store
        cycle()
        assert inbox.titles()[-1] == "connector sandbox/de-shop: recovered (stock held)", inbox.titles()
    finally:
        service.stop()
