"""State file: versioned schema, migration on open, refusal of newer files, 0600, atomic transactions."""

import sqlite3
import stat

import pytest

from connector import state as state_module
from connector.state import SCHEMA_VERSION, StateError, open_state


def test_new_file_is_private_wal_and_current(tmp_path):
    path = tmp_path / "sub" / "client.sqlite"
    with open_state(path) as state:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert state.db.execute("pragma journal_mode").fetchone()[0] == "wal"
        assert state.db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION
        assert state.db.execute("pragma busy_timeout").fetchone()[0] == state_module.BUSY_TIMEOUT_MS
        assert {"cursors", "sync_runs"} <= set(state.db.table_names())


def test_existing_file_with_loose_mode_is_tightened(tmp_path):
    path = tmp_path / "client.sqlite"
    open_state(path).close()
    path.chmod(0o644)
    open_state(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_older_file_is_migrated_in_order(tmp_path, monkeypatch):
    path = tmp_path / "client.sqlite"
    open_state(path).close()

    def add_notes(db):
        db["notes"].create({"id": int, "text": str}, pk="id")

    monkeypatch.setattr(state_module, "MIGRATIONS", [*state_module.MIGRATIONS, add_notes])
    monkeypatch.setattr(state_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with open_state(path) as state:
        assert "notes" in state.db.table_names()
        assert state.db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION + 1


def test_failed_migration_leaves_the_file_at_its_old_version(tmp_path, monkeypatch):
    path = tmp_path / "client.sqlite"
    open_state(path).close()

    def broken(db):
        db["half_done"].create({"id": int}, pk="id")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(state_module, "MIGRATIONS", [*state_module.MIGRATIONS, broken])
    monkeypatch.setattr(state_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(RuntimeError):
        open_state(path)
    conn = sqlite3.connect(path)
    assert conn.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION
    assert "half_done" not in {r[0] for r in conn.execute("select name from sqlite_master")}


def test_newer_file_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "client.sqlite"
    open_state(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"pragma user_version = {SCHEMA_VERSION + 3}")
    conn.close()
    with pytest.raises(StateError) as caught:
        open_state(path)
    assert "written by a newer connector" in str(caught.value)
    assert "upgrade connector" in str(caught.value)


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "client.sqlite"
    path.write_bytes(b"this is a spreadsheet, not a database" * 100)
    with pytest.raises(StateError) as caught:
        open_state(path)
    assert "not a connector state file" in str(caught.value)
    assert path.read_bytes().startswith(b"this is a spreadsheet")  # nothing held is lost


def test_transaction_is_atomic_across_sqlite_utils_writes(tmp_path):
    with open_state(tmp_path / "c.sqlite") as state:
        with pytest.raises(RuntimeError), state.transaction() as db:
            db["sync_runs"].insert({"job": "pull", "store": "fr", "outcome": "ok"})
            state.set_cursor("fr", "products", "2026-01-01T00:00:00+00:00")
            raise RuntimeError("crash before commit")
        assert state.db["sync_runs"].count == 0
        assert state.cursor("fr", "products") is None
        with state.transaction():
            state.set_cursor("fr", "products", "2026-01-02T00:00:00+00:00")
        assert state.cursor("fr", "products") == "2026-01-02T00:00:00+00:00"


def test_sync_runs_history(tmp_path):
    with open_state(tmp_path / "c.sqlite") as state:
        first = state.start_run("pull", "fr")
        state.finish_run(first, "failed", error="timeout")
        second = state.start_run("pull", "fr")
        state.finish_run(second, "ok", {"created": 3})
        (latest,) = state.last_runs()
        assert latest["id"] == second and latest["outcome"] == "ok" and latest["counts"] == '{"created": 3}'
        assert latest["finished_at"].endswith("+00:00")
