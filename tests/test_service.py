"""`connector run`: the service against simulated stores, with faults, sales and signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from connector.config import load_config
from connector.sandbox.launch import start_sandbox
from connector.scheduler import Service
from connector.state import open_state


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    box = start_sandbox(woocommerce=2, shopify=1, products=30, variants=20, orders=40, schedule_seconds=2)
    for key, value in box.env.items():
        monkeypatch.setenv(key, value)
    box.path = box.write_config(tmp_path / "sandbox.toml")
    yield box
    box.stop()


def stock_everywhere(box, sku):
    levels = {}
    for name, sim in box.stores.items():
        level = sim.stock(sku)
        levels[name] = level.get("available", level.get("stock_quantity"))
    return levels


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def managed_sku(box):
    master = box.stores["boutique"]
    return next(
        p.sku
        for p in sorted(master.store.posts.values(), key=lambda p: p.id)
        if p.type == "simple" and p.manage_stock and (p.stock_quantity or 0) > 5
    )


def test_a_sale_reaches_every_channel_within_one_inventory_interval(sandbox, tmp_path):
    text = sandbox.path.read_text().replace('inventory = "every 2s"', 'inventory = "every 20s"')
    sandbox.path.write_text(text)
    service = Service([sandbox.path])
    service.start([load_config(sandbox.path)])
    try:
        sku = managed_sku(sandbox)
        assert wait_for(lambda: len(set(_shown(stock_everywhere(sandbox, sku)).values())) == 1, 40), (
            "channels never agreed after the first cycle"
        )
        before = stock_everywhere(sandbox, sku)
        sandbox.stores["de-shop"].sell([{"sku": sku, "quantity": 2}])
        sold_at = time.monotonic()
        expected = {name: qty - 2 for name, qty in before.items()}
        assert wait_for(lambda: stock_everywhere(sandbox, sku) == expected, 20), stock_everywhere(
            sandbox, sku
        )
        assert time.monotonic() - sold_at < 20  # one inventory interval: the orders pull starts the cycle
    finally:
        service.stop()


def _shown(levels):
    return {name: qty + (1 if name != "boutique" else 0) for name, qty in levels.items()}  # buffers of 1


@pytest.mark.slow
def test_service_under_faults_and_sales_stops_on_sigterm_and_resumes(sandbox, tmp_path):
    for sim in sandbox.stores.values():
        sim.set_faults(error_rate=0.1, rate_limit_rate=0.05, retry_after=0, drop_rate=0.05, seed=5)
    command = [
        sys.executable,
        "-m",
        "connector.cli",
        "--log-json",
        "run",
        "-c",
        str(sandbox.path),
        "--health-port",
        "0",
    ]
    stop_sales = threading.Event()
    sold = []

    def customers():
        sku = managed_sku(sandbox)
        while not stop_sales.wait(0.7):
            store = sandbox.stores["de-shop" if len(sold) % 2 else "global"]
            try:
                store.sell([{"sku": sku, "quantity": 1}])
                sold.append(sku)
            except Exception:  # out of stock: a refused checkout
                pass

    log_file = (tmp_path / "service.log").open("w")  # a file, not a pipe: one line per job run fills a pipe
    service = subprocess.Popen(command, env=os.environ.copy(), stderr=log_file, text=True)
    threading.Thread(target=customers, daemon=True).start()
    config = load_config(sandbox.path)
    time.sleep(10)
    assert wait_for(lambda: _runs(config, "ok") > 10, 90), "the service did not get through its jobs"
    stop_sales.set()
    asked = time.monotonic()
    service.send_signal(signal.SIGTERM)
    service.wait(timeout=30)
    assert time.monotonic() - asked < 15
    log_file.close()
    logged = (tmp_path / "service.log").read_text()
    assert service.returncode == 0, logged[-3000:]
    runs = [json.loads(line) for line in logged.splitlines() if '"duration_seconds"' in line]
    assert runs and {"client", "store", "job", "outcome", "counts", "duration_seconds"} <= set(runs[0])
    assert _runs(config, "running") == 0
    with open_state(config.state_path) as state:
        first_restart_run = state.db.execute("select max(id) from sync_runs").fetchone()[0]
        cursors = {(r["store"], r["resource"]): json.loads(r["position"]) for r in state.db["cursors"].rows}
    pulled = {key: c for key, c in cursors.items() if key[1] in ("products", "orders")}
    assert pulled and all(c["high_water"] or c["in_pass"] for c in pulled.values())  # done, or mid-pass
    for sim in sandbox.stores.values():
        sim.set_faults()
    # restart: it continues from the cursors (no pass starts from scratch) and catches up with every sale
    restarted = subprocess.Popen(command, env=os.environ.copy(), stderr=subprocess.DEVNULL)
    try:
        sku = managed_sku(sandbox)
        assert wait_for(lambda: len(set(_shown(stock_everywhere(sandbox, sku)).values())) == 1, 40)
        assert wait_for(lambda: _orders_held(config) == _orders_sold(sandbox), 40)
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=30)
    with open_state(config.state_path) as state:
        first_after = state.db.execute(
            "select counts from sync_runs where id > ? and job = 'pull:products' and store = 'boutique' "
            "and outcome = 'ok' order by id limit 1",
            [first_restart_run],
        ).fetchone()
    # the first products pull after the restart starts from its cursor, not from scratch
    assert json.loads(first_after[0])["read"] < len(sandbox.stores["boutique"].store.products.records)
    assert _orders_held(config) == _orders_sold(sandbox)


def _runs(config, outcome):
    with open_state(config.state_path) as state:
        return state.db.execute("select count(*) from sync_runs where outcome = ?", [outcome]).fetchone()[0]


def _orders_held(config):
    with open_state(config.state_path) as state:
        return state.db.execute("select count(*) from orders").fetchone()[0]


def _orders_sold(box):
    return sum(
        len(sim.store.orders.records) if hasattr(sim, "consumer_key") else sim.control("counts", {})["orders"]
        for sim in box.stores.values()
    )


def test_health_and_metrics_endpoints(sandbox):
    from connector.health import HealthServer

    service = Service([sandbox.path])
    health = HealthServer(service, "127.0.0.1", 0).start()
    service.start([load_config(sandbox.path)])
    try:
        assert wait_for(lambda: _metrics(health.port).count('outcome="ok"') >= 5, 30)
        status, body = _get(health.port, "/healthz")
        assert status == 200 and json.loads(body)["scheduler"] == "running"
        metrics = _metrics(health.port)
        assert 'connector_api_requests_total{client="sandbox",store="boutique"}' in metrics
        assert "connector_lag_seconds" in metrics
    finally:
        service.stop()
        status, body = _get(health.port, "/healthz")
        health.stop()
    assert status == 503


def test_revoked_credential_stops_the_store_once_and_others_go_on(sandbox, caplog):
    os.environ["SANDBOX_GLOBAL_CLIENT_SECRET"] = "shpss_revoked_secret"  # the app's secret was rotated
    service = Service([sandbox.path])
    service.start([load_config(sandbox.path)])
    try:
        runtime = next(iter(service.clients.values()))
        assert wait_for(lambda: runtime.health["global"].disabled is not None, 20)
        assert wait_for(lambda: "pull:orders" in runtime.health["boutique"].last_success, 20)
        time.sleep(3)
    finally:
        service.stop()
    refusals = [r for r in caplog.records if "credential refused" in r.getMessage()]
    assert len(refusals) == 1
    assert "shpss_revoked_secret" not in caplog.text


def _get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _metrics(port):
    return _get(port, "/metrics")[1]


def test_reload_applies_a_valid_config_and_keeps_the_old_one_on_errors(sandbox, caplog):
    service = Service([sandbox.path])
    service.start([load_config(sandbox.path)])
    threading.Thread(target=service.wait, daemon=True).start()  # the main loop, where SIGHUP is acted on
    try:
        job_id = next(j.id for j in service.scheduler.get_jobs() if "|pull:orders|boutique" in j.id)
        assert service.scheduler.get_job(job_id).trigger.interval.total_seconds() == 2
        original = sandbox.path.read_text()
        sandbox.path.write_text(original.replace('orders = "every 2s"', 'orders = "every 7s"'))
        service.request_reload()
        assert wait_for(
            lambda: (
                service.scheduler.get_job(job_id) is not None
                and service.scheduler.get_job(job_id).trigger.interval.total_seconds() == 7
            ),
            10,
        )
        sandbox.path.write_text(original.replace('orders = "every 2s"', 'orders = "sometimes"'))
        service.request_reload()
        assert wait_for(lambda: "kept its previous config" in caplog.text, 10)
        assert service.scheduler.get_job(job_id).trigger.interval.total_seconds() == 7
    finally:
        service.stop()
