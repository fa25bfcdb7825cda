"""KPIs per market and in total over a period, computed from order records without I/O.

Which orders count as sales: those whose status (in lower case) the store's platform adapter lists among
its sales (`order_statuses`, connector/reports/statuses.py). A refunded order is a sale that was paid back:
it counts as an order, its refunds come off revenue and it counts for the refund rate. Every other status
(cancelled, failed, awaiting payment, custom statuses) is reported as `excluded_orders`, by status, so
nothing leaves the figures unseen.

Amounts: an order's total (tax and shipping included, as the shopper paid) and its refunds are converted
with the rate of the order's day (its creation date in the client's time zone) into the base currency and
into the market's currency, kept exact, and rounded only when shown. Revenue is net of refunds.
History (new customers, lifetime value) covers every counted order up to the period's end, of all stores
unless the report is restricted to one. REPORTS.md defines every figure.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from connector.reports.model import OTHER_MARKET, AbandonedCheckout, OrderFact, Period, TrafficRow
from connector.reports.statuses import StatusRules

TOP_PRODUCTS = 5
LIFETIME_LISTED = 10

# convert(amount, from_currency, to_currency, day) -> amount in to_currency
Convert = Callable[[Decimal, str, str, date], Decimal]


@dataclass(frozen=True)
class Money:
    base: Decimal
    market: Decimal | None  # None where there is no single market currency


@dataclass(frozen=True)
class ProductFigure:
    key: str  # the SKU, or "(no SKU) name"
    name: str
    quantity: int
    revenue: Money  # line totals (after discounts, before refunds)


@dataclass(frozen=True)
class CustomerValue:
    customer: str
    orders: int
    revenue: Money


@dataclass
class MarketFigures:
    market: str  # a market name, "other", or "total"
    currency: str | None
    orders: int
    gross_revenue: Money
    refunds: Money
    revenue: Money
    average_order_value: Money | None
    customers: int
    new_customers: int
    returning_customers: int
    repeat_purchase_rate: Decimal | None
    retention_rate: Decimal | None
    lifetime_value_average: Money | None
    lifetime_values: list[CustomerValue]
    refund_rate: Decimal | None
    top_products: list[ProductFigure]
    visitors: int | None
    conversion_rate: Decimal | None
    abandoned_checkouts: int | None
    cart_abandonment_rate: Decimal | None
    ad_spend: Money | None
    acquisition_cost: Money | None
    roas: Decimal | None
    weekly_revenue: dict[date, Decimal]  # base currency, by the Monday that starts the week
    unavailable: dict[str, str] = field(default_factory=dict)  # figure -> why it is not given


@dataclass
class KpiReport:
    period: Period
    previous: Period
    base_currency: str
    weeks: list[date]
    markets: list[MarketFigures]
    total: MarketFigures
    excluded_orders: dict[str, int]  # status -> orders of the period not counted as sales
    store: str | None = None


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weeks_of(period: Period) -> list[date]:
    first, last = week_start(period.since), week_start(period.until)
    return [first + timedelta(days=7 * n) for n in range((last - first).days // 7 + 1)]


def compute_kpis(
    orders: Iterable[OrderFact],
    *,
    period: Period,
    base_currency: str,
    market_currencies: Mapping[str, str],
    convert: Convert,
    traffic: Sequence[TrafficRow] | None = None,
    abandoned: Sequence[AbandonedCheckout] | None = None,
    checkout_stores: Collection[str] = (),
    checkout_platforms: str = "",
    only_market: str | None = None,
    store: str | None = None,
    statuses: StatusRules | None = None,
) -> KpiReport:
    """`orders`: every order held (all statuses, all history, already restricted to `store` if any).
    `traffic` None: no traffic CSV configured; `abandoned` None: no abandoned checkouts in the state;
    `checkout_stores`: the stores whose abandoned checkouts are recorded (their platforms read them);
    `checkout_platforms`: how messages name those platforms; `statuses`: what each store's order statuses
    mean (every platform's statuses for every store when None)."""
    statuses = statuses or StatusRules()
    previous = period.previous()
    orders = list(orders)
    sales = [o for o in orders if statuses.is_sale(o) and o.day <= period.until]
    excluded = Counter(
        o.status or "(none)"
        for o in orders
        if not statuses.is_sale(o) and o.day in period and (only_market is None or o.market == only_market)
    )
    history = _by_customer(sales)
    context = _Context(
        base_currency=base_currency,
        convert=convert,
        period=period,
        previous=previous,
        history=history,
        first_day={customer: min(o.day for o in held) for customer, held in history.items()},
        traffic=traffic,
        abandoned=abandoned,
        checkout_stores=frozenset(checkout_stores),
        checkout_platforms=checkout_platforms or "a platform that offers them",
        weeks=weeks_of(period),
    )
    in_period = [o for o in sales if o.day in period]
    in_previous = [o for o in sales if o.day in previous]

    if only_market is not None:
        names = [only_market]
    else:
        names = list(market_currencies)
        if any(o.market == OTHER_MARKET for o in in_period):
            names.append(OTHER_MARKET)
    markets = [
        context.figures(
            name,
            market_currencies.get(name),
            [o for o in in_period if o.market == name],
            [o for o in in_previous if o.market == name],
            {name},
        )
        for name in names
    ]
    total_currency = market_currencies.get(only_market) if only_market else None
    chosen = set(names) | ({OTHER_MARKET} if only_market is None else set())
    total = context.figures(
        "total",
        total_currency,
        [o for o in in_period if o.market in chosen],
        [o for o in in_previous if o.market in chosen],
        chosen,
    )
    return KpiReport(
        period=period,
        previous=previous,
        base_currency=base_currency,
        weeks=context.weeks,
        markets=markets,
        total=total,
        excluded_orders=dict(sorted(excluded.items())),
        store=store,
    )


def _by_customer(orders: Iterable[OrderFact]) -> dict[str, list[OrderFact]]:
    grouped: dict[str, list[OrderFact]] = defaultdict(list)
    for order in orders:
        grouped[order.customer].append(order)
    return grouped


def _ratio(numerator: int | Decimal, denominator: int | Decimal) -> Decimal:
    return Decimal(numerator) / Decimal(denominator)


@dataclass
class _Context:
    base_currency: str
    convert: Convert
    period: Period
    previous: Period
    history: dict[str, list[OrderFact]]
    first_day: dict[str, date]
    traffic: Sequence[TrafficRow] | None
    abandoned: Sequence[AbandonedCheckout] | None
    checkout_stores: frozenset[str]
    checkout_platforms: str
    weeks: list[date]
    _lifetime: dict[tuple[str, str | None], Money] = field(default_factory=dict)

    def lifetime_value(self, customer: str, currency: str | None) -> Money:
        """Net revenue of all the customer's counted orders up to the period's end (shared by every market)."""
        key = (customer, currency)
        if key not in self._lifetime:
            self._lifetime[key] = self.order_money(self.history[customer], lambda o: o.net, currency)
        return self._lifetime[key]

    def money(self, parts: Iterable[tuple[Decimal, str, date]], currency: str | None) -> Money:
        parts = list(parts)
        base = sum((self.convert(a, c, self.base_currency, d) for a, c, d in parts), Decimal(0))
        market = None
        if currency is not None:
            market = sum((self.convert(a, c, currency, d) for a, c, d in parts), Decimal(0))
        return Money(base, market)

    def order_money(self, orders: Iterable[OrderFact], amount: Callable[[OrderFact], Decimal], currency):
        return self.money(((amount(o), o.currency, o.day) for o in orders), currency)

    def figures(
        self,
        name: str,
        currency: str | None,
        orders: list[OrderFact],
        previous_orders: list[OrderFact],
        traffic_markets: set[str],
    ) -> MarketFigures:
        unavailable: dict[str, str] = {}
        gross = self.order_money(orders, lambda o: o.total, currency)
        refunds = self.order_money(orders, lambda o: o.refunded, currency)
        revenue = Money(gross.base - refunds.base, _minus(gross.market, refunds.market))
        count = len(orders)
        per_customer = Counter(o.customer for o in orders)
        customers = len(per_customer)
        new = sum(1 for c in per_customer if self.first_day[c] >= self.period.since)

        if count:
            aov = _divide(revenue, count)
            refund_rate = _ratio(sum(1 for o in orders if o.refunded > 0), count)
            repeat = _ratio(sum(1 for n in per_customer.values() if n >= 2), customers)
        else:
            aov = refund_rate = repeat = None
            for figure in ("average_order_value", "refund_rate", "repeat_purchase_rate", "lifetime_value"):
                unavailable[figure] = "no orders in the period"

        before = {o.customer for o in previous_orders}
        retention = None
        if before:
            retention = _ratio(len(before & set(per_customer)), len(before))
        else:
            unavailable["retention_rate"] = (
                f"no customers in the previous period ({self.previous.since} to {self.previous.until})"
            )

        lifetime = sorted(
            (CustomerValue(c, len(self.history[c]), self.lifetime_value(c, currency)) for c in per_customer),
            key=lambda v: (-v.revenue.base, v.customer),
        )
        lifetime_average = None
        if lifetime:
            total_lifetime = Money(
                sum((v.revenue.base for v in lifetime), Decimal(0)),
                None if currency is None else sum((v.revenue.market for v in lifetime), Decimal(0)),
            )
            lifetime_average = _divide(total_lifetime, len(lifetime))

        weekly = dict.fromkeys(self.weeks, Decimal(0))
        for order in orders:
            weekly[week_start(order.day)] += self.convert(
                order.net, order.currency, self.base_currency, order.day
            )

        visitors, conversion, ad_spend, acquisition, roas = self._traffic_figures(
            traffic_markets, currency, count, new, revenue, unavailable
        )
        abandoned, abandonment = self._abandonment(traffic_markets, orders, unavailable)

        return MarketFigures(
            market=name,
            currency=currency,
            orders=count,
            gross_revenue=gross,
            refunds=refunds,
            revenue=revenue,
            average_order_value=aov,
            customers=customers,
            new_customers=new,
            returning_customers=customers - new,
            repeat_purchase_rate=repeat,
            retention_rate=retention,
            lifetime_value_average=lifetime_average,
            lifetime_values=lifetime[:LIFETIME_LISTED],
            refund_rate=refund_rate,
            top_products=self._top_products(orders, currency),
            visitors=visitors,
            conversion_rate=conversion,
            abandoned_checkouts=abandoned,
            cart_abandonment_rate=abandonment,
            ad_spend=ad_spend,
            acquisition_cost=acquisition,
            roas=roas,
            weekly_revenue=weekly,
            unavailable=unavailable,
        )

    def _top_products(self, orders: list[OrderFact], currency: str | None) -> list[ProductFigure]:
        lines: dict[str, list] = defaultdict(list)
        for order in orders:
            for line in order.lines:
                lines[line.product_key].append((order, line))
        products = [
            ProductFigure(
                key=key,
                name=held[0][1].name,
                quantity=sum(line.quantity for _, line in held),
                revenue=self.money(
                    ((line.total, order.currency, order.day) for order, line in held), currency
                ),
            )
            for key, held in lines.items()
        ]
        products.sort(key=lambda p: (-p.revenue.base, p.key))
        return products[:TOP_PRODUCTS]

    def _traffic_figures(self, markets, currency, orders, new, revenue: Money, unavailable):
        if self.traffic is None:
            reason = "no traffic CSV configured (set reports.traffic_csv)"
            for figure in ("conversion_rate", "ad_spend", "acquisition_cost", "roas"):
                unavailable[figure] = reason
            return None, None, None, None, None
        rows = [r for r in self.traffic if r.market in markets and r.day in self.period]
        visitor_rows = [r.visitors for r in rows if r.visitors is not None]
        visitors = sum(visitor_rows) if visitor_rows else None
        conversion = None
        if visitors is None:
            unavailable["conversion_rate"] = "no visitors in the traffic CSV for this market and period"
        elif visitors == 0:
            unavailable["conversion_rate"] = "the traffic CSV records 0 visitors for this market and period"
        else:
            conversion = _ratio(orders, visitors)

        spend_rows = [r for r in rows if r.ad_spend is not None]
        ad_spend = acquisition = roas = None
        if not spend_rows:
            reason = "no ad spend in the traffic CSV for this market and period"
            for figure in ("ad_spend", "acquisition_cost", "roas"):
                unavailable[figure] = reason
            return visitors, conversion, None, None, None
        ad_spend = self.money(((r.ad_spend, r.currency, r.day) for r in spend_rows), currency)
        if new:
            acquisition = _divide(ad_spend, new)
        else:
            unavailable["acquisition_cost"] = "no new customers in the period"
        if ad_spend.base:
            roas = revenue.base / ad_spend.base
        else:
            unavailable["roas"] = "ad spend is 0"
        return visitors, conversion, ad_spend, acquisition, roas

    def _abandonment(self, markets, orders: list[OrderFact], unavailable):
        if self.abandoned is None:
            unavailable["cart_abandonment_rate"] = (
                f"abandoned checkouts are not in the state yet (pull a {self.checkout_platforms} store first)"
            )
            return None, None
        if not self.checkout_stores:
            unavailable["cart_abandonment_rate"] = (
                f"no {self.checkout_platforms} store in this report; abandoned checkouts come from"
                f" {self.checkout_platforms}"
            )
            return None, None
        abandoned = sum(
            1
            for c in self.abandoned
            if c.market in markets and c.day in self.period and c.store in self.checkout_stores
        )
        completed = sum(1 for o in orders if o.store in self.checkout_stores)
        if abandoned + completed == 0:
            unavailable["cart_abandonment_rate"] = (
                f"no checkouts on {self.checkout_platforms} stores for this market and period"
            )
            return abandoned, None
        return abandoned, _ratio(abandoned, abandoned + completed)


def _minus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a - b


def _divide(amount: Money, by: int) -> Money:
    return Money(amount.base / by, None if amount.market is None else amount.market / by)
