"""The inventory part of `connector status`: held stock changes, channels the last cycle set aside, and writes
whose outcome is not settled yet."""

from __future__ import annotations

import json
from typing import Any

from connector.inventory import store
from connector.state import State


def collect(state: State) -> dict[str, Any]:
    set_aside: dict[str, str] = {}
    row = state.db.execute(
        "select counts from sync_runs where job = 'inventory' and outcome = 'ok' order by id desc limit 1"
    ).fetchone()
    for channel, counts in json.loads(row[0] or "{}").items() if row else ():
        if isinstance(counts, dict) and counts.get("error"):
            set_aside[channel] = counts["error"]
    unsettled = dict(
        state.db.execute(
            f"select channel, count(*) from stock_intents where {store.UNSETTLED} group by channel order by channel"
        ).fetchall()
    )
    return {"held": store.open_holds(state), "set_aside": set_aside, "unsettled_writes": unsettled}


def lines(inventory: dict[str, Any], config_path: str) -> list[str]:
    out = []
    for _channel, line in sorted(inventory["set_aside"].items()):
        out.append(f"inventory channel set aside in the last cycle: {line}")
    if inventory["unsettled_writes"]:
        shown = ", ".join(f"{channel} {count}" for channel, count in inventory["unsettled_writes"].items())
        out.append(f"stock writes not settled yet (the next read of the channel settles them): {shown}")
    held = inventory["held"]
    out.append(f"held stock changes: {len(held)}")
    for hold in held:
        out.append(
            f"  {hold['channel']} {hold['sku']}: {hold['baseline']} to {hold['quantity']} since "
            f"{hold['held_at'][:19]}, {hold['reason']}"
        )
    if held:
        out.append(
            "  correct them in the store, or fold them as they are with "
            f"`connector sync inventory -c {config_path} --accept-stock-changes`"
        )
    return out
