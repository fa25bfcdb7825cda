"""The binder: one variant per store and SKU, or a duplicate, or missing; and the three jobs refusing a SKU the
binder cannot bind, the same way, on the WooCommerce simulator."""

from __future__ import annotations

import pytest
from test_prices import MASTER, SWISS, Client, create_catalogue, lines_by_sku, shown_prices

from connector.binder import AMBIGUOUS, MISSING, Binder, Unbound, VariantRow
from connector.config import load_config
from connector.jobs.inventory import sync_inventory_command
from connector.jobs.prices import DUPLICATE_SKU, PUSHED, UNCHANGED
from connector.jobs.pull import pull
from connector.jobs.runner import adapters
from connector.jobs.translations import sync_translations_command
from connector.records import StockLevel
from connector.sandbox.woocommerce import WooCommerceSim
from connector.state import open_state


def test_a_sku_binds_to_its_one_variant_or_says_why_not():
    rows = [("A", "7", "row a"), ("B", "9", "row b1"), ("B", "10", "row b2"), ("C", "3", "row c")]
    binder = Binder("fr", rows, ambiguous={"C": ("3", "4")})
    assert binder.bind("A") == "row a"
    duplicate = binder.bind("B")
    assert duplicate == Unbound("fr", "B", AMBIGUOUS, ("9", "10"))  # ids in number order
    assert duplicate.message == (
        "SKU 'B' is on 2 variants of store fr (9, 10); left alone there until each variant has its own SKU"
    )
    known = binder.bind("C")  # the read shows one variant, the state knows of two
    assert isinstance(known, Unbound) and known.kind == AMBIGUOUS and known.variants == ("3", "4")
    missing = binder.bind("Z")
    assert missing == Unbound("fr", "Z", MISSING) and missing.message == "no variant with SKU 'Z' in store fr"
    assert binder.skus() == ["A", "B", "C"] and set(binder.ambiguous()) == {"B", "C"}
    levels = Binder("fr", [(lv.sku, lv.variant_id, lv) for lv in [StockLevel("A", 3, True, "7", "7")]])
    assert levels.bind("A").quantity == 3


def force_sku(sim: WooCommerceSim, sku: str, to: str) -> str:
    """A duplicate slipped past the store's own check (imports, plugins): `sku` now reads `to`; answers its id."""
    with sim.lock:
        record = sim.store.by_sku(sku)
        record.sku = to  # the store's index still points `to` at its first owner
        sim.store.saved(record)
        return str(record.id)


@pytest.fixture
def priced(tmp_path):
    with WooCommerceSim("master") as master, WooCommerceSim("ch", currency="CHF") as swiss:
        create_catalogue(master, MASTER + [{"sku": "TEE-2-OLD", "regular_price": "90.00"}])
        create_catalogue(swiss, SWISS + [{"sku": "TEE-3-OLD", "regular_price": "95.00"}])
        yield Client(tmp_path, {"master": master, "ch": swiss}), master, swiss


def test_a_duplicate_sku_takes_no_price_from_either_variant(priced):
    client, master, swiss = priced
    try:
        twin = force_sku(master, "TEE-2-OLD", "TEE-2")  # the master shows TEE-2 at 30.00 and at 90.00
        force_sku(swiss, "TEE-3-OLD", "TEE-3")  # and the Swiss store has TEE-3 twice
        client.pull("master", "ch")

        (result,) = client.sync()

        lines = lines_by_sku(result)
        assert lines["TEE-2"]["status"] == lines["TEE-3"]["status"] == DUPLICATE_SKU
        assert lines["TEE-2"]["price"] is None and lines["TEE-2"]["base_price"] is None
        assert lines["TEE-2"]["notes"] == [Binder.of_store(client.state, "master").bind("TEE-2").message]
        assert twin in lines["TEE-2"]["notes"][0] and "store master" in lines["TEE-2"]["notes"][0]
        assert Binder.of_store(client.state, "ch").bind("TEE-3").message in lines["TEE-3"]["notes"]
        assert result["duplicate_sku"] == 2 and result["pushed"] == 3
        assert shown_prices(swiss, ["TEE-2"]) == {"TEE-2": ("26.00", "")}  # not 25.90, nor the twin's price
        with swiss.lock:
            held = [(r.regular_price, r.sale_price) for r in swiss.store.posts.values() if r.sku == "TEE-3"]
        assert sorted(held) == [("11.00", "10.50"), ("95.00", "")]  # neither Swiss TEE-3 touched
        assert {lines[sku]["status"] for sku in ("TEE-1", "TEE-4", "JKT-S", "JKT-M")} <= {PUSHED, UNCHANGED}
    finally:
        client.close()


TRANSLATION_CONFIG = """
[client]
name = "acme"
base_currency = "EUR"
state_file = "acme.sqlite"
base_prices_include_vat = true
base_vat_rate = 20

[stores.master]
platform = "woocommerce"
url = "{master}"
consumer_key = "env:M_KEY"
consumer_secret = "env:M_SECRET"

[stores.de]
platform = "woocommerce"
url = "{market}"
consumer_key = "env:D_KEY"
consumer_secret = "env:D_SECRET"

[markets.de]
countries = ["DE"]
currency = "EUR"
language = "de"
target = "de"
prices_include_vat = true
vat_rate = 19

[pricing]
master_store = "master"

[translation]
provider = "none"
source_language = "fr"
human_files = ["people.csv"]
fields = ["title"]
detect_language = false
"""
PEOPLE = """source_lang,target_lang,source,translation
fr,de,Product SOLO,Produkt SOLO
fr,de,Product PAIR,Produkt PAIR
fr,de,Product CALM,Produkt CALM
"""


def test_a_duplicate_sku_on_the_master_matches_no_product_for_translations(tmp_path):
    with WooCommerceSim("master") as master, WooCommerceSim("de") as market:
        # Master: SOLO (simple) and PAIR, whose variations are ONE and, through a slip, SOLO as well.
        create_catalogue(
            master, [{"sku": "SOLO", "regular_price": "10.00"}, {"sku": "CALM", "regular_price": "9.00"}]
        )
        create_catalogue(
            master,
            [
                {
                    "sku": "PAIR",
                    "variations": [
                        {"sku": "ONE", "option": "S", "regular_price": "10.00"},
                        {"sku": "SOLO-B", "option": "M", "regular_price": "10.00"},
                    ],
                }
            ],
        )
        force_sku(master, "SOLO-B", "SOLO")
        create_catalogue(market, [{"sku": sku, "regular_price": "10.00"} for sku in ("SOLO", "ONE", "CALM")])
        (tmp_path / "people.csv").write_text(PEOPLE)
        path = tmp_path / "acme.toml"
        path.write_text(TRANSLATION_CONFIG.format(master=master.base_url, market=market.base_url))
        env = {"M_KEY": master.consumer_key, "M_SECRET": master.consumer_secret}
        env |= {"D_KEY": market.consumer_key, "D_SECRET": market.consumer_secret}
        config = load_config(path, environ=env)
        with open_state(config.state_path) as state, adapters(config) as opened:
            pull(state, opened["master"], "products")
            pull(state, opened["de"], "products")

            results = {
                r.get("market", "-"): r
                for r in sync_translations_command(config, state, opened, as_json=True)
            }

            germany = results["de"]
            assert germany["outcome"] == "ok" and germany["pushed"] == 1 and germany["unmatched"] == 2
            message = Binder.of_store(state, "master").bind("SOLO").message
            assert all(entry.endswith(message) for entry in germany["unmatched_products"])
            with market.lock:
                names = {sku: market.store.by_sku(sku).name for sku in ("SOLO", "ONE", "CALM")}
            # SOLO's texts went nowhere: the market's SOLO product keeps its name, and so does ONE's
            assert names == {"SOLO": "Product SOLO", "ONE": "Product ONE", "CALM": "Produkt CALM"}


def test_a_duplicate_sku_on_the_master_is_left_alone_by_inventory(tmp_path):
    with WooCommerceSim("master") as master, WooCommerceSim("de") as market:
        master.add_products(count=1, prefix="X", stock=5)
        (twin,) = master.add_products(count=1, prefix="TWIN", stock=7)
        (calm,) = master.add_products(count=1, prefix="CALM", stock=4)
        (sku,) = market.add_products(count=1, prefix="X", stock=5)
        market.add_products(count=1, prefix="CALM", stock=9)
        twin_id = force_sku(master, twin, sku)
        path = tmp_path / "acme.toml"
        text = TRANSLATION_CONFIG.format(master=master.base_url, market=market.base_url)
        path.write_text(text + '\n[inventory]\nsource_of_truth = "master"\n')
        env = {"M_KEY": master.consumer_key, "M_SECRET": master.consumer_secret}
        env |= {"D_KEY": market.consumer_key, "D_SECRET": market.consumer_secret}
        config = load_config(path, environ=env)
        with open_state(config.state_path) as state, adapters(config) as opened:
            pull(state, opened["master"], "products")

            results = {r["store"]: r for r in sync_inventory_command(config, state, opened, as_json=True)}

            assert results["master"]["problems"]["duplicate_sku"] == [sku]
            assert Binder.of_store(state, "master").bind(sku).variants[-1] == twin_id
            with master.lock:
                quantities = sorted(r.stock_quantity for r in master.store.posts.values() if r.sku == sku)
            assert quantities == [5, 7]  # neither master variant written
            assert market.stock(calm)["stock_quantity"] == 4  # the others are pooled as ever
            assert isinstance(Binder.of_store(state, "master").bind(calm), VariantRow)
