"""Worked examples of market prices, each with its hand calculation, and the config checks.

Rates are the ECB reference rates of 2025-06-09 (EUR->GBP 0.8424, CHF 0.9369, USD 1.141, JPY 164.88,
SEK 10.97, HUF 401.7); KWD is not published by the ECB, so its markets fix a rate of 0.3497.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal as D

import pytest

from connector.pricing import (
    MarketPriceRules,
    PricingConfigError,
    PricingError,
    Rate,
    compute_price,
    minor_unit,
    minor_unit_digits,
)

RATE_DAY = datetime.date(2025, 6, 9)
ECB_2025_06_09 = {"GBP": D("0.8424"), "CHF": D("0.9369"), "USD": D("1.141"), "JPY": D("164.88")}
ECB_2025_06_09 |= {"SEK": D("10.97"), "HUF": D("401.7")}

FR_MASTER = {"base_currency": "EUR", "base_prices_include_vat": True, "base_vat_rate": 20}
NET_EUR_MASTER = {"base_currency": "EUR", "base_prices_include_vat": False}
SI_MASTER = {"base_currency": "EUR", "base_prices_include_vat": True, "base_vat_rate": 22}
GR_MASTER = {"base_currency": "EUR", "base_prices_include_vat": True, "base_vat_rate": 24}


def ecb(quote: str) -> Rate:
    return Rate("EUR", quote, ECB_2025_06_09[quote], RATE_DAY, "ECB")


def fixed(base: str, quote: str, value: str) -> Rate:
    return Rate(base, quote, D(value), RATE_DAY, "fixed in config")


def same(currency: str) -> Rate:
    return Rate(currency, currency, D(1), RATE_DAY, "same currency")


def market(currency: str, vat: int | str | None = None, **settings) -> dict:
    """A market table: `vat` given means prices shown with that VAT included."""
    table = {"currency": currency, "prices_include_vat": vat is not None, **settings}
    if vat is not None:
        table["vat_rate"] = D(str(vat))
    return table


CHARM_99 = {"rule": "charm", "ending": D("0.99")}
DE = market("EUR", 19, rounding=CHARM_99)
UK = market("GBP", 20, adjustments=[{"percent": 8}], rounding={"rule": "step", "step": 5})
US_DDP = market(
    "USD", duty="DDP", duty_rate=10, adjustments=[{"fixed": D("3.00")}], rounding=CHARM_99, min_margin=30
)
JP = market("JPY", 10, min_margin=50)
KW = market("KWD", exchange_rate=D("0.3497"))


def net_market(currency: str, rule: str, direction: str | None = None, **rounding) -> dict:
    """A tax-exclusive market in the base currency: the price before rounding is the base price."""
    table = {"rule": rule, **rounding}
    if direction:
        table["direction"] = direction
    return market(currency, rounding=table)


@dataclass(frozen=True)
class Example:
    name: str
    client: dict
    market: dict
    base: str
    rate: Rate
    expected: str
    cost: str | None = None
    floor_applied: bool = False


EXAMPLES = [
    # -- everyday markets, base prices from a French master store (EUR, 20 % VAT included) --
    # 49.00 / 1.20 = 40.8333..; x 1 = 40.8333..; x 1.20 = 49.00; minor -> 49.00
    Example("France, same currency and VAT", FR_MASTER, market("EUR", 20), "49.00", same("EUR"), "49.00"),
    # 49.00 / 1.20 = 40.8333..; x 1.19 = 48.5917; charm .99 up -> 48.99
    Example("Germany, 19 % VAT, charm .99", FR_MASTER, DE, "49.00", same("EUR"), "48.99"),
    # 49.00 / 1.20 x 0.8424 = 34.398; +8 % = 37.14984; x 1.20 = 44.579808; step 5 up -> 45.00
    Example("UK 45 GBP, +8 %, step 5", FR_MASTER, UK, "49.00", ecb("GBP"), "45.00"),
    # 49.00 / 1.20 x 0.9369 = 38.25675; +35 % = 51.6466125; x 1.081 = 55.8299881; end in 9 up -> 59.00
    Example(
        "Switzerland 59 CHF, +35 %, end in 9",
        FR_MASTER,
        market("CHF", "8.1", adjustments=[{"percent": 35}], rounding={"rule": "end_in_9"}),
        "49.00",
        ecb("CHF"),
        "59.00",
    ),
    # 49.00 / 1.20 x 1.141 = 46.5908333; +3.00 = 49.5908333; DDP duty 10 % = 4.9590833 -> 54.5499167;
    # no VAT shown; charm .99 up -> 54.99
    Example("US $54.99 duties paid", FR_MASTER, US_DDP, "49.00", ecb("USD"), "54.99"),
    # 49.00 / 1.20 = 40.8333..; x 1.141 = 46.5908333; prices without tax; minor nearest -> 46.59
    Example("US tax exclusive, DDU", FR_MASTER, market("USD"), "49.00", ecb("USD"), "46.59"),
    # -- duties and de minimis --
    # goods 49.5908333 (as above) <= de minimis 800, so no duty; charm .99 up -> 49.99
    Example(
        "US DDP under de minimis 800",
        FR_MASTER,
        US_DDP | {"de_minimis": 800},
        "49.00",
        ecb("USD"),
        "49.99",
    ),
    # 300.00 / 1.20 = 250; x 0.8424 = 210.60 > 135, duty 4 % = 8.424 -> 219.024; x 1.20 = 262.8288;
    # charm .99 up -> 262.99
    Example(
        "UK DDP above de minimis 135",
        FR_MASTER,
        market("GBP", 20, duty="DDP", duty_rate=4, de_minimis=135, rounding=CHARM_99),
        "300.00",
        ecb("GBP"),
        "262.99",
    ),
    # 49.00 / 1.20 x 0.8424 = 34.398 <= 135, no duty; x 1.20 = 41.2776; charm .99 up -> 41.99
    Example(
        "UK DDP under de minimis 135",
        FR_MASTER,
        market("GBP", 20, duty="DDP", duty_rate=4, de_minimis=135, rounding=CHARM_99),
        "49.00",
        ecb("GBP"),
        "41.99",
    ),
    # 170.00 / 1.20 = 141.6667; x 0.8424 = 119.34 <= 135 (goods value; with VAT it would be 143.21),
    # no duty; x 1.20 = 143.208; charm .99 up -> 143.99
    Example(
        "UK DDP, de minimis is on the goods value",
        FR_MASTER,
        market("GBP", 20, duty="DDP", duty_rate=4, de_minimis=135, rounding=CHARM_99),
        "170.00",
        ecb("GBP"),
        "143.99",
    ),
    # goods 150.00, exactly the de minimis 150: not above it, no duty -> 150.00
    Example(
        "DDP exactly at de minimis",
        NET_EUR_MASTER,
        market("EUR", duty="DDP", duty_rate=12, de_minimis=150),
        "150.00",
        same("EUR"),
        "150.00",
    ),
    # goods 150.01 > 150: duty 12 % = 18.0012 -> 168.0112; minor nearest -> 168.01
    Example(
        "DDP one cent above de minimis",
        NET_EUR_MASTER,
        market("EUR", duty="DDP", duty_rate=12, de_minimis=150),
        "150.01",
        same("EUR"),
        "168.01",
    ),
    # -- base prices without VAT, tax-inclusive market --
    # 40.00 net; x 1.20 = 48.00; charm .99 up -> 48.99
    Example(
        "net base into France",
        NET_EUR_MASTER,
        market("EUR", 20, rounding=CHARM_99),
        "40.00",
        same("EUR"),
        "48.99",
    ),
    # -- zero-decimal currency: JPY, 10 % consumption tax shown in the price --
    # 49.00 / 1.20 x 164.88 = 6732.6; x 1.10 = 7405.86; minor (1 yen) nearest -> 7406
    Example("Japan, minor unit 1 yen", FR_MASTER, JP, "49.00", ecb("JPY"), "7406"),
    # 7405.86; charm .99 on JPY ends in 99 yen (blocks of 100): up -> 7499
    Example("Japan, charm .99 = 99 yen", FR_MASTER, JP | {"rounding": CHARM_99}, "49.00", ecb("JPY"), "7499"),
    # 7405.86; charm .90 nearest: 7390 (15.86 away) or 7490 (84.14 away) -> 7390
    Example(
        "Japan, charm .90 nearest",
        FR_MASTER,
        JP | {"rounding": {"rule": "charm", "ending": D("0.90"), "direction": "nearest"}},
        "49.00",
        ecb("JPY"),
        "7390",
    ),
    # 7405.86; charm .00 on JPY = whole hundreds, up -> 7500
    Example(
        "Japan, charm .00 = hundreds",
        FR_MASTER,
        JP | {"rounding": {"rule": "charm", "ending": D("0.00")}},
        "49.00",
        ecb("JPY"),
        "7500",
    ),
    # 7405.86; end in 9 up -> 7409
    Example(
        "Japan, end in 9", FR_MASTER, JP | {"rounding": {"rule": "end_in_9"}}, "49.00", ecb("JPY"), "7409"
    ),
    # 7405.86; step 100 nearest -> 7400
    Example(
        "Japan, step 100 nearest",
        FR_MASTER,
        JP | {"rounding": {"rule": "step", "step": 100, "direction": "nearest"}},
        "49.00",
        ecb("JPY"),
        "7400",
    ),
    # cost 30 EUR x 1.50 = 45 EUR; x 164.88 = 7419.6; x 1.10 = 8161.56 floor > 7405.86;
    # charm .99 up -> 8199
    Example(
        "Japan, floor wins",
        FR_MASTER,
        JP | {"rounding": CHARM_99},
        "49.00",
        ecb("JPY"),
        "8199",
        cost="30",
        floor_applied=True,
    ),
    # -- three-decimal currency: KWD, fixed rate, no VAT --
    # 49.00 / 1.20 = 40.8333..; x 0.3497 = 14.2794167; minor (0.001) nearest -> 14.279
    Example("Kuwait, minor unit 0.001", FR_MASTER, KW, "49.00", fixed("EUR", "KWD", "0.3497"), "14.279"),
    # 14.2794167; charm .99 on KWD = .990 of a dinar, up -> 14.990
    Example(
        "Kuwait, charm .990",
        FR_MASTER,
        KW | {"rounding": CHARM_99},
        "49.00",
        fixed("EUR", "KWD", "0.3497"),
        "14.990",
    ),
    # 14.2794167; DDP duty 5 % = 0.7139708 -> 14.9933875, just over 14.990; charm up -> 15.990
    Example(
        "Kuwait DDP, just over a charm price",
        FR_MASTER,
        KW | {"rounding": CHARM_99, "duty": "DDP", "duty_rate": 5},
        "49.00",
        fixed("EUR", "KWD", "0.3497"),
        "15.990",
    ),
    # 1.2345 KWD, a tie at the fourth decimal; nearest breaks ties up -> 1.235
    Example(
        "Kuwait, tie at 0.0005",
        {"base_currency": "KWD", "base_prices_include_vat": False},
        market("KWD"),
        "1.2345",
        same("KWD"),
        "1.235",
    ),
    # -- other two-decimal currencies --
    # 49.00 / 1.20 x 10.97 = 447.941667; x 1.25 = 559.927083; step 10 up -> 560.00
    Example(
        "Sweden, step 10",
        FR_MASTER,
        market("SEK", 25, rounding={"rule": "step", "step": 10}),
        "49.00",
        ecb("SEK"),
        "560.00",
    ),
    # 49.00 / 1.20 x 401.7 = 16402.75; x 1.27 = 20831.4925; step 10 up -> 20840.00
    Example(
        "Hungary, step 10",
        FR_MASTER,
        market("HUF", 27, rounding={"rule": "step", "step": 10}),
        "49.00",
        ecb("HUF"),
        "20840.00",
    ),
    # -- rounding edges (tax-exclusive market in the base currency: the value rounded is the base) --
    # 9.995: a tie between 9.99 and 10.00; ties go up -> 10.00
    Example(".995 tie, minor nearest", NET_EUR_MASTER, market("EUR"), "9.995", same("EUR"), "10.00"),
    # 19.991 is above 19.99: up -> 20.00
    Example("minor up", NET_EUR_MASTER, net_market("EUR", "minor", "up"), "19.991", same("EUR"), "20.00"),
    # 48.99 is a charm price: stays
    Example("charm exact hit", NET_EUR_MASTER, net_market("EUR", "charm"), "48.99", same("EUR"), "48.99"),
    # 48.9899 is just under 48.99: up -> 48.99
    Example("charm just under", NET_EUR_MASTER, net_market("EUR", "charm"), "48.9899", same("EUR"), "48.99"),
    # 48.9901 is just over 48.99: up -> 49.99
    Example("charm just over", NET_EUR_MASTER, net_market("EUR", "charm"), "48.9901", same("EUR"), "49.99"),
    # 48.47: 47.95 is 0.52 away, 48.95 is 0.48 away -> 48.95
    Example(
        "charm .95 nearest",
        NET_EUR_MASTER,
        net_market("EUR", "charm", "nearest", ending=D("0.95")),
        "48.47",
        same("EUR"),
        "48.95",
    ),
    # 48.45: exactly between 47.95 and 48.95; ties up -> 48.95
    Example(
        "charm .95 nearest tie",
        NET_EUR_MASTER,
        net_market("EUR", "charm", "nearest", ending=D("0.95")),
        "48.45",
        same("EUR"),
        "48.95",
    ),
    # 0.30 with charm .00 nearest would be 0.00; a price is never zero -> 1.00
    Example(
        "charm .00 never rounds to zero",
        NET_EUR_MASTER,
        net_market("EUR", "charm", "nearest", ending=D("0.00")),
        "0.30",
        same("EUR"),
        "1.00",
    ),
    # 49.00 ends in 9: stays
    Example(
        "end in 9 exact hit", NET_EUR_MASTER, net_market("EUR", "end_in_9"), "49.00", same("EUR"), "49.00"
    ),
    # 49.01 is past 49: up -> 59.00
    Example(
        "end in 9 just over", NET_EUR_MASTER, net_market("EUR", "end_in_9"), "49.01", same("EUR"), "59.00"
    ),
    # 53.99: 49 is 4.99 away, 59 is 5.01 away -> 49.00
    Example(
        "end in 9 nearest",
        NET_EUR_MASTER,
        net_market("EUR", "end_in_9", "nearest"),
        "53.99",
        same("EUR"),
        "49.00",
    ),
    # 54.00: exactly between 49 and 59; ties up -> 59.00
    Example(
        "end in 9 nearest tie",
        NET_EUR_MASTER,
        net_market("EUR", "end_in_9", "nearest"),
        "54.00",
        same("EUR"),
        "59.00",
    ),
    # 3.20 is under the first price ending in 9: up -> 9.00
    Example("end in 9 under 9", NET_EUR_MASTER, net_market("EUR", "end_in_9"), "3.20", same("EUR"), "9.00"),
    # CHF base: 58.731, step 0.05 up -> 58.75
    Example(
        "CHF step 0.05 up",
        {"base_currency": "CHF", "base_prices_include_vat": False},
        net_market("CHF", "step", step=D("0.05")),
        "58.731",
        same("CHF"),
        "58.75",
    ),
    # 58.725: exactly between 58.70 and 58.75; ties up -> 58.75
    Example(
        "CHF step 0.05 nearest tie",
        {"base_currency": "CHF", "base_prices_include_vat": False},
        net_market("CHF", "step", "nearest", step=D("0.05")),
        "58.725",
        same("CHF"),
        "58.75",
    ),
    # 58.724 is nearer 58.70 -> 58.70
    Example(
        "CHF step 0.05 nearest down",
        {"base_currency": "CHF", "base_prices_include_vat": False},
        net_market("CHF", "step", "nearest", step=D("0.05")),
        "58.724",
        same("CHF"),
        "58.70",
    ),
    # 57.49 nearer 55 than 60 -> 55.00
    Example(
        "step 5 nearest",
        NET_EUR_MASTER,
        net_market("EUR", "step", "nearest", step=5),
        "57.49",
        same("EUR"),
        "55.00",
    ),
    # 57.50 exactly between 55 and 60; ties up -> 60.00
    Example(
        "step 5 nearest tie",
        NET_EUR_MASTER,
        net_market("EUR", "step", "nearest", step=5),
        "57.50",
        same("EUR"),
        "60.00",
    ),
    # 57.99 down to the multiple of 5 under it -> 55.00
    Example(
        "step 5 down",
        NET_EUR_MASTER,
        net_market("EUR", "step", "down", step=5),
        "57.99",
        same("EUR"),
        "55.00",
    ),
    # 48.50 down to the .99 price under it -> 47.99
    Example(
        "charm .99 down", NET_EUR_MASTER, net_market("EUR", "charm", "down"), "48.50", same("EUR"), "47.99"
    ),
    # 50.00 is a multiple of 10: stays
    Example(
        "step 10 exact hit", NET_EUR_MASTER, net_market("EUR", "step", step=10), "50.00", same("EUR"), "50.00"
    ),
    # 50.0001 is past 50: up -> 60.00
    Example(
        "step 10 just over",
        NET_EUR_MASTER,
        net_market("EUR", "step", step=10),
        "50.0001",
        same("EUR"),
        "60.00",
    ),
    # Slovenian master store (22 %) into Slovenia: 39.99 / 1.22 x 1.22 is 39.99 (carried at 40 digits it
    # comes back one unit in the last digit high); charm .99 up -> 39.99, not 40.99
    Example(
        "division noise does not cross a grid price",
        SI_MASTER,
        market("EUR", 22, rounding=CHARM_99),
        "39.99",
        same("EUR"),
        "39.99",
    ),
    # Greek master (24 %) into Greece: 19.00 / 1.24 x 1.24 = 19.00; end in 9 up -> 19.00, not 29.00
    Example(
        "division noise on an end-in-9 price",
        GR_MASTER,
        market("EUR", 24, rounding={"rule": "end_in_9"}),
        "19.00",
        same("EUR"),
        "19.00",
    ),
    # -- adjustments, in order --
    # 100.00 +10 % = 110.00; +2.00 = 112.00
    Example(
        "percent then fixed",
        NET_EUR_MASTER,
        market("EUR", adjustments=[{"percent": 10}, {"fixed": D("2.00")}]),
        "100.00",
        same("EUR"),
        "112.00",
    ),
    # 100.00 +2.00 = 102.00; +10 % = 112.20
    Example(
        "fixed then percent",
        NET_EUR_MASTER,
        market("EUR", adjustments=[{"fixed": D("2.00")}, {"percent": 10}]),
        "100.00",
        same("EUR"),
        "112.20",
    ),
    # 100.00 -15 % = 85.00
    Example(
        "market discount",
        NET_EUR_MASTER,
        market("EUR", adjustments=[{"percent": -15}]),
        "100.00",
        same("EUR"),
        "85.00",
    ),
    # -- the margin floor --
    # price 19.00 / 1.20 x 1.20 = 19.00; floor 14 x 1.30 = 18.20 x 1.20 = 21.84 > 19.00; charm up -> 21.99
    Example(
        "France, floor wins",
        FR_MASTER,
        market("EUR", 20, rounding=CHARM_99, min_margin=30),
        "19.00",
        same("EUR"),
        "21.99",
        cost="14",
        floor_applied=True,
    ),
    # floor 21.84 (above); step 5 nearest of 21.84 is 20.00, under the floor -> first step above: 25.00
    Example(
        "floor with nearest rounding rounds up",
        FR_MASTER,
        market("EUR", 20, rounding={"rule": "step", "step": 5, "direction": "nearest"}, min_margin=30),
        "19.00",
        same("EUR"),
        "25.00",
        cost="14",
        floor_applied=True,
    ),
    # 21.90 / 1.20 x 1.20 = 21.90 over floor 21.84; charm down gives 20.99, under the floor
    # -> first charm price at or above the floor: 21.99
    Example(
        "floor with down rounding rounds up",
        FR_MASTER,
        market("EUR", 20, rounding={"rule": "charm", "direction": "down"}, min_margin=30),
        "21.90",
        same("EUR"),
        "21.99",
        cost="14",
        floor_applied=True,
    ),
    # floor 21.84 < 49.00: not reached; charm up -> 49.99
    Example(
        "floor not reached",
        FR_MASTER,
        market("EUR", 20, rounding=CHARM_99, min_margin=30),
        "49.00",
        same("EUR"),
        "49.99",
        cost="14",
    ),
    # price 54.5499167 (US example); floor 40 x 1.30 = 52 EUR x 1.141 = 59.332; duty 10 % = 5.9332
    # -> 65.2652 > 54.55; charm up -> 65.99
    Example(
        "US DDP, floor carries the duty",
        FR_MASTER,
        US_DDP,
        "49.00",
        ecb("USD"),
        "65.99",
        cost="40",
        floor_applied=True,
    ),
    # -- sale and compare-at prices through the same rules --
    # sale 39.00 / 1.20 = 32.50; x 1.19 = 38.675; charm up -> 38.99
    Example("Germany, sale price", FR_MASTER, DE, "39.00", same("EUR"), "38.99"),
    # compare-at 59.00 / 1.20 = 49.1667; x 1.19 = 58.5083; charm up -> 58.99
    Example("Germany, compare-at price", FR_MASTER, DE, "59.00", same("EUR"), "58.99"),
    # sale 15.00 / 1.20 x 1.20 = 15.00 under floor 21.84 (cost 14, margin 30 %); charm up -> 21.99
    Example(
        "sale price held at the floor",
        FR_MASTER,
        market("EUR", 20, rounding=CHARM_99, min_margin=30),
        "15.00",
        same("EUR"),
        "21.99",
        cost="14",
        floor_applied=True,
    ),
]


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.name for example in EXAMPLES])
def test_worked_example(example: Example) -> None:
    rules = MarketPriceRules.from_mapping(example.market, example.client)
    cost = None if example.cost is None else D(example.cost)

    result = compute_price(D(example.base), rules, example.rate, cost)

    assert str(result.price) == example.expected  # the value and the currency's number of decimals
    assert result.currency == example.rate.quote
    assert result.floor_applied is example.floor_applied
    assert result.rate == example.rate


def test_examples_cover_every_rule() -> None:
    rules = [MarketPriceRules.from_mapping(example.market, example.client) for example in EXAMPLES]
    assert len(EXAMPLES) >= 25
    assert {r.currency for r in rules} >= {"JPY", "EUR", "GBP", "CHF", "USD", "KWD"}
    assert {(r.rounding.rule.value, r.rounding.direction.value) for r in rules} >= {
        ("minor", "nearest"),
        ("minor", "up"),
        ("charm", "up"),
        ("charm", "nearest"),
        ("end_in_9", "up"),
        ("end_in_9", "nearest"),
        ("step", "up"),
        ("step", "nearest"),
        ("step", "down"),
        ("charm", "down"),
    }
    assert {r.duty.value for r in rules} == {"DDP", "DDU"}
    assert {r.prices_include_vat for r in rules} == {True, False}
    assert {r.base_prices_include_vat for r in rules} == {True, False}
    assert any(example.floor_applied for example in EXAMPLES)


def test_result_records_each_step_the_rate_and_its_date() -> None:
    rules = MarketPriceRules.from_mapping(US_DDP, FR_MASTER)

    result = compute_price(D("49.00"), rules, ecb("USD"), D("20"))

    assert [step.name for step in result.steps] == [
        "base",
        "base_net",
        "converted",
        "adjustment_1",
        "duty",
        "floor",
        "rounded",
    ]
    values = {step.name: step.value for step in result.steps}
    assert values["base_net"].quantize(D("0.0001")) == D("40.8333")
    assert values["converted"].quantize(D("0.0001")) == D("46.5908")
    assert values["adjustment_1"].quantize(D("0.0001")) == D("49.5908")
    assert values["duty"].quantize(D("0.0001")) == D("54.5499")
    assert values["rounded"] == result.price == D("54.99")
    assert result.duty.quantize(D("0.0001")) == D("4.9591")
    assert result.rate_date == RATE_DAY
    assert "2025-06-09" in result.steps[2].label and "ECB" in result.steps[2].label
    # floor: 20 x 1.30 = 26 EUR x 1.141 = 29.666 + 10 % duty = 32.6326
    assert result.floor == D("32.6326")
    assert result.no_floor_reason is None


def test_no_cost_means_no_floor_and_says_so() -> None:
    rules = MarketPriceRules.from_mapping(market("EUR", 20, rounding=CHARM_99, min_margin=30), FR_MASTER)

    result = compute_price(D("15.00"), rules, same("EUR"), None)

    assert result.price == D("15.99")
    assert result.floor is None and not result.floor_applied
    assert "no cost" in result.no_floor_reason


def test_market_without_min_margin_has_no_floor_and_says_so() -> None:
    rules = MarketPriceRules.from_mapping(market("EUR", 20, rounding=CHARM_99), FR_MASTER)

    result = compute_price(D("15.00"), rules, same("EUR"), D("14"))

    assert result.price == D("15.99")
    assert result.floor is None
    assert "min_margin" in result.no_floor_reason


def test_rejects_float_inputs_and_a_rate_for_another_pair() -> None:
    rules = MarketPriceRules.from_mapping(DE, FR_MASTER)
    with pytest.raises(TypeError, match="base_price must be a Decimal"):
        compute_price(49.0, rules, same("EUR"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cost must be a Decimal"):
        compute_price(D("49"), rules, same("EUR"), 10.5)  # type: ignore[arg-type]
    with pytest.raises(PricingError, match="rate EUR->GBP does not fit a market priced from EUR in EUR"):
        compute_price(D("49"), rules, ecb("GBP"))
    with pytest.raises(PricingError, match="base_price must be above zero"):
        compute_price(D("0"), rules, same("EUR"))
    with pytest.raises(ValueError, match="positive Decimal"):
        Rate("EUR", "GBP", 0.84, RATE_DAY, "ECB")  # type: ignore[arg-type]


def test_adjustments_that_take_the_price_to_zero_are_reported() -> None:
    rules = MarketPriceRules.from_mapping(market("EUR", adjustments=[{"fixed": D("-5.00")}]), NET_EUR_MASTER)

    with pytest.raises(PricingError, match="after the adjustments, not above zero"):
        compute_price(D("4.00"), rules, same("EUR"))


def test_config_defaults() -> None:
    rules = MarketPriceRules.from_mapping(market("USD", unrelated_key="kept for the schema"), NET_EUR_MASTER)

    assert rules.rounding.rule.value == "minor" and rules.rounding.direction.value == "nearest"
    assert rules.duty.value == "DDU" and rules.duty_rate == 0 and rules.de_minimis == 0
    assert rules.min_margin is None and rules.exchange_rate is None
    assert rules.max_price_change == D(20)
    assert rules.adjustments == ()
    step = MarketPriceRules.from_mapping(net_market("EUR", "step", step=5), NET_EUR_MASTER)
    assert step.rounding.direction.value == "up"


@pytest.mark.parametrize(
    ("currency", "digits"),
    [
        ("JPY", 0),
        ("ISK", 0),
        ("EUR", 2),
        ("GBP", 2),
        ("USD", 2),
        ("CHF", 2),
        ("SEK", 2),
        ("HUF", 2),
        ("KWD", 3),
    ],
)
def test_minor_units_come_from_the_currency_data(currency: str, digits: int) -> None:
    # CLDR accounting digits: CHF's 0.05 and HUF's/SEK's whole-unit cash rounding do not apply to card prices
    assert minor_unit_digits(currency) == digits
    assert minor_unit(currency) == D(1).scaleb(-digits)


def test_a_schema_dump_with_defaults_reads_like_the_file() -> None:
    dumped = {
        "currency": "USD",
        "language": "en",
        "target": "us-shop",
        "prices_include_vat": False,
        "vat_rate": D(0),
        "duty": "DDU",
        "duty_rate": D(0),
        "de_minimis": D(0),
        "exchange_rate": None,
        "adjustments": [{"percent": D(10), "fixed": None}],
        "rounding": {"rule": "charm", "ending": None, "step": None, "direction": None},
        "min_margin": None,
    }
    client = {"name": "acme", "base_currency": "EUR", "base_prices_include_vat": False, "base_vat_rate": D(0)}

    rules = MarketPriceRules.from_mapping(dumped, client)

    assert rules.adjustments[0].percent == D(10)
    assert (rules.rounding.rule.value, rules.rounding.ending, rules.rounding.direction.value) == (
        "charm",
        D("0.99"),
        "up",
    )
    # 40.00 x 1.141 = 45.64; +10 % = 50.204; no VAT, no duty; charm .99 up -> 50.99
    assert compute_price(D("40.00"), rules, ecb("USD")).price == D("50.99")


def test_currency_codes_are_normalised() -> None:
    rules = MarketPriceRules.from_mapping(
        market(" gbp"), {"base_currency": "eur", "base_prices_include_vat": False}
    )
    assert (rules.base_currency, rules.currency) == ("EUR", "GBP")


@pytest.mark.parametrize(
    ("market_table", "client", "expected_messages"),
    [
        (
            {"prices_include_vat": True},
            {"base_currency": "EUR", "base_prices_include_vat": True},
            [
                "client.base_vat_rate: missing; client.base_prices_include_vat is true, so give the VAT rate in percent",
                "markets.x.currency: missing",
                "markets.x.vat_rate: missing; markets.x.prices_include_vat is true",
            ],
        ),
        (
            {"currency": "ZZZ", "prices_include_vat": "yes"},
            {"base_currency": "EUR"},
            [
                "client.base_prices_include_vat: missing; set it to true when these prices are shown with VAT",
                "markets.x.currency: unknown currency 'ZZZ'",
                "markets.x.prices_include_vat: must be true or false, got 'yes'",
            ],
        ),
        (
            market("USD", vat_rate=D(7)) | {"prices_include_vat": False},
            NET_EUR_MASTER,
            ["markets.x.vat_rate: set but markets.x.prices_include_vat is false, so it would not be used"],
        ),
        (
            market("USD", duty="DAP"),
            NET_EUR_MASTER,
            ["markets.x.duty: 'DAP' is not a duty term; use \"DDP\""],
        ),
        (
            market("USD", duty="DDP", de_minimis=800),
            NET_EUR_MASTER,
            ['markets.x.duty_rate: missing; duty = "DDP" needs the duty rate in percent'],
        ),
        (
            market("USD", duty_rate=5, de_minimis=800),
            NET_EUR_MASTER,
            [
                'markets.x.duty_rate: only used when duty = "DDP"; remove it or set markets.x.duty = "DDP"',
                'markets.x.de_minimis: only used when duty = "DDP"',
            ],
        ),
        (
            {"currency": "EUR", "prices_include_vat": True, "vat_rate": 20.0},
            NET_EUR_MASTER,
            ["markets.x.vat_rate: 20.0 arrived as a float; parse the TOML with parse_float=Decimal"],
        ),
        (
            market("EUR", 100),
            NET_EUR_MASTER,
            ["markets.x.vat_rate: must be below 100, got 100"],
        ),
        (
            market("EUR", exchange_rate=0, min_margin=-5, max_price_change=0),
            NET_EUR_MASTER,
            [
                "markets.x.exchange_rate: must be greater than zero, got 0",
                "markets.x.min_margin: must be at least 0, got -5",
                "markets.x.max_price_change: must be greater than zero, got 0",
            ],
        ),
        (
            market("EUR", adjustments=[{"percent": -100}, {"fixed": 1, "percent": 2}, {"markup": 3}]),
            NET_EUR_MASTER,
            [
                "markets.x.adjustments[0].percent: must be above -100, got -100",
                "markets.x.adjustments[1]: each adjustment is one of {percent = 10} or {fixed = 2.00}",
                "markets.x.adjustments[2]: each adjustment is one of",
            ],
        ),
        (
            market("EUR", adjustments={"percent": 10}),
            NET_EUR_MASTER,
            ["markets.x.adjustments: must be a list such as [ {percent = 10}, {fixed = 2.00} ]"],
        ),
        (
            market("JPY", rounding={"rule": "step", "step": D("0.05")}),
            NET_EUR_MASTER,
            [
                "markets.x.rounding.step: 0.05 is not a multiple of JPY's minor unit 1 (0 decimals); use a multiple of 1"
            ],
        ),
        (
            market("KWD", rounding={"rule": "step", "step": D("0.0005")}),
            NET_EUR_MASTER,
            ["markets.x.rounding.step: 0.0005 is not a multiple of KWD's minor unit 0.001"],
        ),
        (
            market("EUR", rounding={"rule": "step"}),
            NET_EUR_MASTER,
            ['markets.x.rounding.step: missing; rule = "step" needs a step such as 0.05, 5 or 10'],
        ),
        (
            market("EUR", rounding={"rule": "charm", "ending": D("0.999"), "directon": "up"}),
            NET_EUR_MASTER,
            [
                "markets.x.rounding.directon: unknown key; the rounding table takes direction, ending, rule, step",
                "markets.x.rounding.ending: 0.999 is not a price ending; use a fraction from 0.00 to 0.99",
            ],
        ),
        (
            market("EUR", rounding={"rule": "psychological", "direction": "down"}),
            NET_EUR_MASTER,
            [
                'markets.x.rounding.rule: \'psychological\' is not a rounding rule; use one of "minor", "charm"'
            ],
        ),
        (
            market("EUR", rounding={"rule": "minor", "direction": "sideways", "step": 5}),
            NET_EUR_MASTER,
            [
                'markets.x.rounding.direction: \'sideways\' is not a direction; use "up", "nearest" or "down"',
                'markets.x.rounding.step: only used with rule = "step"',
            ],
        ),
    ],
)
def test_config_problems_are_all_named_with_their_fix(market_table, client, expected_messages) -> None:
    with pytest.raises(PricingConfigError) as raised:
        MarketPriceRules.from_mapping(market_table, client, path="markets.x")

    problems = raised.value.problems
    assert isinstance(raised.value, ValueError)
    assert len(problems) == len(expected_messages), problems
    for expected, problem in zip(expected_messages, problems, strict=True):
        assert problem.startswith(expected), problem
