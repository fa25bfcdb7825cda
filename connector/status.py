"""`connector status`: per store and job, the last run, its outcome and counts, the next run, the cursor
position, and the open data problems."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from typing import Any

from rich.console import Console
from rich.table import Table

from connector.config import ClientConfig, schedule_seconds
from connector.inventory import status as inventory_status
from connector.logs import redact
from connector.state import iso, open_state, parse_iso

PROBLEMS_LISTED = 50


def collect_status(config: ClientConfig) -> dict[str, Any]:
    with open_state(config.state_path) as state:
        runs = []
        for run in state.last_runs():
            started = parse_iso(run["started_at"])
            finished = parse_iso(run["finished_at"]) if run["finished_at"] else None
            interval = schedule_seconds(getattr(config.schedules, _schedule_key(run["job"]), "") or "")
            runs.append(
                {
                    "job": run["job"],
                    "store": run["store"],
                    "started_at": run["started_at"],
                    "outcome": run["outcome"],
                    "duration_seconds": round((finished - started).total_seconds(), 1) if finished else None,
                    "counts": json.loads(run["counts"] or "{}"),
                    "error": run["error"] or None,
                    "next_run": iso(started + timedelta(seconds=interval)) if interval else None,
                }
            )
        cursors = [
            {"store": r["store"], "resource": r["resource"], **_cursor_fields(r["position"])}
            for r in state.db.query("select store, resource, position from cursors order by store, resource")
        ]
        problems = list(
            state.db.query(
                "select store, resource, kind, ref, message, last_seen from data_problems "
                "where resolved_at is null order by store, kind, ref limit ?",
                [PROBLEMS_LISTED],
            )
        )
        open_count = state.db.execute(
            "select count(*) from data_problems where resolved_at is null"
        ).fetchone()[0]
        inventory = inventory_status.collect(state)
        # What a store cannot give (personal data refused, its bulk operations all in use), said once each.
        limits = list(state.db.query("select store, kind, message, first_seen from store_limits order by store, kind"))
    return {
        "client": config.client.name,
        "runs": runs,
        "cursors": cursors,
        "open_problems": open_count,
        "problems": problems,
        "inventory": inventory,
        "store_limits": limits,
    }


def _schedule_key(job: str) -> str:
    return job.split(":", 1)[1] if job.startswith("pull:") else job


def _cursor_fields(position: str) -> dict[str, Any]:
    try:
        cursor = json.loads(position)
    except ValueError:
        return {"position": position}
    return {"high_water": cursor.get("high_water"), "in_pass": cursor.get("resume") is not None}


def print_status(config: ClientConfig, *, as_json: bool = False) -> None:
    status = collect_status(config)
    if as_json:
        print(redact(json.dumps(status, indent=2, default=str)))
        return
    console = Console(file=sys.stdout)
    runs = Table(title=f"{status['client']}: last runs")
    for column in ("store", "job", "started", "outcome", "seconds", "items", "next run"):
        runs.add_column(column)
    for run in status["runs"]:
        counts = run["counts"]
        items = counts.get("read", counts.get("changed", counts.get("items", "")))
        outcome = run["outcome"] if not run["error"] else f"{run['outcome']}: {run['error']}"
        runs.add_row(
            run["store"],
            run["job"],
            run["started_at"][:19],
            redact(outcome),
            str(run["duration_seconds"] or ""),
            str(items),
            (run["next_run"] or "")[:19],
        )
    console.print(runs)
    if status["cursors"]:
        cursors = Table(title="cursors")
        for column in ("store", "resource", "high water", "pass under way"):
            cursors.add_column(column)
        for c in status["cursors"]:
            cursors.add_row(
                c["store"], c["resource"], str(c.get("high_water") or "-"), "yes" if c.get("in_pass") else ""
            )
        console.print(cursors)
    for limit in status["store_limits"]:
        console.print(f"{limit['store']}: {limit['message']} (since {limit['first_seen'][:19]})")
    console.print(f"open data problems: {status['open_problems']}")
    for p in status["problems"]:
        console.print(f"  {p['store']} {p['kind']} {p['ref']}: {p['message']}")
    for line in inventory_status.lines(status["inventory"], str(config.path)):
        print(redact(line))
