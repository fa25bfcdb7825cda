"""Adapter tests on recorded answers (vcrpy): credentials never reach a cassette, and the committed
cassettes replay with no simulator running."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import vcr
from pydantic import SecretStr

import connector.platforms.woocommerce  # noqa: F401 - strong OAuth nonces
from connector.platforms.woocommerce import adapter as woocommerce_adapter
from connector.platforms.woocommerce.adapter import WooCommerceAdapter
from connector.platforms.woocommerce.config import WooCommerceStore

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
OAUTH_PARAMETERS = [
    "oauth_consumer_key",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
]


def woocommerce_recorder(mode: str) -> vcr.VCR:
    return vcr.VCR(
        record_mode=mode,
        match_on=["method", "path", "query"],
        filter_query_parameters=OAUTH_PARAMETERS,
        filter_headers=["Authorization"],
        decode_compressed_response=True,
    )


def store(url: str, key: str = "ck_replay", secret: str = "cs_replay") -> WooCommerceStore:
    return WooCommerceStore(
        platform="woocommerce",
        url=url,
        consumer_key=SecretStr(key),
        consumer_secret=SecretStr(secret),
        timeout=2,
    )


def read_products(adapter) -> list:
    return [product for page in adapter.read("products", None) for product in page.records]


def test_recording_a_woocommerce_read_keeps_no_credential(simulators, tmp_path):
    sim = simulators("woocommerce", "fr")
    sim.seed(products=12, variants=6, customers=1, orders=1, seed=3)
    cassette = tmp_path / "products.yaml"
    with woocommerce_recorder("once").use_cassette(str(cassette)):
        recorded = read_products(
            WooCommerceAdapter("fr", store(sim.base_url, sim.consumer_key, sim.consumer_secret))
        )
    text = cassette.read_text()
    for secret in (sim.consumer_key, sim.consumer_secret, "oauth_signature", "oauth_nonce"):
        assert secret not in text
    url = sim.base_url
    sim.stop()
    woocommerce_adapter._variations_route.clear()  # a new process asks the route index again
    with woocommerce_recorder("none").use_cassette(str(cassette)) as played:
        adapter = WooCommerceAdapter("fr", store(url))
        adapter.attempts = 1
        assert read_products(adapter) == recorded
        assert played.all_played


def test_the_committed_woocommerce_cassette_replays_into_records():
    """cassettes/woocommerce/products.yaml: 12 products of a seeded simulator, recorded with the test above."""
    woocommerce_adapter._variations_route.clear()
    with woocommerce_recorder("none").use_cassette(
        str(CASSETTES / "woocommerce" / "products.yaml")
    ) as played:
        adapter = WooCommerceAdapter("fr", store("http://127.0.0.1:8765"))
        adapter.attempts = 1
        products = read_products(adapter)
        assert played.all_played
    assert len(products) == 12
    variable = [p for p in products if p.kind == "variable"]
    assert variable and all(len(p.variants) >= 1 for p in variable)
    prices = [v.price for p in products for v in p.variants if v.price is not None]
    assert prices and all(isinstance(price, Decimal) for price in prices)
    assert all(p.updated_at.tzinfo is not None for p in products)
