"""Every command the README shows, run as a user runs it (a subprocess) against the simulated stores.

Tables are read at 80 columns (COLUMNS=80, as on a terminal of that size): no line is longer, and no value
is cut ("…").
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from connector.sandbox.launch import start_sandbox


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    sandbox = start_sandbox(
        woocommerce=2, shopify=1, products=24, variants=12, orders=40, webhooks=True
    )
    folder = tmp_path_factory.mktemp("readme")
    sandbox.path = sandbox.write_config(folder / "config" / "acme.toml")
    sandbox.folder = folder
    yield sandbox
    sandbox.stop()


def run(box, *args: str, timeout: float = 120, columns: int = 80) -> subprocess.CompletedProcess:
    env = {**os.environ, **box.env, "COLUMNS": str(columns)}
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=box.folder,
    )


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    return result.stdout


def fits_80_columns(text: str) -> None:
    too_long = [line for line in text.splitlines() if len(line) > 80]
    assert not too_long, too_long[:3]
    assert "…" not in text, [line for line in text.splitlines() if "…" in line][:3]


def test_the_readme_commands_in_order(box):
    config = str(box.path)
    out = ok(run(box, "init", "newclient"))
    assert "wrote config/newclient.toml" in out and (box.folder / "config" / "newclient.toml").exists()

    out = ok(run(box, "check", "-c", config))
    assert out.count("ok: reachable, authenticated") == 3
    assert re.search(r"translation +ok: deepl key valid, 0 of 500,000 characters used", out), out

    fits_80_columns(ok(run(box, "sync", "all", "-c", config)))
    out = ok(run(box, "sync", "inventory", "-c", config, "--dry-run"))
    assert "inventory dry run" in out
    fits_80_columns(out)
    out = ok(run(box, "sync", "prices", "-c", config, "--market", "us"))
    assert "prices us in USD" in out and "pushed" in out
    fits_80_columns(out)
    out = ok(run(box, "sync", "translations", "-c", config, "--language", "de", "--dry-run"))
    would = re.search(r"characters it would send: ([\d,]+) to deepl", out)
    assert would and int(would.group(1).replace(",", "")) > 1000, out[-500:]
    fits_80_columns(out)

    status = run(box, "status", "-c", config)
    out = ok(status)
    fits_80_columns(out)
    assert "no service running" in out and "next run" not in out
    assert len(out.splitlines()) < 60  # counts, never the dry run's item list
    runs = json.loads(ok(run(box, "status", "-c", config, "--json")))["runs"]
    translated = next(r for r in runs if r["job"] == "translations")
    assert isinstance(translated["counts"]["items"], int) and translated["counts"]["items"] > 50
    wide = ok(run(box, "status", "-c", config, "--wide"))
    assert max(len(line) for line in wide.splitlines()) > 80  # every column, at its width

    html = box.folder / "report.html"
    out = ok(run(box, "report", "-c", config, "--since", "2026-01-01", "--html", str(html)))
    fits_80_columns(out)
    assert "Sales 2026-01-01" in out and html.stat().st_size > 1000
    fits_80_columns(ok(run(box, "report", "flags", "-c", config, "--since", "2026-01-01")))

    rates = run(box, "rates", "refresh", "-c", config, timeout=90)
    assert "Traceback" not in rates.stderr
    if rates.returncode == 0:  # a machine with a network
        assert "ECB reference rates saved to" in rates.stdout
    else:
        assert rates.returncode == 1 and "could not download the ECB rates from" in rates.stderr

    state = box.path.parent / "sandbox.sqlite"
    with sqlite3.connect(state) as db:
        email = db.execute("select email from customers where email like '%@%' limit 1").fetchone()[0]
    out = ok(run(box, "forget-customer", email, "-c", config))
    assert re.search(rf"erased [1-9]\d* records of {re.escape(email)}", out), out
    with sqlite3.connect(state) as db:
        assert db.execute("select count(*) from customers where email = ?", [email]).fetchone()[0] == 0

    out = ok(run(box, "doctor", "-c", config))
    assert "integrity    ok" in out and "schema " in out and "last runs" in out

    backups = box.folder / "backups"
    backups.mkdir()
    out = ok(run(box, "backup", "-c", config, str(backups)))
    (copy,) = backups.glob("sandbox-*.sqlite")
    assert f"to {copy}" in out
    with sqlite3.connect(copy) as db:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert db.execute("select count(*) from orders").fetchone()[0] > 0

    once = run(box, "run", "--once", "-c", config, timeout=240)
    ok(once)
    logged = [line for line in once.stderr.splitlines() if re.search(r"sandbox/\S+ \S+ ok in [\d.]+ s", line)]
    assert any(" pull:orders ok " in line for line in logged) and any(
        " inventory ok " in line for line in logged
    )

    out = ok(run(box, "webhooks", "install", "-c", config))  # README, Real time
    fits_80_columns(out)
    assert out.count("subscriptions, ") == 3 and "global: 7 subscriptions, 7 created" in out
    out = ok(run(box, "webhooks", "status", "-c", config))
    fits_80_columns(out)
    assert "global: 7/7 active" in out and "boutique: 5/5 active" in out
    fits_80_columns(ok(run(box, "status", "-c", config)))

    # restore, as the README says: the service stopped, the backup copied over the state file
    for suffix in ("-wal", "-shm"):
        Path(f"{state}{suffix}").unlink(missing_ok=True)
    copy.replace(state)
    out = ok(run(box, "status", "-c", config))
    assert "pull:orders" in out


def test_sync_json_writes_only_json_to_stdout_and_no_blank_lines_to_stderr(box):
    result = run(box, "sync", "all", "inventory", "prices", "translations", "-c", str(box.path), "--json")
    summary = json.loads(ok(result))  # the whole of stdout is one JSON document
    assert summary["ok"] and {r["job"] for r in summary["results"]} >= {"pull:orders", "inventory"}
    assert all(line.strip() for line in result.stderr.splitlines()), result.stderr[:500]
