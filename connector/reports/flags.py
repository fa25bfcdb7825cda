"""Orders worth a second look before they ship, each with the reasons, from order records without I/O.

Orders considered: those created in the period whose status means they may still ship: the counted sales
except fully refunded ones, and the ones awaiting payment, as the store's platform adapter states its
statuses (`order_statuses`, connector/reports/statuses.py). Thresholds come from `[reports]`:

- `first_order_high`: the customer's first order ever (of all stores held) is above
  `first_order_aov_multiple` x the average order value of its market over the period (base currency);
  a guest order without e-mail or customer id is always a first order.
- `country_mismatch`: billing and shipping countries are both given and differ.
- `several_addresses`: one customer sent orders to at least `address_count` different shipping addresses
  within `address_window_days` days (every order of that window is flagged).
- `high_risk_country`: the shipping country (else the billing country) is in `high_risk_countries`.
- `platform_risk`: the platform's own risk assessment says "high" or "medium".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import takewhile

from connector.config import ReportsSection
from connector.reports.convert import round_money
from connector.reports.model import OrderFact, Period
from connector.reports.statuses import StatusRules

RISKY_LEVELS = ("high", "medium")

Convert = Callable[[Decimal, str, str, date], Decimal]


@dataclass(frozen=True)
class Flag:
    kind: str
    reason: str


@dataclass(frozen=True)
class FlaggedOrder:
    order: OrderFact
    total_base: Decimal
    flags: tuple[Flag, ...]

    @property
    def kinds(self) -> list[str]:
        return [flag.kind for flag in self.flags]


def find_flags(
    orders: Iterable[OrderFact],
    *,
    period: Period,
    rules: ReportsSection,
    market_aov: Mapping[str, Decimal | None],
    base_currency: str,
    convert: Convert,
    only_market: str | None = None,
    statuses: StatusRules | None = None,
) -> list[FlaggedOrder]:
    """`orders`: every order held (all history); `market_aov`: each market's average order value over the
    period in the base currency (None where it has none); `statuses`: as for compute_kpis."""
    statuses = statuses or StatusRules()
    candidates = [o for o in orders if statuses.may_ship(o)]
    first_orders = _first_orders(candidates)
    address_reasons = _several_addresses(candidates, rules)
    flagged = []
    for order in candidates:
        if order.day not in period or (only_market is not None and order.market != only_market):
            continue
        total_base = convert(order.total, order.currency, base_currency, order.day)
        flags = []
        aov = market_aov.get(order.market)
        multiple = rules.first_order_aov_multiple
        if (order.store, order.id) in first_orders and aov and total_base > multiple * aov:
            flags.append(
                Flag(
                    "first_order_high",
                    f"first order of a new customer: {_money(total_base, base_currency)} is "
                    f"{(total_base / aov).quantize(Decimal('0.1'))} x the average order value of market "
                    f"{order.market} ({_money(aov, base_currency)}); the threshold is {multiple} x",
                )
            )
        if (
            order.billing_country
            and order.shipping_country
            and order.billing_country != order.shipping_country
        ):
            flags.append(
                Flag(
                    "country_mismatch",
                    f"billed to {order.billing_country}, shipped to {order.shipping_country}",
                )
            )
        if (order.store, order.id) in address_reasons:
            flags.append(Flag("several_addresses", address_reasons[(order.store, order.id)]))
        if order.country and order.country in rules.high_risk_countries:
            flags.append(
                Flag("high_risk_country", f"ships to {order.country}, on the high-risk list of the config")
            )
        if order.risk_level in RISKY_LEVELS:
            flags.append(Flag("platform_risk", f"the store's own risk assessment is {order.risk_level}"))
        if flags:
            flagged.append(FlaggedOrder(order, total_base, tuple(flags)))
    return flagged


def _first_orders(orders: list[OrderFact]) -> set[tuple[str, str]]:
    first: dict[str, OrderFact] = {}
    for order in orders:
        held = first.get(order.customer)
        if held is None or (order.created_at, order.store, order.id) < (held.created_at, held.store, held.id):
            first[order.customer] = order
    return {(o.store, o.id) for o in first.values()}


def _several_addresses(orders: list[OrderFact], rules: ReportsSection) -> dict[tuple[str, str], str]:
    """Every order inside a window of `address_window_days` in which its customer used at least
    `address_count` shipping addresses, with the reason (the first such window found)."""
    window = timedelta(days=rules.address_window_days)
    by_customer: dict[str, list[OrderFact]] = defaultdict(list)
    for order in orders:
        if order.shipping_address:
            by_customer[order.customer].append(order)
    reasons: dict[tuple[str, str], str] = {}
    for customer, held in by_customer.items():
        held.sort(key=lambda o: (o.created_at, o.store, o.id))
        for start, first in enumerate(held):
            inside = list(takewhile(lambda o, t=first.created_at: o.created_at - t <= window, held[start:]))
            addresses = {o.shipping_address for o in inside}
            if len(addresses) < rules.address_count:
                continue
            reason = (
                f"{customer} used {len(addresses)} shipping addresses in {len(inside)} orders from "
                f"{inside[0].day} to {inside[-1].day} (threshold: {rules.address_count} addresses within "
                f"{rules.address_window_days} days)"
            )
            for order in inside:
                reasons.setdefault((order.store, order.id), reason)
    return reasons


def _money(amount: Decimal, currency: str) -> str:
    return f"{round_money(amount, currency)} {currency}"
