"""The distributed mode's commands as users run them, and the embedded service kept free of them:
`connector run` imports neither Celery nor Redis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from redis import Redis
from redis_server import free_port, redis_server

from connector.config import load_config
from connector.sandbox.launch import start_sandbox
from connector.scheduler import ClientRuntime
from connector.state import open_state


def test_the_embedded_service_imports_neither_celery_nor_redis():
    probe = (
        "import sys, connector.cli, connector.scheduler, connector.status, connector.health\n"
        "connector.cli.build_parser()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('celery', 'kombu', 'redis')))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"
    # while the distributed mode's own modules do load them (the probe above could see them)
    loaded = subprocess.run(
        [sys.executable, "-c", probe.replace("connector.health\n", "connector.health, celery, redis\n")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "'celery'" in loaded.stdout and "'redis'" in loaded.stdout


# --- the commands as users run them -------------------------------------------------------------------------


def connector(*args, env=None, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    box = start_sandbox(woocommerce=2, shopify=1, products=4, variants=2, orders=2, schedule_seconds=1)
    for key, value in box.env.items():
        monkeypatch.setenv(key, value)
    box.path = box.write_config(tmp_path / "sandbox.toml")
    yield box
    box.stop()


def test_a_shard_out_of_range_is_refused_with_the_fix(sandbox):
    sandbox.path.write_text(
        sandbox.path.read_text().replace('name = "sandbox"', 'name = "sandbox"\nshard = -1')
    )
    refused = connector("worker", "--shard", "0", "-c", str(sandbox.path))
    assert refused.returncode == 2
    assert "client.shard: a shard is a whole number from 0 to 999 (got -1)" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_worker_without_clients_on_its_shard_or_without_redis_says_so(sandbox, tmp_path):
    nobody = connector("worker", "--shard", "3", "-c", str(sandbox.path), "--redis", "redis://127.0.0.1:1/0")
    assert nobody.returncode == 2
    assert "no client of these configs is on shard 3" in nobody.stderr and "shard 0" in nobody.stderr
    twin = tmp_path / "twin.toml"
    twin.write_text(sandbox.path.read_text())
    both = connector(
        "scheduler", "-c", str(sandbox.path), "-c", str(twin), "--redis", "redis://127.0.0.1:1/0"
    )
    assert both.returncode == 2 and "both name the client 'sandbox'" in both.stderr
    away = connector("scheduler", "-c", str(sandbox.path), "--redis", "redis://:hunter2secret@127.0.0.1:1/0")
    assert away.returncode == 1
    assert "cannot reach Redis at redis://" in away.stderr and "--redis" in away.stderr
    assert "hunter2secret" not in away.stderr and "Traceback" not in away.stderr


def test_a_shard_without_worker_keeps_each_job_queued_once_until_a_worker_comes(sandbox, tmp_path):
    with redis_server(tmp_path) as url:
        redis = Redis.from_url(url)
        env = {**os.environ, "CONNECTOR_REDIS_URL": url}
        port = free_port()
        log = (tmp_path / "scheduler.log").open("w")
        scheduler = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "connector.cli",
                "scheduler",
                "-c",
                str(sandbox.path),
                "--health-port",
                str(port),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        worker = None
        try:
            planned = len(ClientRuntime(load_config(sandbox.path)).planned_jobs())
            assert wait_for(lambda: redis.llen("shard.0") == planned, 30)
            time.sleep(3)  # three more intervals of every job: none is queued a second time
            assert redis.llen("shard.0") == planned
            health = health_of(port)
            assert health["shards_without_worker"] == [0] and health["shards"]["0"]["queued"] == planned
            worker = subprocess.Popen(
                [sys.executable, "-m", "connector.cli", "worker", "--shard", "0", "-c", str(sandbox.path)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            assert wait_for(lambda: health_of(port)["shards_without_worker"] == [], 30)
            with open_state(load_config(sandbox.path).state_path) as state:
                assert wait_for(lambda: _ok_runs(state) >= planned, 30)
        finally:
            for process in (scheduler, worker):
                if process is not None:
                    process.send_signal(signal.SIGTERM)
                    process.wait(timeout=30)
            log.close()
    assert scheduler.returncode == 0 and worker.returncode == 0, (tmp_path / "scheduler.log").read_text()[
        -3000:
    ]


def _ok_runs(state):
    return state.db.execute("select count(*) from sync_runs where outcome = 'ok'").fetchone()[0]


def health_of(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read())


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False
