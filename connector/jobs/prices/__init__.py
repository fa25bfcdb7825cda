"""Prices: every market's prices computed from the master store's and pushed to the market's target.

The base prices are the master store's variants (`pricing.master_store`, as the pull job holds them) in the
client's base currency. For each market the job takes the market's rules from the config, the exchange rate
from the `RateBook` (the market's own `exchange_rate` wins), each SKU's cost (`costs.py`), and computes the
regular, sale and compare-at prices with `connector.pricing`. Then, matching by SKU:

- a WooCommerce target gets `regular_price`/`sale_price` through the batch endpoints;
- a Shopify target gets variant prices (`price`, `compareAtPrice`), or, when the market names a
  `shopify_market`, fixed prices on that market's price list.

Prices in the two shapes. The job first settles a list price and an optional sale price under it: the
master's regular and sale prices, or, on a master that shows a compare-at price above its price, the
compare-at price as list price and the price as sale price. A sale price that the margin floor lifts to the
list price or above is dropped and reported. WooCommerce shows (regular = list, sale); Shopify shows
(price = what the customer pays, compareAtPrice = the list price while on sale).

Only prices that change are sent. The target's current prices come from its own pulled variants (or, for a
price list, from the adapter). Until the next pull those still show what a push replaced, so the job keeps
what it pushed, and what that replaced, in `pushed_prices`: a target still showing exactly the replaced
prices is taken to show the pushed ones. A second run with nothing changed upstream sends no write.

Guardrail: a list price (or a sale price that stays on sale) that would move more than the market's
`max_price_change` percent from the last pushed price (else the target's current price) is held and
listed; `--accept-large-changes` pushes it.
"""

from __future__ import annotations

import csv
import datetime
import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.table import Table

from connector.config import ClientConfig, MarketConfig
from connector.jobs.costs import CostBook, CostFileError, load_costs
from connector.jobs.runner import recorded_run
from connector.platforms.base import PriceWrite, StoreAdapter
from connector.pricing import (
    MarketPriceRules,
    PriceResult,
    PricingConfigError,
    PricingError,
    Rate,
    compute_price,
)
from connector.rates import ECB_URL, RateBook, RateError, refresh
from connector.state import State, iso, utc_now

log = logging.getLogger(__name__)

JOB = "prices"
RATES_DIR_NAME = "rates"
STALE_RATE_AFTER = datetime.timedelta(days=7)
HUNDRED = Decimal(100)
CHANGE_PLACES = Decimal("0.1")
PIPED_WIDTH = 200

TargetKind = Literal["woocommerce", "shopify_variants", "shopify_price_list"]
Shown = tuple[Decimal | None, Decimal | None]  # a target's (main price, second price) in its own shape

# Statuses of a line, in the order tables list them.
UNCHANGED, TO_PUSH, PUSHED, HELD, FAILED, NOT_ON_TARGET, NO_BASE_PRICE, ERROR = (
    "unchanged",
    "to push",
    "pushed",
    "held",
    "failed",
    "not on target",
    "no base price",
    "error",
)


class PriceJobError(ValueError):
    """A market cannot be priced at all (settings, rates, costs, missing data); the message says what to do."""


# --- rates -----------------------------------------------------------------------------------------------


def rates_dir(config: ClientConfig) -> Path:
    """Where refreshed ECB rates are kept: beside the client's state file."""
    return config.state_path.parent / RATES_DIR_NAME


def refresh_rates(config: ClientConfig, *, url: str = ECB_URL) -> Path:
    """Download the newest ECB reference rates for this client's prices; returns the file written.

    Raises RatesRefreshError (the rates in use stay as they were) when the download fails."""
    return refresh(rates_dir(config), url=url)


def rate_book(config: ClientConfig) -> RateBook:
    return RateBook(cache_dir=rates_dir(config))


# --- one market's plan -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    store: str
    kind: TargetKind
    shopify_market: str | None = None

    @property
    def second_name(self) -> str:
        return "sale" if self.kind == "woocommerce" else "compare-at"


@dataclass
class PriceLine:
    """One SKU of one market: what the rules give, what the target shows, and what the job does about it."""

    sku: str
    base_price: Decimal | None
    regular: PriceResult | None = None
    sale: PriceResult | None = None
    compare_at: PriceResult | None = None
    list_price: Decimal | None = None
    sale_price: Decimal | None = None
    write: PriceWrite | None = None
    current: Shown | None = None  # the target's prices as the job takes them to be now
    read: Shown | None = None  # the target's prices as its pulled variants (or its price list) give them
    change: Decimal | None = None  # percent, list price against the guardrail reference
    status: str = ""  # set once the line is decided
    notes: list[str] = field(default_factory=list)

    @property
    def shown(self) -> Shown | None:
        return _shape(self.write) if self.write is not None else None

    @property
    def floor_applied(self) -> bool:
        return any(r is not None and r.floor_applied for r in (self.regular, self.sale))


@dataclass
class MarketPlan:
    market: str
    target: Target
    currency: str
    max_change: Decimal
    rate: Rate
    lines: list[PriceLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        statuses = [line.status for line in self.lines]
        return {
            "market": self.market,
            "currency": self.currency,
            "target_kind": self.target.kind,
            "skus": len(self.lines),
            "unchanged": statuses.count(UNCHANGED),
            "to_push": statuses.count(TO_PUSH),
            "pushed": statuses.count(PUSHED),
            "held": statuses.count(HELD),
            "failed": statuses.count(FAILED),
            "not_on_target": statuses.count(NOT_ON_TARGET),
            "no_base_price": statuses.count(NO_BASE_PRICE),
            "errors": statuses.count(ERROR),
            "floor_applied": sum(line.floor_applied for line in self.lines),
            "no_cost": sum(any(n.startswith("no cost") for n in line.notes) for line in self.lines),
            "sale_dropped": sum(any(n.startswith("sale dropped") for n in line.notes) for line in self.lines),
            "rate": _text(self.rate.value),
            "rate_date": self.rate.date.isoformat(),
            "rate_source": self.rate.source,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class _MasterVariant:
    sku: str
    price: Decimal | None
    sale_price: Decimal | None
    compare_at_price: Decimal | None


@dataclass(frozen=True)
class _TargetVariant:
    variant_id: str
    product_id: str
    shown: Shown


@dataclass(frozen=True)
class _Pushed:
    shown: Shown
    replaced: Shown


def plan_market(
    config: ClientConfig,
    state: State,
    name: str,
    adapter: StoreAdapter,
    book: RateBook,
    costs: CostBook,
    *,
    today: datetime.date | None = None,
) -> MarketPlan:
    """Compute one market's prices and decide, per SKU, whether to push them. Reads only; writes nothing."""
    market = config.markets[name]
    master = _master_store(config)
    target = _target(config, name, market, master)
    try:
        rules = MarketPriceRules.from_mapping(
            market.model_dump(), config.client.model_dump(), path=f"markets.{name}"
        )
        rate = book.rate_for(rules)
    except (PricingConfigError, RateError) as error:
        raise PriceJobError(f"markets.{name}: {error}") from None

    plan = MarketPlan(name, target, rules.currency, rules.max_price_change, rate)
    today = today or datetime.datetime.now(datetime.UTC).date()
    if rate.source.startswith("ECB") and today - rate.date > STALE_RATE_AFTER:
        plan.warnings.append(
            f"the {rate.base}->{rate.quote} rate {rate.value} is of {rate.date} ({(today - rate.date).days} days"
            " old); refresh the exchange rates where a network is available, or set exchange_rate for"
            f" markets.{name}"
        )

    variants = _master_variants(state, master)
    if not variants:
        raise PriceJobError(
            f"the master store {master!r} has no variants in the state; pull its products first"
            " (connector sync products)"
        )
    on_target = _target_variants(state, target)
    if not on_target:
        raise PriceJobError(
            f"the target store {target.store!r} of markets.{name} has no variants in the state; pull its"
            " products first (connector sync products)"
        )
    pushed = _pushed(state, target.store, name)
    live: Mapping[str, Shown] | None = None
    if target.kind == "shopify_price_list":
        live = _current_prices(adapter, [sku for sku in variants if sku in on_target], target.shopify_market)

    for sku, base in variants.items():
        line = _price_line(sku, base, rules, rate, costs)
        plan.lines.append(line)
        if line.status:  # no base price, or the rules could not price it
            continue
        found = on_target.get(sku)
        if found is None:
            line.status = NOT_ON_TARGET
            line.notes.append(f"no variant with this SKU in {target.store}")
            continue
        line.write = _price_write(line, target, plan.currency, found)
        record = pushed.get(sku)
        line.read = line.current = live.get(sku, (None, None)) if live is not None else found.shown
        if live is None and record is not None and _same(line.read, record.replaced):
            line.current = record.shown  # not pulled since the push: the target shows what was pushed
        reference = record.shown if record is not None else line.current
        line.change, held = _guardrail(line, reference, target, plan.max_change)
        if _same(line.shown, line.current):
            line.status = UNCHANGED
        elif held:
            line.status = HELD
            line.notes.append(held)
        else:
            line.status = TO_PUSH
    return plan


def _price_line(
    sku: str, base: _MasterVariant, rules: MarketPriceRules, rate: Rate, costs: CostBook
) -> PriceLine:
    line = PriceLine(sku, base.price)
    if base.price is None or base.price <= 0:
        line.status = NO_BASE_PRICE
        line.notes.append("the master store has no price for this SKU")
        return line
    cost = costs.cost(sku)
    try:
        line.regular = compute_price(base.price, rules, rate, cost)
        if base.sale_price is not None and base.sale_price > 0:
            line.sale = compute_price(base.sale_price, rules, rate, cost)
        if base.compare_at_price is not None and base.compare_at_price > 0:
            line.compare_at = compute_price(base.compare_at_price, rules, rate, None)
    except PricingError as error:
        line.status = ERROR
        line.notes.append(str(error))
        return line
    if cost is None and rules.min_margin is not None:
        line.notes.append("no cost known: no margin floor")

    line.list_price, line.sale_price = line.regular.price, None
    if line.sale is not None:
        if line.sale.price < line.regular.price:
            line.sale_price = line.sale.price
        else:
            line.notes.append(
                f"sale dropped: the sale price {_text(line.sale.price)} is not under the regular price"
                f" {_text(line.regular.price)} after the margin floor"
            )
    elif line.compare_at is not None:
        if line.compare_at.price > line.regular.price:
            line.list_price, line.sale_price = line.compare_at.price, line.regular.price
        else:
            line.notes.append(
                f"compare-at dropped: {_text(line.compare_at.price)} is not above the price"
                f" {_text(line.regular.price)} after the margin floor"
            )
    return line


def _price_write(line: PriceLine, target: Target, currency: str, found: _TargetVariant) -> PriceWrite:
    assert line.list_price is not None
    common = {"sku": line.sku, "variant_id": found.variant_id, "product_id": found.product_id}
    if target.kind == "woocommerce":
        return PriceWrite(**common, currency=currency, price=line.list_price, sale_price=line.sale_price)
    on_sale = line.sale_price is not None
    return PriceWrite(
        **common,
        currency=currency,
        price=line.sale_price if on_sale else line.list_price,
        compare_at_price=line.list_price if on_sale else None,
        market=target.shopify_market,
    )


def _guardrail(
    line: PriceLine, reference: Shown | None, target: Target, max_change: Decimal
) -> tuple[Decimal | None, str | None]:
    """The list price's move in percent, and why the line is held (None when it is not).

    The reference is the last pushed price, else the target's current one. List prices compare with list
    prices, sale prices with sale prices; a sale that starts or ends is not a move."""
    if reference is None:
        return None, None
    old_list, old_sale = _list_and_sale(reference, target)
    change = _change(old_list, line.list_price)
    reasons = []
    if change is not None and abs(change) > max_change:
        reasons.append(f"list price {_text(old_list)} -> {_text(line.list_price)} ({change:+}%)")
    sale_change = _change(old_sale, line.sale_price)
    if sale_change is not None and abs(sale_change) > max_change:
        reasons.append(f"sale price {_text(old_sale)} -> {_text(line.sale_price)} ({sale_change:+}%)")
    if not reasons:
        return change, None
    return (
        change,
        f"held: {'; '.join(reasons)} moves more than {max_change}%; push with --accept-large-changes",
    )


def _list_and_sale(shown: Shown, target: Target) -> tuple[Decimal | None, Decimal | None]:
    main, second = shown
    if target.kind == "woocommerce":
        return main, second
    if second is not None and main is not None and second > main:
        return second, main
    return main, None


def _change(old: Decimal | None, new: Decimal | None) -> Decimal | None:
    if old is None or new is None or old <= 0:
        return None
    return ((new - old) / old * HUNDRED).quantize(CHANGE_PLACES)


def _shape(write: PriceWrite) -> Shown:
    """(main, second) of a write: WooCommerce writes carry a sale price, Shopify writes a compare-at price."""
    return write.price, write.sale_price if write.sale_price is not None else write.compare_at_price


def _same(a: Shown | None, b: Shown | None) -> bool:
    """Numerically equal prices (49.9 == 49.90); None only equals None."""
    if a is None or b is None:
        return a is b
    return all(
        (x is None and y is None) or (x is not None and y is not None and x == y)
        for x, y in zip(a, b, strict=True)
    )


# --- reading the state -----------------------------------------------------------------------------------


def _master_store(config: ClientConfig) -> str:
    master = config.pricing.master_store
    if master is None:
        if len(config.stores) == 1:
            return next(iter(config.stores))
        raise PriceJobError(
            "pricing.master_store is not set; name the store whose prices are the base prices"
            f" (one of {', '.join(config.stores)})"
        )
    return master


def _target(config: ClientConfig, name: str, market: MarketConfig, master: str) -> Target:
    store = config.stores[market.target]
    if store.platform == "woocommerce":
        kind: TargetKind = "woocommerce"
    else:
        kind = "shopify_price_list" if market.shopify_market else "shopify_variants"
    if kind != "shopify_price_list":
        rivals = [
            other
            for other, settings in config.markets.items()
            if other != name and settings.target == market.target and not settings.shopify_market
        ]
        if rivals:
            raise PriceJobError(
                f"markets.{name} and markets.{rivals[0]} both set the own prices of store {market.target!r};"
                " each would undo the other's prices: give each market its own store or its own shopify_market"
            )
    if market.target == master and kind != "shopify_price_list":
        raise PriceJobError(
            f"markets.{name}.target is the master store {master!r}: pushing would overwrite the base prices;"
            " point the market at its own store, or at a Shopify market with shopify_market"
        )
    return Target(market.target, kind, market.shopify_market)


def _master_variants(state: State, store: str) -> dict[str, _MasterVariant]:
    rows = state.db.execute(
        """select sku, price, sale_price, compare_at_price from variants
           where store = ? and sku is not null and sku != '' order by sku, id""",
        [store],
    ).fetchall()
    variants: dict[str, _MasterVariant] = {}
    for sku, price, sale, compare_at in rows:
        variants.setdefault(sku, _MasterVariant(sku, _decimal(price), _decimal(sale), _decimal(compare_at)))
    return variants


def _target_variants(state: State, target: Target) -> dict[str, _TargetVariant]:
    second = "sale_price" if target.kind == "woocommerce" else "compare_at_price"
    rows = state.db.execute(
        f"""select sku, id, product_id, price, {second} from variants
            where store = ? and sku is not null and sku != '' order by sku, id""",
        [target.store],
    ).fetchall()
    found: dict[str, _TargetVariant] = {}
    for sku, variant_id, product_id, price, second_price in rows:
        found.setdefault(
            sku, _TargetVariant(variant_id, product_id, (_decimal(price), _decimal(second_price)))
        )
    return found


def _pushed(state: State, store: str, market: str) -> dict[str, _Pushed]:
    rows = state.db.execute(
        """select sku, price, compare_at, sale, replaced_price, replaced_second from pushed_prices
           where store = ? and market = ?""",
        [store, market],
    ).fetchall()
    return {
        sku: _Pushed(
            (_decimal(price), _decimal(sale) if compare_at is None else _decimal(compare_at)),
            (_decimal(replaced_price), _decimal(replaced_second)),
        )
        for sku, price, compare_at, sale, replaced_price, replaced_second in rows
    }


def _current_prices(adapter: StoreAdapter, skus: list[str], market: str | None) -> dict[str, Shown]:
    reader = getattr(adapter, "current_prices", None)
    if reader is None:
        raise PriceJobError(f"{adapter.name}: this adapter cannot read a market's current prices")
    return {sku: tuple(pair) for sku, pair in reader(skus, market=market).items() if pair is not None}


def _decimal(text: Any) -> Decimal | None:
    if text is None or text == "":
        return None
    return text if isinstance(text, Decimal) else Decimal(str(text))


# --- pushing ---------------------------------------------------------------------------------------------


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
    write = line.write
    assert write is not None
    replaced = line.read or (None, None)
    return {
        "store": plan.target.store,
        "market": plan.market,
        "sku": line.sku,
        "currency": write.currency,
        "price": _text(write.price),
        "compare_at": _text(write.compare_at_price),
        "sale": _text(write.sale_price),
        "replaced_price": _text(replaced[0]),
        "replaced_second": _text(replaced[1]),
        "rate": _text(plan.rate.value),
        "rate_date": plan.rate.date.isoformat(),
        "rate_source": plan.rate.source,
        "pushed_at": now,
    }


# --- the command -----------------------------------------------------------------------------------------


def sync_prices_command(
    config: ClientConfig,
    state: State,
    adapters: dict[str, StoreAdapter],
    *,
    dry_run: bool = False,
    as_json: bool = False,
    market: str | None = None,
    language: str | None = None,  # noqa: ARG001 - an option of other sync jobs
    accept_large_changes: bool = False,
    csv: bool = False,
    book: RateBook | None = None,
    **_options: Any,
) -> list[dict[str, Any]]:
    """`connector sync prices`: one result per market; prints a table per market unless `as_json`."""
    if market is not None and market not in config.markets:
        known = ", ".join(config.markets) or "none configured"
        return [_failed(market, "", f"no market named {market!r} in {config.path}; use one of: {known}")]
    names = [market] if market else list(config.markets)
    book = book or rate_book(config)
    costs, cost_error = _costs(config, state)
    results: list[dict[str, Any]] = []
    plans: list[MarketPlan] = []
    for name in names:
        target = config.markets[name].target
        adapter = adapters.get(target)
        if adapter is None:
            if market is not None:
                results.append(_failed(name, target, f"the target store {target!r} is not open in this run"))
            continue
        planned: list[MarketPlan] = []

        def work(
            name: str = name, adapter: StoreAdapter = adapter, planned: list = planned
        ) -> dict[str, Any]:
            if cost_error is not None:
                raise PriceJobError(cost_error)
            plan = plan_market(config, state, name, adapter, book, costs)
            planned.append(plan)
            if not dry_run:
                push_plan(plan, adapter, state, accept_large_changes=accept_large_changes)
            return {**plan.counts(), "dry_run": dry_run}

        try:
            result = recorded_run(state, f"{JOB}:{name}", target, work)
        except PriceJobError as error:
            result = _failed(name, target, str(error))
        if planned:
            plans.append(planned[0])
            result["lines"] = [_line_dict(line, planned[0]) for line in planned[0].lines]
        results.append(result)
    if costs.problems:
        for result in results:
            result.setdefault("cost_problems", list(costs.problems))
    if not as_json:
        if csv:
            print_csv(plans, sys.stdout)
        else:
            print_tables(plans, results, costs, dry_run=dry_run)
    return results


def _costs(config: ClientConfig, state: State) -> tuple[CostBook, str | None]:
    try:
        return load_costs(config, state, _master_store(config)), None
    except (CostFileError, PriceJobError) as error:
        return CostBook(), str(error)


def _failed(market: str, store: str, message: str) -> dict[str, Any]:
    return {"job": JOB, "store": store, "market": market, "outcome": "failed", "error": message}


# --- output ----------------------------------------------------------------------------------------------

COLUMNS = (
    "sku",
    "base price",
    "computed",
    "current",
    "change %",
    "rate",
    "rate date",
    "floor",
    "status",
    "notes",
)


def _line_dict(line: PriceLine, plan: MarketPlan) -> dict[str, Any]:
    return {
        "market": plan.market,
        "sku": line.sku,
        "currency": plan.currency,
        "base_price": _text(line.base_price),
        "price": _text(line.list_price),
        "sale_price": _text(line.sale_price),
        "compare_at_price": _text(line.compare_at.price) if line.compare_at else None,
        "current": [_text(v) for v in line.current] if line.current is not None else None,
        "change_percent": _text(line.change),
        "rate": _text(plan.rate.value),
        "rate_date": plan.rate.date.isoformat(),
        "floor_applied": line.floor_applied,
        "status": line.status,
        "notes": list(line.notes),
    }


def _row(line: PriceLine, plan: MarketPlan) -> list[str]:
    computed = _text(line.list_price) or "-"
    if line.sale_price is not None:
        computed += f" (sale {_text(line.sale_price)})"
    current = "-"
    if line.current is not None and line.current[0] is not None:
        current = _text(line.current[0]) or "-"
        if line.current[1] is not None:
            current += f" ({plan.target.second_name} {_text(line.current[1])})"
    return [
        line.sku,
        _text(line.base_price) or "-",
        computed,
        current,
        f"{line.change:+}" if line.change is not None else "-",
        _text(plan.rate.value) or "",
        plan.rate.date.isoformat(),
        "yes" if line.floor_applied else "",
        line.status,
        "; ".join(line.notes),
    ]


def print_tables(
    plans: list[MarketPlan], results: list[dict[str, Any]], costs: CostBook, *, dry_run: bool
) -> None:
    console = Console(file=sys.stdout)
    if not console.is_terminal:
        console = Console(file=sys.stdout, width=PIPED_WIDTH)  # a log or a pipe: keep each SKU on one line
    for plan in plans:
        where = {
            "woocommerce": f"{plan.target.store} (WooCommerce)",
            "shopify_variants": f"{plan.target.store} (Shopify variant prices)",
            "shopify_price_list": f"{plan.target.store}, market {plan.target.shopify_market} (price list)",
        }[plan.target.kind]
        title = f"prices {plan.market} in {plan.currency} -> {where}{' (dry run: nothing sent)' if dry_run else ''}"
        table = Table(title=title)
        for column in COLUMNS:
            table.add_column(
                column,
                justify="right" if column in ("base price", "change %") else "left",
                no_wrap=column != "notes",
            )
        for line in plan.lines:
            table.add_row(*_row(line, plan))
        console.print(table)
        for warning in plan.warnings:
            console.print(f"warning: {warning}")
        counts = plan.counts()
        console.print(
            ", ".join(
                f"{counts[key]} {key.replace('_', ' ')}"
                for key in ("to_push", "pushed", "unchanged", "held", "failed", "not_on_target", "no_cost")
                if counts[key]
            )
            or "nothing to price"
        )
    for result in results:
        if result["outcome"] != "ok":
            console.print(f"prices {result.get('market')}: failed: {result.get('error')}")
    for problem in costs.problems:
        console.print(f"cost: {problem}")


CSV_COLUMNS = (
    "market",
    "currency",
    "sku",
    "base_price",
    "price",
    "sale_price",
    "current_price",
    "current_second",
    "change_percent",
    "rate",
    "rate_date",
    "rate_source",
    "floor_applied",
    "status",
    "notes",
)


def print_csv(plans: list[MarketPlan], out: Any) -> None:
    """One row per market and SKU; amounts as exact digits, `current_second` is the target's sale price
    (WooCommerce) or compare-at price (Shopify)."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for plan in plans:
        for line in plan.lines:
            current = line.current or (None, None)
            writer.writerow(
                [
                    plan.market,
                    plan.currency,
                    line.sku,
                    _text(line.base_price),
                    _text(line.list_price),
                    _text(line.sale_price),
                    _text(current[0]),
                    _text(current[1]),
                    _text(line.change),
                    _text(plan.rate.value),
                    plan.rate.date.isoformat(),
                    plan.rate.source,
                    "yes" if line.floor_applied else "no",
                    line.status,
                    "; ".join(line.notes),
                ]
            )


def _text(amount: Decimal | None) -> str | None:
    """Exact digits, never an exponent, never a float."""
    return None if amount is None else f"{amount:f}"
