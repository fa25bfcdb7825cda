"""`connector status`: per store and job, the last run, its outcome and counts, the next run, the cursor
position, and the open data problems.

A `running` row whose process is gone (a one-off sync killed mid-way) reads as interrupted: every row names
its host and process id. The next run is shown only while a service serves this state: the service writes
a heartbeat with the next run of each of its jobs every 30 seconds and after each job.
"""

from __future__ import annotations

import json
from typing import Any

from rich.markup import escape

from connector import terminal
from connector.config import ClientConfig
from connector.inventory import status as inventory_status
from connector.logs import redact
from connector.state import open_state, parse_iso
from connector.webhooks.service import store_health

PROBLEMS_LISTED = 50


def collect_status(config: ClientConfig) -> dict[str, Any]:
    with open_state(config.state_path) as state:
        service = state.live_service()
        next_runs = service["next_runs"] if service else {}
        runs = []
        for run in state.last_runs():
            started = parse_iso(run["started_at"])
            finished = parse_iso(run["finished_at"]) if run["finished_at"] else None
            outcome, error = run["outcome"], run["error"] or None
            if outcome == "running" and not state.run_is_live(run):
                outcome, error = "interrupted", "its process stopped before the run finished"
            runs.append(
                {
                    "job": run["job"],
                    "store": run["store"],
                    "started_at": run["started_at"],
                    "outcome": outcome,
                    "duration_seconds": round((finished - started).total_seconds(), 1) if finished else None,
                    "counts": json.loads(run["counts"] or "{}"),
                    "error": error,
                    "host": run.get("host"),
                    "pid": run.get("pid"),
                    "next_run": next_runs.get(_schedule_key(run["job"], run["store"])),
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
        webhooks = store_health(state, list(config.stores))
    return {
        "client": config.client.name,
        "service": {"host": service["host"], "pid": service["pid"], "beat_at": service["beat_at"]}
        if service
        else None,
        "runs": runs,
        "cursors": cursors,
        "open_problems": open_count,
        "problems": problems,
        "inventory": inventory,
        "store_limits": limits,
        "webhooks": webhooks,
    }


def _schedule_key(job: str, store: str) -> str:
    """The key of the service's job that made this run: `pull:orders|fr`, or the client-wide job's name."""
    if job.startswith("pull:"):
        return f"{job}|{store}"
    return job.split(":", 1)[0]


def _cursor_fields(position: str) -> dict[str, Any]:
    try:
        cursor = json.loads(position)
    except ValueError:
        return {"position": position}
    return {"high_water": cursor.get("high_water"), "in_pass": cursor.get("resume") is not None}


def items_of(counts: dict[str, Any]) -> str:
    items = counts.get("read", counts.get("changed", counts.get("items", counts.get("skus", ""))))
    return str(items) if isinstance(items, int | str) else ""


def print_status(
    config: ClientConfig, *, as_json: bool = False, wide: bool = False, shard: dict[str, Any] | None = None
) -> None:
    """`shard`: in the distributed mode, the client's shard and its live workers (connector/distributed/status.py)."""
    status = collect_status(config)
    if shard is not None:
        status["shard"] = {k: v for k, v in shard.items() if k != "line"}
    if as_json:
        print(redact(json.dumps(status, indent=2, default=str)))
        return
    terminal.set_wide(wide)
    console = terminal.stdout_console()
    service = status["service"]
    serving = f"served by pid {service['pid']} on {service['host']}" if service else "no service running"
    runs = terminal.table(f"{status['client']}: last runs, UTC ({serving})")
    headers = ["store", "job", "started", "outcome", "secs", "items"]
    if service:
        headers.append("next run")
    if wide:
        headers.append("error")
    terminal.columns(runs, headers, {"secs", "items", "started", "next run"})
    errors = []
    for run in status["runs"]:
        started = run["started_at"][:19] if wide else run["started_at"][5:16]
        row = [
            _stores(run["store"], wide),
            run["job"],
            started.replace("T", " "),
            run["outcome"],
            "" if run["duration_seconds"] is None else f"{run['duration_seconds']:g}",
            items_of(run["counts"]),
        ]
        if service:
            upcoming = run["next_run"] or ""
            row.append((upcoming[:19] if wide else upcoming[11:16]).replace("T", " "))
        if wide:
            row.append(redact(run["error"] or ""))
        elif run["error"]:
            errors.append(f"{run['store']} {run['job']}: {run['error']}")
        runs.add_row(*(escape(cell) for cell in row))
    console.print(runs)
    if shard is not None:
        console.print(escape(shard["line"]), soft_wrap=True)
    for line in errors:
        console.print(escape(redact(line)), soft_wrap=True)  # one line each: grep finds it
    if status["cursors"]:
        cursors = terminal.table("cursors")
        terminal.columns(cursors, ["store", "resource", "high water", "pass under way"], {"high water"})
        for c in status["cursors"]:
            high = str(c.get("high_water") or "-")
            cursors.add_row(
                c["store"], c["resource"], high if wide else high[:19], "yes" if c.get("in_pass") else ""
            )
        console.print(cursors)
    for limit in status["store_limits"]:
        console.print(f"{limit['store']}: {limit['message']} (since {limit['first_seen'][:19]})")
    console.print(f"open data problems: {status['open_problems']}")
    for p in status["problems"]:
        console.print(escape(f"  {p['store']} {p['kind']} {p['ref']}: {p['message']}"), soft_wrap=True)
    for line in inventory_status.lines(status["inventory"], str(config.path)):
        print(redact(line))
    for line in webhook_lines(status["webhooks"]):
        console.print(escape(line), soft_wrap=True)


def webhook_lines(webhooks: dict[str, dict[str, Any]]) -> list[str]:
    """One line per store once any store has webhooks: its last delivery and whether they are healthy."""
    if not any(w["installed"] for w in webhooks.values()):
        return []
    lines = []
    for store, hooks in webhooks.items():
        if not hooks["installed"]:
            lines.append(f"webhooks {store}: not installed (polling only)")
            continue
        last = (hooks["last_delivery"] or "never")[:19].replace("T", " ")
        health = "healthy" if hooks["healthy"] else "not healthy (short polling)"
        lines.append(f"webhooks {store}: last delivery {last}, {health}")
    return lines


def _stores(stores: str, wide: bool) -> str:
    """A client-wide job's stores (a+b+c) as a count unless --wide."""
    names = stores.split("+")
    return stores if wide or len(names) == 1 else f"{len(names)} stores"
