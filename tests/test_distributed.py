"""The distributed mode as an agency runs it: a Redis server, `connector scheduler`, one `connector worker` per
shard, six clients on the simulators with sales on every channel; shard 1's worker is SIGKILLed in the middle
of an inventory cycle and started again. Once quiet, every stock invariant holds on every client, the killed
cycle's task was delivered again (late acknowledgement), and the recorded lock holders show that no two runs
of one store ever overlapped."""

from __future__ import annotations

import base64
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from redis import Redis
from redis_server import free_port, redis_server

from connector.config import load_config
from connector.distributed.locks import recorded_runs
from connector.sandbox.launch import start_sandbox
from connector.state import open_state

CLIENTS = 6
BUFFERS = {"boutique": 0, "de-shop": 1, "global": 1}  # the sandbox config's inventory channels


@pytest.fixture
def agency(tmp_path, monkeypatch):
    """Six clients, each with a simulated master store, a market store and a Shopify shop; shards 0 and 1."""
    boxes, env, paths = [], dict(os.environ), []
    try:
        for number in range(CLIENTS):
            box = start_sandbox(
                woocommerce=2,
                shopify=1,
                products=6,
                variants=3,
                orders=4,
                seed=number + 1,
                schedule_seconds=2,
            )
            boxes.append(box)
            text = (
                box.config_text.replace('name = "sandbox"', f'name = "client{number}"\nshard = {number % 2}')
                .replace('state_file = "sandbox.sqlite"', f'state_file = "client{number}.sqlite"')
                .replace('"env:SANDBOX_', f'"env:C{number}_SANDBOX_')
                .replace('products = "every 2s"', 'products = "every 20s"')
                .replace('customers = "every 2s"', 'customers = "every 20s"')
                .replace('inventory = "every 2s"', 'inventory = "every 3s"')
                .replace('prices = "every 2s"', 'prices = "every 1h"')
                .replace('translations = "every 2s"', 'translations = "every 1h"')
            )
            path = tmp_path / f"client{number}.toml"
            path.write_text(text)
            paths.append(path)
            for key, value in box.env.items():
                env[f"C{number}_{key}"] = value
                monkeypatch.setenv(f"C{number}_{key}", value)
        yield boxes, paths, env
    finally:
        for box in boxes:
            box.stop()


def wait_for(condition, seconds, every=0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


def shown(sim, sku):
    level = sim.stock(sku)
    return level.get("available", level.get("stock_quantity"))


def pooled_skus(box):
    master = box.stores["boutique"]
    return [
        p.sku
        for p in sorted(master.store.posts.values(), key=lambda p: p.id)
        if p.type == "simple" and p.manage_stock and (p.stock_quantity or 0) > 8
    ][:3]


def ran_inventory(path):
    with open_state(load_config(path).state_path) as state:
        return state.db.execute(
            "select count(*) from sync_runs where job = 'inventory' and outcome = 'ok'"
        ).fetchone()[0]


def unacked_jobs(redis):
    """The jobs delivered and not acknowledged yet, as kombu's Redis transport keeps them."""
    jobs = []
    for raw in redis.hvals("unacked"):
        message = json.loads(raw)[0]
        args = json.loads(base64.b64decode(message["body"]))[0]
        jobs.append((args[0], args[1]))
    return jobs


def test_a_scheduler_and_two_shards_keep_six_clients_exact_through_a_killed_worker(agency, tmp_path):
    boxes, paths, env = agency
    with redis_server(tmp_path) as url:
        redis = Redis.from_url(url)
        env["CONNECTOR_REDIS_URL"] = url
        configs = [arg for path in paths for arg in ("-c", str(path))]
        logs = {}

        def start(name, *args):
            logs[name] = (tmp_path / f"{name}.log").open("a")
            command = [sys.executable, "-m", "connector.cli", *args, *configs]
            return subprocess.Popen(command, env=env, stdout=logs[name], stderr=subprocess.STDOUT)

        def worker(shard):
            return start(
                f"worker{shard}",
                "worker",
                "--shard",
                str(shard),
                "--lease-seconds",
                "3",
                "--redelivery-seconds",
                "4",
            )

        health_port = free_port()
        processes = {
            "scheduler": start("scheduler", "scheduler", "--health-port", str(health_port)),
            "worker0": worker(0),
            "worker1": worker(1),
        }
        try:
            assert wait_for(lambda: all(ran_inventory(p) for p in paths), 60), (
                "not every client got a first cycle"
            )
            # customers buy on every channel of every client while the jobs run
            skus = {number: pooled_skus(box) for number, box in enumerate(boxes)}
            start_stock = {
                (n, sku): shown(box.stores["boutique"], sku) for n, box in enumerate(boxes) for sku in skus[n]
            }
            sold = dict.fromkeys(start_stock, 0)
            stop_sales = threading.Event()
            chooser = random.Random(18)

            def customers():
                while not stop_sales.wait(0.15):
                    number = chooser.randrange(CLIENTS)
                    channel = chooser.choice(list(BUFFERS))
                    sku = chooser.choice(skus[number])
                    try:
                        boxes[number].stores[channel].sell([{"sku": sku, "quantity": 1}])
                    except Exception:  # out of stock there: a refused checkout
                        continue
                    sold[(number, sku)] += 1

            sales = threading.Thread(target=customers, daemon=True)
            sales.start()
            # shard 1's stores answer slowly, so that its inventory cycles last long enough to be killed in
            for number in range(1, CLIENTS, 2):
                for sim in boxes[number].stores.values():
                    sim.set_faults(latency_ms=60)
            victim = processes["worker1"]
            killed_worker = f"shard1-{os.uname().nodename}-{victim.pid}"

            seen = {"read": 0, "open": set()}

            def inventory_running():
                """An inventory cycle of the shard 1 worker holds its stores now (new lock records only)."""
                for raw in redis.lrange("connector:runs", seen["read"], -1):
                    seen["read"] += 1
                    run = json.loads(raw)
                    if run["job"] == "inventory" and run["worker"] == killed_worker:
                        (seen["open"].add if run["event"] == "started" else seen["open"].discard)(
                            run["token"]
                        )
                return bool(seen["open"])

            assert wait_for(inventory_running, 30, every=0.02), (
                "no inventory cycle of shard 1 was seen running"
            )
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=10)
            killed_at = time.time()
            shard_one = {f"client{number}" for number in range(1, CLIENTS, 2)}
            held = [job for job in unacked_jobs(redis) if job[1] == "inventory" and job[0] in shard_one]
            assert held, "the killed cycle's task was acknowledged before it ran to its end"
            # until a worker of shard 1 is back, the scheduler's /healthz and `connector status` say it has none
            assert wait_for(lambda: _status(health_port)["shards_without_worker"] == [1], 20)
            assert _status(health_port)["status"] == "degraded"
            assert _status(health_port, strict=True) == 503
            down = _connector_status(paths[1], env)
            assert "shard 1: no worker;" in down and "connector worker --shard 1" in down
            processes["worker1"] = worker(1)
            # the task of the killed cycle is delivered again and acknowledged once it ran
            assert wait_for(lambda: not set(held) & set(unacked_jobs(redis)), 40), unacked_jobs(redis)
            assert wait_for(lambda: _status(health_port)["shards_without_worker"] == [], 20)
            stop_sales.set()
            sales.join()
            for box in boxes:
                for sim in box.stores.values():
                    sim.set_faults()

            def expected(number, sku):
                pool = start_stock[(number, sku)] - sold[(number, sku)]
                return {name: max(0, pool - buffer) for name, buffer in BUFFERS.items()}

            def in_step():
                return all(
                    {name: shown(boxes[n].stores[name], sku) for name in BUFFERS} == expected(n, sku)
                    for n, sku in start_stock
                )

            # a loaded machine may need several cycles of the slowed shard: the wait is generous, the check exact
            assert wait_for(in_step, 120, every=0.5), {
                (n, sku): (now, expected(n, sku))
                for n, sku in start_stock
                if (now := {name: shown(boxes[n].stores[name], sku) for name in BUFFERS}) != expected(n, sku)
            }
            for number, path in enumerate(paths):
                with open_state(load_config(path).state_path) as state:
                    pools = {
                        r["sku"]: r["quantity"]
                        for r in state.db.query("select sku, quantity from stock_pool")
                    }
                for sku in skus[number]:
                    assert pools[sku] == start_stock[(number, sku)] - sold[(number, sku)]
            assert sum(sold.values()) > 10 and len({n for (n, _sku), count in sold.items() if count}) >= 4
            status = subprocess.run(
                [sys.executable, "-m", "connector.cli", "status", "-c", str(paths[1])],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert status.returncode == 0, status.stderr
            assert "shard 1: 1 worker(s)" in status.stdout
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes.values():
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
            for log in logs.values():
                log.close()
        runs = recorded_runs(redis)
    _assert_no_store_held_twice(runs, killed_worker, killed_at)


def _assert_no_store_held_twice(runs, killed_worker, killed_at):
    """From the recorded lock holders: per store, every run started after the one before it ended; a run of the
    killed worker ended when it was killed."""
    intervals: dict[tuple[str, str], dict[str, list[float]]] = {}
    for run in runs:
        if run["event"] == "coalesced":
            continue
        held = intervals.setdefault((run["client"], run["store"]), {}).setdefault(
            run["token"], [run["start"], None]
        )
        if run["event"] in ("ended", "lost"):
            held[1] = run["end"]
    assert not [r for r in runs if r["event"] == "lost"]
    cut_short = 0
    for store, held in intervals.items():
        spans = []
        for token, (start, end) in held.items():
            if end is None:
                assert token.startswith(killed_worker + "|"), f"{store}: {token} never ended"
                end, cut_short = killed_at, cut_short + 1
            spans.append((start, end, token))
        spans.sort()
        for (_, end, token), (start, _, later) in zip(spans, spans[1:], strict=False):
            assert start >= end, f"{store}: {later} started before {token} ended"
    assert cut_short >= 1  # the killed cycle is among them
    assert len(intervals) == CLIENTS * len(BUFFERS)
    assert sum(len(held) for held in intervals.values()) > 100
    assert any(r["event"] == "coalesced" for r in runs)


def _status(port, strict=False):
    """/healthz of the scheduler; with `strict`, its HTTP status."""
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/healthz{'?strict=1' if strict else ''}"
        ) as answer:
            return answer.status if strict else json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code if strict else json.loads(exc.read())


def _connector_status(path, env):
    status = subprocess.run(
        [sys.executable, "-m", "connector.cli", "status", "-c", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr
    return status.stdout
