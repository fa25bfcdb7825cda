"""Plan: one market's prices computed from the master store's, and the decision per SKU.

The base prices are the master store's variants in the client's base currency, each bound to its SKU by the
binder (a SKU on two master variants is refused, never priced from one of them). The market's rules come from
the config, the exchange rate from the `RateBook` (the market's own `exchange_rate` wins), each SKU's cost from
`costs.py`; `connector.pricing` computes the regular, sale and compare-at prices.

The job then settles a list price and an optional sale price under it: the master's regular and sale prices,
or, on a master that shows a compare-at price above its price, the compare-at price as list price and the
price as sale price. A sale price that the margin floor lifts to the list price or above is dropped and
reported. How the target shows the pair is its price target's shape; the job only compares, guards and sends.
"""

from __future__ import annotations

import datetime

from connector.binder import Binder, Unbound, VariantRow
from connector.config import ClientConfig, MarketConfig
from connector.jobs.costs import CostBook
from connector.jobs.prices import compare, guard
from connector.jobs.prices.lines import (
    DUPLICATE_SKU,
    ERROR,
    HELD,
    NO_BASE_PRICE,
    NOT_ON_TARGET,
    TO_PUSH,
    UNCHANGED,
    MarketPlan,
    PriceJobError,
    PriceLine,
    Target,
    decimal,
    text,
)
from connector.platforms.base import PriceWrite, StoreAdapter
from connector.pricing import MarketPriceRules, PricingConfigError, PricingError, Rate, compute_price
from connector.rates import RateBook, RateError
from connector.state import State

STALE_RATE_AFTER = datetime.timedelta(days=7)


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
    master = master_store(config)
    target = target_of(config, name, market, master, adapter)
    try:
        rules = market.rules(config.client)  # checked by the one price-rule schema as the config loaded
        rate = book.rate_for(rules)
    except (PricingConfigError, RateError) as error:
        raise PriceJobError(f"markets.{name}: {error}") from None

    plan = MarketPlan(name, target, rules.currency, rules.max_price_change, rate)
    plan.warnings += _stale_rate(rate, name, today or datetime.datetime.now(datetime.UTC).date())

    base = Binder.of_store(state, master)
    if not base:
        raise PriceJobError(
            f"the master store {master!r} has no variants in the state; pull its products first"
            " (connector sync products)"
        )
    on_target = Binder.of_store(state, target.store)
    if not on_target:
        raise PriceJobError(
            f"the target store {target.store!r} of markets.{name} has no variants in the state; pull its"
            " products first (connector sync products)"
        )
    pushed = compare.pushed(state, target.store, name)
    live = compare.live_prices(adapter, target, base, on_target)

    for sku in base.skus():
        bound = base.bind(sku)
        line = (
            _refused(sku, bound)
            if isinstance(bound, Unbound)
            else _price_line(sku, bound, rules, rate, costs)
        )
        plan.lines.append(line)
        if line.status:  # refused, no base price, or the rules could not price it
            continue
        found = on_target.bind(sku)
        if isinstance(found, Unbound):
            line.status = _unbound_status(found)
            line.notes.append(found.message)
            continue
        assert line.list_price is not None
        line.write = PriceWrite(
            sku,
            found.id,
            found.product_id,
            plan.currency,
            line.list_price,
            line.sale_price,
            target.store_market if target.offer.per_market else None,
        )
        line.shown = target.offer.shape.shown(line.list_price, line.sale_price)
        record = pushed.get(sku)
        compare.settle_current(line, found, target, record, live)
        reference = record.shown if record is not None else line.current
        line.change, held = guard.check(line, reference, target, plan.max_change)
        if compare.same(line.shown, line.current):
            line.status = UNCHANGED
        elif held:
            line.status = HELD
            line.notes.append(held)
        else:
            line.status = TO_PUSH
    return plan


def _stale_rate(rate: Rate, market: str, today: datetime.date) -> list[str]:
    if rate.source.startswith("ECB") and today - rate.date > STALE_RATE_AFTER:
        return [
            f"the {rate.base}->{rate.quote} rate {rate.value} is of {rate.date} ({(today - rate.date).days} days"
            " old); refresh the exchange rates where a network is available, or set exchange_rate for"
            f" markets.{market}"
        ]
    return []


def _unbound_status(unbound: Unbound) -> str:
    return NOT_ON_TARGET if unbound.kind == "missing" else DUPLICATE_SKU


def _refused(sku: str, unbound: Unbound) -> PriceLine:
    """A master SKU the binder cannot bind to one variant: no base price is taken from any of them."""
    line = PriceLine(sku, None, status=_unbound_status(unbound))
    line.notes.append(unbound.message)
    return line


def _price_line(
    sku: str, base: VariantRow, rules: MarketPriceRules, rate: Rate, costs: CostBook
) -> PriceLine:
    price, sale_price, compare_at_price = (
        decimal(base.price),
        decimal(base.sale_price),
        decimal(base.compare_at_price),
    )
    line = PriceLine(sku, price)
    if price is None or price <= 0:
        line.status = NO_BASE_PRICE
        line.notes.append("the master store has no price for this SKU")
        return line
    cost = costs.cost(sku)
    try:
        line.regular = compute_price(price, rules, rate, cost)
        if sale_price is not None and sale_price > 0:
            line.sale = compute_price(sale_price, rules, rate, cost)
        if compare_at_price is not None and compare_at_price > 0:
            line.compare_at = compute_price(compare_at_price, rules, rate, None)
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
                f"sale dropped: the sale price {text(line.sale.price)} is not under the regular price"
                f" {text(line.regular.price)} after the margin floor"
            )
    elif line.compare_at is not None:
        if line.compare_at.price > line.regular.price:
            line.list_price, line.sale_price = line.compare_at.price, line.regular.price
        else:
            line.notes.append(
                f"compare-at dropped: {text(line.compare_at.price)} is not above the price"
                f" {text(line.regular.price)} after the margin floor"
            )
    return line


def master_store(config: ClientConfig) -> str:
    master = config.pricing.master_store
    if master is None:
        if len(config.stores) == 1:
            return next(iter(config.stores))
        raise PriceJobError(
            "pricing.master_store is not set; name the store whose prices are the base prices"
            f" (one of {', '.join(config.stores)})"
        )
    return master


def target_of(
    config: ClientConfig, name: str, market: MarketConfig, master: str, adapter: StoreAdapter
) -> Target:
    """The market's target and the price target its store offers for it; refuses a target whose own prices
    another market (or the master) already sets."""
    per_market = market.store_market is not None
    offer = adapter.price_target(per_market=per_market)
    if offer is None:
        raise PriceJobError(
            f"markets.{name}: store {market.target!r} takes no {'per-market ' if per_market else ''}prices;"
            + (" remove shopify_market" if per_market else " point the market at a store that does")
        )
    if not offer.per_market:
        rivals = [
            other
            for other, settings in config.markets.items()
            if other != name and settings.target == market.target and settings.store_market is None
        ]
        if rivals:
            raise PriceJobError(
                f"markets.{name} and markets.{rivals[0]} both set the own prices of store {market.target!r};"
                " each would undo the other's prices: give each market its own store or its own shopify_market"
            )
        if market.target == master:
            raise PriceJobError(
                f"markets.{name}.target is the master store {master!r}: pushing would overwrite the base"
                " prices; point the market at its own store, or at a market of a store with shopify_market"
            )
    return Target(market.target, offer, market.store_market)
