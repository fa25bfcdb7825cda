"""The state file as it is operated: runs that died, counts instead of item lists, backup while writing."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

from connector.state import MIGRATIONS, SCHEMA_VERSION, compact_counts, open_state


def connector(*args, env=None, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_a_one_off_sync_killed_mid_way_shows_as_interrupted(simulators, client_config):
    sim = simulators("woocommerce", "fr")
    sim.seed(products=300, variants=0, customers=1, orders=1, seed=2)
    config = client_config({"fr": sim})
    sim.set_faults(latency_ms=300)  # slow pages: the kill lands while the pull runs
    env = {k: v for k, v in os.environ.items() if k.startswith("ACME_")}
    sync = subprocess.Popen(
        [sys.executable, "-m", "connector.cli", "sync", "products", "-c", str(config.path)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if config.state_path.exists():
                with open_state(config.state_path) as state:
                    if state.db.execute(
                        "select count(*) from sync_runs where outcome = 'running'"
                    ).fetchone()[0]:
                        break
            time.sleep(0.1)
        else:
            raise AssertionError("the sync never started its run")
    finally:
        sync.send_signal(signal.SIGKILL)
        sync.wait(timeout=10)
    with open_state(config.state_path) as state:  # the row says running: its process is gone
        assert state.db.execute("select outcome from sync_runs").fetchone()[0] == "running"
    status = connector("status", "-c", str(config.path), "--json", env=env)
    assert status.returncode == 0, status.stderr
    (run,) = json.loads(status.stdout)["runs"]
    assert run["outcome"] == "interrupted" and "process stopped" in run["error"]
    table = connector("status", "-c", str(config.path), env={**env, "COLUMNS": "80"})
    assert " interrupted " in table.stdout and " running " not in table.stdout


def test_unfinished_runs_of_live_processes_are_left_running(tmp_path):
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with open_state(tmp_path / "s.sqlite") as state:
            live = state.start_run("pull:orders", "fr")
            dead = state.start_run("pull:products", "fr")
            state.db.execute("update sync_runs set pid = ? where id = ?", [alive.pid, live])
            state.db.execute("update sync_runs set pid = ? where id = ?", [2**22 + 12345, dead])
            assert state.close_unfinished_runs() == 1
            outcomes = dict(state.db.execute("select id, outcome from sync_runs").fetchall())
        assert outcomes == {live: "running", dead: "interrupted"}
    finally:
        alive.kill()
        alive.wait()


def test_run_counts_keep_numbers_never_item_lists(tmp_path):
    items = [{"sku": f"S{n}", "translation": "x" * 50} for n in range(3409)]
    counts = {"read": 3, "languages": ["de", "en"], "items": items, "problems": {"missing": ["A", "B", "C"]}}
    assert compact_counts(counts) == {"read": 3, "languages": ["de", "en"], "items": 3409,
                                      "problems": {"missing": ["A", "B", "C"]}}  # fmt: skip
    with open_state(tmp_path / "s.sqlite") as state:
        run = state.start_run("translations", "fr")
        state.finish_run(run, "ok", counts)
        stored = state.db.execute("select counts from sync_runs").fetchone()[0]
    assert json.loads(stored)["items"] == 3409 and len(stored) < 200


def test_the_migration_compacts_rows_written_before_it(tmp_path):
    path = tmp_path / "old.sqlite"
    compacting = next(n for n, m in enumerate(MIGRATIONS) if m.__name__ == "_m_compact_run_counts")
    import sqlite_utils

    db = sqlite_utils.Database(path)
    for migration in MIGRATIONS[:compacting]:
        migration(db)
    db.conn.execute(f"pragma user_version = {compacting}")
    items = [{"sku": f"S{n}", "source": "y" * 80} for n in range(500)]
    db["sync_runs"].insert({"job": "translations", "store": "fr", "started_at": "2026-12-01T00:00:00+00:00",
                            "outcome": "ok", "counts": json.dumps({"items": items, "products": 7})})  # fmt: skip
    db.conn.commit()
    db.conn.close()
    before = path.stat().st_size
    with open_state(path) as state:
        assert state.db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION
        stored = json.loads(state.db.execute("select counts from sync_runs").fetchone()[0])
    assert stored == {"items": 500, "products": 7} and before > 40_000


def test_backup_while_a_writer_commits_is_a_consistent_copy_that_restores(
    tmp_path, client_config, simulators
):
    sim = simulators("woocommerce", "fr")
    config = client_config({"fr": sim})
    stop = threading.Event()
    written = []

    def writer():
        with open_state(config.state_path) as state:
            while not stop.is_set():
                with (
                    state.transaction() as db
                ):  # two rows per transaction: a torn copy would hold an odd count
                    n = len(written)
                    db["orders"].insert_all(
                        [{"store": "fr", "id": f"{n}a", "raw": "z" * 2000}, {"store": "fr", "id": f"{n}b"}]
                    )
                written.append(n)

    with open_state(config.state_path):
        pass
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 200:
            time.sleep(0.01)
        backup = tmp_path / "backup.sqlite"
        result = connector("backup", "-c", str(config.path), str(backup), env=dict(os.environ))
        held_then = len(written)
    finally:
        stop.set()
        thread.join()
    assert result.returncode == 0, result.stderr
    assert f"backed up {config.state_path} to {backup} (integrity checked)" in result.stdout
    with sqlite3.connect(backup) as copy:
        assert copy.execute("pragma integrity_check").fetchone()[0] == "ok"
        rows = copy.execute("select count(*) from orders").fetchone()[0]
    assert rows % 2 == 0 and 400 <= rows <= 2 * held_then + 2
    again = connector("backup", "-c", str(config.path), str(backup), env=dict(os.environ))
    assert again.returncode == 2 and "already exists" in again.stderr
    # restore: the copy replaces the state file (its WAL files removed), and the connector reads it
    for suffix in ("-wal", "-shm"):
        config.state_path.with_name(config.state_path.name + suffix).unlink(missing_ok=True)
    backup.replace(config.state_path)
    doctor = connector("doctor", "-c", str(config.path), "--json", env=dict(os.environ))
    assert doctor.returncode == 0 and json.loads(doctor.stdout)["integrity"] == ["ok"]
