"""Which orders the reports count as sales and which they consider for flags, from what each store's platform
adapter states of its order statuses (`order_statuses`), never from a platform name."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import memory_platform
import pytest

from connector.config import ClientConfig
from connector.reports.model import OrderFact
from connector.reports.statuses import StatusRules, every_platform


@pytest.fixture
def config(tmp_path) -> ClientConfig:
    return ClientConfig.model_validate(
        {
            "client": {"name": "acme", "base_currency": "EUR", "state_file": str(tmp_path / "a.sqlite")},
            "stores": {
                "woo": {
                    "platform": "woocommerce",
                    "url": "https://woo.example",
                    "consumer_key": "ck_x",
                    "consumer_secret": "cs_x",
                },
                "shop": {"platform": "shopify", "shop": "acme.myshopify.com", "access_token": "shpat_x"},
            },
        }
    )


def order(store: str, status: str) -> OrderFact:
    moment = datetime(2026, 11, 2, tzinfo=UTC)
    return OrderFact(
        store, "1", "1", status, "EUR", Decimal(10), Decimal(0), moment, moment.date(), "c", None, None, None,
        "", None, "de",
    )  # fmt: skip


def test_each_store_s_statuses_are_its_own_platform_s(config):
    rules = StatusRules.of_config(config)
    assert [rules.is_sale(order("woo", s)) for s in ("processing", "on-hold", "paid", "pending")] == [
        True,
        True,
        False,  # a Shopify financial status, not a WooCommerce one
        False,
    ]
    assert [rules.is_sale(order("shop", s)) for s in ("paid", "partially_refunded", "processing")] == [
        True,
        True,
        False,
    ]
    assert [rules.may_ship(order("woo", s)) for s in ("pending", "refunded", "completed", "failed")] == [
        True,
        False,
        True,
        False,
    ]
    assert [rules.may_ship(order("shop", s)) for s in ("authorized", "partially_paid", "refunded")] == [
        True,
        True,
        False,
    ]
    assert rules.is_sale(order("gone", "paid")) and rules.is_sale(
        order("gone", "completed")
    )  # not configured


def test_every_platform_s_statuses_are_the_ones_the_reports_always_counted():
    statuses = every_platform()
    assert statuses.sales == {"processing", "completed", "on-hold", "refunded", "paid", "partially_refunded"}
    may_ship = {s for s in statuses.sales | statuses.awaiting_payment | {"cancelled"} if statuses.may_ship(s)}
    assert may_ship == {
        "processing", "completed", "on-hold", "paid", "partially_refunded", "pending", "authorized",
        "partially_paid",
    }  # fmt: skip


def test_a_third_platform_s_statuses_come_with_its_adapter():
    unregister = memory_platform.register()
    try:
        assert "completed" in every_platform().sales
        rules = StatusRules({"mem": memory_platform.MemoryAdapter.order_statuses})
        assert rules.is_sale(order("mem", "completed")) and not rules.is_sale(order("mem", "processing"))
        upper = dataclasses.replace(order("mem", "completed"), status="COMPLETED")
        assert rules.is_sale(upper)  # statuses compare in lower case
    finally:
        unregister()
