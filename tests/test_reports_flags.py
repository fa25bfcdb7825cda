"""Order flags (each rule with an order it flags and one it does not) and tagging flagged orders once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from connector.config import ClientConfig, ReportsSection
from connector.reports.data import TAGS_TABLE
from connector.reports.flags import find_flags
from connector.reports.model import OrderFact, Period, customer_key
from connector.reports.tagging import tag_flagged, tag_text
from connector.state import open_state

PERIOD = Period(date(2024, 3, 1), date(2024, 3, 31))
RULES = ReportsSection(
    high_risk_countries=["NG"], first_order_aov_multiple=Decimal(3), address_window_days=7, address_count=2
)


def same_currency(amount, source, target, day):
    assert source == target == "EUR"
    return amount


def fact(order_id, created, *, email="a@example.com", total="50.00", status="processing", billing="DE",
         shipping="DE", address="", risk=None, market="de", store="woo"):  # fmt: skip
    moment = datetime.fromisoformat(created).replace(tzinfo=UTC)
    return OrderFact(
        store=store,
        id=order_id,
        number=order_id,
        status=status,
        currency="EUR",
        total=Decimal(total),
        refunded=Decimal(0),
        created_at=moment,
        day=moment.date(),
        customer=customer_key(store, order_id, email, None),
        email=email,
        billing_country=billing,
        shipping_country=shipping,
        shipping_address=address,
        risk_level=risk,
        market=market,
    )


def flags_of(orders, rules=RULES, aov=None):
    found = find_flags(
        orders,
        period=PERIOD,
        rules=rules,
        market_aov=aov if aov is not None else {"de": Decimal(100)},
        base_currency="EUR",
        convert=same_currency,
    )
    return {f.order.id: {flag.kind: flag.reason for flag in f.flags} for f in found}


def test_first_order_far_above_the_market_aov():
    orders = [
        fact("1", "2024-03-02T10:00:00", email="new@example.com", total="300.01"),  # 300.01 > 3 x 100
        fact("2", "2024-03-02T10:00:00", email="fine@example.com", total="300.00"),  # not above 3 x 100
        fact("3", "2024-02-01T10:00:00", email="old@example.com", total="20.00"),
        fact("4", "2024-03-03T10:00:00", email="old@example.com", total="900.00"),  # not a first order
        fact("5", "2024-03-04T10:00:00", email=None, total="400.00"),  # a guest: always a first order
    ]
    flagged = flags_of(orders)
    assert flagged["1"] == {
        "first_order_high": "first order of a new customer: 300.01 EUR is 3.0 x the average order value of "
        "market de (100.00 EUR); the threshold is 3 x"
    }
    assert "2" not in flagged and "4" not in flagged
    assert set(flagged["5"]) == {"first_order_high"}
    assert flags_of(orders, aov={"de": None}) == {}  # a market without AOV gives no basis to compare


def test_first_order_ignores_earlier_cancelled_orders_but_not_pending_ones():
    orders = [
        fact("1", "2024-02-01T10:00:00", email="c@example.com", status="cancelled", total="10.00"),
        fact("2", "2024-03-02T10:00:00", email="c@example.com", total="500.00"),
        fact("3", "2024-02-01T10:00:00", email="p@example.com", status="pending", total="10.00"),
        fact("4", "2024-03-02T10:00:00", email="p@example.com", total="500.00"),
    ]
    assert set(flags_of(orders)) == {"2"}


def test_billing_and_shipping_countries_that_differ():
    orders = [
        fact("1", "2024-03-02T10:00:00", email="x@example.com", billing="DE", shipping="AT"),
        fact("0", "2024-02-02T10:00:00", email="y@example.com"),
        fact("2", "2024-03-02T10:00:00", email="y@example.com", billing="DE", shipping="DE"),
        fact(
            "3", "2024-03-02T10:00:00", email="y@example.com", billing=None, shipping="AT"
        ),  # nothing to compare
    ]
    flagged = flags_of(orders)
    assert flagged == {"1": {"country_mismatch": "billed to DE, shipped to AT"}}


def test_several_shipping_addresses_within_the_window():
    orders = [
        fact("0", "2024-02-01T10:00:00", email="s@example.com", address="home"),
        fact("1", "2024-03-01T10:00:00", email="s@example.com", address="home"),
        fact("2", "2024-03-08T10:00:00", email="s@example.com", address="office"),  # 7 days later: inside
        # another customer: two addresses 7 days and a minute apart: outside the window
        fact("5", "2024-02-01T10:00:00", email="t@example.com", address="a"),
        fact("3", "2024-03-01T10:00:00", email="t@example.com", address="a"),
        fact("4", "2024-03-08T10:01:00", email="t@example.com", address="b"),
    ]
    flagged = flags_of(orders)
    reason = (
        "s@example.com used 2 shipping addresses in 2 orders from 2024-03-01 to 2024-03-08 "
        "(threshold: 2 addresses within 7 days)"
    )
    assert flagged == {"1": {"several_addresses": reason}, "2": {"several_addresses": reason}}
    three = RULES.model_copy(update={"address_count": 3})
    assert flags_of(orders, rules=three) == {}


def test_high_risk_shipping_country():
    orders = [
        fact("0", "2024-02-01T10:00:00", email="r@example.com"),
        fact("1", "2024-03-02T10:00:00", email="r@example.com", billing="NG", shipping="NG"),
        fact("2", "2024-03-02T10:00:00", email="r@example.com", billing="FR", shipping="FR"),
        fact(
            "3", "2024-03-02T10:00:00", email="r@example.com", billing="NG", shipping=None
        ),  # billing counts
    ]
    flagged = flags_of(orders)
    assert flagged["1"] == {"high_risk_country": "ships to NG, on the high-risk list of the config"}
    assert "2" not in flagged
    assert set(flagged["3"]) == {"high_risk_country"}


def test_platform_risk_assessment():
    orders = [
        fact("0", "2024-02-01T10:00:00", email="q@example.com"),
        fact("1", "2024-03-02T10:00:00", email="q@example.com", risk="high"),
        fact("2", "2024-03-02T10:00:00", email="q@example.com", risk="medium"),
        fact("3", "2024-03-02T10:00:00", email="q@example.com", risk="low"),
        fact("4", "2024-03-02T10:00:00", email="q@example.com", risk=None),
    ]
    flagged = flags_of(orders)
    assert flagged == {
        "1": {"platform_risk": "the store's own risk assessment is high"},
        "2": {"platform_risk": "the store's own risk assessment is medium"},
    }


def test_only_orders_of_the_period_that_may_still_ship_are_flagged():
    orders = [
        fact("1", "2024-04-01T10:00:00", risk="high"),  # after the period
        fact("2", "2024-03-02T10:00:00", risk="high", status="cancelled"),
        fact("3", "2024-03-02T10:00:00", risk="high", status="refunded"),
        fact("4", "2024-03-02T10:00:00", risk="high", status="pending"),
    ]
    assert set(flags_of(orders)) == {"4"}


# --- tagging -----------------------------------------------------------------------------------------------

CONFIG = {
    "client": {"name": "acme", "base_currency": "EUR"},
    "stores": {
        "woo": {
            "platform": "woocommerce",
            "url": "http://127.0.0.1:9",
            "consumer_key": "k",
            "consumer_secret": "s",
        },
        "shop": {"platform": "shopify", "shop": "http://127.0.0.1:9", "access_token": "t"},
    },
}


class RecordingAdapter:
    """Stands in for a platform adapter that tags orders; records what it is asked."""

    tags_orders = True

    def __init__(self, name, fail_on=()):
        self.name = name
        self.fail_on = set(fail_on)
        self.calls: list[tuple[str, str]] = []
        self.closed = False

    def tag_order(self, order_id, text):
        if order_id in self.fail_on:
            raise RuntimeError(f"order {order_id}: 503 from the store")
        self.calls.append((order_id, text))

    def close(self):
        self.closed = True


def test_flagged_orders_are_tagged_once(tmp_path):
    config = ClientConfig.model_validate(CONFIG)
    orders = [
        fact("1", "2024-03-02T10:00:00", email="x@example.com", billing="DE", shipping="AT", risk="high"),
        fact("2", "2024-03-02T11:00:00", email="x@example.com", billing="DE", shipping="AT", store="shop"),
        fact("3", "2024-03-02T12:00:00", email="x@example.com", billing="DE", shipping="AT", store="shop"),
    ]
    flags = find_flags(
        orders, period=PERIOD, rules=RULES, market_aov={}, base_currency="EUR", convert=same_currency
    )
    adapters: dict[str, RecordingAdapter] = {}

    def open_adapter(name, store_config):
        assert store_config is config.stores[name]
        adapters[name] = RecordingAdapter(name, fail_on={"3"})
        return adapters[name]

    moment = datetime(2024, 3, 5, tzinfo=UTC)
    with open_state(tmp_path / "state.sqlite") as state:
        outcome = tag_flagged(config, state, flags, open_adapter=open_adapter, now=lambda: moment)
        assert outcome.tagged == [("woo", "1"), ("shop", "2")]
        assert outcome.failed == [("shop", "3", "order 3: 503 from the store")]
        assert adapters["woo"].calls == [("1", "connector flags: country_mismatch; platform_risk")]
        assert adapters["shop"].calls == [("2", "connector flags: country_mismatch")]
        assert all(adapter.closed for adapter in adapters.values())
        rows = list(state.db.query(f"select * from {TAGS_TABLE} order by store desc"))
        assert rows == [
            {"store": "woo", "order_id": "1", "text": tag_text(flags[0]), "tagged_at": "2024-03-05T00:00:00.000000+00:00"},
            {"store": "shop", "order_id": "2", "text": tag_text(flags[1]), "tagged_at": "2024-03-05T00:00:00.000000+00:00"},
        ]  # fmt: skip

        adapters.clear()
        again = tag_flagged(config, state, flags, open_adapter=open_adapter, now=lambda: moment)
        assert again.already == [("woo", "1"), ("shop", "2")]
        assert again.tagged == [] and [f[:2] for f in again.failed] == [("shop", "3")]  # retried, fails again
        assert list(adapters) == ["shop"] and adapters["shop"].calls == []  # order 2 is not sent again


def test_tagging_names_an_adapter_that_cannot_tag(tmp_path):
    config = ClientConfig.model_validate(CONFIG)
    flags = find_flags(
        [fact("1", "2024-03-02T10:00:00", risk="high")],
        period=PERIOD, rules=RULES, market_aov={}, base_currency="EUR", convert=same_currency,
    )  # fmt: skip

    class NoTagging:
        platform = "woocommerce"
        tags_orders = False

        def close(self):
            pass

    with open_state(tmp_path / "state.sqlite") as state:
        outcome = tag_flagged(config, state, flags, open_adapter=lambda name, cfg: NoTagging())
        assert outcome.failed == [("woo", "1", "the woocommerce adapter of store woo cannot tag orders")]
        assert state.db.execute(f"select count(*) from {TAGS_TABLE}").fetchone()[0] == 0


def test_the_state_holds_the_report_tags_table_once_per_order(tmp_path):
    with open_state(tmp_path / "state.sqlite") as state:
        assert state.db[TAGS_TABLE].pks == ["store", "order_id"]


@pytest.mark.parametrize("asked, configured, expected", [(False, False, False), (True, False, True),
                                                          (False, True, True)])  # fmt: skip
def test_tagging_is_off_unless_asked(asked, configured, expected):
    from connector.reports.tagging import should_tag

    config = ClientConfig.model_validate({**CONFIG, "reports": {"tag_flagged_orders": configured}})
    assert should_tag(config, asked) is expected
