"""Push: one market's planned writes sent to its target, and what the target accepted recorded."""

from __future__ import annotations

from connector.jobs.translations.plan import MarketPush
from connector.platforms.base import StoreAdapter
from connector.state import State, iso, utc_now


def apply_market(state: State, push: MarketPush, adapter: StoreAdapter) -> None:
    """Send the planned writes and record what the target accepted."""
    outcomes = adapter.write_translations(push.writes) if push.writes else []
    accepted: set[tuple[str, str]] = set()
    for write, outcome in zip(push.writes, outcomes, strict=True):
        if outcome.ok:
            push.pushed += len(write.fields)
            accepted.update((write.product_id, name) for name in write.fields)
        else:
            push.failed += len(write.fields)
            push.errors.append(f"{write.sku}: {outcome.message}")
    now = iso(utc_now())
    rows = [
        {**row, "pushed_at": now} for row in push.ledger if (row["product_id"], row["field"]) in accepted
    ] + [{**row, "pushed_at": now} for row in push.settled]
    if rows:
        with state.transaction() as db:
            # Whole rows: replace, not upsert (sqlite-utils' upsert inserts the key columns first, which the
            # NOT NULL columns refuse, silently under INSERT OR IGNORE).
            db["pushed_translations"].insert_all(
                rows, pk=("store", "market", "language", "product_id", "field"), replace=True
            )
