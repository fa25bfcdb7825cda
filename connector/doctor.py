"""`connector doctor`: what shape a client's state file is in, read without writing to it.

It runs SQLite's full `PRAGMA integrity_check`, reads the schema version, the file's size (with its write-ahead
log) and the last runs, and says what to do about a damaged file: restore the last backup
(`connector backup`), or salvage what SQLite can read with the sqlite3 shell's `.recover`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from connector.state import SCHEMA_VERSION

LAST_RUNS = 10
PROBLEMS_SHOWN = 10


@dataclass
class Diagnosis:
    path: Path
    exists: bool = True
    integrity: list[str] = field(default_factory=list)  # ["ok"] when sound
    schema_version: int | None = None
    size_bytes: int = 0
    wal_bytes: int = 0
    last_runs: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exists and self.integrity == ["ok"] and (self.schema_version or 0) <= SCHEMA_VERSION

    def lines(self) -> list[str]:
        if not self.exists:
            return [f"{self.path}: no state file yet (the first sync creates it)"]
        size = f"{self.size_bytes / 1e6:.1f} MB" + (
            f" (+ {self.wal_bytes / 1e6:.1f} MB write-ahead log)" if self.wal_bytes else ""
        )
        lines = [f"state file   {self.path}", f"size         {size}"]
        version = self.schema_version
        if version is None:
            lines.append("schema       unreadable")
        elif version > SCHEMA_VERSION:
            lines.append(
                f"schema       {version}: written by a newer connector (this one knows {SCHEMA_VERSION})"
            )
        else:
            behind = "" if version == SCHEMA_VERSION else f" (migrated to {SCHEMA_VERSION} on next open)"
            lines.append(f"schema       {version}{behind}")
        if self.integrity == ["ok"]:
            lines.append("integrity    ok (PRAGMA integrity_check)")
        else:
            lines.append(f"integrity    DAMAGED: {len(self.integrity)} problem(s), first ones:")
            lines += [f"  {problem}" for problem in self.integrity[:PROBLEMS_SHOWN]]
            lines += [
                "what to do   stop the service for this client, then either restore the last backup:",
                f"               cp BACKUP.sqlite {self.path} && rm -f {self.path}-wal {self.path}-shm",
                "             or salvage what SQLite can still read, and keep the damaged file aside:",
                f"               sqlite3 {self.path} .recover | sqlite3 {self.path}.recovered",
                f"               mv {self.path} {self.path}.damaged && mv {self.path}.recovered {self.path}",
                "             then run `connector sync all` (the pull re-reads what the stores hold)",
            ]
        if self.last_runs:
            lines.append("last runs")
            for run in self.last_runs:
                error = f": {run['error']}" if run.get("error") else ""
                lines.append(
                    f"  {str(run['started_at'])[:19]}  {run['job']:<20} {run['store']:<14} {run['outcome']}{error}"[
                        :160
                    ]
                )
        return lines

    def as_dict(self) -> dict:
        return {
            "path": str(self.path),
            "exists": self.exists,
            "ok": self.ok,
            "integrity": self.integrity,
            "schema_version": self.schema_version,
            "schema_version_known": SCHEMA_VERSION,
            "size_bytes": self.size_bytes,
            "wal_bytes": self.wal_bytes,
            "last_runs": self.last_runs,
        }


def diagnose(path: Path) -> Diagnosis:
    diagnosis = Diagnosis(path)
    if not path.exists():
        diagnosis.exists = False
        return diagnosis
    diagnosis.size_bytes = path.stat().st_size
    wal = path.with_name(path.name + "-wal")
    diagnosis.wal_bytes = wal.stat().st_size if wal.exists() else 0
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        try:
            diagnosis.schema_version = conn.execute("pragma user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            diagnosis.integrity = [f"not readable as an SQLite database: {exc}"]
            return diagnosis
        try:
            diagnosis.integrity = [row[0] for row in conn.execute("pragma integrity_check(100)")]
        except sqlite3.DatabaseError as exc:
            diagnosis.integrity = [str(exc)]
        try:
            conn.row_factory = sqlite3.Row
            diagnosis.last_runs = [
                dict(row)
                for row in conn.execute(
                    "select job, store, started_at, outcome, error from sync_runs order by id desc limit ?",
                    [LAST_RUNS],
                )
            ]
        except sqlite3.DatabaseError:
            pass  # the damage may reach sync_runs itself; the integrity lines say so
    finally:
        conn.close()
    return diagnosis
