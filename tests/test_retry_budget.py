"""The total retry time of one request: a budget the service sets per client, Retry-After honoured within it, and
`run --once` still giving up on an unreachable store at its first attempt."""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from connector.config import load_config
from connector.logs import ClientFilter, JsonLineFormatter
from connector.platforms.errors import TransientError
from connector.platforms.retry import MAX_RETRY_SECONDS, budget_seconds, retry_budget, retrying
from connector.platforms.threads import ContextThreadPool
from connector.scheduler import Service


def recording_sleep(waits):
    def sleep(seconds):
        waits.append(seconds)
        time.sleep(seconds)

    return sleep


def test_no_attempt_starts_after_the_budget():
    calls, waits = [], []

    def always_busy():
        calls.append(1)
        raise TransientError("shop", "HTTP 503")

    policy = retrying(max_attempts=1000, initial_wait=0.05, max_wait=0.05, sleep=recording_sleep(waits))
    with retry_budget(0.4), pytest.raises(TransientError):
        policy.call(always_busy)
    assert 2 <= len(calls) < 1000 and len(waits) == len(calls) - 1
    assert sum(waits) < 0.4  # every wait ended inside the budget: no attempt began after it


def test_retry_after_is_honoured_when_it_ends_within_the_budget_and_ends_the_call_when_not():
    def busy_then(retry_after):
        calls = []

        def call():
            calls.append(1)
            if len(calls) == 1:
                raise TransientError("shop", "HTTP 429", retry_after=retry_after)
            return "done"

        return call, calls

    waits = []
    call, calls = busy_then(0.3)
    with retry_budget(5):
        assert retrying(sleep=recording_sleep(waits)).call(call) == "done"
    assert waits == [0.3] and len(calls) == 2  # the platform's wait, not our backoff

    waits.clear()
    call, calls = busy_then(40)  # ends after the budget: retrying earlier would ignore the platform
    with retry_budget(5), pytest.raises(TransientError, match="HTTP 429"):
        retrying(sleep=recording_sleep(waits)).call(call)
    assert waits == [] and len(calls) == 1


def test_the_budget_follows_the_work_into_the_stores_pool_threads():
    with retry_budget(7), ContextThreadPool(1) as carried, ThreadPoolExecutor(1) as plain:
        assert carried.submit(budget_seconds).result() == 7
        assert plain.submit(budget_seconds).result() == MAX_RETRY_SECONDS  # why the stores use the first
    assert budget_seconds() == MAX_RETRY_SECONDS


def refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: a connection to it is refused


def write_client(tmp_path, *, port, retry_seconds):
    path = tmp_path / "acme.toml"
    path.write_text(
        '[client]\nname = "acme"\nbase_currency = "EUR"\nstate_file = "acme.sqlite"\n'
        f'[stores.boutique]\nplatform = "woocommerce"\nurl = "http://127.0.0.1:{port}"\n'
        'consumer_key = "env:T_KEY"\nconsumer_secret = "env:T_SECRET"\ntimeout = 5\n'
        f"[service]\nretry_seconds = {retry_seconds}\n"
    )
    return path


@pytest.fixture
def keys(monkeypatch):
    monkeypatch.setenv("T_KEY", "ck_" + "1" * 40)
    monkeypatch.setenv("T_SECRET", "cs_" + "2" * 40)


def test_the_service_retries_a_refused_store_for_the_clients_retry_seconds_and_names_the_client(
    tmp_path, keys
):
    config = load_config(write_client(tmp_path, port=refused_port(), retry_seconds=2))
    lines = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(handler.format(record))
    handler.addFilter(ClientFilter())
    handler.setFormatter(JsonLineFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    service = Service([config.path])
    service.start([config], schedule=False)
    try:
        runtime = next(iter(service.clients.values()))
        (result,) = service.run_job(runtime.key, "pull:orders", ("boutique",))
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        runtime.close()
    assert result["outcome"] == "failed" and "refused" in result["error"]
    retries = [line for line in lines if "retrying in" in line]
    assert retries, lines  # the service retries a refused connection (the store may be restarting) ...
    waits = [float(re.search(r"retrying in ([\d.]+)s", line)[1]) for line in retries]
    assert sum(waits) < 2  # ... for its client's retry_seconds, not the 300 s of a one-off command
    assert all('"client": "acme"' in line and '"store": "boutique"' in line for line in retries), retries


def test_run_once_gives_up_on_an_unreachable_store_at_its_first_attempt(tmp_path, keys):
    path = write_client(tmp_path, port=refused_port(), retry_seconds=30)
    result = subprocess.run(
        [sys.executable, "-m", "connector.cli", "run", "--once", "-c", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert result.returncode == 1, result.stderr
    assert "refused" in result.stderr and "boutique" in result.stderr
    assert "retrying in" not in result.stderr and "Traceback" not in result.stderr
