"""The price job against simulated stores: a WooCommerce master (EUR) priced into a WooCommerce market store
(CHF). Exact prices pushed, nothing sent twice, the guardrail, dry runs, and Decimal on the whole path."""

from __future__ import annotations

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from woocommerce import API

from connector.config import load_config
from connector.jobs.costs import load_costs
from connector.jobs.prices import (
    HELD,
    NOT_ON_TARGET,
    PUSHED,
    UNCHANGED,
    plan_market,
    rate_book,
    rates_dir,
    sync_prices_command,
)
from connector.jobs.pull import pull
from connector.platforms.base import PriceWrite
from connector.platforms.registry import open_adapter
from connector.sandbox.shopify import ShopifySim
from connector.sandbox.woocommerce import WooCommerceSim
from connector.state import open_state

# Master catalogue, EUR, prices include 20 % VAT. Costs: meta field `_cost`, and cost.csv (wins).
MASTER = [
    {"sku": "TEE-1", "regular_price": "60.00", "cost": "20.00"},
    {"sku": "TEE-2", "regular_price": "30.00", "sale_price": "24.00", "cost": "18.00"},
    {"sku": "TEE-3", "regular_price": "12.00", "sale_price": "10.00", "cost": "9.50"},
    {"sku": "TEE-4", "regular_price": "45.00"},
    {"sku": "CAP-1", "regular_price": "20.00", "cost": "5.00"},
    {
        "sku": "JKT",
        "variations": [
            {"sku": "JKT-S", "option": "S", "regular_price": "100.00", "cost": "99.00"},
            {"sku": "JKT-M", "option": "M", "regular_price": "100.00"},
        ],
    },
]
COST_CSV = "sku,cost\nJKT-S,40.00\nJKT-M,40\n"
# The Swiss store, CHF, before the job runs. CAP-1 is not sold there.
SWISS = [
    {"sku": "TEE-1", "regular_price": "51.90"},
    {"sku": "TEE-2", "regular_price": "26.00"},
    {"sku": "TEE-3", "regular_price": "11.00", "sale_price": "10.50"},
    {"sku": "TEE-4", "regular_price": "40.00"},
    {
        "sku": "JKT",
        "variations": [
            {"sku": "JKT-S", "option": "S", "regular_price": "90.00"},
            {"sku": "JKT-M", "option": "M", "regular_price": "90.00"},
        ],
    },
]
SKUS = ["TEE-1", "TEE-2", "TEE-3", "TEE-4", "JKT-S", "JKT-M"]

# Hand calculations, market ch: net = base / 1.20; x 0.95 CHF; x 1.081 (8.1 % VAT); charm .90 up.
# Floor (min_margin 30): cost x 1.30 x 0.95 x 1.081; the rounded price never falls under it.
#   TEE-1 60.00 -> 50 -> 47.5 -> 51.3475 -> 51.90 (floor 26.70, not reached); the store already shows 51.90
#   TEE-2 30.00 -> 25 -> 23.75 -> 25.67375 -> 25.90
#         sale 24.00 -> 20 -> 19 -> 20.539, floor 18 x 1.3 x 0.95 x 1.081 = 24.0306 -> 24.90 (floor applied)
#   TEE-3 12.00 -> 10 -> 9.5 -> 10.2695, floor 9.5 x 1.3 x 0.95 x 1.081 = 12.6828 -> 12.90 (floor applied)
#         sale 10.00 -> 8.558 -> floor 12.6828 -> 12.90, not under the regular 12.90: sale dropped
#   TEE-4 45.00 -> 37.5 -> 35.625 -> 38.510625 -> 38.90 (no cost: no floor, reported)
#   JKT-S 100.00 -> 83.33 -> 79.17 -> 85.579 -> 85.90 (cost 40 from the CSV: floor 53.40, not reached;
#         the meta field's 99 would have floored it at 132.17 -> 132.90)
#   JKT-M same as JKT-S
EXPECTED = {
    "TEE-1": ("51.90", ""),
    "TEE-2": ("25.90", "24.90"),
    "TEE-3": ("12.90", ""),
    "TEE-4": ("38.90", ""),
    "JKT-S": ("85.90", ""),
    "JKT-M": ("85.90", ""),
}


def wc_client(sim: WooCommerceSim) -> API:
    return API(
        url=sim.base_url,
        consumer_key=sim.consumer_key,
        consumer_secret=sim.consumer_secret,
        version="wc/v3",
        timeout=10,
    )


def create_catalogue(sim: WooCommerceSim, products: list[dict]) -> None:
    """Create products through the REST API as a shop manager would."""
    api = wc_client(sim)
    for spec in products:
        if "variations" not in spec:
            answer = api.post(
                "products",
                {
                    "name": f"Product {spec['sku']}",
                    "type": "simple",
                    "sku": spec["sku"],
                    "regular_price": spec["regular_price"],
                    "sale_price": spec.get("sale_price", ""),
                    "meta_data": [{"key": "_cost", "value": spec["cost"]}] if "cost" in spec else [],
                },
            )
            assert answer.status_code == 201, answer.text
            continue
        options = [v["option"] for v in spec["variations"]]
        parent = api.post(
            "products",
            {
                "name": f"Product {spec['sku']}",
                "type": "variable",
                "sku": spec["sku"],
                "attributes": [{"name": "Size", "options": options, "variation": True, "visible": True}],
            },
        )
        assert parent.status_code == 201, parent.text
        batch = api.post(
            f"products/{parent.json()['id']}/variations/batch",
            {
                "create": [
                    {
                        "sku": v["sku"],
                        "regular_price": v["regular_price"],
                        "attributes": [{"name": "Size", "option": v["option"]}],
                        "meta_data": [{"key": "_cost", "value": v["cost"]}] if "cost" in v else [],
                    }
                    for v in spec["variations"]
                ]
            },
        )
        assert batch.status_code == 200 and all("error" not in i for i in batch.json()["create"]), batch.text


def shown_prices(sim: WooCommerceSim, skus: list[str]) -> dict[str, tuple[str, str]]:
    """(regular_price, sale_price) exactly as the store holds them."""
    with sim.lock:
        return {sku: (sim.store.by_sku(sku).regular_price, sim.store.by_sku(sku).sale_price) for sku in skus}


def set_price(sim: WooCommerceSim, sku: str, **fields: str) -> None:
    """A shop manager edits a price in wp-admin (through the REST API)."""
    with sim.lock:
        record = sim.store.by_sku(sku)
        record_id, parent_id = record.id, record.parent_id
    endpoint = f"products/{parent_id}/variations/{record_id}" if parent_id else f"products/{record_id}"
    answer = wc_client(sim).put(endpoint, fields)
    assert answer.status_code == 200, answer.text


def woo_store_toml(name: str, sim: WooCommerceSim) -> tuple[str, dict[str, str]]:
    key, secret = f"ACME_{name.upper()}_KEY", f"ACME_{name.upper()}_SECRET"
    text = (
        f'[stores.{name}]\nplatform = "woocommerce"\nurl = "{sim.base_url}"\n'
        f'consumer_key = "env:{key}"\nconsumer_secret = "env:{secret}"\ntimeout = 10\n'
    )
    return text, {key: sim.consumer_key, secret: sim.consumer_secret}


CLIENT = """
[client]
name = "acme"
base_currency = "EUR"
state_file = "state/acme.sqlite"
base_prices_include_vat = true
base_vat_rate = 20

[pricing]
master_store = "master"
cost_csv = "cost.csv"

[markets.ch]
countries = ["CH"]
currency = "CHF"
language = "de"
target = "ch"
prices_include_vat = true
vat_rate = 8.1
exchange_rate = 0.95
rounding = { rule = "charm", ending = 0.90 }
min_margin = 30
"""


class Client:
    """A client config on the simulators, its state and adapters (closed by the fixture)."""

    def __init__(self, tmp_path, stores: dict, extra: str = "", client: str = CLIENT):
        parts, env = [client, extra], {}
        for name, sim in stores.items():
            text, names = woo_store_toml(name, sim)
            parts.append(text)
            env.update(names)
        (tmp_path / "cost.csv").write_text(COST_CSV)
        path = tmp_path / "acme.toml"
        path.write_text("\n".join(parts))
        self.config = load_config(path, environ=env)
        self.state = open_state(self.config.state_path)
        self.adapters = {name: open_adapter(name, store) for name, store in self.config.stores.items()}

    def pull(self, *stores: str) -> None:
        for name in stores:
            pull(self.state, self.adapters[name], "products")

    def sync(self, **options) -> list[dict]:
        return sync_prices_command(self.config, self.state, self.adapters, as_json=True, **options)

    def close(self) -> None:
        for adapter in self.adapters.values():
            adapter.close()
        self.state.close()


@pytest.fixture
def stores():
    with WooCommerceSim("master") as master, WooCommerceSim("ch", currency="CHF") as swiss:
        create_catalogue(master, MASTER)
        create_catalogue(swiss, SWISS)
        yield master, swiss


@pytest.fixture
def client(tmp_path, stores):
    master, swiss = stores
    opened = Client(tmp_path, {"master": master, "ch": swiss})
    opened.pull("master", "ch")
    yield opened
    opened.close()


def lines_by_sku(result: dict) -> dict[str, dict]:
    return {line["sku"]: line for line in result["lines"]}


def test_prices_are_pushed_to_a_woocommerce_market_store_exactly(client, stores):
    _, swiss = stores
    writes_before = swiss.stats()["writes"]

    (result,) = client.sync()

    assert result["outcome"] == "ok", result
    assert shown_prices(swiss, SKUS) == EXPECTED
    # one batch for the simple products, one for the jacket's variations
    assert swiss.stats()["writes"] - writes_before == 2
    assert swiss.stats()["requests"]["POST /wp-json/wc/v3/products/batch"] == 1
    lines = lines_by_sku(result)
    assert lines["TEE-1"]["status"] == UNCHANGED
    assert {sku for sku, line in lines.items() if line["status"] == PUSHED} == set(SKUS) - {"TEE-1"}
    assert lines["CAP-1"]["status"] == NOT_ON_TARGET
    assert lines["TEE-2"]["floor_applied"] and lines["TEE-3"]["floor_applied"]
    assert any(note.startswith("sale dropped") for note in lines["TEE-3"]["notes"])
    assert lines["TEE-4"]["notes"] == ["no cost known: no margin floor"]
    assert (lines["TEE-2"]["rate"], lines["TEE-2"]["rate_date"]) == (
        "0.95",
        datetime.datetime.now(datetime.UTC).date().isoformat(),
    )
    assert result["pushed"] == 5 and result["unchanged"] == 1 and result["not_on_target"] == 1
    assert result["no_cost"] == 1 and result["sale_dropped"] == 1

    rows = {
        row["sku"]: row
        for row in client.state.db.query(
            "select *, typeof(price) as price_type from pushed_prices where market = 'ch'"
        )
    }
    assert set(rows) == set(SKUS) - {"TEE-1"}
    assert rows["TEE-2"]["price"] == "25.90" and rows["TEE-2"]["sale"] == "24.90"
    assert rows["TEE-2"]["replaced_price"] == "26.00" and rows["TEE-2"]["replaced_second"] is None
    assert rows["TEE-2"]["price_type"] == "text" and rows["TEE-2"]["rate"] == "0.95"
    assert rows["TEE-2"]["currency"] == "CHF" and rows["TEE-2"]["rate_source"] == "fixed in config"
    run = client.state.last_runs()[0]
    assert (run["job"], run["store"], run["outcome"]) == ("prices:ch", "ch", "ok")


def test_a_second_run_sends_nothing_before_and_after_the_next_pull(client, stores):
    _, swiss = stores
    client.sync()
    writes = swiss.stats()["writes"]

    (again,) = client.sync()  # the state still holds the Swiss prices the push replaced
    assert swiss.stats()["writes"] == writes
    assert again["pushed"] == 0 and again["unchanged"] == 6

    client.pull("ch")
    (after_pull,) = client.sync()
    assert swiss.stats()["writes"] == writes
    assert after_pull["pushed"] == 0 and after_pull["unchanged"] == 6


def test_a_price_edited_on_the_target_after_a_push_is_set_back(client, stores):
    _, swiss = stores
    client.sync()
    set_price(swiss, "TEE-4", regular_price="39.00")
    client.pull("ch")

    (result,) = client.sync()

    assert lines_by_sku(result)["TEE-4"]["status"] == PUSHED
    assert result["pushed"] == 1
    assert shown_prices(swiss, ["TEE-4"]) == {"TEE-4": ("38.90", "")}


def test_the_guardrail_holds_a_large_change_until_accepted(client, stores):
    master, swiss = stores
    client.sync()
    set_price(master, "TEE-4", regular_price="90.00")  # 90 / 1.2 x 0.95 x 1.081 = 77.02 -> 77.90
    client.pull("master")
    writes = swiss.stats()["writes"]

    (held,) = client.sync()

    line = lines_by_sku(held)["TEE-4"]
    assert line["status"] == HELD and line["price"] == "77.90"
    assert line["change_percent"] == "100.3"  # (77.90 - 38.90) / 38.90 against the last pushed price
    assert "--accept-large-changes" in line["notes"][-1]
    assert held["held"] == 1 and held["pushed"] == 0
    assert swiss.stats()["writes"] == writes
    assert shown_prices(swiss, ["TEE-4"]) == {"TEE-4": ("38.90", "")}

    (accepted,) = client.sync(accept_large_changes=True)

    assert lines_by_sku(accepted)["TEE-4"]["status"] == PUSHED
    assert swiss.stats()["writes"] == writes + 1
    assert shown_prices(swiss, ["TEE-4"]) == {"TEE-4": ("77.90", "")}
    (quiet,) = client.sync()
    assert quiet["pushed"] == quiet["held"] == 0 and swiss.stats()["writes"] == writes + 1


def test_dry_run_prints_a_table_and_sends_nothing(client, stores, capsys):
    _, swiss = stores
    writes = swiss.stats()["writes"]

    (result,) = sync_prices_command(client.config, client.state, client.adapters, dry_run=True)

    assert swiss.stats()["writes"] == writes
    assert client.state.db["pushed_prices"].count == 0
    assert result["to_push"] == 5 and result["dry_run"] is True
    out = capsys.readouterr().out
    assert "dry run: nothing sent" in out and "CHF" in out
    for word in ("TEE-2", "25.90 (sale 24.90)", "26.00", "-0.4", "0.95", "to push", "not on target"):
        assert word in out, word


def test_csv_and_json_output(client, capsys):
    sync_prices_command(client.config, client.state, client.adapters, dry_run=True, csv=True)
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    by_sku = {row["sku"]: row for row in rows}
    assert by_sku["TEE-2"] == {
        "market": "ch",
        "currency": "CHF",
        "sku": "TEE-2",
        "base_price": "30.00",
        "price": "25.90",
        "sale_price": "24.90",
        "current_price": "26.00",
        "current_second": "",
        "change_percent": "-0.4",
        "rate": "0.95",
        "rate_date": datetime.datetime.now(datetime.UTC).date().isoformat(),
        "rate_source": "fixed in config",
        "floor_applied": "yes",
        "status": "to push",
        "notes": "",
    }
    assert by_sku["TEE-1"]["change_percent"] == "0.0" and by_sku["TEE-1"]["status"] == "unchanged"
    assert by_sku["TEE-4"]["floor_applied"] == "no" and by_sku["CAP-1"]["current_price"] == ""
    assert {row["market"] for row in rows} == {"ch"}

    (result,) = sync_prices_command(client.config, client.state, client.adapters, dry_run=True, as_json=True)
    assert capsys.readouterr().out == ""  # the runner prints the results
    encoded = json.loads(json.dumps(result, default=str))
    assert lines_by_sku(encoded)["JKT-S"]["price"] == "85.90"


def test_no_float_on_the_price_path(client):
    """Every amount the job computes, compares and sends is a Decimal."""
    config, state = client.config, client.state
    costs = load_costs(config, state, "master")
    plan = plan_market(config, state, "ch", client.adapters["ch"], rate_book(config), costs)

    assert isinstance(plan.rate.value, Decimal)
    assert all(isinstance(cost, Decimal) for cost in costs.costs.values())
    assert costs.cost("JKT-S") == Decimal("40.00") and costs.source("JKT-S") == "csv"
    priced = [line for line in plan.lines if line.regular is not None]
    assert len(priced) == 7
    for line in priced:
        assert type(line.base_price) is Decimal
        for result in (line.regular, line.sale, line.compare_at):
            if result is not None:
                assert type(result.price) is Decimal
                assert all(type(step.value) is Decimal for step in result.steps)
        assert type(line.list_price) is Decimal
        if line.write is not None:
            assert type(line.write.price) is Decimal
            assert line.write.sale_price is None or type(line.write.sale_price) is Decimal
            assert all(value is None or type(value) is Decimal for value in line.current)


def test_an_old_ecb_rate_is_dated_and_warned_about(tmp_path, stores):
    master, swiss = stores
    opened = Client(tmp_path, {"master": master, "ch": swiss})
    try:
        text = opened.config.path.read_text().replace("exchange_rate = 0.95\n", "")
        opened.config.path.write_text(text)
        config = load_config(opened.config.path, environ=_env(master, swiss))
        opened.pull("master", "ch")
        later = datetime.date(2025, 7, 1)

        plan = plan_market(
            config,
            opened.state,
            "ch",
            opened.adapters["ch"],
            rate_book(config),
            load_costs(config, opened.state, "master"),
            today=later,
        )

        assert plan.rate.source == "ECB" and plan.rate.date <= later
        assert isinstance(plan.rate.value, Decimal)
        (warning,) = plan.warnings
        assert f"is of {plan.rate.date}" in warning and "refresh the exchange rates" in warning
        assert rates_dir(config) == config.state_path.parent / "rates"
    finally:
        opened.close()


def _env(*sims: WooCommerceSim) -> dict[str, str]:
    env = {}
    for name, sim in zip(("master", "ch"), sims, strict=True):
        env.update(woo_store_toml(name, sim)[1])
    return env


def test_current_prices_and_write_prices_of_the_woocommerce_adapter(client, stores):
    _, swiss = stores
    adapter = client.adapters["ch"]

    assert adapter.current_prices(["TEE-3", "TEE-4", "NOPE"]) == {
        "TEE-3": (Decimal("11.00"), Decimal("10.50")),
        "TEE-4": (Decimal("40.00"), None),
    }
    (row,) = client.state.db.query("select id, product_id from variants where store = 'ch' and sku = 'JKT-M'")
    outcomes = adapter.write_prices(
        [
            PriceWrite(
                "JKT-M", row["id"], row["product_id"], "CHF", Decimal("1.2E+2"), sale_price=Decimal("99.5")
            ),
            PriceWrite("JKT-M", row["id"], row["product_id"], "CHF", Decimal("1"), market="Switzerland"),
        ]
    )

    assert [o.ok for o in outcomes] == [False, True]
    assert "no markets" in outcomes[0].message
    assert shown_prices(swiss, ["JKT-M"]) == {"JKT-M": ("120", "99.5")}
    with pytest.raises(ValueError, match="no markets"):
        adapter.current_prices(["JKT-M"], market="Switzerland")


def test_a_market_that_cannot_be_priced_fails_with_a_clear_message(tmp_path, stores):
    master, swiss = stores
    opened = Client(tmp_path, {"master": master, "ch": swiss})
    writes = swiss.stats()["writes"]
    try:
        (unpulled,) = opened.sync()
        assert unpulled["outcome"] == "failed"
        assert "'master' has no variants in the state; pull its products first" in unpulled["error"]
        (unknown,) = opened.sync(market="fr")
        assert unknown["outcome"] == "failed" and "no market named 'fr'" in unknown["error"]
    finally:
        opened.close()
    both = CLIENT + CLIENT[CLIENT.index("[markets.ch]") :].replace("[markets.ch]", "[markets.li]").replace(
        '"CH"', '"LI"'
    )
    (tmp_path / "again").mkdir()
    opened = Client(tmp_path / "again", {"master": master, "ch": swiss}, client=both)
    try:
        opened.pull("master", "ch")
        results = opened.sync()
        assert [r["outcome"] for r in results] == ["failed", "failed"]
        assert "markets.ch and markets.li both set the own prices of store 'ch'" in results[0]["error"]
        assert swiss.stats()["writes"] == writes
    finally:
        opened.close()


# --- Shopify targets: a market shop's variant prices, and a market's price list on a shared shop ----------

SHOPIFY_MARKETS = """
[markets.uk]
countries = ["GB"]
currency = "GBP"
language = "en"
target = "uk"
prices_include_vat = true
vat_rate = 20
exchange_rate = 0.85
rounding = { rule = "charm", ending = 0.99 }
min_margin = 30

[markets.us]
countries = ["US"]
currency = "USD"
language = "en"
target = "global"
shopify_market = "United States"
prices_include_vat = false
vat_rate = 0
duty = "DDP"
duty_rate = 10
exchange_rate = 1.10
rounding = { rule = "end_in_9" }
"""
# uk: net = base / 1.20; x 0.85 GBP; x 1.20 VAT, so base x 0.85; charm .99 up; floor cost x 1.30 x 1.02.
#   TEE-1 60.00 -> 51.00 -> 51.99 (the shop already shows 51.99: nothing sent)
#   TEE-2 30.00 -> 25.50 -> 25.99; sale 24.00 -> 20.40, floor 18 x 1.3 x 1.02 = 23.868 -> 23.99:
#         Shopify shows price 23.99 against compareAtPrice 25.99
#   TEE-3 12.00 -> 10.20, floor 9.5 x 1.3 x 1.02 = 12.597 -> 12.99; sale floored to 12.99 too: dropped
#   TEE-4 45.00 -> 38.25 -> 38.99 (no cost, no floor)
#   JKT-S, JKT-M 100.00 -> 85.00 -> 85.99 (floor 53.04, not reached)
UK_EXPECTED = {
    "TEE-1": ("51.99", None),
    "TEE-2": ("23.99", "25.99"),
    "TEE-3": ("12.99", None),
    "TEE-4": ("38.99", None),
    "JKT-S": ("85.99", None),
    "JKT-M": ("85.99", None),
}
# us (DDP, prices without VAT): net = base / 1.20; x 1.10 USD; + 10 % duty; whole prices ending in 9, up.
#   TEE-1 60.00 -> 50 -> 55 -> 60.50 -> 69.00
#   TEE-2 30.00 -> 25 -> 27.50 -> 30.25 -> 39.00; sale 24.00 -> 20 -> 22 -> 24.20 -> 29.00
#   TEE-3 12.00 -> 10 -> 11 -> 12.10 -> 19.00; sale 10.00 -> 10.08 -> 19.00, not under 19.00: dropped
#   TEE-4 45.00 -> 37.50 -> 41.25 -> 45.375 -> 49.00
#   JKT-S, JKT-M 100.00 -> 83.33 -> 91.67 -> 100.83 -> 109.00
US_EXPECTED = {
    "TEE-1": ("69.00", None),
    "TEE-2": ("29.00", "39.00"),
    "TEE-3": ("19.00", None),
    "TEE-4": ("49.00", None),
    "JKT-S": ("109.00", None),
    "JKT-M": ("109.00", None),
}


def add_shopify_catalogue(sim: ShopifySim, prices: dict[str, str]) -> None:
    """One product per T-shirt SKU and a jacket with two sizes, at the given prices."""
    with sim.lock:
        for sku in ("TEE-1", "TEE-2", "TEE-3", "TEE-4"):
            sim.shop.add_product(
                f"Product {sku}", variants=[{"sku": sku, "price": prices[sku], "available": 5}]
            )
        sim.shop.add_product(
            "Jacket",
            option_names=["Size"],
            variants=[
                {"sku": sku, "title": size, "option_values": [size], "price": prices[sku], "available": 5}
                for sku, size in (("JKT-S", "S"), ("JKT-M", "M"))
            ],
        )


def variant_prices(sim: ShopifySim) -> dict[str, tuple[str, str | None]]:
    with sim.lock:
        return {
            sku: (str(v.price), None if v.compare_at_price is None else str(v.compare_at_price))
            for sku, v in sim.shop.variants_by_sku.items()
        }


def fixed_prices(sim: ShopifySim, market: str) -> dict[str, tuple[str, str | None]]:
    with sim.lock:
        (found,) = [m for m in sim.shop.markets.values() if m.name == market]
        price_list = sim.shop.price_lists[found.price_list_id]
        assert price_list.currency == "USD"
        return {
            sim.shop.variants[variant_id].sku: (str(price), None if compare is None else str(compare))
            for variant_id, (price, compare) in price_list.fixed_prices.items()
        }


def shopify_store_toml(name: str, sim: ShopifySim) -> tuple[str, dict[str, str]]:
    token = f"ACME_{name.upper()}_TOKEN"
    text = f'[stores.{name}]\nplatform = "shopify"\nshop = "{sim.base_url}"\naccess_token = "env:{token}"\ntimeout = 10\n'
    return text, {token: sim.access_token}


@pytest.fixture
def shopify_client(tmp_path):
    uk_market = [{"name": "United Kingdom", "countries": ["GB"], "currency": "GBP", "primary": True}]
    with (
        WooCommerceSim("master") as master,
        ShopifySim("uk", currency="GBP", markets=uk_market) as uk,
        ShopifySim("global", currency="EUR") as shared,
    ):
        create_catalogue(master, MASTER)
        add_shopify_catalogue(
            uk,
            {
                "TEE-1": "51.99",
                "TEE-2": "26.50",
                "TEE-3": "13.50",
                "TEE-4": "40.00",
                "JKT-S": "80.00",
                "JKT-M": "80.00",
            },
        )
        add_shopify_catalogue(
            shared, dict.fromkeys(["TEE-1", "TEE-2", "TEE-3", "TEE-4", "JKT-S", "JKT-M"], "50.00")
        )
        parts, env = [CLIENT.split("[markets.ch]")[0], SHOPIFY_MARKETS], {}
        for text, names in (
            woo_store_toml("master", master),
            shopify_store_toml("uk", uk),
            shopify_store_toml("global", shared),
        ):
            parts.append(text)
            env.update(names)
        (tmp_path / "cost.csv").write_text(COST_CSV)
        path = tmp_path / "acme.toml"
        path.write_text("\n".join(parts))
        config = load_config(path, environ=env)
        opened = Client.__new__(Client)
        opened.config, opened.state = config, open_state(config.state_path)
        opened.adapters = {name: open_adapter(name, store) for name, store in config.stores.items()}
        opened.pull("master", "uk", "global")
        try:
            yield opened, uk, shared
        finally:
            opened.close()


def test_prices_are_pushed_to_a_shopify_market_shop_as_variant_prices(shopify_client):
    client, uk, _ = shopify_client
    writes = uk.stats()["writes"]

    (result,) = client.sync(market="uk")

    assert result["outcome"] == "ok", result
    assert {sku: variant_prices(uk)[sku] for sku in UK_EXPECTED} == UK_EXPECTED
    assert result["pushed"] == 5 and result["unchanged"] == 1 and result["not_on_target"] == 1
    assert result["target_kind"] == "shopify_variants"
    assert lines_by_sku(result)["TEE-3"]["floor_applied"]
    assert uk.stats()["writes"] > writes

    writes = uk.stats()["writes"]
    (again,) = client.sync(market="uk")
    assert uk.stats()["writes"] == writes
    assert again["pushed"] == 0 and again["unchanged"] == 6

    client.pull("uk")
    (after_pull,) = client.sync(market="uk")
    assert uk.stats()["writes"] == writes and after_pull["unchanged"] == 6


def test_prices_are_pushed_to_a_shopify_markets_price_list(shopify_client):
    client, _, shared = shopify_client
    writes = shared.stats()["writes"]

    (result,) = client.sync(market="us")

    assert result["outcome"] == "ok", result
    assert fixed_prices(shared, "United States") == US_EXPECTED
    assert set(variant_prices(shared).values()) == {("50.00", None)}  # the shop's own prices stay
    assert result["pushed"] == 6 and result["target_kind"] == "shopify_price_list"
    assert any(n.startswith("sale dropped") for n in lines_by_sku(result)["TEE-3"]["notes"])
    assert shared.stats()["writes"] > writes

    writes = shared.stats()["writes"]
    (again,) = client.sync(market="us")
    assert shared.stats()["writes"] == writes
    assert again["pushed"] == 0 and again["unchanged"] == 6


def test_a_price_list_price_edited_on_the_shop_is_set_back(shopify_client):
    client, _, shared = shopify_client
    client.sync(market="us")
    with shared.lock:
        variant = shared.shop.variants_by_sku["TEE-4"]
        (market,) = [m for m in shared.shop.markets.values() if m.name == "United States"]
        shared.shop.price_lists[market.price_list_id].fixed_prices[variant.id] = (Decimal("30.00"), None)
    writes = shared.stats()["writes"]

    # the price list is read live: it shows 30.00, the last push 49.00 (the guardrail's reference: no move)
    (result,) = client.sync(market="us")

    line = lines_by_sku(result)["TEE-4"]
    assert line["status"] == PUSHED and line["current"] == ["30.00", None] and line["change_percent"] == "0.0"
    assert result["pushed"] == 1 and shared.stats()["writes"] == writes + 1
    assert fixed_prices(shared, "United States")["TEE-4"] == ("49.00", None)


def test_the_command_line_runs_the_job(client, stores, monkeypatch, capsys):
    from connector.cli import main

    master, swiss = stores
    for name, sim in (("master", master), ("ch", swiss)):
        for key, value in woo_store_toml(name, sim)[1].items():
            monkeypatch.setenv(key, value)
    path = str(client.config.path)

    assert main(["sync", "prices", "-c", path, "--dry-run", "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)["results"]
    assert (result["job"], result["market"], result["to_push"]) == ("prices:ch", "ch", 5)
    assert client.state.db["pushed_prices"].count == 0

    assert main(["sync", "prices", "-c", path, "--market", "ch"]) == 0
    assert "5 pushed, 1 unchanged, 1 not on target, 1 no cost" in capsys.readouterr().out
    assert shown_prices(swiss, SKUS) == EXPECTED
