"""`connector receiver` as users run it: deliveries from the simulated stores received by a stateless receiver,
queued for the client's shard, kept and processed by the shard's worker. Polling is slowed to an hour, so only
the webhooks can explain a sale reaching the other channels; a forged delivery is refused, and the same
delivery sent twice is kept once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests
from redis_server import redis_server

from connector.config import load_config
from connector.sandbox.launch import start_sandbox
from connector.state import open_state
from connector.webhooks.verify import signature


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    # every schedule at an hour: only the webhooks can bring a sale to the other channels
    box = start_sandbox(
        woocommerce=2, shopify=1, products=6, variants=3, orders=4, schedule_seconds=3600, webhooks=True
    )
    for key, value in box.env.items():
        monkeypatch.setenv(key, value)
    box.path = box.write_config(tmp_path / "sandbox.toml")
    yield box
    box.stop()


def connector(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", *args], capture_output=True, text=True, timeout=120, env=env
    )


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def shown(box, sku):
    levels = {}
    for name, sim in box.stores.items():
        level = sim.stock(sku)
        levels[name] = level.get("available", level.get("stock_quantity"))
    return levels


def inbox_rows(config, event_key="%"):
    with open_state(config.state_path) as state:
        return state.db.execute(
            "select count(*) from webhook_inbox where event_key like ?", [event_key]
        ).fetchone()[0]


def test_the_receiver_queues_verified_deliveries_for_the_shard_whose_worker_processes_them(sandbox, tmp_path):
    with redis_server(tmp_path) as url:
        env = {**os.environ, "CONNECTOR_REDIS_URL": url}
        config = load_config(sandbox.path)
        first = connector("sync", "all", "inventory", "-c", str(sandbox.path), "--json", env=env)
        assert first.returncode == 0, first.stderr[-2000:]
        installed = connector("webhooks", "install", "-c", str(sandbox.path), env=env)
        assert installed.returncode == 0, installed.stdout + installed.stderr
        log = (tmp_path / "processes.log").open("w")
        command = [sys.executable, "-m", "connector.cli"]
        worker = subprocess.Popen(
            [*command, "worker", "--shard", "0", "-c", str(sandbox.path)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        receiver = subprocess.Popen(
            [*command, "receiver", "-c", str(sandbox.path), "--port", str(sandbox.webhook_port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            address = f"http://127.0.0.1:{sandbox.webhook_port}/webhooks/sandbox/global"
            assert wait_for(lambda: _answers(address), 30), "the receiver never listened"
            master = sandbox.stores["boutique"]
            sku = next(
                p.sku
                for p in sorted(master.store.posts.values(), key=lambda p: p.id)
                if p.type == "simple" and p.manage_stock and (p.stock_quantity or 0) > 5
            )
            before = shown(sandbox, sku)
            sandbox.stores["de-shop"].sell([{"sku": sku, "quantity": 2}])  # WooCommerce's webhook
            sandbox.stores["global"].sell([{"sku": sku, "quantity": 1}])  # Shopify's webhook
            expected = {name: quantity - 3 for name, quantity in before.items()}
            assert wait_for(lambda: shown(sandbox, sku) == expected, 60), (shown(sandbox, sku), expected)
            kept = inbox_rows(config)
            assert kept >= 2
            # a delivery signed with the wrong secret is refused; a valid one sent twice is kept once
            body = json.dumps({"id": 990001, "line_items": [{"sku": sku, "quantity": 1}]}).encode()
            headers = {
                "X-Shopify-Topic": "orders/create",
                "X-Shopify-Shop-Domain": "global.myshopify.com",  # as the simulated shop names itself
                "X-Shopify-Event-Id": "distributed-test-1",
                "Content-Type": "application/json",
            }
            forged = requests.post(
                address, data=body, headers={**headers, "X-Shopify-Hmac-SHA256": signature(body, "x")}
            )
            assert forged.status_code == 401
            secret = os.environ["SANDBOX_GLOBAL_CLIENT_SECRET"]
            signed = {**headers, "X-Shopify-Hmac-SHA256": signature(body, secret)}
            assert [requests.post(address, data=body, headers=signed).status_code for _ in range(2)] == [
                200,
                200,
            ]
            assert wait_for(lambda: inbox_rows(config, "shopify:distributed-test-1") == 1, 30)
            time.sleep(1)  # the second copy was queued too: the worker found the event already kept
            assert inbox_rows(config, "shopify:distributed-test-1") == 1
            assert wait_for(lambda: _unprocessed(config) == 0, 30)  # the shard's worker processed every one
        finally:
            for process in (receiver, worker):
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
            log.close()
    assert worker.returncode == 0 and receiver.returncode == 0, (tmp_path / "processes.log").read_text()[
        -3000:
    ]


def _unprocessed(config):
    with open_state(config.state_path) as state:
        return state.db.execute("select count(*) from webhook_inbox where processed_at is null").fetchone()[0]


def _answers(address):
    try:
        return requests.get(address, timeout=2).status_code in (404, 405)
    except requests.ConnectionError:
        return False
