"""Push: a market's writes sent in one call to the target's adapter, and those it accepted recorded."""

from __future__ import annotations

from typing import Any

from connector.jobs.prices.lines import FAILED, HELD, PUSHED, TO_PUSH, MarketPlan, PriceLine, text
from connector.platforms.base import StoreAdapter
from connector.state import State, iso, utc_now


def push_plan(plan: MarketPlan, adapter: StoreAdapter, state: State, *, accept_large_changes: bool) -> None:
    """Send the plan's writes in one call to the adapter and record those the target accepted."""
    sending = [
        line
        for line in plan.lines
        if line.status == TO_PUSH or (line.status == HELD and accept_large_changes)
    ]
    if not sending:
        return
    outcomes = {o.sku: o for o in adapter.write_prices([line.write for line in sending if line.write])}
    now = iso(utc_now())
    accepted = []
    for line in sending:
        outcome = outcomes.get(line.sku)
        if outcome is not None and outcome.ok:
            line.status = PUSHED
            accepted.append(line)
        else:
            line.status = FAILED
            line.notes.append(outcome.message if outcome is not None else "the store gave no answer for it")
    rows = [_pushed_row(plan, line, now) for line in accepted]
    if not rows:
        return
    columns = list(rows[0])
    # Plain SQL: sqlite-utils' upsert inserts the key alone first, which NOT NULL columns refuse silently.
    statement = (
        f"insert into pushed_prices ({', '.join(columns)}) values ({', '.join('?' * len(columns))})"
        " on conflict (store, market, sku) do update set "
        + ", ".join(f"{name} = excluded.{name}" for name in columns if name not in ("store", "market", "sku"))
    )
    with state.transaction() as db:
        db.conn.executemany(statement, [[row[name] for name in columns] for row in rows])


def _pushed_row(plan: MarketPlan, line: PriceLine, now: str) -> dict[str, Any]:
    """What was pushed, as the target shows it: `price` the main field, the second price in the column of the
    field the target's shape uses (`compare_at` or `sale`)."""
    write = line.write
    assert write is not None and line.shown is not None
    main, second = line.shown
    in_compare_at = plan.target.offer.shape.record_field == "compare_at_price"
    replaced = line.read or (None, None)
    return {
        "store": plan.target.store,
        "market": plan.market,
        "sku": line.sku,
        "currency": write.currency,
        "price": text(main),
        "compare_at": text(second) if in_compare_at else None,
        "sale": None if in_compare_at else text(second),
        "replaced_price": text(replaced[0]),
        "replaced_second": text(replaced[1]),
        "rate": text(plan.rate.value),
        "rate_date": plan.rate.date.isoformat(),
        "rate_source": plan.rate.source,
        "pushed_at": now,
    }
