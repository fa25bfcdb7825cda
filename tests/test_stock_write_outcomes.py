"""Stock writes whose answer is lost are never applied twice. A WooCommerce stock write adds its change to the
store's quantity (`inventory_delta`), so sending it twice applies it twice: it is sent again only when it
certainly never reached the store (no connection, a 429, a refused OAuth nonce); a lost answer or a 5xx
leaves its outcome unknown, and the inventory job reads the store back before writing again. A Shopify
write resent carries the same `@idempotent` key and is answered from the first call. On the simulators,
with the faults of the sandbox core."""

from __future__ import annotations

import socket

import pytest
import requests
from test_inventory import World

from connector.platforms.base import StockWrite
from connector.platforms.network import never_sent
from connector.platforms.registry import open_adapter

BATCH = "POST /wp-json/wc/v3/products/batch"


@pytest.fixture
def world(simulators, client_config):
    return World(simulators, client_config)


def _batches(sim) -> int:
    return sim.stats()["requests"].get(BATCH, 0)


def test_a_stock_write_whose_answer_is_lost_is_sent_once_and_settled_by_the_next_read(world):
    world.sync()
    sku = world.skus[0]
    expected = dict.fromkeys(world.skus, 12)
    expected[sku] += world.apply(("sell", "fr", sku, 3))  # the pool goes to 9: de (buffer 2) must show 7
    world.de.reset_stats()
    world.de.set_faults(lost_answer_rate=1.0)

    report = world.sync(full=True)

    assert _batches(world.de) == 1  # not resent: a second send would take 3 more units off
    assert world.quantity("de", sku) == 7  # applied once, though its answer never came
    counts = report.channels["de"]
    assert (counts.written, counts.unsettled) == (0, 1)
    assert "did not say whether it applied" in counts.error
    assert world.quantity("us", sku) == 8  # the other channels got their writes

    world.de.set_faults()
    world.de.reset_stats()
    settled = world.sync(full=True)
    assert _batches(world.de) == 0  # its mark read back: applied, nothing to write again
    assert settled.channels["de"].error == ""
    world.assert_in_step(expected)


def test_a_shopify_stock_write_whose_answer_is_lost_is_resent_and_answered_from_the_first_call(world):
    world.sync()
    sku = world.skus[3]
    expected = dict.fromkeys(world.skus, 12)
    expected[sku] += world.apply(("sell", "fr", sku, 3))  # the pool goes to 9: us (buffer 1) must show 8
    world.us.set_faults(lost_answer_rate=0.5, seed=1)
    world.us.reset_stats()

    report = world.sync(full=True)

    stats = world.us.stats()
    world.us.set_faults()
    assert stats["faulted"] == 1  # the first answer was lost, the resend was answered
    assert report.channels["us"].written == 1 and report.channels["us"].error == ""
    assert world.quantity("us", sku) == 8  # applied once
    world.assert_in_step(expected)


def _write_on_de(world, sku: str, change: int, **faults):
    """One stock write through the adapter, with `faults` set on the store between its read and its write."""
    adapter = open_adapter("de", world.config.stores["de"])
    try:
        level = next(iter(adapter.stock_levels([sku])))
        world.de.set_faults(**faults)
        world.de.reset_stats()
        [outcome] = adapter.write_stock(
            [StockWrite(sku, level.quantity + change, level.quantity, level, "m1")]
        )
    finally:
        adapter.close()
        world.de.set_faults()
    return level.quantity, outcome


def test_a_stock_write_answered_5xx_is_not_sent_again(world):
    before, outcome = _write_on_de(world, world.skus[1], -2, error_rate=1.0, seed=1)
    assert _batches(world.de) == 1
    assert not outcome.ok and not outcome.refused  # unknown: the next read tells
    assert "not sent again" in outcome.message
    assert world.quantity("de", world.skus[1]) == before  # this simulated 5xx applied nothing


def test_a_stock_write_refused_with_429_never_reached_the_store_and_is_sent_again(world):
    # seed 7 draws 0.32, 0.15, 0.65: two 429s, then the write goes through
    before, outcome = _write_on_de(world, world.skus[2], -4, rate_limit_rate=0.6, retry_after=0, seed=7)
    stats = world.de.stats()
    assert outcome.ok
    assert (stats["throttled"], _batches(world.de)) == (2, 3)
    assert world.quantity("de", world.skus[2]) == before - 4  # applied once


def test_never_sent_tells_a_refused_connection_from_a_request_left_without_answer(simulators):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with pytest.raises(requests.ConnectionError) as refused:
        requests.post(f"http://127.0.0.1:{port}/x", json={}, timeout=2)
    assert never_sent(refused.value)

    sim = simulators("woocommerce", "slow")
    sim.set_faults(hang_rate=1.0, hang_seconds=5)
    with pytest.raises(requests.ReadTimeout) as read_timeout:
        requests.post(f"{sim.base_url}/wp-json/wc/v3/products/batch", json={}, timeout=0.3)
    assert not never_sent(read_timeout.value)

    sim.set_faults(drop_rate=1.0)
    with pytest.raises(requests.ConnectionError) as dropped:
        requests.post(f"{sim.base_url}/wp-json/wc/v3/products/batch", json={}, timeout=2)
    assert not never_sent(dropped.value)
