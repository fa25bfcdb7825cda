"""`connector backup`: a consistent copy of a client's state file, taken while the service may be writing.

It uses SQLite's online backup API (sqlite3.Connection.backup, https://www.sqlite.org/backup.html) in one
step: the copy is made inside one read transaction, so it is one committed state of the file, never a torn
one, and in WAL mode the service's writers go on meanwhile (readers and writers do not block each other).
Copying in several steps would restart from the first page whenever another connection writes: under a
busy service it could go on for a long time (bench/state_ops.py). A plain `cp` of a file in WAL mode can miss
the write-ahead log or catch it half-written. The copy is checked with PRAGMA integrity_check before it is
kept.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from connector.state import StateError

ONE_STEP = -1  # every page in one step: one read transaction, no restart when the service writes


def backup_state(source: Path, destination: Path) -> Path:
    """Copy `source` to `destination` (a file, or a folder to hold NAME-YYYYmmddTHHMMSSZ.sqlite)."""
    if not source.exists():
        raise StateError(f"{source}: no state file to back up yet (the first sync creates it)")
    if destination.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        destination = destination / f"{source.stem}-{stamp}.sqlite"
    if destination.resolve() == source.resolve():
        raise StateError(f"{destination}: that is the state file itself; back it up to another path")
    if destination.exists():
        raise StateError(f"{destination} already exists; choose a new file name or a folder")
    partial = destination.with_name(destination.name + ".partial")
    try:
        source_conn = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        target_conn = sqlite3.connect(partial)
    except (sqlite3.Error, OSError) as exc:
        raise StateError(f"{destination}: cannot write the backup ({exc}); check the folder") from None
    try:
        source_conn.backup(target_conn, pages=ONE_STEP)
        problems = [row[0] for row in target_conn.execute("pragma integrity_check(5)")]
        if problems != ["ok"]:
            raise StateError(
                f"{source}: the copy fails the integrity check ({'; '.join(problems)}); the state file is "
                "damaged: run `connector doctor -c CONFIG`"
            )
        target_conn.execute("pragma journal_mode = delete")  # one self-contained file
    except sqlite3.DatabaseError as exc:
        partial.unlink(missing_ok=True)
        raise StateError(
            f"{source}: cannot be copied ({exc}); the state file may be damaged: run `connector doctor -c CONFIG`"
        ) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source_conn.close()
        target_conn.close()
    os.chmod(partial, 0o600)
    partial.replace(destination)
    return destination
