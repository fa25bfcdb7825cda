"""`connector demo` and `connector sandbox`: what an evaluator runs first."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time

import requests
from rich.console import Console

from connector.config import load_config
from connector.demo import demo_cycle


def test_demo_runs_the_whole_cycle_and_the_sale_follows():
    out = io.StringIO()
    outcome = demo_cycle(Console(file=out, width=120), token_ttl=0.25)
    text = out.getvalue()
    assert outcome.failed_jobs == []
    # client credentials with tokens expiring every quarter second (the demo talks to the shop for
    # seconds, so several renewals however fast the machine): renewed on the way, no job failed
    assert outcome.tokens_issued >= 3, text
    for title in ("1. pull", "2. inventory", "3. prices", "4. translations", "5. a customer buys 2 x"):
        assert title in text
    assert outcome.stock_after == {name: qty - 2 for name, qty in outcome.stock_before.items()}
    assert outcome.by_webhook  # the German store's webhook brought the sale, not a poll
    assert outcome.writes_on_second_cycle == 0


def test_connector_demo_as_users_run_it():
    result = subprocess.run(
        [sys.executable, "-m", "connector.cli", "demo"],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    out = result.stdout
    for title in ("1. pull", "2. inventory", "3. prices", "4. translations", "5. a customer buys 2 x"):
        assert title in out
    after_sale = out[out.index("5. a customer buys 2 x") :]
    rows = re.findall(r"│ (\S+)\s+│\s+(\d+) │\s+(\d+) │", after_sale)
    assert len(rows) == 3 and all(int(after) == int(before) - 2 for _, before, after in rows), rows
    assert "a second full cycle with nothing new sends 0 write requests" in out


def test_sandbox_command_writes_a_working_config_and_stops_on_sigterm(tmp_path):
    config_path = tmp_path / "sandbox.toml"
    process = subprocess.Popen(
        [sys.executable, "-m", "connector.cli", "sandbox", "--write-config", str(config_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        exports, urls = {}, {}
        for line in process.stdout:
            fields = line.split()
            if len(fields) == 3 and fields[2].startswith("http://127.0.0.1:"):
                urls[fields[0]] = fields[2]
            if line.startswith("export "):
                key, value = line.removeprefix("export ").strip().split("=", 1)
                exports[key] = value
            if line.startswith("serving until Ctrl-C"):
                break
        assert config_path.exists() and "SANDBOX_BOUTIQUE_KEY" in exports
        assert "SANDBOX_GLOBAL_CLIENT_SECRET" in exports and "access_token" not in config_path.read_text()
        env = {**os.environ, **exports}
        check = subprocess.run(
            [sys.executable, "-m", "connector.cli", "check", "-c", str(config_path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert check.returncode == 0, check.stdout + check.stderr
        assert check.stdout.count(" ok: reachable, authenticated") == 3
        assert "credential: client credentials (Dev Dashboard app)" in check.stdout
        # tokens that expire every second, and a slowed shop: a long sync renews them on the way
        shop = urls["global"]
        assert requests.post(f"{shop}/__sandbox/auth", json={"token_ttl": 1}, timeout=5).ok
        requests.post(f"{shop}/__sandbox/faults", json={"latency_ms": 300}, timeout=5)
        issued = requests.get(f"{shop}/__sandbox/stats", timeout=5).json()["tokens_issued"]
        synced = subprocess.run(
            [sys.executable, "-m", "connector.cli", "sync", "all", "inventory", "-c", str(config_path), "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert synced.returncode == 0, synced.stdout[-2000:] + synced.stderr[-2000:]
        assert all(result["outcome"] == "ok" for result in json.loads(synced.stdout)["results"])
        stats = requests.get(f"{shop}/__sandbox/stats", timeout=5).json()
        assert stats["tokens_issued"] - issued >= 3, stats
        os.environ.update(exports)
        try:
            assert set(load_config(config_path).stores) == {"boutique", "de-shop", "global"}
        finally:
            for key in exports:
                os.environ.pop(key, None)
    finally:
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    assert process.returncode == 0 and time.monotonic() - started < 10
