"""Reading report inputs: market and customer rules, the traffic CSV and its errors, bad amounts, rates."""

from __future__ import annotations

import zipfile
from datetime import date
from decimal import Decimal

import pytest

from connector.rates import RateBook
from connector.reports.convert import ConversionError, Converter, round_money, round_ratio
from connector.reports.data import ReportError, parse_traffic
from connector.reports.model import TrafficRow, customer_key, market_of

COUNTRIES = {"DE": "de", "AT": "de", "US": "us"}


def test_market_is_the_shipping_country_else_the_billing_country():
    assert market_of("AT", "US", COUNTRIES) == "de"
    assert market_of(None, "US", COUNTRIES) == "us"
    assert market_of("", "us", COUNTRIES) == "us"
    assert market_of("GB", "DE", COUNTRIES) == "other"  # the shipping country decides
    assert market_of(None, None, COUNTRIES) == "other"


def test_customer_is_the_lower_cased_email_else_the_store_customer_else_the_order():
    assert customer_key("woo", "9", " Alice@Example.COM ", "12") == "alice@example.com"
    assert customer_key("woo", "9", None, "12") == "woo/customer/12"
    assert customer_key("woo", "9", "", "0") == "woo/order/9"  # WooCommerce guests have customer id 0


def test_traffic_csv_rows():
    text = "date,market,visitors,ad_spend\n2024-03-04,de,10,1.50\n\n2024-03-05,us,,\n"
    rows = parse_traffic(text, "t.csv", known_markets={"de", "us", "other"}, base_currency="EUR")
    assert rows == [
        TrafficRow(date(2024, 3, 4), "de", 10, Decimal("1.50"), "EUR"),
        TrafficRow(date(2024, 3, 5), "us", None, None, "EUR"),
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("day,market,visitors\n", "t.csv: the header lacks date, ad_spend; the first line must be"),
        ("date,market,visitors,ad_spend\n04/03/2024,de,1,1\n", "t.csv line 2: date '04/03/2024' is not YYYY-MM-DD"),
        ("date,market,visitors,ad_spend\n2024-03-04,fr,1,1\n", "t.csv line 2: market 'fr' is not in the config; use one of de, other"),
        ("date,market,visitors,ad_spend\n2024-03-04,de,1.5,1\n", "t.csv line 2: visitors '1.5' is not a whole number"),
        ("date,market,visitors,ad_spend\n2024-03-04,de,1,lots\n", "t.csv line 2: ad_spend: 'lots' is not a decimal amount"),
        ("date,market,visitors,ad_spend\n2024-03-04,de,1,-5\n", "t.csv line 2: ad_spend -5 is negative"),
    ],
)  # fmt: skip
def test_traffic_csv_errors_name_the_line_and_the_fix(text, message):
    with pytest.raises(ReportError) as caught:
        parse_traffic(text, "t.csv", known_markets={"de", "other"}, base_currency="EUR")
    assert str(caught.value).startswith(message)


def test_conversion_uses_the_rate_of_the_day_and_names_a_missing_currency(tmp_path):
    path = tmp_path / "ecb.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("eurofxref-hist.csv", "Date,USD,\n2024-03-11,1.60,\n2024-03-04,1.25,\n")
    convert = Converter(RateBook(ecb_file=path))
    assert convert(Decimal("100"), "USD", "EUR", date(2024, 3, 10)) == Decimal("80.00000000")  # 100 / 1.25
    assert convert(Decimal("100"), "USD", "EUR", date(2024, 3, 11)) == Decimal("62.50000000")  # 100 / 1.60
    assert convert(Decimal("100"), "EUR", "USD", date(2024, 3, 11)) == Decimal("160.00")
    assert convert(Decimal("7"), "EUR", "EUR", date(2024, 3, 11)) == Decimal("7")
    with pytest.raises(
        ConversionError, match="cannot convert GBP to EUR for 2024-03-11: no ECB reference rate"
    ):
        convert(Decimal("1"), "GBP", "EUR", date(2024, 3, 11))


def test_rounding_for_display():
    assert round_money(Decimal("84.3333333"), "USD") == Decimal("84.33")
    assert round_money(Decimal("0.125"), "EUR") == Decimal("0.13")  # half up
    assert round_money(Decimal("1234.5"), "JPY") == Decimal("1235")
    assert round_ratio(Decimal(2) / Decimal(3)) == Decimal("0.6667")
