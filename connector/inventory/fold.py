"""The pooled model for one SKU, without I/O: fold what the channels show now into the pool.

Each channel has a baseline, the quantity the pool has already accounted for there. A fresh read of the
channel differs from its baseline only by what happened on that channel since: sales lower it, restocks and
manual edits raise or lower it. Folding adds every channel's difference to the pool and moves the baseline
to the quantity read, so each change is counted exactly once whatever the order of reads. Then each channel's
target follows from the pool and its rules, and a channel showing anything else gets a write.

Writes in flight: a write is recorded (an intent: expected quantity, target, mark) before it is sent, and
marked sent just before the request goes. When the channel is read again while the intent is still
unsettled (the worker stopped, or the answer was lost), the read decides: an intent never sent was not
applied; where the platform keeps the mark of the last write beside the quantity, the write was applied
exactly when the mark is there; elsewhere a write counts as applied when its target is what the channel
shows (exact unless the channel also changed since; the job settles such writes by resending them first
where the adapter replays a resent write by its marks). An applied write moves the baseline by the write's own change
before folding, so the write itself is never taken for a sale or a restock.

Held changes (connector/inventory/guard.py): a drop the guard finds implausible is not folded. The channel's
baseline stays where it was, so the change is still there, whole, at every later read: it is folded the day
the guard lets it through (orders explain it) or the merchant accepts it, exactly once either way. A held
channel is never raised (that would undo the drop before anyone looked at it), but it is still lowered when
the pool falls below what it shows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from connector.config import ChannelRules
from connector.inventory.rules import channel_quantity


@dataclass(frozen=True)
class Seen:
    """One channel's quantity of the SKU as just read; `write_mark` None where the platform keeps none."""

    quantity: int
    write_mark: str | None = None


@dataclass(frozen=True)
class Intent:
    mark: str
    channel: str
    expected: int
    target: int
    sent: bool = False  # False: recorded, and the worker stopped before sending it


@dataclass(frozen=True)
class Entry:
    """A ledger line: `change` moves the pool (sale, increase, first sync) or a channel (sync write)."""

    channel: str
    kind: str  # first_sync, sale, increase, accepted (a held change released by hand), sync_write
    change: int
    pool_after: int
    channel_after: int
    mark: str | None = None

    @property
    def cause(self) -> str:
        return {
            "first_sync": f"first sync from {self.channel}",
            "sale": f"sale on {self.channel}",
            "increase": f"increase on {self.channel}",
            "accepted": f"accepted change on {self.channel}",
            "sync_write": f"sync write on {self.channel}",
        }[self.kind]


POOL_KINDS = ("sale", "increase", "accepted")


@dataclass(frozen=True)
class Hold:
    """A change the guard did not let into the pool: the channel went from `before` to `now`."""

    before: int
    now: int
    reason: str


# (channel, pool, baseline, quantity now) -> why the change is held, or None to fold it
Guard = Callable[[str, int, int, int], str | None]


@dataclass(frozen=True)
class Write:
    channel: str
    current: int
    target: int


@dataclass
class Folded:
    pool: int
    baselines: dict[str, int]
    entries: list[Entry] = field(default_factory=list)
    settled: dict[str, bool] = field(default_factory=dict)  # intent mark -> applied
    writes: list[Write] = field(default_factory=list)
    # first sight of the SKU on a channel that shows something else than its target: (channel, quantity, target)
    disagreements: list[tuple[str, int, int]] = field(default_factory=list)
    started_from: str | None = None  # set when this fold started the pool
    held: dict[str, Hold] = field(default_factory=dict)  # channel -> its change, left out of the pool

    @property
    def pool_change(self) -> int:
        return sum(e.change for e in self.entries if e.kind in POOL_KINDS)


def applied(intent: Intent, seen: Seen) -> bool:
    if not intent.sent:
        return False
    if seen.write_mark is not None:
        return seen.write_mark == intent.mark
    return seen.quantity == intent.target


def fold(
    pool: int | None,
    baselines: dict[str, int],
    seen: dict[str, Seen],
    pending: dict[str, Intent],
    rules: dict[str, ChannelRules],
    order: list[str],
    guard: Guard | None = None,
    accept: Collection[str] = (),
) -> Folded | None:
    """Fold the channels in `seen` (managed, readable ones only) into the pool. `order` lists the channels,
    source of truth first. A drop `guard` objects to is held, unless its channel is in `accept`. None when
    no channel shows the SKU and it has no pool yet."""
    baselines = dict(baselines)
    entries: list[Entry] = []
    settled: dict[str, bool] = {}
    for channel, intent in pending.items():
        if channel not in seen:
            continue
        settled[intent.mark] = applied(intent, seen[channel])
        if settled[intent.mark]:
            # the write moved the channel by its own change; a held change below it stays where it was
            change = intent.target - intent.expected
            baselines[channel] = baselines.get(channel, intent.expected) + change
            entries.append(Entry(channel, "sync_write", change, 0, intent.target, intent.mark))

    started_from = None
    if pool is None:
        started_from = next((c for c in order if c in seen), None)
        if started_from is None:
            return None
        pool = seen[started_from].quantity
        entries.append(Entry(started_from, "first_sync", pool, pool, pool))
        baselines = {}
    pool_before = pool
    first_seen: set[str] = set()
    held: dict[str, Hold] = {}
    for channel in order:
        if channel not in seen:
            continue
        now = seen[channel].quantity
        before = baselines.get(channel)
        if before is None:  # first sight of the SKU on this channel: the pool decides, nothing is folded
            first_seen.add(channel)
        elif now != before:
            kind = "sale" if now < before else "increase"
            reason = guard(channel, pool_before, before, now) if guard and now < before else None
            if reason is not None and channel not in accept:
                held[channel] = Hold(before, now, reason)
                continue  # the baseline stays: the change waits, whole, for a later fold
            if reason is not None:
                kind = "accepted"
            pool += now - before
            entries.append(Entry(channel, kind, now - before, pool, now))
        baselines[channel] = now
    entries = [
        Entry(e.channel, e.kind, e.change, pool, e.channel_after, e.mark) if e.kind == "sync_write" else e
        for e in entries
    ]
    writes = []
    for channel in order:
        if channel not in seen:
            continue
        now, target = seen[channel].quantity, channel_quantity(pool, rules[channel])
        if now != target and not (channel in held and target > now):
            writes.append(Write(channel, now, target))
    disagreements = [(w.channel, w.current, w.target) for w in writes if w.channel in first_seen]
    return Folded(pool, baselines, entries, settled, writes, disagreements, started_from, held)
