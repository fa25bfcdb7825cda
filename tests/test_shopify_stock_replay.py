"""Shopify stock writes carrying the inventory job's marks: the same writes sent again replay the first answer
(the `@idempotent` key follows the marks) instead of applying twice."""

from __future__ import annotations

import hashlib

import pytest
from pydantic import SecretStr

from connector.platforms.base import StockWrite
from connector.platforms.registry import open_adapter
from connector.platforms.shopify.adapter import idempotency_key
from connector.platforms.shopify.config import ShopifyStore
from connector.sandbox.shopify import ShopifySim


@pytest.fixture
def sim():
    with ShopifySim("Maison Replay", bucket_max=2000, restore_rate=50_000) as shop:
        with shop.lock:
            for sku in ("R-1", "R-2"):
                shop.shop.add_product(f"Product {sku}", variants=[{"sku": sku, "available": 10}])
        yield shop


@pytest.fixture
def adapter(sim):
    store = ShopifyStore(platform="shopify", shop=sim.base_url, access_token=SecretStr(sim.access_token))
    shop_adapter = open_adapter("replay", store)
    yield shop_adapter
    shop_adapter.close()


def writes_to(adapter, targets: dict[str, int], marks: dict[str, str]) -> list[StockWrite]:
    levels = {level.sku: level for level in adapter.stock_levels(sorted(targets))}
    return [
        StockWrite(sku, target, levels[sku].quantity, levels[sku], mark=marks.get(sku, ""))
        for sku, target in targets.items()
    ]


def test_the_key_is_the_sha256_of_the_marks_when_every_write_has_one(adapter):
    writes = writes_to(adapter, {"R-1": 7, "R-2": 8}, {"R-1": "m1", "R-2": "m2"})
    assert idempotency_key(writes) == hashlib.sha256(b"m1\nm2").hexdigest()
    unmarked = writes_to(adapter, {"R-1": 7, "R-2": 8}, {"R-1": "m1"})
    keys = {idempotency_key(unmarked) for _ in range(3)}
    assert len(keys) == 3 and hashlib.sha256(b"m1").hexdigest() not in keys


def test_marked_writes_sent_again_replay_and_unmarked_ones_apply_again(sim, adapter):
    assert adapter.replays_stock_writes
    writes = writes_to(adapter, {"R-1": 7, "R-2": 8}, {"R-1": "m1", "R-2": "m2"})
    assert [o.ok for o in adapter.write_stock(writes)] == [True, True]
    sim.sell([{"sku": "R-1", "quantity": 2}])  # 7 -> 5 after our write
    # The same writes again (a worker that never recorded the first answer): answered as before, not applied
    # again, and the sale that came after is kept.
    assert [o.ok for o in adapter.write_stock(writes)] == [True, True]
    assert (sim.stock("R-1")["available"], sim.stock("R-2")["available"]) == (5, 8)
    # Without marks every call is new: compare-and-set against 10 is now refused.
    fresh = [StockWrite(w.sku, w.quantity, w.expected, w.level) for w in writes]
    outcomes = adapter.write_stock(fresh)
    assert [(o.ok, o.conflict) for o in outcomes] == [(False, True), (False, True)]
    assert (sim.stock("R-1")["available"], sim.stock("R-2")["available"]) == (5, 8)
