"""Inventory: one stock pool per SKU, kept in step across every channel (store) of the client.

The pooled model (connector/inventory/fold.py): per SKU a pool; per channel a baseline, the quantity the
pool has already accounted for there. A cycle reads the channels' quantities, folds each channel's change
since its baseline into the pool (sales, restocks, manual edits, wherever they happened) and writes each
channel's target (the pool through the channel's rules: buffer, share, maximum, zero-below) where it shows
anything else. The first sight of a SKU starts its pool from the source-of-truth channel; channels that
disagree are listed before anything is written.

A cycle, in order:
1. Candidates. An incremental cycle reads only the SKUs with a reason to have changed: lines of orders pulled
   since the last cycle, products modified since (the pull's variants table), SKUs with a write whose
   outcome is not known yet, and SKUs with a held change. No candidate, no request. Every FULL_EVERY cycles (and on the first cycle, or
   with --full) the cycle reads every SKU of every channel instead: that reconciliation catches what no
   pull reported (an edit on a channel the pull has not seen yet, a missed order).
2. Detect. Read the candidates on every channel (100 SKUs a request on WooCommerce, 250 on Shopify) and fold
   them in one transaction. SKUs where a channel shows something other than its target go on.
3. Write, in rounds. Re-read just those SKUs on every channel right before writing (the read-to-write window
   is one read and one write per channel) and fold again. Then, writes that lower a quantity first, writes
   that raise one after (connector/inventory/phases.py: where the channels' rules split the pool, the
   channels together never show more than it): record each intended write (an intent: expected quantity,
   target, a unique mark) in one transaction, send them, batched at the platform's maximum, and record the
   answers: an applied write moves the channel's baseline by its change; a compare-and-set refusal
   (Shopify: a sale landed in between) sends the SKU into another round within the same run; a write whose
   answer is unknown stays pending and the next read settles it.

Channels fail independently. A channel whose reads fail (a refused credential, a 4xx, retries exhausted) is
left out of the cycle: its baseline waits, and the first cycle that reads it again reads every SKU. A channel
whose writes fail keeps being read (its sales still reach the pool) but gets no more writes this cycle; what
was sent stays recorded as intents, settled exactly by its next read. Either way the other channels are folded
and written as usual, and the channel's result carries one line naming it and the fix.

Guardrails (connector/inventory/guard.py): a drop on a channel other than the source of truth that the orders
pulled for that channel do not explain is held, not folded. Before holding, the cycle pulls that channel's
new orders once, so a sale the orders pull had not seen yet is not held. Held changes are kept in the state
(`stock_holds`), listed, re-read every cycle, and folded once orders explain them or with
`--accept-stock-changes`.

Crash safety: pool, baselines, ledger and intents change in one SQLite transaction per fold and per batch
of answers, and no request is sent inside a transaction. A worker stopped anywhere resumes from the state:
an intent still pending is settled by the next read of its channel (fold.applied): where the platform keeps
the write's mark beside the quantity (WooCommerce: product meta written in the same save as the stock),
applied exactly when the mark is there. On Shopify a write sent but never answered is sent again first, with
the same marks and so the same idempotency key: Shopify answers it from its record of the first call
instead of applying it twice, and that answer settles it exactly; until it has answered, that SKU is not
folded on that channel (its quantity alone cannot tell whether the write was applied).

Platforms: Shopify writes are compare-and-set (`changeFromQuantity` = the quantity just read). WooCommerce
has none; its writes send the change (`inventory_delta`, applied inside the store's own save) rather than
the new quantity, so a sale landing between our read and our write is kept, not overwritten, and shows as a
change at the next read. What remains is the store's own read-modify-write inside one request.

Two cycles never overlap on one state file: an exclusive lock (fcntl) beside it, freed by the OS when the
process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import sys
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from connector import terminal
from connector.binder import Binder, Unbound
from connector.config import ChannelRules, ClientConfig
from connector.inventory import candidates, coverage, phases, store
from connector.inventory.failures import channel_line
from connector.inventory.fold import Folded, Hold, Intent, Seen, Write, fold
from connector.inventory.guard import DropLimits, hold_reason
from connector.inventory.rules import channel_quantity
from connector.platforms.base import StockWrite, StoreAdapter, WriteOutcome
from connector.platforms.errors import PlatformError
from connector.records import StockLevel
from connector.state import State, utc_now

log = logging.getLogger(__name__)

MAX_ROUNDS = 5  # write rounds per cycle; compare-and-set refusals beyond that wait for the next cycle
LISTED = 20  # held changes listed in the summary; `connector status` lists them all


@dataclass
class Channel:
    name: str
    adapter: StoreAdapter
    rules: ChannelRules


@dataclass
class ChannelCounts:
    read: int = 0  # SKU quantities read
    sales: int = 0  # units sold (pool decreases seen on this channel)
    increases: int = 0  # units added (restocks, manual edits)
    accepted: int = 0  # held changes folded with --accept-stock-changes (their units, signed)
    written: int = 0  # writes applied
    conflicts: int = 0  # compare-and-set refusals (redone)
    unsettled: int = 0  # writes whose outcome is not known yet
    read_requests: int = 0
    write_requests: int = 0
    error: str = ""  # one line: the channel was set aside, why, and the fix
    problems: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


@dataclass
class CycleReport:
    full: bool
    dry_run: bool
    channels: dict[str, ChannelCounts]
    planned: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)  # sku -> channel -> old, new
    # first sight of a SKU on a channel showing other than its target: sku, channel, quantity, target
    disagreements: list[tuple[str, str, int, int]] = field(default_factory=list)
    listed: set[tuple[str, str]] = field(default_factory=set)  # (sku, channel) in disagreements
    oversold: dict[str, int] = field(default_factory=dict)  # sku -> negative pool
    held: dict[tuple[str, str], Hold] = field(default_factory=dict)  # (sku, channel) -> held change
    newly_held: set[tuple[str, str]] = field(default_factory=set)
    released: dict[tuple[str, str], str] = field(default_factory=dict)  # (sku, channel) -> how
    rounds: int = 0
    skipped: bool = False  # incremental cycle with no candidate: nothing read

    def as_counts(self, channel: str) -> dict[str, Any]:
        counts = self.channels[channel]
        return {
            "full": self.full,
            "dry_run": self.dry_run,
            "read": counts.read,
            "sales": counts.sales,
            "increases": counts.increases,
            "accepted": counts.accepted,
            "written": counts.written,
            "planned": sum(1 for per in self.planned.values() if channel in per),
            "conflicts": counts.conflicts,
            "unsettled": counts.unsettled,
            "read_requests": counts.read_requests,
            "write_requests": counts.write_requests,
            "problems": {kind: sorted(skus) for kind, skus in sorted(counts.problems.items()) if skus},
            "disagreements": [
                {"sku": sku, "quantity": qty, "target": target}
                for sku, name, qty, target in self.disagreements
                if name == channel
            ],
            "held": [
                {
                    "sku": sku,
                    "baseline": hold.before,
                    "quantity": hold.now,
                    "reason": hold.reason,
                    "new": (sku, name) in self.newly_held,
                }
                for (sku, name), hold in sorted(self.held.items())
                if name == channel
            ],
            "released": [
                {"sku": sku, "how": how}
                for (sku, name), how in sorted(self.released.items())
                if name == channel
            ],
            **({"error": counts.error} if counts.error else {}),
        }


@dataclass
class _ChannelRead:
    levels: dict[str, StockLevel]  # usable: managed, unique
    gone: set[str]  # read and not usable here: missing, unmanaged, duplicate


def channels_of(config: ClientConfig, adapters: dict[str, StoreAdapter]) -> list[Channel]:
    """The configured channels that have an open adapter, source of truth first."""
    rules = configured_channels(config)
    names = [name for name in rules if name in adapters]
    source = config.inventory.source_of_truth
    if source in names:
        names.remove(source)
        names.insert(0, source)
    return [Channel(name, adapters[name], rules[name]) for name in names]


def configured_channels(config: ClientConfig) -> dict[str, ChannelRules]:
    """`inventory.channels`, or every store not in `inventory.excluded` when none is listed."""
    excluded = set(config.inventory.excluded)
    return dict(config.inventory.channels) or {
        name: ChannelRules() for name in config.stores if name not in excluded
    }


class InventorySync:
    def __init__(
        self,
        state: State,
        channels: list[Channel],
        *,
        on_disagreements: Callable[[list[tuple[str, str, int, int]]], None] | None = None,
        source_of_truth: str | None = None,
        configured: Collection[str] = (),
        limits: DropLimits | None = None,
    ):
        """`source_of_truth` names the configured source; when it is not among `channels` (a sync limited
        to other stores), SKUs without a pool are left for a sync that includes it. `configured` names every
        inventory channel of the config, so one left out of this cycle is read in full when it is back."""
        self.state = state
        names = [c.name for c in channels]
        self.starts_pools = source_of_truth is None or source_of_truth in names
        # the guardrails spare the source of truth (the first channel, which pools start from, when none is set)
        self.source = source_of_truth if source_of_truth is not None else (names[0] if names else None)
        self.channels = channels
        self.order = names
        self.configured = set(configured) | set(names)
        self.rules = {c.name: c.rules for c in channels}
        self.limits = limits or DropLimits()
        self.on_disagreements = on_disagreements
        # SKUs the pull found on several variants of a channel: refused there even if a read shows one
        self.ambiguous = {c.name: Binder.of_store(state, c.name).ambiguous() for c in channels}

    def run(
        self,
        *,
        full: bool = False,
        dry_run: bool = False,
        accept_stock_changes: bool = False,
        only: Collection[str] | None = None,
    ) -> CycleReport:
        """`only`: a targeted cycle on just these SKUs (a webhook's hint); it leaves the incremental mark
        alone, so the next scheduled cycle still reads every candidate since the last one."""
        with _exclusive(self.state.path):
            if only is not None:
                return self._targeted(sorted(set(only)))
            return self._run(full, dry_run, accept_stock_changes)

    def _targeted(self, skus: list[str]) -> CycleReport:
        report = CycleReport(False, False, {c.name: ChannelCounts() for c in self.channels})
        self._cycle = _Cycle(accept=False, dry_run=False)
        if not skus or store.pool_is_empty(self.state):
            report.skipped = True  # no pool yet: the first full cycle of the schedule starts it
            return report
        before = {c.name: (c.adapter.requests.reads, c.adapter.requests.writes) for c in self.channels}
        try:
            skus = sorted(set(skus) | self._resend_unsettled(report))
            to_write = self._round(report, skus, send=False, commit=True)
            while to_write and report.rounds < MAX_ROUNDS:
                report.rounds += 1
                to_write = self._round(report, sorted(to_write), send=True, commit=True)
        finally:
            for c in self.channels:
                counts = report.channels[c.name]
                counts.read_requests = c.adapter.requests.reads - before[c.name][0]
                counts.write_requests = c.adapter.requests.writes - before[c.name][1]
        return report

    def _run(self, full: bool, dry_run: bool, accept: bool) -> CycleReport:
        started = utc_now()
        mark = candidates.load_mark(self.state)
        full = full or candidates.needs_full(self.state, mark)
        report = CycleReport(full, dry_run, {c.name: ChannelCounts() for c in self.channels})
        self._cycle = _Cycle(accept=accept, dry_run=dry_run)
        before = {c.name: (c.adapter.requests.reads, c.adapter.requests.writes) for c in self.channels}
        try:
            resent = set() if dry_run else self._resend_unsettled(report)
            skus = None if full else sorted(candidates.changed_skus(self.state, mark.since) | resent)
            if skus == [] and self._answers_again(mark.unread, report):
                report.full = full = True
                skus = None
            if skus == []:
                report.skipped = True
            else:
                to_write = self._round(report, skus, send=False, commit=not dry_run)
                if skus is not None and mark.unread & self._cycle.read_ok:
                    # a channel answers again after cycles without it: read everything once
                    report.full = full = True
                    to_write = self._round(report, None, send=False, commit=not dry_run)
                if report.disagreements and self.on_disagreements and not dry_run:
                    self.on_disagreements(report.disagreements)
                while to_write and not dry_run and report.rounds < MAX_ROUNDS:
                    report.rounds += 1
                    to_write = self._round(report, sorted(to_write), send=True, commit=True)
            if not dry_run:
                cycle = self._cycle
                unread = (self.configured - set(self.order)) | cycle.unreadable
                unread |= mark.unread - cycle.read_ok
                with self.state.transaction():
                    candidates.save_mark(self.state, started, full=full, previous=mark, unread=unread)
        finally:
            for c in self.channels:
                counts = report.channels[c.name]
                counts.read_requests = c.adapter.requests.reads - before[c.name][0]
                counts.write_requests = c.adapter.requests.writes - before[c.name][1]
        return report

    # --- one round: read, fold (and record intents), send ------------------------------------------------

    def _round(self, report: CycleReport, skus: list[str] | None, *, send: bool, commit: bool) -> set[str]:
        """Read `skus` (all when None) on every channel and fold them; with `send`, record and send the
        writes. Answers the SKUs that need (another) write."""
        reads = {c.name: self._read(c, skus, report) for c in self.channels}
        held = store.load(self.state, skus)
        universe = set(skus) if skus is not None else set(held.pools)
        for read in reads.values():
            if read is not None:
                universe |= read.levels.keys()
        if commit:
            self._pull_orders_behind_drops(sorted(universe), reads, held)
        needing: set[str] = set()
        folded: dict[str, Folded] = {}
        transaction = self.state.transaction() if commit else contextlib.nullcontext()
        with transaction:
            for sku in sorted(universe):
                result = self._fold_one(sku, reads, held, report, commit)
                if result is None or not result.writes:
                    continue
                needing.add(sku)
                folded[sku] = result
                if not send:
                    report.planned[sku] = {w.channel: (w.current, w.target) for w in result.writes}
        if not send:
            return needing
        lowered, redo = self._send_phase(
            report, reads, {sku: phases.lowering(r.writes) for sku, r in folded.items()}
        )
        raises = {
            sku: self._allowed_raises(sku, result, reads, held, lowered)
            for sku, result in folded.items()
            if sku not in redo  # a sale landed before a lowering write: read again before raising anything
        }
        return redo | self._send_phase(report, reads, raises)[1]

    def _send_phase(
        self, report: CycleReport, reads: dict[str, _ChannelRead | None], writes: dict[str, list[Write]]
    ) -> tuple[set[tuple[str, str]], set[str]]:
        """Record the writes as intents, then send them per channel. Answers the (sku, channel) applied and
        the SKUs to redo (compare-and-set refusals)."""
        outgoing: dict[str, list[tuple[Intent, StockLevel]]] = defaultdict(list)
        with self.state.transaction():
            for sku, planned in sorted(writes.items()):
                for write in planned:
                    if write.channel in self._cycle.unwritable:
                        continue  # its writes failed earlier in this cycle: the next cycle tries again
                    intent = Intent(uuid.uuid4().hex, write.channel, write.current, write.target)
                    level = reads[write.channel].levels[sku]
                    store.record_intent(self.state, intent, level)
                    outgoing[write.channel].append((intent, level))
        applied: set[tuple[str, str]] = set()
        redo: set[str] = set()
        for channel in self.channels:
            if outgoing.get(channel.name):
                done, again = self._send(channel, outgoing[channel.name], report)
                applied |= {(sku, channel.name) for sku in done}
                redo |= again
        return applied, redo

    def _allowed_raises(
        self,
        sku: str,
        result: Folded,
        reads: dict[str, _ChannelRead | None],
        held: store.Held,
        lowered: set[tuple[str, str]],
    ) -> list[Write]:
        """What each channel of the SKU shows once the lowering writes are done, as far as the pool can tell
        (its last baseline where it was not read; where a write's outcome is unknown, the higher of the two
        quantities the pool may still count there), and the raises that fit in the pool beside it."""
        targets, standing = {}, {}
        lowering = {w.channel: w.target for w in phases.lowering(result.writes)}
        for channel in self.channels:
            read = reads[channel.name]
            level = read.levels.get(sku) if read is not None else None
            pending = held.pending[sku].get(channel.name)
            if (channel.name, sku) in self._cycle.unknown and pending is not None:
                shown = max(pending.expected, pending.target)
            elif level is not None:
                shown = lowering[channel.name] if (sku, channel.name) in lowered else level.quantity
            elif channel.name in held.baselines[sku]:
                shown = held.baselines[sku][channel.name]
            else:
                continue  # the channel does not sell the SKU
            standing[channel.name] = max(0, shown)
            targets[channel.name] = channel_quantity(result.pool, channel.rules)
        return phases.capped_raises(result.pool, targets, standing, phases.raising(result.writes))

    def _read(self, channel: Channel, skus: list[str] | None, report: CycleReport) -> _ChannelRead | None:
        counts = report.channels[channel.name]
        if channel.name in self._cycle.unreadable:
            return None
        try:
            levels = list(channel.adapter.stock_levels(skus))
        except PlatformError as exc:
            self._set_aside(channel, report, "read", exc)
            return None
        self._cycle.read_ok.add(channel.name)
        binder = Binder(
            channel.name,
            ((level.sku, level.variant_id, level) for level in levels),
            ambiguous=self.ambiguous[channel.name],
        )
        read = {sku: binder.bind(sku) for sku in binder.skus()}
        bound = {sku: level for sku, level in read.items() if not isinstance(level, Unbound)}
        counts.read += len(read)
        problems = counts.problems
        for sku in set(skus or ()) | read.keys():
            unbound = read.get(sku) or binder.bind(sku)
            if isinstance(unbound, Unbound):
                problems[unbound.kind].add(sku)  # duplicate_sku or missing: the binder's kinds
        problems["not_managed"] |= {s for s, lv in bound.items() if not lv.managed}
        usable = {s: lv for s, lv in bound.items() if lv.managed}
        problems["negative"] |= {s for s, lv in usable.items() if lv.quantity < 0}
        gone = set(skus or ()) | read.keys()
        return _ChannelRead(usable, gone - usable.keys())

    def _answers_again(self, unread: frozenset[str], report: CycleReport) -> bool:
        """A cycle with nothing to read still asks each channel missed before for one SKU it holds: if one
        answers, the cycle reads everything."""
        for channel in self.channels:
            if channel.name not in unread:
                continue
            row = self.state.db.execute(
                "select sku from stock_baselines where channel = ? limit 1", [channel.name]
            ).fetchone()
            if row is not None and self._read(channel, [row[0]], report) is not None:
                return True
        return False

    def _set_aside(
        self, channel: Channel, report: CycleReport, phase: str, failure: PlatformError | str
    ) -> None:
        cycle = self._cycle
        (cycle.unreadable if phase == "read" else cycle.unwritable).add(channel.name)
        if phase == "read":
            cycle.read_ok.discard(channel.name)
        counts = report.channels[channel.name]
        if not counts.error:
            counts.error = channel_line(channel.name, phase, failure)

    # --- folding one SKU, with the guardrails -------------------------------------------------------------

    def _seen(self, sku: str, reads, held: store.Held, report: CycleReport | None):
        seen: dict[str, Seen] = {}
        dropped: list[str] = []
        for name, read in reads.items():
            if read is None or (name, sku) in self._cycle.unknown:
                continue  # unreadable, or a write whose outcome only a resend can tell: the baseline waits
            level = read.levels.get(sku)
            if level is not None:
                seen[name] = Seen(level.quantity, level.write_mark)
            elif sku in read.gone or name in held.baselines[sku]:
                dropped.append(name)  # missing, unmanaged or duplicated there: left alone, forgotten
                if report is not None:
                    problems = report.channels[name].problems
                    if not any(sku in problems[kind] for kind in ("not_managed", "duplicate_sku")):
                        problems["missing"].add(sku)
        return seen, dropped

    def _fold(self, sku: str, seen, dropped, held: store.Held) -> Folded | None:
        if held.pools.get(sku) is None and not self.starts_pools:
            return None
        read_at = held.read_at[sku]

        def guard(channel: str, pool: int, before: int, now: int) -> str | None:
            if channel == self.source:
                return None
            explained = store.ordered_since(self.state, channel, sku, read_at.get(channel))
            return hold_reason(pool, before, now, explained, self.limits)

        accept = set(held.holds[sku]) if self._cycle.accept else set()
        baselines = {k: v for k, v in held.baselines[sku].items() if k not in dropped}
        return fold(
            held.pools.get(sku), baselines, seen, held.pending[sku], self.rules, self.order, guard, accept
        )

    def _pull_orders_behind_drops(self, skus: list[str], reads, held: store.Held) -> None:
        """Before holding a drop, pull the channel's orders once this cycle: a sale the orders pull has not
        seen yet is explained, not held."""
        behind: set[str] = set()
        for sku in skus:
            seen, dropped = self._seen(sku, reads, held, None)
            result = self._fold(sku, seen, dropped, held)
            if result is not None:
                behind |= set(result.held) - self._cycle.pulled
        from connector.jobs.pull import pull

        for channel in self.channels:
            if channel.name not in behind or "orders" not in channel.adapter.resources:
                continue
            self._cycle.pulled.add(channel.name)
            try:
                pull(self.state, channel.adapter, "orders")
            except PlatformError as exc:  # the hold stands until a later pull explains it
                log.info(
                    "inventory: could not pull the orders of %s to explain a drop: %s", channel.name, exc
                )

    def _fold_one(
        self, sku: str, reads, held: store.Held, report: CycleReport, commit: bool
    ) -> Folded | None:
        seen, dropped = self._seen(sku, reads, held, report)
        result = self._fold(sku, seen, dropped, held)
        if result is None:
            return None
        for entry in result.entries:
            counts = report.channels[entry.channel]
            if entry.kind == "sale":
                counts.sales -= entry.change
            elif entry.kind == "increase":
                counts.increases += entry.change
            elif entry.kind == "accepted":
                counts.accepted += entry.change
        for name, qty, target in result.disagreements:
            if (sku, name) not in report.listed:  # a second detect round (a channel back) lists it once
                report.listed.add((sku, name))
                report.disagreements.append((sku, name, qty, target))
        if result.pool < 0:
            report.oversold[sku] = result.pool
        pending = held.pending[sku]
        open_holds = held.holds[sku]
        for name, hold in result.held.items():
            report.held[(sku, name)] = hold
            if commit and store.record_hold(self.state, sku, name, hold):
                report.newly_held.add((sku, name))
        for name in open_holds:
            if name in result.held:
                continue
            if name in seen or name in dropped:
                accepted = any(e.kind == "accepted" and e.channel == name for e in result.entries)
                how = "abandoned" if name in dropped else "accepted" if accepted else "folded"
                report.released[(sku, name)] = how
                if commit:
                    store.release_hold(self.state, sku, name, how)
            else:  # not read this time: still held
                report.held[(sku, name)] = open_holds[name]
        if commit:
            store.save_fold(self.state, sku, result, dropped)
            for name in dropped:  # the SKU is gone from that channel: a write in flight there is moot
                if name in pending:
                    store.settle(self.state, pending[name].mark, "abandoned", "SKU no longer managed there")
            held.pools[sku] = result.pool
            held.baselines[sku] = dict(result.baselines)
            held.pending[sku] = {k: v for k, v in pending.items() if v.mark not in result.settled}
            held.holds[sku] = dict(result.held)
        return result

    # --- sending --------------------------------------------------------------------------------------------

    def _resend_unsettled(self, report: CycleReport) -> set[str]:
        """Writes sent by a worker that stopped before recording their answer, on channels that keep no mark
        beside the quantity: where the adapter replays a resent write by its marks (Shopify's idempotency
        keys), resending the same batch answers whether it was applied, exactly. Answers their SKUs."""
        skus: set[str] = set()
        for channel in self.channels:
            if not channel.adapter.replays_stock_writes:
                continue
            for batch in store.sent_batches(self.state, channel.name):
                self._send(channel, batch, report)
                skus |= {level.sku for _, level in batch}
        return skus

    def _send(
        self, channel: Channel, items: list[tuple[Intent, StockLevel]], report: CycleReport
    ) -> tuple[set[str], set[str]]:
        """Send one channel's writes; answers the SKUs applied and those refused by compare-and-set."""
        counts = report.channels[channel.name]
        writes = [
            StockWrite(level.sku, intent.target, intent.expected, level, mark=intent.mark)
            for intent, level in items
        ]
        with self.state.transaction():
            store.mark_sent(self.state, [intent.mark for intent, _ in items], uuid.uuid4().hex)
        try:
            outcomes = channel.adapter.write_stock(writes)
        except PlatformError as exc:  # whatever the store did with it, the next read (or resend) tells
            self._set_aside(channel, report, "write", exc)
            outcomes = [WriteOutcome(w.sku, False, message=str(exc)) for w in writes]
        by_sku = {outcome.sku: outcome for outcome in outcomes}
        applied: set[str] = set()
        redo: set[str] = set()
        with self.state.transaction():
            for intent, level in items:
                outcome = by_sku.get(level.sku)
                if outcome is not None and outcome.ok:
                    store.confirm_write(self.state, level.sku, intent)
                    counts.written += 1
                    applied.add(level.sku)
                    self._cycle.unknown.discard((channel.name, level.sku))
                    continue
                if outcome is not None and outcome.conflict:
                    store.settle(
                        self.state, intent.mark, "refused", outcome.message or "compare-and-set refused"
                    )
                    counts.conflicts += 1
                    redo.add(level.sku)
                    self._cycle.unknown.discard((channel.name, level.sku))
                    continue
                message = outcome.message if outcome is not None else "no answer for this write"
                if outcome is not None and outcome.refused:
                    store.settle(self.state, intent.mark, "not_applied", message)
                    self._cycle.unknown.discard((channel.name, level.sku))
                else:
                    store.note_failure(self.state, intent.mark, message)
                    counts.unsettled += 1
                    if channel.adapter.replays_stock_writes:
                        self._cycle.unknown.add((channel.name, level.sku))
                self._set_aside(channel, report, "write", message)
        return applied, redo


@dataclass
class _Cycle:
    """What one cycle learned about its channels."""

    accept: bool = False
    dry_run: bool = False
    read_ok: set[str] = field(default_factory=set)  # read at least once, and never failed a read
    unreadable: set[str] = field(default_factory=set)  # a read failed: left out for the rest of the cycle
    unwritable: set[str] = field(default_factory=set)  # a write failed: no more writes this cycle
    unknown: set[tuple[str, str]] = field(default_factory=set)  # (channel, sku): outcome only a resend tells
    pulled: set[str] = field(default_factory=set)  # channels whose orders were pulled to explain a drop


@contextlib.contextmanager
def _exclusive(state_path: Path) -> Iterator[None]:
    lock_path = state_path.with_name(state_path.name + ".inventory.lock")
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InventoryBusy(
                f"another inventory cycle is running on {state_path}; try again later"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class InventoryBusy(RuntimeError):
    pass


# --- `connector sync inventory` ----------------------------------------------------------------------------


def sync_inventory_command(
    config: ClientConfig,
    state: State,
    adapters: dict[str, StoreAdapter],
    *,
    dry_run: bool = False,
    as_json: bool = False,
    full: bool = False,
    accept_stock_changes: bool = False,
    only: Collection[str] | None = None,
    **_options: Any,
) -> list[dict[str, Any]]:
    from connector.jobs.runner import recorded_run

    channels = channels_of(config, adapters)
    if not channels:
        return [
            {
                "job": "inventory",
                "store": "-",
                "outcome": "failed",
                "error": "no inventory channel configured",
            }
        ]
    out = terminal.stdout_console()
    sync = InventorySync(
        state,
        channels,
        on_disagreements=None if as_json else lambda rows: _print_disagreements(out, rows),
        source_of_truth=config.inventory.source_of_truth,
        configured=configured_channels(config),
        limits=DropLimits(config.inventory.max_drop_percent, config.inventory.max_drop_units),
    )
    holder: dict[str, CycleReport] = {}

    def work() -> dict[str, Any]:
        holder["report"] = report = sync.run(
            full=full, dry_run=dry_run, accept_stock_changes=accept_stock_changes, only=only
        )
        return {name: report.as_counts(name) for name in report.channels}

    names = "+".join(c.name for c in channels)
    try:
        result = recorded_run(state, "inventory", names, work)
    except InventoryBusy as exc:
        return [{"job": "inventory", "store": names, "outcome": "failed", "error": str(exc)}]
    report = holder.get("report")
    if report is None:
        return [result]
    uncovered = coverage.uncovered_stores(config, state)
    if not as_json:
        _print_report(out, report, config)
        for line in [c.error for c in report.channels.values() if c.error] + [u.line() for u in uncovered]:
            print(line, file=sys.stderr)
    results = []
    for name, counts in report.channels.items():
        outcome = "failed" if counts.error else "ok"
        entry = {"job": "inventory", "store": name, "outcome": outcome, **report.as_counts(name)}
        if counts.error:
            entry["error"] = counts.error
            entry["set_aside"] = True
        results.append(entry)
    for gap in uncovered:
        if gap.pooled_skus:  # a store never pulled may sell nothing pooled: `connector check` names it
            results.append({"job": "inventory", "store": gap.store, "outcome": "failed", "error": gap.line()})
    return results


def _print_disagreements(out: Console, rows: list[tuple[str, str, int, int]]) -> None:
    table = terminal.table("first sync: set to their target")
    terminal.columns(table, ("SKU", "channel", "shows", "target"), {"shows", "target"})
    for sku, channel, quantity, target in rows:
        table.add_row(sku, channel, str(quantity), str(target))
    out.print(table)


def _print_report(out: Console, report: CycleReport, config: ClientConfig) -> None:
    if report.dry_run:
        if report.disagreements:
            _print_disagreements(out, report.disagreements)
        table = terminal.table(f"inventory dry run ({'full' if report.full else 'incremental'}): would change")
        terminal.columns(table, ("SKU", *report.channels), set(report.channels))
        for sku, per in sorted(report.planned.items()):
            table.add_row(sku, *(f"{per[n][0]} → {per[n][1]}" if n in per else "" for n in report.channels))
        out.print(table if report.planned else "inventory dry run: nothing would change")
    else:
        title = f"inventory ({'full' if report.full else 'incremental'}, {report.rounds} write rounds)"
        table = terminal.table(title)
        numbers = ("read", "sold", "added", "written", "conflicts", "unsettled", "requests r/w")
        terminal.columns(table, ("channel", *numbers), set(numbers))
        for name, c in report.channels.items():
            table.add_row(
                name,
                *(str(v) for v in (c.read, c.sales, c.increases, c.written, c.conflicts, c.unsettled)),
                f"{c.read_requests}/{c.write_requests}",
            )
        out.print(table)
    for name, counts in report.channels.items():
        for kind, skus in sorted(counts.problems.items()):
            if skus:
                shown = ", ".join(sorted(skus)[:10]) + (" …" if len(skus) > 10 else "")
                out.print(f"{name}: {len(skus)} SKU(s) {_PROBLEM_TEXT[kind]}: {shown}")
    if report.oversold:
        shown = ", ".join(f"{sku} ({pool})" for sku, pool in sorted(report.oversold.items())[:10])
        out.print(f"oversold (pool below zero; every channel shows 0): {shown}")
    for line in held_lines(report.held, config):
        print(line)
    for (sku, channel), how in sorted(report.released.items()):
        print(f"released: {sku} on {channel}, {_RELEASED_TEXT[how]}")


def held_lines(held: dict[tuple[str, str], Hold], config: ClientConfig) -> list[str]:
    """The summary of held changes: one line each (the first LISTED), and how to release them."""
    if not held:
        return []
    lines = [
        f"held, not folded: {sku} on {channel} went from {hold.before} to {hold.now}: {hold.reason}"
        for (sku, channel), hold in sorted(held.items())[:LISTED]
    ]
    if len(held) > LISTED:
        lines.append(f"… and {len(held) - LISTED} more (connector status lists them all)")
    lines.append(
        f"{len(held)} change(s) held: correct the quantity in the store, pull the orders that explain it, "
        f"or fold them as they are with `connector sync inventory -c {config.path} --accept-stock-changes`"
    )
    return lines


_PROBLEM_TEXT = {
    "missing": "not found on this channel, left alone",
    "not_managed": "without managed stock on this channel, left alone (turn on stock management to sync them)",
    "duplicate_sku": "used by two variants on this channel, left alone (give each variant its own SKU)",
    "negative": "below zero on this channel",
}
_RELEASED_TEXT = {
    "folded": "folded (orders explain it, or the quantity was corrected)",
    "accepted": "folded as accepted",
    "abandoned": "the SKU is no longer managed there",
}
