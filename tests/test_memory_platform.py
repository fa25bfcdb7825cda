"""The jobs run unchanged on a third platform: the in-memory one of tests/memory_platform.py, registered like a
platform package, alone and beside a WooCommerce simulator."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from memory_platform import MemoryStore, register

from connector.config import ClientConfig, load_config
from connector.jobs.inventory import sync_inventory_command
from connector.jobs.prices import sync_prices_command
from connector.jobs.pull import pull
from connector.jobs.runner import adapters
from connector.jobs.translations import sync_translations_command
from connector.platforms import registry
from connector.sandbox.woocommerce import WooCommerceSim
from connector.state import open_state

CLIENT = """
[client]
name = "mem"
base_currency = "EUR"
state_file = "mem.sqlite"
base_prices_include_vat = true
base_vat_rate = 20
"""


@pytest.fixture
def memory():
    unregister = register()
    yield MemoryStore
    unregister()


def write_config(tmp_path: Path, monkeypatch, stores: dict, extra: str) -> ClientConfig:
    """A config whose [stores.NAME] tables each platform's registration writes for its running store."""
    parts = [CLIENT]
    for name, store in stores.items():
        platform = next(p for p in registry.platforms() if isinstance(store, p.simulator()))
        table, env = platform.sandbox_store(name, store, f"MEM_{name.upper().replace('-', '_')}", 10)
        parts.append(table)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
    path = tmp_path / "mem.toml"
    path.write_text("\n".join([*parts, extra]))
    return load_config(path)


def catalogue(store: MemoryStore, quantity: int = 10) -> None:
    store.add_product(
        "Chemise", [{"sku": "TEE-1", "price": "60.00", "quantity": quantity}], "<p>Belle chemise</p>"
    )
    store.add_product(
        "Veste",
        [
            {"sku": "TEE-2", "price": "30.00", "sale_price": "24.00", "quantity": quantity},
            {"sku": "TEE-3", "price": "12.00", "quantity": quantity},
        ],
        "<p>Une veste <strong>chaude</strong></p>",
    )


def test_the_pull_reads_every_resource_and_a_second_pass_writes_nothing(memory, tmp_path, monkeypatch):
    master = memory("mem-master")
    catalogue(master)
    for number in range(4):
        master.add_product(f"Produit {number}", [{"sku": f"P-{number}", "price": "5.00", "quantity": 3}])
    master.sell("TEE-1", 2)
    master.add_customer("a@example.com")
    config = write_config(tmp_path, monkeypatch, {"master": master}, "")
    with open_state(config.state_path) as state, adapters(config) as opened:
        first = {r: pull(state, opened["master"], r) for r in ("products", "orders", "customers")}
        assert {r: (s.read, s.created) for r, s in first.items()} == {
            "products": (6, 6),
            "orders": (1, 1),
            "customers": (1, 1),
        }
        assert first["products"].pages == 2  # pages of 3, resumed by the adapter's own position
        assert state.db.execute("select count(*) from variants where store = 'master'").fetchone()[0] == 7
        again = {r: pull(state, opened["master"], r) for r in ("products", "orders", "customers")}
        assert all(s.created == s.updated == 0 for s in again.values())
        assert sum(s.unchanged for s in again.values()) == 8


def test_inventory_pools_memory_channels_beside_a_woocommerce_store(memory, tmp_path, monkeypatch):
    with WooCommerceSim("wc") as wc:
        skus = wc.add_products(count=2, prefix="P", stock=8)
        master, market = memory("mem-master"), memory("mem-market")
        for store in (master, market):
            for sku in skus:
                store.add_product(f"Produit {sku}", [{"sku": sku, "quantity": 8}])
        extra = '[inventory]\nsource_of_truth = "master"\n[inventory.channels.master]\n[inventory.channels.market]\n'
        extra += "[inventory.channels.wc]\nbuffer = 1\n"
        config = write_config(tmp_path, monkeypatch, {"master": master, "market": market, "wc": wc}, extra)
        with open_state(config.state_path) as state, adapters(config) as opened:
            first = sync_inventory_command(config, state, opened, as_json=True)
            assert all(r["outcome"] == "ok" for r in first), first
            assert wc.stock(skus[0])["stock_quantity"] == 7  # the pool of 8 less the channel's buffer
            market.sell(skus[0], 3)
            wc.sell([{"sku": skus[1], "quantity": 2}])
            for name in ("market", "wc"):
                pull(state, opened[name], "orders")
                pull(state, opened[name], "products")
            results = {r["store"]: r for r in sync_inventory_command(config, state, opened, as_json=True)}
            assert results["market"]["sales"] == 3 and results["wc"]["sales"] == 2
            pools = dict(state.db.execute("select sku, quantity from stock_pool").fetchall())
            assert pools == {skus[0]: 5, skus[1]: 6}
            for sku, pool in pools.items():
                assert master.item(sku).quantity == market.item(sku).quantity == pool
                assert wc.stock(sku)["stock_quantity"] == pool - 1


MARKETS = """
[pricing]
master_store = "master"

[markets.de]
countries = ["DE"]
currency = "EUR"
language = "de"
target = "shop"
prices_include_vat = true
vat_rate = 19
exchange_rate = 1

[markets.ch]
countries = ["CH"]
currency = "CHF"
language = "de"
target = "shop"
shopify_market = "CH"
prices_include_vat = true
vat_rate = 8.1
exchange_rate = 0.95
"""
# de: 60.00 / 1.20 = 50 x 1.19 = 59.50; 30.00 -> 29.75, sale 24.00 -> 20 x 1.19 = 23.80; 12.00 -> 11.90
# ch: 50 x 0.95 = 47.5 x 1.081 = 51.3475 -> 51.35; 25 x 0.95 x 1.081 = 25.67375 -> 25.67,
#     sale 20 x 0.95 x 1.081 = 20.539 -> 20.54; 10 x 0.95 x 1.081 = 10.2695 -> 10.27


def test_prices_go_to_a_memory_store_and_to_one_of_its_markets(memory, tmp_path, monkeypatch):
    master, shop = memory("mem-master"), memory("mem-shop", markets={"CH"})
    catalogue(master)
    catalogue(shop)
    config = write_config(tmp_path, monkeypatch, {"master": master, "shop": shop}, MARKETS)
    with open_state(config.state_path) as state, adapters(config) as opened:
        for name in ("master", "shop"):
            pull(state, opened[name], "products")
        results = {r["market"]: r for r in sync_prices_command(config, state, opened, as_json=True)}
        assert {m: (r["outcome"], r["target_kind"], r["pushed"]) for m, r in results.items()} == {
            "de": ("ok", "memory_prices", 3),
            "ch": ("ok", "memory_market_prices", 3),
        }
        shown = {
            sku: (shop.item(sku).price, shop.item(sku).sale_price) for sku in ("TEE-1", "TEE-2", "TEE-3")
        }
        assert shown == {
            "TEE-1": (Decimal("59.50"), None),
            "TEE-2": (Decimal("29.75"), Decimal("23.80")),
            "TEE-3": (Decimal("11.90"), None),
        }
        assert shop.market_prices["CH"] == {
            "TEE-1": (Decimal("51.35"), None),
            "TEE-2": (Decimal("25.67"), Decimal("20.54")),
            "TEE-3": (Decimal("10.27"), None),
        }
        writes = shop.writes
        again = {r["market"]: r for r in sync_prices_command(config, state, opened, as_json=True)}
        assert shop.writes == writes  # nothing changed upstream: no write, before the next pull of the shop
        assert {m: (r["unchanged"], r["pushed"]) for m, r in again.items()} == {"de": (3, 0), "ch": (3, 0)}


TRANSLATIONS = (
    MARKETS
    + """
[translation]
provider = "none"
source_language = "fr"
human_files = ["people.csv"]
fields = ["title", "description"]
detect_language = false
"""
)
PEOPLE = """source_lang,target_lang,source,translation
fr,de,Chemise,Hemd
fr,de,<p>Belle chemise</p>,<p>Schönes Hemd</p>
fr,de,Veste,Jacke
fr,de,<p>Une veste <strong>chaude</strong></p>,<p>Eine <strong>warme</strong> Jacke</p>
"""


def test_translations_go_per_locale_and_market_to_a_memory_store(memory, tmp_path, monkeypatch):
    master, shop = memory("mem-master"), memory("mem-shop", markets={"CH"})
    catalogue(master)
    catalogue(shop)
    (tmp_path / "people.csv").write_text(PEOPLE)
    config = write_config(tmp_path, monkeypatch, {"master": master, "shop": shop}, TRANSLATIONS)
    with open_state(config.state_path) as state, adapters(config) as opened:
        for name in ("master", "shop"):
            pull(state, opened[name], "products")
        results = {
            r.get("market", "translate"): r
            for r in sync_translations_command(config, state, opened, as_json=True)
        }
        assert results["translate"]["outcome"] == "ok", results
        assert {m: (results[m]["outcome"], results[m]["pushed"]) for m in ("de", "ch")} == {
            "de": ("ok", 4),
            "ch": ("ok", 4),
        }
        jacket = shop.item("TEE-2").product_id
        assert shop.translations[(jacket, "de", None)] == {
            "title": "Jacke",
            "description": "<p>Eine <strong>warme</strong> Jacke</p>",
        }
        assert shop.translations[(jacket, "de", "CH")]["title"] == "Jacke"
        writes = shop.writes
        again = {
            r.get("market", "translate"): r
            for r in sync_translations_command(config, state, opened, as_json=True)
        }
        assert shop.writes == writes and again["de"]["pushed"] == again["ch"]["pushed"] == 0
        assert again["de"]["unchanged"] == again["ch"]["unchanged"] == 4
