"""The inventory tables of the client's state: pools, baselines, write intents and the stock ledger.

Callers hold `state.transaction()` around every write here: a fold, its ledger lines and the intents it
records commit together or not at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from connector.inventory.fold import Entry, Folded, Intent
from connector.records import StockLevel
from connector.state import State, iso, utc_now

CHUNK = 500  # SQLite's bound-parameter limit is well above this
UNSETTLED = "status in ('planned', 'sent')"


@dataclass
class Held:
    """What the state holds for a set of SKUs."""

    pools: dict[str, int] = field(default_factory=dict)
    baselines: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    pending: dict[str, dict[str, Intent]] = field(default_factory=lambda: defaultdict(dict))


def _chunks(skus: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(skus), CHUNK):
        yield skus[start : start + CHUNK]


def load(state: State, skus: Iterable[str] | None) -> Held:
    held = Held()
    queries = (
        [("", [])]
        if skus is None
        else [(f" where sku in ({','.join('?' * len(c))})", c) for c in _chunks(sorted(set(skus)))]
    )
    db = state.db
    for where, args in queries:
        for sku, quantity in db.execute(f"select sku, quantity from stock_pool{where}", args):
            held.pools[sku] = quantity
        for sku, channel, quantity in db.execute(
            f"select sku, channel, quantity from stock_baselines{where}", args
        ):
            held.baselines[sku][channel] = quantity
        pending_where = f"{where} and {UNSETTLED}" if where else f" where {UNSETTLED}"
        for mark, sku, channel, expected, target, status in db.execute(
            f"select mark, sku, channel, expected, target, status from stock_intents{pending_where}", args
        ):
            held.pending[sku][channel] = Intent(mark, channel, expected, target, sent=status == "sent")
    return held


def pending_skus(state: State) -> set[str]:
    return {row[0] for row in state.db.execute(f"select distinct sku from stock_intents where {UNSETTLED}")}


def sent_batches(state: State, channel: str) -> list[list[tuple[Intent, StockLevel]]]:
    """Unsettled sent intents of a channel, grouped as they were sent, in their original order."""
    batches: dict[str, list[tuple[Intent, StockLevel]]] = defaultdict(list)
    for mark, sku, expected, target, batch, variant_id, product_id, item_id in state.db.execute(
        """select mark, sku, expected, target, batch, variant_id, product_id, inventory_item_id
           from stock_intents where channel = ? and status = 'sent' order by rowid""",
        [channel],
    ):
        level = StockLevel(sku, expected, True, variant_id, product_id, item_id)
        batches[batch].append((Intent(mark, channel, expected, target, sent=True), level))
    return list(batches.values())


def pool_is_empty(state: State) -> bool:
    return state.db.execute("select 1 from stock_pool limit 1").fetchone() is None


def save_fold(state: State, sku: str, result: Folded, dropped_channels: Iterable[str] = ()) -> None:
    now = iso(utc_now())
    db = state.db
    if result.started_from is not None:
        db.execute(
            "insert into stock_pool (sku, quantity, started_from, created_at, updated_at) values (?, ?, ?, ?, ?)",
            [sku, result.pool, result.started_from, now, now],
        )
    elif result.pool_change:
        db.execute(
            "update stock_pool set quantity = ?, updated_at = ? where sku = ?", [result.pool, now, sku]
        )
    for channel in dropped_channels:
        db.execute("delete from stock_baselines where sku = ? and channel = ?", [sku, channel])
    for channel, quantity in result.baselines.items():
        db.execute(
            """insert into stock_baselines (sku, channel, quantity, updated_at) values (?, ?, ?, ?)
               on conflict (sku, channel) do update set quantity = excluded.quantity,
                 updated_at = excluded.updated_at where quantity != excluded.quantity""",
            [sku, channel, quantity, now],
        )
    for mark, was_applied in result.settled.items():
        settle(state, mark, "applied" if was_applied else "not_applied", "settled by a later read", now)
    add_ledger(state, sku, result.entries, now)


def add_ledger(state: State, sku: str, entries: list[Entry], now: str | None = None) -> None:
    now = now or iso(utc_now())
    state.db.conn.executemany(
        """insert into stock_ledger (at, sku, channel, kind, cause, change, pool_after, channel_after, mark)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            (now, sku, e.channel, e.kind, e.cause, e.change, e.pool_after, e.channel_after, e.mark)
            for e in entries
        ],
    )


def record_intent(state: State, intent: Intent, level: StockLevel) -> None:
    state.db.execute(
        """insert into stock_intents (mark, sku, channel, expected, target, status, variant_id, product_id,
             inventory_item_id, created_at) values (?, ?, ?, ?, ?, 'planned', ?, ?, ?, ?)""",
        [
            intent.mark,
            level.sku,
            intent.channel,
            intent.expected,
            intent.target,
            level.variant_id,
            level.product_id,
            level.inventory_item_id,
            iso(utc_now()),
        ],
    )


def mark_sent(state: State, marks: list[str], batch: str) -> None:
    """Committed just before the request goes: an intent still `planned` after a crash was never sent."""
    state.db.conn.executemany(
        "update stock_intents set status = 'sent', batch = ? where mark = ?", [(batch, m) for m in marks]
    )


def settle(state: State, mark: str, status: str, message: str = "", now: str | None = None) -> None:
    state.db.execute(
        f"update stock_intents set status = ?, settled_at = ?, message = ? where mark = ? and {UNSETTLED}",
        [status, now or iso(utc_now()), message, mark],
    )


def note_failure(state: State, mark: str, message: str) -> None:
    """A write whose outcome is unknown stays unsettled: the next read of the channel settles it."""
    state.db.execute("update stock_intents set message = ? where mark = ?", [message, mark])


def confirm_write(state: State, sku: str, intent: Intent) -> None:
    """The platform applied the write: the channel's baseline is the target from now on."""
    now = iso(utc_now())
    row = state.db.execute("select quantity from stock_pool where sku = ?", [sku]).fetchone()
    state.db.execute(
        "update stock_baselines set quantity = ?, updated_at = ? where sku = ? and channel = ?",
        [intent.target, now, sku, intent.channel],
    )
    settle(state, intent.mark, "applied", "", now)
    add_ledger(
        state,
        sku,
        [
            Entry(
                intent.channel,
                "sync_write",
                intent.target - intent.expected,
                row[0] if row else 0,
                intent.target,
                intent.mark,
            )
        ],
        now,
    )

