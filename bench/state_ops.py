"""Operating a large state file: what the integrity checks, the backup and compact run counts cost.

Builds a state of --orders orders (with lines and raw JSON, like a pulled store) and prints, side by side:
- opening it the plain way vs with the open-time PRAGMA quick_check (once per process) vs `doctor`'s full
  integrity_check;
- `connector backup` (SQLite's online backup API, safe while a writer commits) vs a plain file copy (not
  safe in WAL mode), while another process commits every few milliseconds: time, and whether the copy is sound;
- a sync_runs row after a translations dry run of --items fields: the item list stored (before) vs counts.

    .venv/bin/python bench/state_ops.py [--orders 200000] [--items 3409]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from connector import state as state_module
from connector.backup import backup_state
from connector.doctor import diagnose
from connector.state import compact_counts, open_state


def build(path: Path, orders: int) -> None:
    with open_state(path) as state, state.transaction() as db:
        db["orders"].insert_all(
            (
                {"store": "fr", "id": str(n), "number": str(n), "total": "42.00", "created_at": "2026-11-01",
                 "raw": json.dumps({"id": n, "line_items": [{"sku": f"S{n % 5000}", "quantity": 1}] * 3})}
                for n in range(orders)
            ),
            batch_size=2000,
        )  # fmt: skip
        db["order_lines"].insert_all(
            ({"store": "fr", "order_id": str(n), "line_no": 1, "sku": f"S{n % 5000}", "quantity": 1}
             for n in range(orders)),
            batch_size=2000,
        )  # fmt: skip


def write_runs(path: Path, stop, commits) -> None:
    with open_state(path) as state:
        while not stop.is_set():
            with state.transaction() as db:
                db["sync_runs"].insert({"job": "pull:orders", "store": "fr", "started_at": "x", "outcome": "ok"})
            with commits.get_lock():
                commits.value += 1
            time.sleep(0.002)


def timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    value = work()
    return time.perf_counter() - started, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--items", type=int, default=3409)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-state-"))
    path = folder / "acme.sqlite"
    build(path, args.orders)
    size = path.stat().st_size + sum(p.stat().st_size for p in folder.glob("acme.sqlite-*"))
    print(f"state file: {args.orders:,} orders, {size / 1e6:.0f} MB")

    plain, _ = timed(lambda: sqlite3.connect(path).execute("pragma user_version").fetchone())
    state_module._checked.clear()
    first, _ = timed(lambda: open_state(path).close())
    again, _ = timed(lambda: open_state(path).close())
    full, diagnosis = timed(lambda: diagnose(path))
    print("\nopening                          seconds")
    print(f"  plain connect                  {plain:8.3f}")
    print(f"  open_state, first in process   {first:8.3f}   (PRAGMA quick_check)")
    print(f"  open_state, later (every job)  {again:8.3f}")
    print(
        f"  connector doctor               {full:8.3f}   (PRAGMA integrity_check: {diagnosis.integrity[0]})"
    )

    plain_backup, _ = timed(lambda: backup_state(path, folder / "quiet.sqlite"))
    stop, commits = multiprocessing.Event(), multiprocessing.Value("i", 0)
    writer = multiprocessing.Process(target=write_runs, args=(path, stop, commits))  # the service's place
    writer.start()
    try:
        time.sleep(0.5)
        online, copied = timed(lambda: backup_state(path, folder / "online.sqlite"))
        naive, _ = timed(lambda: shutil.copyfile(path, folder / "copy.sqlite"))
    finally:
        stop.set()
        writer.join()

    def sound(copy: Path) -> str:
        try:
            with sqlite3.connect(copy) as db:
                return db.execute("pragma integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            return f"unreadable ({exc})"

    print(f"\nbackup while another process commits ({commits.value} commits during the run)")
    print("  way                            seconds   copy")
    print(f"  connector backup, no writer    {plain_backup:8.3f}   (copy, then integrity_check of the copy)")
    print(f"  connector backup (online API)  {online:8.3f}   integrity {sound(copied)}, one committed state")
    print(f"  cp of the main file            {naive:8.3f}   integrity {sound(folder / 'copy.sqlite')}, "
          "but without the -wal file: the latest commits are missing")  # fmt: skip

    items = [{"product": f"p{n}", "sku": f"S{n}", "field": "description", "language": "de",
              "outcome": "pending", "provider": "deepl", "source": "<p>" + "x" * 300 + "</p>",
              "translation": None, "reason": "dry run: would be sent"} for n in range(args.items)]  # fmt: skip
    counts = {"languages": ["de"], "products": args.items // 3, "pending": args.items, "items": items}
    before, after = len(json.dumps(counts)), len(json.dumps(compact_counts(counts)))
    print(f"\nsync_runs row after a translations dry run of {args.items:,} fields")
    print(f"  item list stored (before)      {before:>10,} bytes")
    print(f"  counts only (now)              {after:>10,} bytes   ({before / after:,.0f}x smaller)")
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
