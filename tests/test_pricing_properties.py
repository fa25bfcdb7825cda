"""Properties of market prices over generated rule sets, prices, rates and costs.

The expected values here are computed independently: exact arithmetic on fractions for the amounts,
and each rounding rule's grid written out from its definition.
"""

import dataclasses
import datetime
from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from connector.pricing import (
    MarketPriceRules,
    PriceResult,
    PricingError,
    Rate,
    compute_price,
    minor_unit_digits,
)

CURRENCIES = ["EUR", "GBP", "CHF", "USD", "JPY", "KWD", "SEK", "HUF"]
RATE_DAY = datetime.date(2025, 6, 9)
PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow]
)
WORKING_TOLERANCE = Fraction(1, 10**9)


def decimals(low: str, high: str, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=places)


@st.composite
def rounding_tables(draw, currency: str) -> dict:
    digits = minor_unit_digits(currency)
    unit = Decimal(1).scaleb(-digits)
    rule = draw(st.sampled_from(["minor", "charm", "end_in_9", "step"]))
    table: dict = {"rule": rule}
    if rule == "charm":
        table["ending"] = draw(
            st.sampled_from([Decimal("0.99"), Decimal("0.95"), Decimal("0.90"), Decimal("0.00")])
            | decimals("0", "0.99", 2)
        )
    if rule == "step":
        table["step"] = unit * draw(st.sampled_from([1, 5, 10, 50, 100, 500, 1000]))
    direction = draw(st.sampled_from([None, "up", "nearest", "down"]))
    if direction:
        table["direction"] = direction
    return table


@st.composite
def market_rules(draw) -> MarketPriceRules:
    currency = draw(st.sampled_from(CURRENCIES))
    client = {"base_currency": "EUR", "base_prices_include_vat": draw(st.booleans())}
    if client["base_prices_include_vat"]:
        client["base_vat_rate"] = draw(decimals("0", "27", 1))
    market: dict = {"currency": currency, "prices_include_vat": draw(st.booleans())}
    if market["prices_include_vat"]:
        market["vat_rate"] = draw(decimals("0", "27", 1))
    if draw(st.booleans()):
        market["duty"] = "DDP"
        market["duty_rate"] = draw(decimals("0", "40", 1))
        market["de_minimis"] = draw(st.sampled_from([0, 22, 135, 150, 800]) | decimals("0", "5000", 2))
    adjustment = st.builds(lambda p: {"percent": p}, decimals("-50", "100", 1)) | st.builds(
        lambda f: {"fixed": f}, decimals("-5", "20", 2)
    )
    market["adjustments"] = draw(st.lists(adjustment, max_size=3))
    market["rounding"] = draw(rounding_tables(currency))
    if draw(st.booleans()):
        market["min_margin"] = draw(decimals("0", "200", 1))
    return MarketPriceRules.from_mapping(market, client)


rates = decimals("0.001", "500", 4)
base_prices = decimals("0.01", "20000", 2)
costs = st.none() | decimals("0", "15000", 2)


def price_or_reject(base: Decimal, rules: MarketPriceRules, rate: Rate, cost: Decimal | None) -> PriceResult:
    try:
        return compute_price(base, rules, rate, cost)
    except PricingError as error:
        assert "after the adjustments, not above zero" in str(error)
        reject()  # negative fixed adjustments took a small price to zero or below; out of scope


def on_rule_grid(price: Decimal, rules: MarketPriceRules) -> bool:
    """The grid of each rule, from its definition."""
    unit = Decimal(1).scaleb(-minor_unit_digits(rules.currency))
    rounding = rules.rounding
    if rounding.rule == "minor":
        return price % unit == 0
    if rounding.rule == "step":
        return price % rounding.step == 0
    if rounding.rule == "end_in_9":
        return price % 10 == 9
    block = Decimal(100) if unit == 1 else Decimal(1)  # JPY: blocks of 100 yen; 2 and 3 decimals: 1 unit
    return price % block == rounding.ending * block


def exact_landed(goods: Fraction, rules: MarketPriceRules) -> Fraction:
    """Goods value -> shown price: duty when DDP and above de minimis, then VAT when shown inclusive."""
    if rules.duty == "DDP" and (rules.de_minimis == 0 or goods > Fraction(rules.de_minimis)):
        goods = goods * (1 + Fraction(rules.duty_rate) / 100)
    if rules.prices_include_vat:
        goods = goods * (1 + Fraction(rules.vat_rate) / 100)
    return goods


def exact_before_floor(base: Decimal, rules: MarketPriceRules, rate: Rate) -> Fraction:
    amount = Fraction(base)
    if rules.base_prices_include_vat:
        amount = amount / (1 + Fraction(rules.base_vat_rate) / 100)
    amount *= Fraction(rate.value)
    for adjustment in rules.adjustments:
        if adjustment.percent is not None:
            amount *= 1 + Fraction(adjustment.percent) / 100
        else:
            amount += Fraction(adjustment.fixed)
    return exact_landed(amount, rules)


def exact_floor(cost: Decimal, rules: MarketPriceRules, rate: Rate) -> Fraction:
    return exact_landed(Fraction(cost) * (1 + Fraction(rules.min_margin) / 100) * Fraction(rate.value), rules)


def assert_no_float(value: object, where: str = "result") -> None:
    assert not isinstance(value, float), where
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            assert_no_float(getattr(value, field.name), f"{where}.{field.name}")
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            assert_no_float(item, f"{where}[{index}]")


def market_rate(rules: MarketPriceRules, value: Decimal) -> Rate:
    return Rate(rules.base_currency, rules.currency, value, RATE_DAY, "test")


@PROPERTY_SETTINGS
@given(rules=market_rules(), rate_value=rates, base=base_prices, cost=costs)
def test_price_is_on_the_minor_unit_and_the_rule_grid_and_all_decimal(rules, rate_value, base, cost) -> None:
    rate = market_rate(rules, rate_value)

    result = price_or_reject(base, rules, rate, cost)

    price = result.price
    assert isinstance(price, Decimal)
    assert price > 0
    assert price.as_tuple().exponent == -minor_unit_digits(rules.currency)
    assert on_rule_grid(price, rules), (price, rules.rounding)
    assert rules.rounding.grid(rules.currency).contains(price)
    assert all(isinstance(step.value, Decimal) for step in result.steps)
    assert isinstance(result.goods_value, Decimal) and isinstance(result.duty, Decimal)
    assert result.floor is None or isinstance(result.floor, Decimal)
    assert_no_float(result)
    assert_no_float(rules, "rules")


@PROPERTY_SETTINGS
@given(rules=market_rules(), rate_value=rates, base=base_prices, cost=costs)
def test_price_follows_the_exact_calculation_to_one_grid_step(rules, rate_value, base, cost) -> None:
    rate = market_rate(rules, rate_value)

    result = price_or_reject(base, rules, rate, cost)

    target = exact_before_floor(base, rules, rate)
    if result.floor is not None:
        target = max(target, exact_floor(cost, rules, rate))
    before_rounding = result.steps[-2].value
    assert abs(Fraction(before_rounding) - target) <= WORKING_TOLERANCE
    grid = rules.rounding.grid(rules.currency)
    spacing, first, price = Fraction(grid.spacing), Fraction(grid.first_positive()), Fraction(result.price)
    if price > first:  # the first positive grid price may lie further from a tiny value
        assert price - spacing < target + WORKING_TOLERANCE
    if rules.rounding.direction == "up" or result.floor_applied:
        assert price > target - WORKING_TOLERANCE
    elif rules.rounding.direction == "nearest":
        assert abs(price - target) <= spacing / 2 + WORKING_TOLERANCE or price == first
    else:
        assert price < target + WORKING_TOLERANCE or price == first
        assert price + spacing > target - WORKING_TOLERANCE


@PROPERTY_SETTINGS
@given(rules=market_rules(), rate_value=rates, base=base_prices, cost=decimals("0", "15000", 2))
def test_price_is_never_below_the_floor(rules, rate_value, base, cost) -> None:
    rate = market_rate(rules, rate_value)

    result = price_or_reject(base, rules, rate, cost)

    if rules.min_margin is None:
        assert result.floor is None and "min_margin" in result.no_floor_reason
        return
    assert result.no_floor_reason is None
    assert result.price >= result.floor
    assert abs(Fraction(result.floor) - exact_floor(cost, rules, rate)) <= WORKING_TOLERANCE
    if result.floor_applied:
        assert (
            result.price
            < rules.rounding.grid(rules.currency).up(result.floor)
            + rules.rounding.grid(rules.currency).spacing
        )


@PROPERTY_SETTINGS
@given(rules=market_rules(), rate_value=rates, first=base_prices, second=base_prices, cost=costs)
def test_price_never_falls_when_the_base_price_rises(rules, rate_value, first, second, cost) -> None:
    rate = market_rate(rules, rate_value)
    lower, higher = sorted([first, second])

    lower_result = price_or_reject(lower, rules, rate, cost)
    higher_result = price_or_reject(higher, rules, rate, cost)

    assert lower_result.price <= higher_result.price


@PROPERTY_SETTINGS
@given(rules=market_rules(), rate_value=rates, base=base_prices, step=decimals("0.01", "0.05", 2), cost=costs)
def test_price_never_falls_one_cent_up(rules, rate_value, base, step, cost) -> None:
    """Neighbouring prices are where grid edges and de minimis thresholds would show a fall."""
    rate = market_rate(rules, rate_value)

    assert (
        price_or_reject(base, rules, rate, cost).price
        <= price_or_reject(base + step, rules, rate, cost).price
    )
