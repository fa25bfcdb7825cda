"""Inventory: one stock pool per SKU, kept in step across every channel (store) of the client.

The pooled model (connector/inventory/fold.py): per SKU a pool; per channel a baseline, the quantity the
pool has already accounted for there. A cycle reads the channels' quantities, folds each channel's change
since its baseline into the pool (sales, restocks, manual edits, wherever they happened) and writes each
channel's target (the pool through the channel's rules: buffer, share, maximum, zero-below) where it shows
anything else. The first sight of a SKU starts its pool from the source-of-truth channel; channels that
disagree are listed before anything is written.

A cycle, in order:
1. Candidates. An incremental cycle reads only the SKUs with a reason to have changed: lines of orders pulled
   since the last cycle, products modified since (the pull's variants table), and SKUs with a write whose
   outcome is not known yet. No candidate, no request. Every FULL_EVERY cycles (and on the first cycle, or
   with --full) the cycle reads every SKU of every channel instead: that reconciliation catches what no
   pull reported (an edit on a channel the pull has not seen yet, a missed order).
2. Detect. Read the candidates on every channel (100 SKUs a request on WooCommerce, 250 on Shopify) and fold
   them in one transaction. SKUs where a channel shows something other than its target go on.
3. Write, in rounds. Re-read just those SKUs on every channel right before writing (the read-to-write window
   is one read and one write per channel), fold again, and in the same transaction record every intended
   write (an intent: expected quantity, target, a unique mark). Then send them, batched at the platform's
   maximum, and record the answers: an applied write moves the channel's baseline to its target; a
   compare-and-set refusal (Shopify: a sale landed in between) sends the SKU into another round within the
   same run; a write whose answer is unknown stays pending and the next read settles it.

Crash safety: pool, baselines, ledger and intents change in one SQLite transaction per fold and per batch
of answers, and no request is sent inside a transaction. A worker stopped anywhere resumes from the state:
an intent still pending is settled by the next read of its channel (fold.applied): where the platform keeps
the write's mark beside the quantity (WooCommerce: product meta written in the same save as the stock),
applied exactly when the mark is there. On Shopify a write sent but never answered is sent again first, with
the same marks and so the same idempotency key: Shopify answers it from its record of the first call
instead of applying it twice, and that answer settles it exactly.

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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from connector.binder import Binder, Unbound
from connector.config import ChannelRules, ClientConfig
from connector.inventory import candidates, store
from connector.inventory.fold import Folded, Intent, Seen, fold
from connector.platforms.base import StockWrite, StoreAdapter, WriteOutcome
from connector.platforms.errors import AuthError, PlatformError
from connector.records import StockLevel
from connector.state import State, utc_now

log = logging.getLogger(__name__)

MAX_ROUNDS = 5  # write rounds per cycle; compare-and-set refusals beyond that wait for the next cycle


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
    written: int = 0  # writes applied
    conflicts: int = 0  # compare-and-set refusals (redone)
    unsettled: int = 0  # writes whose outcome is not known yet
    read_requests: int = 0
    write_requests: int = 0
    error: str = ""
    problems: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


@dataclass
class CycleReport:
    full: bool
    dry_run: bool
    channels: dict[str, ChannelCounts]
    planned: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)  # sku -> channel -> old, new
    disagreements: list[tuple[str, str, int, int]] = field(default_factory=list)  # sku, channel, qty, pool
    oversold: dict[str, int] = field(default_factory=dict)  # sku -> negative pool
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
            "written": counts.written,
            "planned": sum(1 for per in self.planned.values() if channel in per),
            "conflicts": counts.conflicts,
            "unsettled": counts.unsettled,
            "read_requests": counts.read_requests,
            "write_requests": counts.write_requests,
            "problems": {kind: sorted(skus) for kind, skus in sorted(counts.problems.items()) if skus},
            "disagreements": [
                {"sku": sku, "quantity": qty, "pool": pool}
                for sku, name, qty, pool in self.disagreements
                if name == channel
            ],
        }


@dataclass
class _ChannelRead:
    levels: dict[str, StockLevel]  # usable: managed, unique
    gone: set[str]  # read and not usable here: missing, unmanaged, duplicate


def channels_of(config: ClientConfig, adapters: dict[str, StoreAdapter]) -> list[Channel]:
    """The configured channels that have an open adapter, source of truth first."""
    rules = dict(config.inventory.channels) or {name: ChannelRules() for name in config.stores}
    names = [name for name in rules if name in adapters]
    source = config.inventory.source_of_truth
    if source in names:
        names.remove(source)
        names.insert(0, source)
    return [Channel(name, adapters[name], rules[name]) for name in names]


class InventorySync:
    def __init__(
        self,
        state: State,
        channels: list[Channel],
        *,
        on_disagreements: Callable[[list[tuple[str, str, int, int]]], None] | None = None,
        source_of_truth: str | None = None,
    ):
        """`source_of_truth` names the configured source; when it is not among `channels` (a sync limited
        to other stores), SKUs without a pool are left for a sync that includes it."""
        self.state = state
        self.starts_pools = source_of_truth is None or source_of_truth in {c.name for c in channels}
        self.channels = channels
        self.order = [c.name for c in channels]
        self.rules = {c.name: c.rules for c in channels}
        self.on_disagreements = on_disagreements
        # SKUs the pull found on several variants of a channel: refused there even if a read shows one
        self.ambiguous = {c.name: Binder.of_store(state, c.name).ambiguous() for c in channels}

    def run(self, *, full: bool = False, dry_run: bool = False) -> CycleReport:
        with _exclusive(self.state.path):
            return self._run(full, dry_run)

    def _run(self, full: bool, dry_run: bool) -> CycleReport:
        started = utc_now()
        mark = candidates.load_mark(self.state)
        full = full or candidates.needs_full(self.state, mark)
        report = CycleReport(full, dry_run, {c.name: ChannelCounts() for c in self.channels})
        before = {c.name: (c.adapter.requests.reads, c.adapter.requests.writes) for c in self.channels}
        try:
            resent = set() if dry_run else self._resend_unsettled(report)
            skus = None if full else sorted(candidates.changed_skus(self.state, mark.since) | resent)
            if skus == []:
                report.skipped = True
            else:
                to_write, readable = self._round(report, skus, send=False, commit=not dry_run)
                if report.disagreements and self.on_disagreements and not dry_run:
                    self.on_disagreements(report.disagreements)
                while to_write and not dry_run and report.rounds < MAX_ROUNDS:
                    report.rounds += 1
                    to_write, _ = self._round(report, sorted(to_write), send=True, commit=True)
                if not dry_run and readable:
                    with self.state.transaction():
                        candidates.save_mark(self.state, started, full=full, previous=mark)
        finally:
            for c in self.channels:
                counts = report.channels[c.name]
                counts.read_requests = c.adapter.requests.reads - before[c.name][0]
                counts.write_requests = c.adapter.requests.writes - before[c.name][1]
        return report

    # --- one round: read, fold (and record intents), send ------------------------------------------------

    def _round(self, report: CycleReport, skus: list[str] | None, *, send: bool, commit: bool):
        """Read `skus` (all when None) on every channel and fold them; with `send`, record and send the
        writes. Answers the SKUs that need (another) write and whether every channel could be read."""
        reads = {c.name: self._read(c, skus, report) for c in self.channels}
        held = store.load(self.state, skus)
        universe = set(skus) if skus is not None else set(held.pools)
        for read in reads.values():
            if read is not None:
                universe |= read.levels.keys()
        needing: set[str] = set()
        outgoing: dict[str, list[tuple[Intent, StockLevel]]] = defaultdict(list)
        transaction = self.state.transaction() if commit else contextlib.nullcontext()
        with transaction:
            for sku in sorted(universe):
                result = self._fold_one(sku, reads, held, report, commit)
                if result is None or not result.writes:
                    continue
                needing.add(sku)
                if not send:
                    report.planned[sku] = {w.channel: (w.current, w.target) for w in result.writes}
                    continue
                for write in result.writes:
                    intent = Intent(uuid.uuid4().hex, write.channel, write.current, write.target)
                    level = reads[write.channel].levels[sku]
                    store.record_intent(self.state, intent, level)
                    outgoing[write.channel].append((intent, level))
        readable = all(read is not None for read in reads.values())
        if not send:
            return needing, readable
        redo: set[str] = set()
        for channel in self.channels:
            if outgoing.get(channel.name):
                redo |= self._send(channel, outgoing[channel.name], report)
        return redo, readable

    def _read(self, channel: Channel, skus: list[str] | None, report: CycleReport) -> _ChannelRead | None:
        counts = report.channels[channel.name]
        try:
            levels = list(channel.adapter.stock_levels(skus))
        except PlatformError as exc:
            if isinstance(exc, AuthError):
                raise
            counts.error = str(exc)
            log.warning("inventory: cannot read %s, left out of this cycle: %s", channel.name, exc)
            return None
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

    def _fold_one(
        self, sku: str, reads, held: store.Held, report: CycleReport, commit: bool
    ) -> Folded | None:
        seen: dict[str, Seen] = {}
        dropped: list[str] = []
        for name, read in reads.items():
            if read is None:  # unreadable this cycle: its baseline waits for the next read
                continue
            level = read.levels.get(sku)
            if level is not None:
                seen[name] = Seen(level.quantity, level.write_mark)
            elif sku in read.gone or name in held.baselines[sku]:
                dropped.append(name)  # missing, unmanaged or duplicated there: left alone, forgotten
                problems = report.channels[name].problems
                if not any(sku in problems[kind] for kind in ("not_managed", "duplicate_sku")):
                    problems["missing"].add(sku)
        if held.pools.get(sku) is None and not self.starts_pools:
            return None
        baselines = {k: v for k, v in held.baselines[sku].items() if k not in dropped}
        pending = held.pending[sku]
        result = fold(held.pools.get(sku), baselines, seen, pending, self.rules, self.order)
        if result is None:
            return None
        for entry in result.entries:
            counts = report.channels[entry.channel]
            if entry.kind == "sale":
                counts.sales -= entry.change
            elif entry.kind == "increase":
                counts.increases += entry.change
        if result.started_from is not None:
            report.disagreements += [(sku, name, qty, result.pool) for name, qty in result.disagreements]
        if result.pool < 0:
            report.oversold[sku] = result.pool
        if commit:
            store.save_fold(self.state, sku, result, dropped)
            for name in dropped:  # the SKU is gone from that channel: a write in flight there is moot
                if name in pending:
                    store.settle(self.state, pending[name].mark, "abandoned", "SKU no longer managed there")
            held.pools[sku] = result.pool
            held.baselines[sku] = dict(result.baselines)
            held.pending[sku] = {k: v for k, v in pending.items() if v.mark not in result.settled}
        return result

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
    ) -> set[str]:
        counts = report.channels[channel.name]
        writes = [
            StockWrite(level.sku, intent.target, intent.expected, level, mark=intent.mark)
            for intent, level in items
        ]
        with self.state.transaction():
            store.mark_sent(self.state, [intent.mark for intent, _ in items], uuid.uuid4().hex)
        try:
            outcomes = channel.adapter.write_stock(writes)
        except PlatformError as exc:
            if isinstance(exc, AuthError):
                raise
            outcomes = [WriteOutcome(w.sku, False, message=str(exc)) for w in writes]
        by_sku = {outcome.sku: outcome for outcome in outcomes}
        redo: set[str] = set()
        with self.state.transaction():
            for intent, level in items:
                outcome = by_sku.get(level.sku)
                if outcome is not None and outcome.ok:
                    store.confirm_write(self.state, level.sku, intent)
                    counts.written += 1
                elif outcome is not None and outcome.conflict:
                    store.settle(
                        self.state, intent.mark, "refused", outcome.message or "compare-and-set refused"
                    )
                    counts.conflicts += 1
                    redo.add(level.sku)
                else:
                    store.note_failure(self.state, intent.mark, outcome.message if outcome else "no answer")
                    counts.unsettled += 1
        return redo


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
    out = Console(file=sys.stdout)
    sync = InventorySync(
        state,
        channels,
        on_disagreements=None if as_json else lambda rows: _print_disagreements(out, rows),
        source_of_truth=config.inventory.source_of_truth,
    )
    holder: dict[str, CycleReport] = {}

    def work() -> dict[str, Any]:
        holder["report"] = report = sync.run(full=full, dry_run=dry_run)
        return {name: report.as_counts(name) for name in report.channels}

    names = "+".join(c.name for c in channels)
    try:
        result = recorded_run(state, "inventory", names, work)
    except InventoryBusy as exc:
        return [{"job": "inventory", "store": names, "outcome": "failed", "error": str(exc)}]
    report = holder.get("report")
    if report is None:
        return [result]
    if not as_json:
        _print_report(out, report)
    results = []
    for name, counts in report.channels.items():
        outcome = "failed" if counts.error else "ok"
        entry = {"job": "inventory", "store": name, "outcome": outcome, **report.as_counts(name)}
        if counts.error:
            entry["error"] = counts.error
        results.append(entry)
    return results


def _print_disagreements(out: Console, rows: list[tuple[str, str, int, int]]) -> None:
    table = Table(title="first sync: channels that disagree with the pool (they will be overwritten)")
    for column in ("SKU", "channel", "quantity", "pool"):
        table.add_column(column, justify="right" if column in ("quantity", "pool") else "left")
    for sku, channel, quantity, pool in rows:
        table.add_row(sku, channel, str(quantity), str(pool))
    out.print(table)


def _print_report(out: Console, report: CycleReport) -> None:
    if report.dry_run:
        if report.disagreements:
            _print_disagreements(out, report.disagreements)
        table = Table(title=f"inventory dry run ({'full' if report.full else 'incremental'}): would change")
        table.add_column("SKU")
        for name in report.channels:
            table.add_column(name, justify="right")
        for sku, per in sorted(report.planned.items()):
            table.add_row(sku, *(f"{per[n][0]} → {per[n][1]}" if n in per else "" for n in report.channels))
        out.print(table if report.planned else "inventory dry run: nothing would change")
    else:
        title = f"inventory ({'full' if report.full else 'incremental'}, {report.rounds} write rounds)"
        table = Table(title=title)
        columns = (
            "channel",
            "read",
            "sold",
            "added",
            "written",
            "conflicts",
            "unsettled",
            "requests",
            "error",
        )
        for column in columns:
            table.add_column(column, justify="left" if column in ("channel", "error") else "right")
        for name, c in report.channels.items():
            table.add_row(
                name,
                *(str(v) for v in (c.read, c.sales, c.increases, c.written, c.conflicts, c.unsettled)),
                f"{c.read_requests} read / {c.write_requests} write",
                c.error or "",
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


_PROBLEM_TEXT = {
    "missing": "not found on this channel, left alone",
    "not_managed": "without managed stock on this channel, left alone (turn on stock management to sync them)",
    "duplicate_sku": "used by two variants on this channel, left alone (give each variant its own SKU)",
    "negative": "below zero on this channel (backorders), counted as sales",
}
