"""One market price from one base price: the steps of the price rules, in order, on Decimal."""

import datetime
from dataclasses import dataclass
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext

from connector.pricing.currency import Rate, minor_unit
from connector.pricing.rules import HUNDRED, Duty, MarketPriceRules

# Intermediate amounts are exact or carried at 40 significant digits; before the one rounding they are
# brought to WORKING_PLACES decimals so that a division's last-digit noise (49.99 / 1.21 * 1.21 =
# 49.98999...9) cannot push a price over a grid point it sits on.
PRICE_CONTEXT = Context(prec=40, traps=[InvalidOperation, DivisionByZero, Overflow])
WORKING_PLACES = Decimal("1e-10")


class PricingError(ValueError):
    """A price cannot be computed from these inputs; the message says which and why."""


@dataclass(frozen=True)
class PriceStep:
    """One line of the calculation: `name` is a stable key, `label` says what was done, `value` the result."""

    name: str
    label: str
    value: Decimal


@dataclass(frozen=True)
class PriceResult:
    """A computed market price and how it came about.

    `price` is final: on the rounding grid, with exactly the currency's minor digits. `steps` lists the
    intermediate values, unrounded, in order (names: base, base_net, converted, adjustment_N, duty, vat,
    floor, rounded; only the steps the market uses). `goods_value` is the net price in market currency
    before duty and VAT, `duty` the duty in it. `floor` is the lowest shown price that keeps the margin
    (before rounding), or None with `no_floor_reason` saying why; `floor_applied` tells whether it raised
    the price.
    """

    price: Decimal
    currency: str
    base_price: Decimal
    rate: Rate
    steps: tuple[PriceStep, ...]
    goods_value: Decimal
    duty: Decimal
    floor: Decimal | None
    floor_applied: bool
    no_floor_reason: str | None

    @property
    def rate_date(self) -> datetime.date:
        return self.rate.date


def compute_price(
    base_price: Decimal, rules: MarketPriceRules, rate: Rate, cost: Decimal | None = None
) -> PriceResult:
    """The market price for `base_price` (base currency, as the master store shows it).

    `cost` is the product's unit cost in the base currency, net of VAT; None means no floor.
    `rate` converts base to market currency. Regular, sale and compare-at prices all come through here.
    """
    _check_amount("base_price", base_price, allow_zero=False)
    if cost is not None:
        _check_amount("cost", cost, allow_zero=True)
    if (rate.base, rate.quote) != (rules.base_currency, rules.currency):
        raise PricingError(
            f"rate {rate.base}->{rate.quote} does not fit a market priced from"
            f" {rules.base_currency} in {rules.currency}"
        )

    with localcontext(PRICE_CONTEXT):
        steps = [PriceStep("base", f"base price ({rules.base_currency})", base_price)]

        net_base = base_price
        if rules.base_prices_include_vat:
            net_base = base_price / (1 + rules.base_vat_rate / HUNDRED)
            steps.append(PriceStep("base_net", f"less base VAT {rules.base_vat_rate}%", net_base))

        goods = net_base * rate.value
        steps.append(
            PriceStep(
                "converted", f"x {rate.value} {rate.base}->{rate.quote} ({rate.source}, {rate.date})", goods
            )
        )
        for index, adjustment in enumerate(rules.adjustments):
            goods = adjustment.apply(goods)
            steps.append(PriceStep(f"adjustment_{index + 1}", adjustment.describe(), goods))
        if goods <= 0:
            raise PricingError(
                f"the {rules.currency} price is {goods.normalize()} after the adjustments, not above zero;"
                " check the market's adjustments"
            )

        duty = _duty_due(goods, rules)
        shown = goods + duty
        if rules.duty is Duty.DDP:
            steps.append(PriceStep("duty", _duty_label(goods, rules), shown))
        if rules.prices_include_vat:
            shown = _with_vat(shown, rules)
            steps.append(PriceStep("vat", f"plus VAT {rules.vat_rate}%", shown))

        floor, no_floor_reason = _floor(cost, rules, rate)
        grid = rules.rounding.grid(rules.currency)
        unfloored = rules.rounding.apply(_working(shown), rules.currency)
        if floor is None:
            price = unfloored
        else:
            steps.append(PriceStep("floor", _floor_label(floor, shown, cost, rules), max(shown, floor)))
            at_least_floor = rules.rounding.apply(_working(max(shown, floor)), rules.currency)
            price = max(at_least_floor, grid.up(floor).quantize(minor_unit(rules.currency)))
        steps.append(PriceStep("rounded", f"rounded: {rules.rounding.describe()}", price))

    return PriceResult(
        price=price,
        currency=rules.currency,
        base_price=base_price,
        rate=rate,
        steps=tuple(steps),
        goods_value=goods,
        duty=duty,
        floor=floor,
        floor_applied=floor is not None and price > unfloored,
        no_floor_reason=no_floor_reason,
    )


def _check_amount(name: str, value: object, *, allow_zero: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, got {type(value).__name__} {value!r}")
    if not value.is_finite() or value < 0 or (value == 0 and not allow_zero):
        wanted = "zero or more" if allow_zero else "above zero"
        raise PricingError(f"{name} must be {wanted}, got {value}")


def _duty_due(goods: Decimal, rules: MarketPriceRules) -> Decimal:
    """Duty on the goods value for DDP markets; none at or under a de minimis threshold."""
    if rules.duty is not Duty.DDP or (rules.de_minimis > 0 and goods <= rules.de_minimis):
        return Decimal(0)
    return goods * rules.duty_rate / HUNDRED


def _duty_label(goods: Decimal, rules: MarketPriceRules) -> str:
    if rules.de_minimis > 0 and goods <= rules.de_minimis:
        return f"DDP: no duty, goods value at or under de minimis {rules.de_minimis}"
    return f"plus DDP duty {rules.duty_rate}%"


def _with_vat(amount: Decimal, rules: MarketPriceRules) -> Decimal:
    return amount * (1 + rules.vat_rate / HUNDRED) if rules.prices_include_vat else amount


def _floor(cost: Decimal | None, rules: MarketPriceRules, rate: Rate) -> tuple[Decimal | None, str | None]:
    """The lowest shown price that still earns the margin: cost x (1 + margin), converted, plus duty and VAT."""
    if cost is None:
        return None, "no cost known for this product, so no margin floor"
    if rules.min_margin is None:
        return None, "the market sets no min_margin, so no margin floor"
    floor_goods = cost * (1 + rules.min_margin / HUNDRED) * rate.value
    return _working(_with_vat(floor_goods + _duty_due(floor_goods, rules), rules)), None


def _floor_label(floor: Decimal, shown: Decimal, cost: Decimal | None, rules: MarketPriceRules) -> str:
    verdict = "raises the price" if floor > shown else "not reached"
    return f"floor {floor.normalize()} (cost {cost} + {rules.min_margin}% margin, landed): {verdict}"


def _working(amount: Decimal) -> Decimal:
    return amount.quantize(WORKING_PLACES)
