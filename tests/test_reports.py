"""KPIs on a seeded state, every figure against a hand-computed expectation; the CLI; the HTML in a browser.

The seeded client: base EUR, time zone Europe/Paris, markets de (DE, AT; EUR) and us (US; USD), a WooCommerce
store `woo` and a Shopify store `shop`. Rates come from a small ECB file written by the test:
  USD per EUR: 1.25 from 2024-02-01, 1.25 from 2024-03-04, 1.60 from 2024-03-11
  GBP per EUR: 0.50 from 2024-02-01, 0.80 from 2024-03-04, 0.80 from 2024-03-11
so 1 USD = 0.8 EUR up to 2024-03-10 and 0.625 EUR from 2024-03-11; 1 GBP = 2 EUR before 2024-03-04, 1.25 EUR
from then on. Period 2024-03-04 .. 2024-03-17 (two weeks, Monday to Sunday); previous 2024-02-19 .. 03-03.

Orders (store/id, status, day in Paris, customer, market, total, refunded, lines):
  P1 woo/101 completed  02-20 alice de 100 EUR                    SKU-A 1 x 100
  P2 shop/201 paid      02-25 carol us  50 USD (=40 EUR @0.8)      SKU-B 1 x 50
  O1 woo/102 completed  03-05 alice de 200 EUR                    SKU-A 2 = 200
  O2 woo/103 processing 03-12 alice de 100 EUR, refunded 50 (billed DE, shipped AT)   SKU-B 1 = 100
  O3 shop/202 paid      03-05 Bob (upper case) us 125 USD = 100 EUR  SKU-B 1 = 125
  O4 woo/104 on-hold    03-13 bob de 60 EUR                       SKU-C 3 = 60
  O5 shop/203 partially_refunded 03-12 dave us 160 USD = 100 EUR, refunded 32 USD = 20 EUR   SKU-A 1 = 160
  O6 woo/105 completed  2024-03-03T23:30Z = 03-04 00:30 in Paris, erin, GB -> other, 80 GBP = 100 EUR
                        (at the 03-04 rate 0.80; the UTC day 03-03 would give 160 EUR)   SKU-C 4 = 80
  O7 woo/106 completed  03-14 guest (no e-mail, no id), no shipping country, billed DE -> de, 40 EUR
                        line without SKU "Gift wrap" 1 = 40
  O9 shop/204 refunded  03-15 frank us 80 USD = 50 EUR, refunded 80 USD = 50 EUR   SKU-B 1 = 80
  not counted: X1 woo/107 cancelled 03-07 alice 999 EUR; X2 shop/205 pending 03-08 gina 500 USD;
               X3 woo/108 failed 03-09 hank 30 EUR;
               Y1 woo/111 completed 2024-03-17T23:30Z = 03-18 in Paris (after the period), bob 70 EUR
Traffic CSV: de 03-04 1000 visitors 50.00; de 03-11 1000 visitors 30.00; us 03-05 500 visitors 100.00 USD;
             de 03-03 999 visitors 999 (before the period).
Abandoned checkouts (Shopify): shop US 03-06, shop US 03-10, shop DE 03-08, shop US 03-20 (after).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from connector.cli import main
from connector.config import load_config
from connector.jobs.pull import _order_row, _store_lines
from connector.rates import RateBook
from connector.records import Order, OrderLine
from connector.reports import build
from connector.reports.build import ReportRequest, build_kpis, parse_period
from connector.reports.data import ReportError
from connector.reports.html import render_kpis_html
from connector.reports.model import Period
from connector.reports.output import csv_columns, kpis_as_dict
from connector.state import open_state

PERIOD = Period(date(2024, 3, 4), date(2024, 3, 17))
ENV = {"R_WC_KEY": "ck_test", "R_WC_SECRET": "cs_test", "R_SHOP_TOKEN": "shpat_test"}

CONFIG = """
[client]
name = "acme"
base_currency = "EUR"
timezone = "Europe/Paris"
state_file = "state.sqlite"
base_prices_include_vat = true
base_vat_rate = 19

[stores.woo]
platform = "woocommerce"
url = "http://127.0.0.1:9"
consumer_key = "env:R_WC_KEY"
consumer_secret = "env:R_WC_SECRET"

[stores.shop]
platform = "shopify"
shop = "http://127.0.0.1:9"
access_token = "env:R_SHOP_TOKEN"

[markets.de]
countries = ["DE", "AT"]
currency = "EUR"
language = "de"
target = "woo"
prices_include_vat = true
vat_rate = 19

[markets.us]
countries = ["US"]
currency = "USD"
language = "en"
target = "shop"
prices_include_vat = false
vat_rate = 0

[reports]
traffic_csv = "traffic.csv"
"""

TRAFFIC = """date,market,visitors,ad_spend,currency
2024-03-04,de,1000,50.00,
2024-03-11,de,1000,30.00,
2024-03-05,us,500,100.00,USD
2024-03-03,de,999,999,
"""


def write_ecb_file(path: Path) -> Path:
    rows = "Date,USD,GBP,\n2024-03-11,1.60,0.80,\n2024-03-04,1.25,0.80,\n2024-02-01,1.25,0.50,\n"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("eurofxref-hist.csv", rows)
    return path


def make_order(
    store, number, status, currency, total, created, *, email=None, billing="DE", shipping="DE",
    refunded="0", lines=(), customer_id=None, address="", risk=None,
):  # fmt: skip
    moment = datetime.fromisoformat(created).astimezone(UTC)
    return store, Order(
        id=number,
        number=number,
        status=status,
        currency=currency,
        total=Decimal(total),
        subtotal=Decimal(total),
        tax_total=Decimal(0),
        shipping_total=Decimal(0),
        discount_total=Decimal(0),
        refunded_total=Decimal(refunded),
        created_at=moment,
        updated_at=moment,
        customer_id=customer_id,
        customer_email=email,
        billing_country=billing,
        shipping_country=shipping,
        shipping_address=address,
        risk_level=risk,
        lines=tuple(
            OrderLine(sku, None, None, quantity, Decimal(amount) / quantity, Decimal(amount), name)
            for sku, quantity, amount, name in lines
        ),
    )


def insert_orders(state, orders) -> None:
    """Rows in the shape pull writes them (its own row helpers)."""
    with state.transaction() as db:
        for store, order in orders:
            db["orders"].upsert(_order_row(store, order), pk=("store", "id"))
            _store_lines(state, store, [order])


SEED = [
    make_order("woo", "101", "completed", "EUR", "100.00", "2024-02-20T10:00:00+00:00",
               email="alice@example.com", lines=[("SKU-A", 1, "100.00", "Apron")]),
    make_order("shop", "201", "paid", "USD", "50.00", "2024-02-25T10:00:00+00:00",
               email="carol@example.com", billing="US", shipping="US", lines=[("SKU-B", 1, "50.00", "Bowl")]),
    make_order("woo", "102", "completed", "EUR", "200.00", "2024-03-05T09:00:00+00:00",
               email="alice@example.com", lines=[("SKU-A", 2, "200.00", "Apron")]),
    make_order("woo", "103", "processing", "EUR", "100.00", "2024-03-12T09:00:00+00:00", refunded="50.00",
               email="alice@example.com", billing="DE", shipping="AT", lines=[("SKU-B", 1, "100.00", "Bowl")]),
    make_order("shop", "202", "paid", "USD", "125.00", "2024-03-05T12:00:00+00:00",
               email="Bob@Example.com", billing="US", shipping="US", lines=[("SKU-B", 1, "125.00", "Bowl")]),
    make_order("woo", "104", "on-hold", "EUR", "60.00", "2024-03-13T12:00:00+00:00",
               email="bob@example.com", lines=[("SKU-C", 3, "60.00", "Cup")]),
    make_order("shop", "203", "partially_refunded", "USD", "160.00", "2024-03-12T15:00:00+00:00",
               refunded="32.00", email="dave@example.com", billing="US", shipping="US",
               lines=[("SKU-A", 1, "160.00", "Apron")]),
    make_order("woo", "105", "completed", "GBP", "80.00", "2024-03-03T23:30:00+00:00",
               email="erin@example.com", billing="GB", shipping="GB", lines=[("SKU-C", 4, "80.00", "Cup")]),
    make_order("woo", "106", "completed", "EUR", "40.00", "2024-03-14T08:00:00+00:00",
               shipping=None, lines=[(None, 1, "40.00", "Gift wrap")]),
    make_order("shop", "204", "refunded", "USD", "80.00", "2024-03-15T10:00:00+00:00", refunded="80.00",
               email="frank@example.com", billing="US", shipping="US", lines=[("SKU-B", 1, "80.00", "Bowl")]),
    make_order("woo", "107", "cancelled", "EUR", "999.00", "2024-03-07T10:00:00+00:00",
               email="alice@example.com", lines=[("SKU-A", 9, "999.00", "Apron")]),
    make_order("shop", "205", "pending", "USD", "500.00", "2024-03-08T10:00:00+00:00",
               email="gina@example.com", billing="US", shipping="US"),
    make_order("woo", "108", "failed", "EUR", "30.00", "2024-03-09T10:00:00+00:00", email="hank@example.com"),
    make_order("woo", "111", "completed", "EUR", "70.00", "2024-03-17T23:30:00+00:00",
               email="bob@example.com", lines=[("SKU-C", 1, "70.00", "Cup")]),
]  # fmt: skip

ABANDONED = [
    {"store": "shop", "id": "a1", "created_at": "2024-03-06T10:00:00+00:00", "country": "US",
     "total": "90.00", "currency": "USD"},
    {"store": "shop", "id": "a2", "created_at": "2024-03-10T10:00:00+00:00", "country": "US",
     "total": "20.00", "currency": "USD"},
    {"store": "shop", "id": "a3", "created_at": "2024-03-08T10:00:00+00:00", "country": "DE",
     "total": "15.00", "currency": "EUR"},
    {"store": "shop", "id": "a4", "created_at": "2024-03-20T10:00:00+00:00", "country": "US",
     "total": "10.00", "currency": "USD"},
    # recovered: it became an order, so it is not an abandoned checkout any more
    {"store": "shop", "id": "a5", "created_at": "2024-03-07T10:00:00+00:00", "country": "US",
     "total": "30.00", "currency": "USD", "completed_at": "2024-03-07T12:00:00+00:00"},
]  # fmt: skip


@pytest.fixture
def client(tmp_path, monkeypatch):
    """The seeded client: its config (loaded), with state, traffic CSV and ECB file on disk."""
    (tmp_path / "acme.toml").write_text(CONFIG)
    (tmp_path / "traffic.csv").write_text(TRAFFIC)
    ecb = write_ecb_file(tmp_path / "ecb.zip")
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(build, "default_rates", lambda: RateBook(ecb_file=ecb))
    config = load_config(tmp_path / "acme.toml")
    with open_state(config.state_path) as state:
        insert_orders(state, SEED)
        state.db["abandoned_checkouts"].insert_all(ABANDONED, pk=("store", "id"))
        for store in {row["store"] for row in ABANDONED}:
            state.set_cursor(store, "abandoned_checkouts", "{}")  # as a pull leaves it
    return config


def kpis(config, **request) -> dict:
    with open_state(config.state_path) as state:
        return kpis_as_dict(build_kpis(config, state, ReportRequest(PERIOD, **request)))


def money(base, market=None):
    return {"base": base, "market": market}


def test_every_figure_of_market_de(client):
    de = kpis(client)["markets"][0]
    assert de["market"] == "de" and de["currency"] == "EUR"
    assert de["orders"] == 4  # O1, O2, O4, O7 (O7: no shipping country, billed DE)
    assert de["gross_revenue"] == money("400.00", "400.00")  # 200 + 100 + 60 + 40
    assert de["refunds"] == money("50.00", "50.00")  # O2
    assert de["revenue"] == money("350.00", "350.00")  # 400 - 50
    assert de["average_order_value"] == money("87.50", "87.50")  # 350 / 4
    assert de["customers"] == 3  # alice, bob, the guest of O7
    assert de["new_customers"] == 2  # bob (first order ever O3, 03-05), the guest; alice bought on 02-20
    assert de["returning_customers"] == 1  # alice: 3 - 2
    assert de["repeat_purchase_rate"] == "0.3333"  # alice has 2 orders here (O1, O2): 1 / 3
    assert de["retention_rate"] == "1.0000"  # previous de customers {alice}, alice bought again: 1 / 1
    # lifetime revenue up to 03-17, all markets: alice 100 + 200 + 50 = 350; bob 100 (O3) + 60 = 160
    # (Y1 is after the period); guest 40. Average (350 + 160 + 40) / 3 = 183.333...
    assert de["lifetime_value_average"] == money("183.33", "183.33")
    assert de["lifetime_values"] == [
        {"customer": "alice@example.com", "orders": 3, "revenue": money("350.00", "350.00")},
        {"customer": "bob@example.com", "orders": 2, "revenue": money("160.00", "160.00")},
        {"customer": "woo/order/106", "orders": 1, "revenue": money("40.00", "40.00")},
    ]
    assert de["refund_rate"] == "0.2500"  # O2 of 4 orders
    assert de["top_products"] == [
        {"sku": "SKU-A", "name": "Apron", "quantity": 2, "revenue": money("200.00", "200.00")},  # O1
        {"sku": "SKU-B", "name": "Bowl", "quantity": 1, "revenue": money("100.00", "100.00")},  # O2
        {"sku": "SKU-C", "name": "Cup", "quantity": 3, "revenue": money("60.00", "60.00")},  # O4
        {"sku": "(no SKU) Gift wrap", "name": "Gift wrap", "quantity": 1, "revenue": money("40.00", "40.00")},
    ]
    assert de["visitors"] == 2000  # 1000 (03-04) + 1000 (03-11); the 03-03 row is before the period
    assert de["conversion_rate"] == "0.0020"  # 4 / 2000
    assert de["abandoned_checkouts"] == 1  # a3 (DE, 03-08)
    assert de["cart_abandonment_rate"] == "1.0000"  # 1 / (1 + 0 Shopify orders in de)
    assert de["ad_spend"] == money("80.00", "80.00")  # 50 + 30
    assert de["acquisition_cost"] == money("40.00", "40.00")  # 80 / 2 new customers
    assert de["roas"] == "4.3750"  # 350 / 80
    # week of 03-04: O1 200; week of 03-11: O2 50 + O4 60 + O7 40 = 150
    assert de["weekly_revenue"] == {"2024-03-04": "200.00", "2024-03-11": "150.00"}
    assert de["unavailable"] == {}


def test_every_figure_of_market_us_in_base_and_market_currency(client):
    us = kpis(client)["markets"][1]
    assert us["market"] == "us" and us["currency"] == "USD"
    assert us["orders"] == 3  # O3, O5, O9; the pending X2 is not counted
    # EUR: O3 125 x 0.8 = 100; O5 160 x 0.625 = 100; O9 80 x 0.625 = 50 -> 250. USD: 125 + 160 + 80 = 365
    assert us["gross_revenue"] == money("250.00", "365.00")
    # EUR: O5 32 x 0.625 = 20; O9 80 x 0.625 = 50 -> 70. USD: 32 + 80 = 112
    assert us["refunds"] == money("70.00", "112.00")
    assert us["revenue"] == money("180.00", "253.00")  # 250 - 70; 365 - 112
    assert us["average_order_value"] == money("60.00", "84.33")  # 180 / 3; 253 / 3 = 84.333...
    assert us["customers"] == 3  # bob, dave, frank
    assert us["new_customers"] == 3  # none of them bought before 03-04
    assert us["returning_customers"] == 0
    assert us["repeat_purchase_rate"] == "0.0000"  # one order each in us
    assert us["retention_rate"] == "0.0000"  # previous us customers {carol}: she did not buy again: 0 / 1
    # bob: O3 100 EUR + O4 60 EUR = 160 EUR; in USD 125 + 60 x 1.6 (03-13) = 221
    # dave: 100 - 20 = 80 EUR; 160 - 32 = 128 USD. frank: 0.
    # average: (160 + 80 + 0) / 3 = 80 EUR; (221 + 128 + 0) / 3 = 116.333... USD
    assert us["lifetime_value_average"] == money("80.00", "116.33")
    assert us["lifetime_values"] == [
        {"customer": "bob@example.com", "orders": 2, "revenue": money("160.00", "221.00")},
        {"customer": "dave@example.com", "orders": 1, "revenue": money("80.00", "128.00")},
        {"customer": "frank@example.com", "orders": 1, "revenue": money("0.00", "0.00")},
    ]
    assert us["refund_rate"] == "0.6667"  # O5 and O9 of 3
    assert us["top_products"] == [
        # SKU-B: O3 125 USD = 100 EUR + O9 80 USD = 50 EUR -> 150 EUR, 205 USD
        {"sku": "SKU-B", "name": "Bowl", "quantity": 2, "revenue": money("150.00", "205.00")},
        {"sku": "SKU-A", "name": "Apron", "quantity": 1, "revenue": money("100.00", "160.00")},  # O5
    ]
    assert us["visitors"] == 500
    assert us["conversion_rate"] == "0.0060"  # 3 / 500
    assert us["abandoned_checkouts"] == 2  # a1, a2 (a4 is after the period)
    assert us["cart_abandonment_rate"] == "0.4000"  # 2 / (2 + 3 Shopify orders)
    assert us["ad_spend"] == money("80.00", "100.00")  # 100 USD on 03-05 x 0.8
    assert us["acquisition_cost"] == money("26.67", "33.33")  # 80 / 3 = 26.666...; 100 / 3 = 33.333...
    assert us["roas"] == "2.2500"  # 180 / 80
    # week of 03-04: O3 100; week of 03-11: O5 80 + O9 0
    assert us["weekly_revenue"] == {"2024-03-04": "100.00", "2024-03-11": "80.00"}
    assert us["unavailable"] == {}


def test_every_figure_of_market_other(client):
    other = kpis(client)["markets"][2]
    assert other["market"] == "other" and other["currency"] is None
    assert other["orders"] == 1  # O6, shipped to GB
    assert other["gross_revenue"] == money("100.00")  # 80 GBP x 1.25 (rate of 03-04, the day in Paris)
    assert other["refunds"] == money("0.00")
    assert other["revenue"] == money("100.00")
    assert other["average_order_value"] == money("100.00")
    assert (other["customers"], other["new_customers"], other["returning_customers"]) == (1, 1, 0)
    assert other["repeat_purchase_rate"] == "0.0000"
    assert other["retention_rate"] is None  # nobody bought in "other" in the previous period
    assert other["lifetime_value_average"] == money("100.00")
    assert other["refund_rate"] == "0.0000"
    assert other["top_products"] == [
        {"sku": "SKU-C", "name": "Cup", "quantity": 4, "revenue": money("100.00")}
    ]
    assert other["visitors"] is None and other["conversion_rate"] is None  # no traffic rows for "other"
    assert other["abandoned_checkouts"] == 0 and other["cart_abandonment_rate"] is None
    assert other["ad_spend"] is None and other["acquisition_cost"] is None and other["roas"] is None
    assert other["weekly_revenue"] == {"2024-03-04": "100.00", "2024-03-11": "0.00"}
    assert other["unavailable"] == {
        "acquisition_cost": "no ad spend in the traffic CSV for this market and period",
        "ad_spend": "no ad spend in the traffic CSV for this market and period",
        "cart_abandonment_rate": "no checkouts on Shopify stores for this market and period",
        "conversion_rate": "no visitors in the traffic CSV for this market and period",
        "retention_rate": "no customers in the previous period (2024-02-19 to 2024-03-03)",
        "roas": "no ad spend in the traffic CSV for this market and period",
    }


def test_every_figure_of_the_total(client):
    report = kpis(client)
    total = report["total"]
    assert report["period"] == {"since": "2024-03-04", "until": "2024-03-17"}
    assert report["previous_period"] == {"since": "2024-02-19", "until": "2024-03-03"}
    assert report["excluded_orders"] == {"cancelled": 1, "failed": 1, "pending": 1}  # X1, X3, X2
    assert total["currency"] is None
    assert total["orders"] == 8  # 4 de + 3 us + 1 other
    assert total["gross_revenue"] == money("750.00")  # 400 + 250 + 100
    assert total["refunds"] == money("120.00")  # 50 + 70
    assert total["revenue"] == money("630.00")  # 750 - 120
    assert total["average_order_value"] == money("78.75")  # 630 / 8
    assert total["customers"] == 6  # alice, bob (one person in two stores), guest, dave, erin, frank
    assert total["new_customers"] == 5  # all but alice
    assert total["returning_customers"] == 1
    assert total["repeat_purchase_rate"] == "0.3333"  # alice (O1, O2) and bob (O3, O4): 2 / 6
    assert total["retention_rate"] == "0.5000"  # previous {alice, carol}; alice came back: 1 / 2
    # alice 350 + bob 160 + guest 40 + dave 80 + erin 100 + frank 0 = 730; 730 / 6 = 121.666...
    assert total["lifetime_value_average"] == money("121.67")
    assert [v["customer"] for v in total["lifetime_values"]] == [
        "alice@example.com", "bob@example.com", "erin@example.com", "dave@example.com", "woo/order/106",
        "frank@example.com",
    ]  # fmt: skip
    assert total["refund_rate"] == "0.3750"  # O2, O5, O9 of 8
    assert total["top_products"] == [
        {"sku": "SKU-A", "name": "Apron", "quantity": 3, "revenue": money("300.00")},  # 200 + 100
        {"sku": "SKU-B", "name": "Bowl", "quantity": 3, "revenue": money("250.00")},  # 100 + 100 + 50
        {"sku": "SKU-C", "name": "Cup", "quantity": 7, "revenue": money("160.00")},  # 60 + 100
        {"sku": "(no SKU) Gift wrap", "name": "Gift wrap", "quantity": 1, "revenue": money("40.00")},
    ]
    assert total["visitors"] == 2500  # 2000 + 500
    assert total["conversion_rate"] == "0.0032"  # 8 / 2500
    assert total["abandoned_checkouts"] == 3  # a1, a2, a3
    assert total["cart_abandonment_rate"] == "0.5000"  # 3 / (3 + 3 Shopify orders)
    assert total["ad_spend"] == money("160.00")  # 80 + 80
    assert total["acquisition_cost"] == money("32.00")  # 160 / 5
    assert total["roas"] == "3.9375"  # 630 / 160
    # week of 03-04: 200 + 100 + 100 = 400; week of 03-11: 150 + 80 + 0 = 230 (sum 630)
    assert total["weekly_revenue"] == {"2024-03-04": "400.00", "2024-03-11": "230.00"}


def test_store_filter_restricts_orders_and_history(client):
    report = kpis(client, store="shop")
    total = report["total"]
    assert [m["market"] for m in report["markets"]] == ["de", "us"]  # no "other" order on shop
    assert total["orders"] == 3 and total["revenue"] == money("180.00")  # O3, O5, O9
    # bob's history is only O3 now: (100 + 80 + 0) / 3 = 60
    assert total["lifetime_value_average"] == money("60.00")
    assert report["markets"][0]["orders"] == 0
    assert report["markets"][0]["unavailable"]["average_order_value"] == "no orders in the period"
    # bob's O4 on woo is not seen, so bob counts once in us: no repeat
    assert total["repeat_purchase_rate"] == "0.0000"
    woo = kpis(client, store="woo")["total"]
    assert woo["orders"] == 5  # O1, O2, O4, O6, O7
    assert woo["cart_abandonment_rate"] is None
    assert woo["unavailable"]["cart_abandonment_rate"] == (
        "no Shopify store in this report; abandoned checkouts come from Shopify"
    )
    # bob's first order on woo is O4 (03-13): new on woo; alice is not: 4 new of 4 customers minus alice
    assert (woo["customers"], woo["new_customers"]) == (4, 3)


def test_market_filter_gives_one_market_and_a_total_in_its_currency(client):
    report = kpis(client, market="us")
    assert [m["market"] for m in report["markets"]] == ["us"]
    assert report["total"]["currency"] == "USD"
    assert report["total"]["revenue"] == money("180.00", "253.00")
    assert report["excluded_orders"] == {"pending": 1}  # X2 only


def test_missing_inputs_are_named(client, tmp_path):
    with open_state(client.state_path) as state:
        state.db.execute("delete from cursors where resource = 'abandoned_checkouts'")  # never pulled
    bare = client.model_copy(update={"reports": client.reports.model_copy(update={"traffic_csv": None})})
    de = kpis(bare)["markets"][0]
    assert de["conversion_rate"] is None and de["roas"] is None and de["cart_abandonment_rate"] is None
    assert de["unavailable"] == {
        "acquisition_cost": "no traffic CSV configured (set reports.traffic_csv)",
        "ad_spend": "no traffic CSV configured (set reports.traffic_csv)",
        "cart_abandonment_rate": "abandoned checkouts are not in the state yet (pull a Shopify store first)",
        "conversion_rate": "no traffic CSV configured (set reports.traffic_csv)",
        "roas": "no traffic CSV configured (set reports.traffic_csv)",
    }


def test_period_defaults_and_errors():
    assert parse_period(None, None, "UTC", today=date(2024, 3, 31)) == Period(
        date(2024, 3, 2), date(2024, 3, 31)
    )
    assert parse_period("2024-03-01", None, "UTC", today=date(2024, 3, 5)) == Period(
        date(2024, 3, 1), date(2024, 3, 5)
    )
    assert Period(date(2024, 3, 4), date(2024, 3, 17)).previous() == Period(
        date(2024, 2, 19), date(2024, 3, 3)
    )
    with pytest.raises(ReportError, match="--since '3/4/2024' is not a date; write YYYY-MM-DD"):
        parse_period("3/4/2024", None, "UTC")
    with pytest.raises(ReportError, match="give --since before --until"):
        parse_period("2024-03-10", "2024-03-01", "UTC")


# --- the command line ------------------------------------------------------------------------------------


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_json(client, capsys):
    config = str(client.path)
    code, out, _ = run_cli(
        capsys, "report", "-c", config, "--since", "2024-03-04", "--until", "2024-03-17", "--json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["total"]["revenue"] == money("630.00")
    assert [m["market"] for m in data["markets"]] == ["de", "us", "other"]


def test_cli_csv(client, capsys):
    config = str(client.path)
    code, out, _ = run_cli(
        capsys, "report", "-c", config, "--since", "2024-03-04", "--until", "2024-03-17", "--csv"
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == csv_columns()
    assert [r["market"] for r in rows] == ["de", "us", "other", "total"]
    us = rows[1]
    assert (us["revenue_base"], us["revenue_market"], us["market_currency"]) == ("180.00", "253.00", "USD")
    assert us["cart_abandonment_rate"] == "0.4000" and us["visitors"] == "500"
    assert rows[2]["conversion_rate"] == "" and rows[2]["revenue_market"] == ""  # other: none, no currency


def test_cli_table_and_flags(client, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    config = str(client.path)
    code, out, _ = run_cli(
        capsys, "report", "-c", config, "--since", "2024-03-04", "--until", "2024-03-17", "--wide"
    )
    assert code == 0
    total_row = next(line for line in out.splitlines() if "total" in line and "630.00" in line)
    assert total_row.split() == ["total", "8", "630.00", "-", "78.75", "-", "120.00", "37.50"]
    us_row = next(line for line in out.splitlines() if line.startswith("us (USD)"))
    assert us_row.split()[2:6] == ["3", "180.00", "253.00", "60.00"]
    code, out, _ = run_cli(
        capsys, "report", "flags", "-c", config, "--since", "2024-03-04", "--until", "2024-03-17", "--json"
    )
    assert code == 0
    flagged = {(o["store"], o["order_id"]): [f["kind"] for f in o["flags"]] for o in json.loads(out)}
    # O2 is billed to DE and shipped to AT. X2, gina's first order, still pending: 500 USD x 0.8 (03-08) = 400 EUR
    # > 3 x the us AOV of 60 = 180. Other first orders stay under: bob 100 (< 180), dave 100 (< 180),
    # erin 100 (< 3 x 100), the guest 40 (< 3 x 87.50); frank's is refunded, so not considered.
    assert flagged == {("woo", "103"): ["country_mismatch"], ("shop", "205"): ["first_order_high"]}
    code, out, _ = run_cli(capsys, "report", "flags", "-c", config, "--since", "2024-03-04", "--until",
                           "2024-03-17", "--csv")  # fmt: skip
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["order_id"], r["kind"]) for r in rows] == [
        ("205", "first_order_high"),
        ("103", "country_mismatch"),
    ]
    assert rows[0]["reason"] == (
        "first order of a new customer: 400.00 EUR is 6.7 x the average order value of market us (60.00 EUR); "
        "the threshold is 3 x"
    )
    assert rows[1]["reason"] == "billed to DE, shipped to AT"


def test_cli_usage_errors(client, capsys):
    config = str(client.path)
    code, _, err = run_cli(capsys, "report", "-c", config, "--market", "fr")
    assert code == 2 and "--market 'fr' is not a market of the config; use one of de, us, other" in err
    code, _, err = run_cli(capsys, "report", "-c", config, "--since", "yesterday")
    assert code == 2 and "is not a date" in err
    client.state_path.unlink()
    code, _, err = run_cli(capsys, "report", "-c", config)
    assert code == 1 and "no state yet" in err


def test_cli_entry_point_in_a_subprocess(client, tmp_path):
    """The installed `connector` command, with the bundled ECB rates (the seed's dates are in its history)."""
    connector = Path(sys.executable).parent / "connector"
    result = subprocess.run(
        [str(connector), "report", "-c", str(client.path), "--since", "2024-03-04", "--until", "2024-03-17",
         "--market", "de", "--json"],
        capture_output=True, text=True, timeout=60, env={**os.environ, **ENV},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total"]["revenue"] == money("350.00", "350.00")  # de is all EUR


# --- the HTML page in a browser ---------------------------------------------------------------------------


class ChartParser(HTMLParser):
    """Bars (with their data) of each chart, and the attributes of the root element."""

    def __init__(self):
        super().__init__()
        self.root: dict[str, str] = {}
        self.bars: dict[str, list[dict[str, str]]] = {}
        self.external: list[str] = []
        self._chart: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.root = attrs
        elif tag == "svg" and "chart" in attrs.get("class", ""):
            self._chart = attrs["id"]
            self.bars[self._chart] = []
        elif tag == "rect" and self._chart and "bar" in attrs.get("class", "").split():
            self.bars[self._chart].append(attrs)
        for name in ("src", "href"):
            if name in attrs:
                self.external.append(attrs[name])

    def handle_endtag(self, tag):
        if tag == "svg":
            self._chart = None


def test_html_report_draws_its_charts_in_a_browser(client, tmp_path, capsys):
    """Needs Debian's chromium (CI: apt-get update && apt-get install -y chromium)."""
    browser = shutil.which("chromium")
    assert browser, "chromium is not installed: apt-get update && apt-get install -y chromium"
    page = tmp_path / "out" / "report.html"
    code, _, _ = run_cli(capsys, "report", "-c", str(client.path), "--since", "2024-03-04", "--until",
                         "2024-03-17", "--json", "--html", str(page))  # fmt: skip
    assert code == 0
    result = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    dom = ChartParser()
    dom.feed(result.stdout)
    assert dom.root.get("data-charts-ready") == "3"  # set by the page's script once it has run
    assert dom.external == []  # nothing loaded from anywhere
    weekly = {
        (b["data-series"], b["data-category"]): b["data-value"] for b in dom.bars["chart-weekly-revenue"]
    }
    assert weekly == {
        ("de", "week of 2024-03-04"): "200.00", ("de", "week of 2024-03-11"): "150.00",
        ("us", "week of 2024-03-04"): "100.00", ("us", "week of 2024-03-11"): "80.00",
        ("other", "week of 2024-03-04"): "100.00", ("other", "week of 2024-03-11"): "0.00",
    }  # fmt: skip
    aov = {b["data-category"]: b["data-value"] for b in dom.bars["chart-aov"]}
    assert aov == {"de": "87.50", "us": "60.00", "other": "100.00"}
    customers = {
        (b["data-series"], b["data-category"]): b["data-value"] for b in dom.bars["chart-new-returning"]
    }
    assert customers == {
        ("new", "de"): "2", ("returning", "de"): "1", ("new", "us"): "3", ("returning", "us"): "0",
        ("new", "other"): "1", ("returning", "other"): "0",
    }  # fmt: skip
    heights = {(b["data-series"], b["data-category"]): Decimal(b["height"]) for b in dom.bars["chart-aov"]}
    # scale: the axis tops at 100 (the smallest 1/2/5/10 x 10^n >= the largest AOV, 100); the plot is 220 px high
    assert heights[("average order value", "de")] == Decimal("192.5")  # 220 x 87.5 / 100
    assert heights[("average order value", "other")] == Decimal("220.0")


def test_html_escapes_names_from_the_store(client):
    with open_state(client.state_path) as state:
        state.db.execute("update order_lines set name = '<script>alert(1)</script>' where sku is null")
        report = build_kpis(client, state, ReportRequest(PERIOD))
    page = render_kpis_html(report, "acme & co")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "acme &amp; co" in page


def test_cli_names_an_order_it_cannot_convert_and_a_bad_amount(client, capsys):
    config = str(client.path)
    with open_state(client.state_path) as state:
        insert_orders(
            state, [make_order("woo", "300", "completed", "CHF", "10.00", "2024-03-06T10:00:00+00:00")]
        )
    code, _, err = run_cli(capsys, "report", "-c", config, "--since", "2024-03-04", "--until", "2024-03-17")
    assert code == 1
    assert "cannot convert CHF to EUR for 2024-03-06: no ECB reference rate for CHF" in err
    with open_state(client.state_path) as state:
        state.db.execute("update orders set currency = 'EUR', total = '10,00' where id = '300'")
    code, _, err = run_cli(capsys, "report", "-c", config, "--since", "2024-03-04", "--until", "2024-03-17")
    assert code == 2 and "order 300 of store woo: total: '10,00' is not a decimal amount" in err


def test_cli_flags_html_page(client, capsys, tmp_path):
    page = tmp_path / "flags.html"
    code, out, err = run_cli(capsys, "report", "flags", "-c", str(client.path), "--since", "2024-03-04",
                             "--until", "2024-03-17", "--html", str(page))  # fmt: skip
    assert code == 0 and f"wrote {page}" in err
    text = page.read_text()
    assert "billed to DE, shipped to AT" in text and "first order of a new customer" in text
