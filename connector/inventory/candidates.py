"""Which SKUs an incremental inventory cycle reads: those with a reason to have changed.

A reason is an order pulled since the last cycle (its lines' SKUs), a product or variant modified since
(the pull's `variants.updated_at`: manual edits and restocks bump it), a write of ours whose outcome is not
known yet, or a change held by the guardrails (re-read until it is folded). Times compare the platforms' update times with the last cycle's start less an overlap, which covers
the delay of the pull behind the platform and clock skew; what slips through is caught by the periodic full
reconciliation.

The mark also lists the channels a cycle could not read (a failing store, or one left out of the cycle): the
first cycle that reads such a channel again reads every SKU, so what it sold meanwhile is folded at once,
whatever the pulls have seen of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.inventory import store
from connector.state import State, iso, parse_iso

CURSOR_STORE = "*inventory"
CURSOR_RESOURCE = "cycle"
OVERLAP = timedelta(minutes=10)
FULL_EVERY = 30  # cycles between full reconciliations (30 minutes on the default 1-minute schedule)


@dataclass
class CycleMark:
    since: datetime | None  # start of the last completed cycle
    cycles_since_full: int
    unread: frozenset[str] = frozenset()  # channels not read since before `since`


def load_mark(state: State) -> CycleMark:
    raw = state.cursor(CURSOR_STORE, CURSOR_RESOURCE)
    if not raw:
        return CycleMark(None, 0)
    data = json.loads(raw)
    return CycleMark(
        parse_iso(data["since"]) if data.get("since") else None,
        int(data.get("cycles", 0)),
        frozenset(data.get("unread", ())),
    )


def save_mark(
    state: State,
    started: datetime,
    *,
    full: bool,
    previous: CycleMark,
    unread: set[str] | frozenset[str] = frozenset(),
) -> None:
    cycles = 0 if full else previous.cycles_since_full + 1
    position = {"since": iso(started), "cycles": cycles}
    if unread:
        position["unread"] = sorted(unread)
    state.set_cursor(CURSOR_STORE, CURSOR_RESOURCE, json.dumps(position))


def needs_full(state: State, mark: CycleMark) -> bool:
    return mark.since is None or mark.cycles_since_full + 1 >= FULL_EVERY or store.pool_is_empty(state)


def changed_skus(state: State, since: datetime) -> set[str]:
    after = iso(since - OVERLAP)
    rows = state.db.execute(
        """select l.sku from order_lines l join orders o on o.store = l.store and o.id = l.order_id
             where o.updated_at >= ? and l.sku is not null
           union select sku from variants where updated_at >= ? and sku is not null""",
        [after, after],
    )
    return {row[0] for row in rows} | store.pending_skus(state) | store.held_skus(state)
