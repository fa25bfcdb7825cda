"""Channels fail independently, as the merchant sees it: `connector sync inventory` run as a command against
two WooCommerce stores (fr, de) and a Shopify shop (us, the source of truth), one of them refusing; exit code,
the one line that names the channel and the fix, and the quantities on every channel."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from test_inventory import World

from connector.jobs.inventory import InventorySync, channels_of
from connector.platforms.errors import TransientError
from connector.state import open_state


@pytest.fixture
def world(simulators, client_config):
    return World(simulators, client_config)


def connector(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", *args],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def sync(world: World, *options: str) -> subprocess.CompletedProcess:
    return connector("sync", "inventory", "-c", str(world.config.path), *options)


def lines_about(text: str, channel: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(f"{channel}: ")]


def test_a_read_only_key_sets_its_channel_aside_the_others_are_written_and_it_catches_up(world):
    assert sync(world).returncode == 0  # first sync: pool 12 everywhere (us is the source)
    sku, other = world.skus[0], world.skus[1]
    world.refuse("de")  # its key turned read-only: every write answers 401
    world.apply(("sell", "fr", sku, 3))
    world.apply(("sell", "de", other, 2))  # de still reads: its sale reaches the pool
    run = sync(world, "--full")
    assert run.returncode == 1
    (line,) = lines_about(run.stderr, "de")
    assert "its stock writes failed" in line and "does not have write permissions" in line
    assert "give [stores.de] a credential that may write stock" in line and "`connector check`" in line
    assert "Traceback" not in run.stderr
    # the healthy channels got their writes; de shows what it showed
    assert (world.quantity("us", sku), world.quantity("fr", sku), world.quantity("de", sku)) == (8, 9, 10)
    assert (world.quantity("us", other), world.quantity("fr", other), world.quantity("de", other)) == (
        9,
        10,
        8,
    )
    with open_state(world.config.state_path) as state:
        refused = state.db.execute(
            "select count(*) from stock_intents where channel = 'de' and status in ('sent', 'not_applied')"
        ).fetchone()[0]
    assert refused == 1  # the write that would have set de to 7 for `sku`, recorded
    world.restore("de")
    world.apply(("sell", "de", sku, 1))  # sold while nobody looked: counted once, with the refused write
    again = sync(world, "--full")
    assert again.returncode == 0, again.stderr
    assert lines_about(again.stderr, "de") == []
    world.assert_in_step({**dict.fromkeys(world.skus, 12), sku: 8, other: 10})


def test_a_revoked_shopify_token_sets_the_source_aside_and_its_sales_are_folded_when_it_is_back(world):
    assert sync(world).returncode == 0
    sku = world.skus[2]
    world.refuse("us")  # the app's access is revoked: its client credentials are refused
    world.apply(("sell", "fr", sku, 2))
    run = sync(world, "--full")
    assert run.returncode == 1
    (line,) = lines_about(run.stderr, "us")
    assert line.startswith("us: cannot read its stock (Shopify refused the token request (invalid_client")
    assert "give [stores.us] a credential that may read stock" in line
    assert world.quantity("de", sku) == 8 and world.quantity("fr", sku) == 10  # fr's sale reached de
    world.apply(("sell", "us", sku, 4))  # sold on Shopify during the outage
    world.restore("us")
    # an incremental run with no order pulled: the channel missed before is asked again, and read in full
    again = sync(world)
    assert again.returncode == 0, again.stderr
    world.assert_in_step({**dict.fromkeys(world.skus, 12), sku: 6})


def test_check_names_the_read_only_key_to_replace_and_the_store_left_out_of_the_pool(
    simulators, client_config, monkeypatch
):
    fr, de, us = simulators("woocommerce", "fr"), simulators("woocommerce", "de"), simulators("shopify", "us")
    config = client_config(
        {"fr": fr, "de": de, "us": us},
        '[inventory]\nsource_of_truth = "us"\n[inventory.channels.us]\n[inventory.channels.fr]\n',
    )
    monkeypatch.setenv("ACME_FR_KEY", fr.read_only_key)
    monkeypatch.setenv("ACME_FR_SECRET", fr.read_only_secret)
    before = {name: sim.stats()["writes"] for name, sim in (("fr", fr), ("de", de))}
    run = connector("check", "-c", str(config.path))
    assert run.returncode == 1
    out = run.stdout
    assert "fr               ok: reachable, authenticated" in out  # reading works ...
    assert (
        "fr               FAILED: fr: the WooCommerce key has read access only, so stock cannot be written; "
        "create a key with Read/Write permissions"
    ) in out  # ... writing does not, and the line says which key to replace
    assert "replace stores.fr.consumer_key and consumer_secret" in out
    assert "de               FAILED: neither an inventory channel nor in inventory.excluded" in out
    assert fr.read_only_secret not in out
    assert {
        name: sim.stats()["writes"] for name, sim in (("fr", fr), ("de", de))
    } == before  # nothing changed
    monkeypatch.setenv("ACME_FR_KEY", fr.consumer_key)
    monkeypatch.setenv("ACME_FR_SECRET", fr.consumer_secret)
    config.path.write_text(
        config.path.read_text().replace("[inventory]\n", '[inventory]\nexcluded = ["de"]\n')
    )
    run = connector("check", "-c", str(config.path))
    assert run.returncode == 0, run.stdout
    assert "fr               ok: may write what inventory writes (nothing changed)" in run.stdout


def test_sync_names_a_store_that_sells_pooled_skus_outside_the_pool(simulators, client_config):
    fr, de, us = simulators("woocommerce", "fr"), simulators("woocommerce", "de"), simulators("shopify", "us")
    skus = fr.add_products(count=3, prefix="P", stock=5)
    de.add_products(count=2, prefix="P", stock=5)
    us.shop.add_product("Product", variants=[{"sku": skus[0], "available": 5}])
    config = client_config(
        {"fr": fr, "de": de, "us": us},
        '[inventory]\nsource_of_truth = "fr"\n[inventory.channels.fr]\n[inventory.channels.us]\n',
    )
    run = connector("sync", "products", "inventory", "-c", str(config.path))
    assert run.returncode == 1
    (line,) = lines_about(run.stderr, "de")
    assert line == (
        "de: sells 2 pooled SKU(s) but is neither an inventory channel nor in inventory.excluded, so its sales "
        "never reach the pool; add [inventory.channels.de] or list it in inventory.excluded"
    )
    assert us.stock(skus[0])["available"] == 5 and fr.stock(skus[0])["stock_quantity"] == 5  # still synced


def test_first_sync_lists_only_channels_whose_quantity_differs_from_their_target(world):
    run = sync(world, "--dry-run")
    assert run.returncode == 0
    table = run.stdout.split("inventory dry run")[0]
    assert "first sync: set to their target" in table
    rows = [line.split() for line in table.splitlines() if line.startswith("P-")]
    # pool 12 from us; fr shows 10 (target 12), de 10 (target 12 - buffer 2 = 10: agrees), us 12 (target 11)
    assert sorted(tuple(r) for r in rows) == sorted(
        [(sku, "fr", "10", "12") for sku in world.skus] + [(sku, "us", "12", "11") for sku in world.skus]
    )


def test_a_shopify_write_whose_answer_was_lost_is_not_folded_until_its_resend_answers(world):
    """On Shopify only a resend with the same idempotency key tells whether a write whose answer was lost was
    applied; while the shop does not answer it, the SKU's quantity there is not folded: it could be the write
    and a sale, or no write and four sales."""
    world.sync()
    sku = world.skus[0]
    world.apply(("sell", "fr", sku, 3))  # pool 9: us goes from 11 to 8
    adapters = world.adapters()
    original = adapters["us"].write_stock

    def applied_then_lost(writes):
        original(writes)
        raise TransientError("us", "connection dropped before the answer")

    def no_answer(writes):
        raise TransientError("us", "no answer")

    def cycle(write_stock):
        adapters["us"].write_stock = write_stock
        with open_state(world.config.state_path) as state:
            return InventorySync(state, channels_of(world.config, adapters)).run(full=True)

    first = cycle(applied_then_lost)
    assert world.quantity("us", sku) == 8 and first.channels["us"].unsettled == 1
    assert "us: its stock writes failed (connection dropped" in first.channels["us"].error
    world.apply(("sell", "us", sku, 1))  # us shows 7
    second = cycle(no_answer)
    assert second.channels["us"].sales == 0 and world.pools()[sku] == 9  # neither 8 nor 5: not folded yet
    assert world.quantity("de", sku) == 7 and world.quantity("fr", sku) == 9
    cycle(original)  # the resend is answered from the shop's record of the first call: applied
    world.assert_in_step({**dict.fromkeys(world.skus, 12), sku: 8})
