"""The inventory tables of the client's state: pools, baselines, write intents, held changes and the ledger.

Callers hold `state.transaction()` around every write here: a fold, its ledger lines and the intents it
records commit together or not at all.

A baseline's `updated_at` is the time of the read its quantity comes from: a fold sets it when the quantity
read differs, an applied write moves the quantity by the write's change and leaves the time alone (sales
landing between that read and the write belong after it). The guardrails count orders from that time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from connector.inventory.fold import Entry, Folded, Hold, Intent
from connector.records import StockLevel
from connector.state import State, iso, parse_iso, utc_now

CHUNK = 500  # SQLite's bound-parameter limit is well above this
UNSETTLED = "status in ('planned', 'sent')"
# Orders count towards explaining a drop from a little before the baseline's read: platform clocks drift.
CLOCK_SLACK = timedelta(seconds=5)
NO_STOCK_STATUSES = ("cancelled", "failed", "checkout-draft", "trash")  # orders that never took stock


@dataclass
class Held:
    """What the state holds for a set of SKUs."""

    pools: dict[str, int] = field(default_factory=dict)
    baselines: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    read_at: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))  # of each baseline
    pending: dict[str, dict[str, Intent]] = field(default_factory=lambda: defaultdict(dict))
    holds: dict[str, dict[str, Hold]] = field(default_factory=lambda: defaultdict(dict))  # open ones


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
        for sku, channel, quantity, read_at in db.execute(
            f"select sku, channel, quantity, updated_at from stock_baselines{where}", args
        ):
            held.baselines[sku][channel] = quantity
            held.read_at[sku][channel] = read_at
        open_where = f"{where} and released_at is null" if where else " where released_at is null"
        for sku, channel, baseline, quantity, reason in db.execute(
            f"select sku, channel, baseline, quantity, reason from stock_holds{open_where}", args
        ):
            held.holds[sku][channel] = Hold(baseline, quantity, reason)
        pending_where = f"{where} and {UNSETTLED}" if where else f" where {UNSETTLED}"
        for mark, sku, channel, expected, target, status in db.execute(
            f"select mark, sku, channel, expected, target, status from stock_intents{pending_where}", args
        ):
            held.pending[sku][channel] = Intent(mark, channel, expected, target, sent=status == "sent")
    return held


def pending_skus(state: State) -> set[str]:
    return {row[0] for row in state.db.execute(f"select distinct sku from stock_intents where {UNSETTLED}")}


def held_skus(state: State) -> set[str]:
    return {row[0] for row in state.db.execute("select sku from stock_holds where released_at is null")}


def open_holds(state: State) -> list[dict]:
    """Every change held now, oldest first: what `sync inventory`, `status` and the service list."""
    return list(
        state.db.query(
            """select sku, channel, baseline, quantity, reason, held_at from stock_holds
               where released_at is null order by held_at, sku, channel"""
        )
    )


def record_hold(state: State, sku: str, channel: str, hold: Hold) -> bool:
    """Keep a held change (its latest quantity); answers True when it is newly held."""
    now = iso(utc_now())
    updated = state.db.execute(
        """update stock_holds set quantity = ?, reason = ?, updated_at = ?
           where sku = ? and channel = ? and released_at is null and quantity != ?""",
        [hold.now, hold.reason, now, sku, channel, hold.now],
    ).rowcount
    if updated:
        return False
    exists = state.db.execute(
        "select 1 from stock_holds where sku = ? and channel = ? and released_at is null", [sku, channel]
    ).fetchone()
    if exists:
        return False
    state.db.execute(
        """insert into stock_holds (sku, channel, baseline, quantity, reason, held_at, updated_at)
           values (?, ?, ?, ?, ?, ?, ?)""",
        [sku, channel, hold.before, hold.now, hold.reason, now, now],
    )
    return True


def release_hold(state: State, sku: str, channel: str, how: str) -> None:
    now = iso(utc_now())
    state.db.execute(
        """update stock_holds set released_at = ?, released_how = ?, updated_at = ?
           where sku = ? and channel = ? and released_at is null""",
        [now, how, now, sku, channel],
    )


def ordered_since(state: State, channel: str, sku: str, read_at: str | None) -> int:
    """Units of `sku` in the orders pulled for `channel` placed or changed since `read_at` (a baseline's
    read), cancelled and failed ones left out: what explains a drop from that baseline."""
    if read_at is None:
        return 0
    since = iso(parse_iso(read_at) - CLOCK_SLACK)
    row = state.db.execute(
        f"""select coalesce(sum(l.quantity), 0) from order_lines l
              join orders o on o.store = l.store and o.id = l.order_id
            where l.store = ? and l.sku = ? and o.updated_at >= ?
              and o.status not in ({",".join("?" * len(NO_STOCK_STATUSES))})""",
        [channel, sku, since, *NO_STOCK_STATUSES],
    ).fetchone()
    return int(row[0] or 0)


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
    """The platform applied the write: the channel's baseline moves by the write's change (to the target,
    unless a held change sits below it), as of the read the write was computed from."""
    now = iso(utc_now())
    row = state.db.execute("select quantity from stock_pool where sku = ?", [sku]).fetchone()
    state.db.execute(
        "update stock_baselines set quantity = quantity + ? where sku = ? and channel = ?",
        [intent.target - intent.expected, sku, intent.channel],
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

