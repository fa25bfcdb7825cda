"""Multi-channel inventory on the simulators: two WooCommerce stores and one Shopify shop, one pool per SKU."""

from __future__ import annotations

import itertools
import threading
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

import pytest
from requests.adapters import HTTPAdapter

from connector.config import ChannelRules
from connector.inventory.fold import Intent, Seen, fold
from connector.inventory.rules import channel_quantity
from connector.jobs.inventory import InventorySync, channels_of, sync_inventory_command
from connector.jobs.pull import pull
from connector.platforms.registry import open_adapter
from connector.sandbox.woocommerce.auth import ApiKey
from connector.sandbox.woocommerce.store import CheckoutRefused
from connector.state import open_state

BUFFERS = {"fr": 0, "de": 2, "us": 1}


# --- pure parts --------------------------------------------------------------------------------------------


def test_channel_rules_buffer_share_rounded_down_maximum_and_zero_below():
    assert channel_quantity(10, ChannelRules()) == 10
    assert channel_quantity(10, ChannelRules(buffer=3)) == 7
    assert channel_quantity(2, ChannelRules(buffer=3)) == 0
    assert channel_quantity(-4, ChannelRules()) == 0  # oversold pool: nothing to sell
    assert channel_quantity(9, ChannelRules(share=Decimal(50))) == 4  # 4.5 rounded down
    assert channel_quantity(13, ChannelRules(buffer=1, share=Decimal("33.3"))) == 3  # 12 x 0.333 = 3.996
    assert channel_quantity(500, ChannelRules(max_quantity=40)) == 40
    assert channel_quantity(4, ChannelRules(zero_below=5)) == 0
    assert channel_quantity(5, ChannelRules(zero_below=5)) == 5


def test_fold_counts_each_channel_change_once_and_targets_every_channel():
    rules = {"a": ChannelRules(), "b": ChannelRules(buffer=2)}
    result = fold(10, {"a": 10, "b": 8}, {"a": Seen(7), "b": Seen(9)}, {}, rules, ["a", "b"])
    assert result.pool == 10 - 3 + 1
    assert [(e.cause, e.change) for e in result.entries] == [("sale on a", -3), ("increase on b", 1)]
    assert [(w.channel, w.current, w.target) for w in result.writes] == [("a", 7, 8), ("b", 9, 6)]


def test_fold_settles_writes_in_flight_by_mark_or_by_quantity():
    rules = {"a": ChannelRules(), "b": ChannelRules()}
    sent = Intent("m1", "a", expected=10, target=7, sent=True)
    # applied (mark there), then one more sale: only that sale is folded
    applied = fold(7, {"a": 10}, {"a": Seen(6, write_mark="m1")}, {"a": sent}, rules, ["a"])
    assert applied.settled == {"m1": True} and applied.pool == 6
    # not applied (another mark): the quantity read is measured from the old baseline
    lost = fold(7, {"a": 10}, {"a": Seen(9, write_mark="m0")}, {"a": sent}, rules, ["a"])
    assert lost.settled == {"m1": False} and lost.pool == 6
    # no marks on the platform: applied when the target shows
    assert fold(7, {"a": 10}, {"a": Seen(7)}, {"a": sent}, rules, ["a"]).settled == {"m1": True}
    # recorded but never sent: not applied, whatever the channel shows
    planned = Intent("m2", "a", expected=10, target=7)
    assert fold(7, {"a": 10}, {"a": Seen(7)}, {"a": planned}, rules, ["a"]).settled == {"m2": False}


def test_first_fold_starts_the_pool_from_the_first_channel_and_lists_disagreements():
    rules = {"src": ChannelRules(), "b": ChannelRules(buffer=1)}
    result = fold(None, {}, {"src": Seen(5), "b": Seen(4)}, {}, rules, ["src", "b"])
    assert result.pool == 5 and result.started_from == "src"
    assert result.disagreements == []  # b shows 5 - buffer 1 already
    result = fold(None, {}, {"src": Seen(5), "b": Seen(9)}, {}, rules, ["src", "b"])
    assert result.disagreements == [("b", 9, 4)]  # shows 9, will be set to its target 4
    assert [(w.channel, w.target) for w in result.writes] == [("b", 4)]


# --- the simulated world ------------------------------------------------------------------------------------


class World:
    """Two WooCommerce stores (fr, de) and a Shopify shop (us, the source of truth) selling the same SKUs."""

    def __init__(
        self,
        simulators,
        client_config,
        skus: int = 4,
        seed_stock: tuple[int, int, int] = (10, 10, 12),
        more_config: str = "",
    ):
        self.fr = simulators("woocommerce", "boutique-fr")
        self.de = simulators("woocommerce", "laden-de")
        self.us = simulators("shopify", "Shop US")
        self.sims = {"fr": self.fr, "de": self.de, "us": self.us}
        extra = '[inventory]\nsource_of_truth = "us"\n' + "".join(
            f"[inventory.channels.{name}]\nbuffer = {buffer}\n" for name, buffer in BUFFERS.items()
        )
        self.config = client_config(self.sims, extra + more_config)
        self.skus: list[str] = []
        self.reset(skus, seed_stock)

    def reset(self, skus: int, seed_stock: tuple[int, int, int]) -> None:
        self.fr.reset()
        self.de.reset()
        self.us.control("reset", {})
        self.skus = self.fr.add_products(count=skus, prefix="P", stock=seed_stock[0])
        self.de.add_products(count=skus, prefix="P", stock=seed_stock[1])
        with self.us.lock:
            for sku in self.skus:
                self.us.shop.add_product(
                    f"Product {sku}", variants=[{"sku": sku, "available": seed_stock[2]}]
                )
        for sim in self.sims.values():
            sim.reset_stats()
        self.config.state_path.unlink(missing_ok=True)

    def quantity(self, channel: str, sku: str) -> int:
        if channel == "us":
            return self.us.stock(sku)["available"]
        return self.sims[channel].stock(sku)["stock_quantity"]

    def writes(self) -> int:
        return sum(sim.stats()["writes"] for sim in self.sims.values())

    def apply(self, event: tuple[str, str, str, int]) -> int:
        """A customer sale, a restock or a manual edit on one channel; answers the change to the pool."""
        kind, channel, sku, quantity = event
        sim = self.sims[channel]
        with sim.lock:  # the change and the quantity it started from, without a sync write in between
            before = self.quantity(channel, sku)
            if kind == "sell":
                try:
                    sim.sell([{"sku": sku, "quantity": quantity}])
                except (CheckoutRefused, ValueError):
                    return 0
                return -quantity
            if kind == "restock":
                if channel == "us":
                    sim.control("restock", {"sku": sku, "quantity": quantity})
                else:
                    sim.restock(sku, quantity)
                return quantity
            if channel == "us":
                sim.control("set_stock", {"sku": sku, "quantity": quantity})
            else:
                sim.set_stock(sku, quantity)
            return quantity - before

    def refuse(self, channel: str) -> None:
        """The channel's credential stops working: a WooCommerce key turned read-only (writes answer 401
        "does not have write permissions"), a Shopify token revoked (every call answers 401)."""
        sim = self.sims[channel]
        if channel == "us":
            sim.control("auth", {"revoked": True})
        else:
            sim.auth.add_key(ApiKey(sim.consumer_key, sim.consumer_secret, "read"))

    def restore(self, channel: str) -> None:
        sim = self.sims[channel]
        if channel == "us":
            sim.control("auth", {"revoked": False})
        else:
            sim.auth.add_key(ApiKey(sim.consumer_key, sim.consumer_secret, "read_write"))

    def adapters(self) -> dict:
        return {name: open_adapter(name, store) for name, store in self.config.stores.items()}

    def sync(self, **options):
        with open_state(self.config.state_path) as state:
            adapters = self.adapters()
            try:
                return InventorySync(state, channels_of(self.config, adapters)).run(**options)
            finally:
                for adapter in adapters.values():
                    adapter.close()

    def pools(self) -> dict[str, int]:
        with open_state(self.config.state_path) as state:
            return {
                row["sku"]: row["quantity"] for row in state.db.query("select sku, quantity from stock_pool")
            }

    def assert_in_step(self, expected_pool: dict[str, int]) -> None:
        pools = self.pools()
        assert pools == expected_pool
        shown = {(c, s): self.quantity(c, s) for c in self.sims for s in self.skus}
        assert shown == {(c, s): max(0, pools[s] - BUFFERS[c]) for c in self.sims for s in self.skus}


@pytest.fixture
def world(simulators, client_config):
    return World(simulators, client_config)


class Killed(BaseException):
    """The worker dies here (a BaseException: nothing on the way catches it)."""


@contextmanager
def killed_at(request_number: int, *, after_response: bool):
    """Every HTTP request the connector sends is counted; the worker dies at request `request_number`,
    before it leaves or after its answer came back (the store applied it, the worker never learned)."""
    original = HTTPAdapter.send
    counter = itertools.count(1)

    def send(adapter, request, *args, **kwargs):
        number = next(counter)
        if number == request_number and not after_response:
            raise Killed(f"before request {number}")
        response = original(adapter, request, *args, **kwargs)
        if number == request_number:
            raise Killed(f"after request {number}")
        return response

    with mock.patch.object(HTTPAdapter, "send", send):
        yield


# --- behaviour on the simulators ----------------------------------------------------------------------------


def test_first_sync_starts_from_the_source_of_truth_and_lists_disagreements_before_writing(world):
    listed: list = []
    writes_when_listed: list[int] = []

    def on_disagreements(rows):
        listed.extend(rows)
        writes_when_listed.append(world.writes())

    with open_state(world.config.state_path) as state:
        adapters = world.adapters()
        report = InventorySync(
            state, channels_of(world.config, adapters), on_disagreements=on_disagreements
        ).run()
    assert writes_when_listed == [0]
    # pool 12 (us); fr shows 10 (target 12), de 10 (target 10: agrees, not listed), us 12 (target 11)
    assert sorted(listed) == sorted(
        [(sku, "fr", 10, 12) for sku in world.skus] + [(sku, "us", 12, 11) for sku in world.skus]
    )
    assert report.full and report.rounds == 1
    world.assert_in_step(dict.fromkeys(world.skus, 12))


def test_sales_restocks_and_edits_anywhere_reach_every_channel_and_the_ledger(world):
    world.sync()
    changes = [
        world.apply(("sell", "fr", world.skus[0], 3)),
        world.apply(("sell", "us", world.skus[0], 1)),
        world.apply(("restock", "de", world.skus[1], 5)),
        world.apply(("set_stock", "us", world.skus[2], 2)),
    ]
    assert changes == [-3, -1, 5, 2 - 11]
    report = world.sync(full=True)
    world.assert_in_step({world.skus[0]: 8, world.skus[1]: 17, world.skus[2]: 3, world.skus[3]: 12})
    assert report.channels["fr"].sales == 3 and report.channels["us"].sales == 1 + 9
    with open_state(world.config.state_path) as state:
        causes = [
            (r["sku"], r["cause"], r["change"])
            for r in state.db.query("select * from stock_ledger where kind != 'first_sync' order by id")
        ]
    assert (world.skus[0], "sale on fr", -3) in causes
    assert (world.skus[0], "sale on us", -1) in causes
    assert (world.skus[1], "increase on de", 5) in causes
    assert (world.skus[2], "sale on us", -9) in causes  # a manual edit downwards reads as a decrease
    assert (world.skus[0], "sync write on de", -4) in causes


def test_a_run_with_nothing_changed_sends_no_write(world):
    world.sync()
    for sim in world.sims.values():
        sim.reset_stats()
    report = world.sync(full=True)
    assert world.writes() == 0 and report.rounds == 0
    report = world.sync()  # incremental, and no order or product pulled since: not even a read
    assert report.skipped
    assert sum(sum(sim.stats()["requests"].values()) for sim in world.sims.values()) == sum(
        c.read_requests for c in world.sync(full=True).channels.values()
    )


def test_an_incremental_cycle_reads_only_the_skus_pulled_orders_and_products_name(world):
    world.sync()
    world.apply(("sell", "fr", world.skus[1], 2))
    with open_state(world.config.state_path) as state:
        adapter = open_adapter("fr", world.config.stores["fr"])
        pull(state, adapter, "orders")
    report = world.sync()
    assert not report.full
    assert all(c.read == 2 for c in report.channels.values())  # one SKU, read to detect and again to write
    world.assert_in_step({**dict.fromkeys(world.skus, 12), world.skus[1]: 10})


def test_a_shopify_compare_and_set_refusal_is_redone_in_the_same_run(world):
    world.sync()
    world.apply(("sell", "fr", world.skus[0], 2))
    with open_state(world.config.state_path) as state:
        adapters = world.adapters()
        original = adapters["us"].write_stock
        raced = []

        def sale_lands_first(writes):
            if not raced:  # a customer buys on Shopify between our read and our write
                raced.append(world.apply(("sell", "us", world.skus[0], 1)))
            return original(writes)

        adapters["us"].write_stock = sale_lands_first
        report = InventorySync(state, channels_of(world.config, adapters)).run(full=True)
    assert raced == [-1]
    assert report.channels["us"].conflicts == 1 and report.rounds == 2
    world.assert_in_step({**dict.fromkeys(world.skus, 12), world.skus[0]: 9})


def test_a_sale_between_read_and_write_on_woocommerce_is_kept(world):
    world.sync()
    world.apply(("sell", "us", world.skus[0], 2))
    with open_state(world.config.state_path) as state:
        adapters = world.adapters()
        original = adapters["fr"].write_stock

        def sale_lands_first(writes):
            world.apply(("sell", "fr", world.skus[0], 1))
            return original(writes)

        adapters["fr"].write_stock = sale_lands_first
        InventorySync(state, channels_of(world.config, adapters)).run(full=True)
    assert world.quantity("fr", world.skus[0]) == 9  # 10 written as a change of -2 onto 11: the sale stays
    world.sync(full=True)
    world.assert_in_step({**dict.fromkeys(world.skus, 12), world.skus[0]: 9})


@pytest.mark.parametrize("after_response", [False, True])
def test_a_worker_killed_at_any_request_of_a_cycle_resumes_exactly(world, after_response):
    """The same cycle, killed at its 1st, 2nd, ... request, with sales on every channel while it is down."""
    for number in itertools.count(1):
        world.reset(4, (10, 10, 12))
        world.sync()
        expected = dict.fromkeys(world.skus, 12)
        for channel, sku, qty in (
            ("fr", world.skus[0], 1),
            ("de", world.skus[1], 2),
            ("us", world.skus[2], 1),
        ):
            expected[sku] += world.apply(("sell", channel, sku, qty))
        try:
            with killed_at(number, after_response=after_response):
                world.sync(full=True)
        except Killed:
            pass
        else:
            world.assert_in_step(expected)
            break
        for channel in world.sims:  # the channels sell on while the worker is down
            for sku in world.skus[:3]:
                expected[sku] += world.apply(("sell", channel, sku, 1))
        world.sync(full=True)
        world.assert_in_step(expected)
    assert number > 8  # the cycle sent 8 requests or more, and was killed at each


def test_skus_missing_unmanaged_or_duplicated_on_a_channel_are_reported_and_left_alone(world):
    extra = world.fr.add_products(count=1, prefix="ONLYFR", stock=5)[0]
    unmanaged = world.de.add_products(count=1, prefix="LOOSE", stock=None)[0]
    world.fr.add_products(count=1, prefix="LOOSE", stock=3)
    world.us.shop.add_product("dup 1", variants=[{"sku": "TWIN", "available": 4}])
    world.us.shop.add_product("dup 2", variants=[{"sku": "TWIN-B", "available": 4}])
    with world.us.lock:  # two variants with one SKU (the simulator's index keeps the last)
        for variant in world.us.shop.variants.values():
            if variant.sku == "TWIN-B":
                variant.sku = "TWIN"
    world.de.add_products(count=1, prefix="TWIN", stock=9)
    report = world.sync()
    problems = {name: {k: v for k, v in c.problems.items() if v} for name, c in report.channels.items()}
    assert problems["de"]["not_managed"] == {unmanaged}
    assert problems["us"]["duplicate_sku"] == {"TWIN"}
    assert world.de.stock(unmanaged)["manage_stock"] is False
    assert world.quantity("fr", extra) == 5  # only on fr: its own pool, in step with itself
    assert world.us.stock("TWIN")["available"] == 4


def test_a_negative_quantity_on_woocommerce_backorders_is_folded_and_reported(world):
    world.sync()
    sku = world.skus[3]
    api = open_adapter("fr", world.config.stores["fr"])
    level = next(iter(api.stock_levels([sku])))
    api.call("PUT", f"products/{level.product_id}", data={"backorders": "yes"})
    world.apply(("sell", "fr", sku, 14))  # 12 in stock, 2 on backorder
    assert world.quantity("fr", sku) == -2
    report = world.sync(full=True)
    assert report.channels["fr"].problems["negative"] == {sku}
    world.assert_in_step({**dict.fromkeys(world.skus, 12), sku: -2})
    assert report.oversold == {sku: -2}


def test_dry_run_prints_old_and_new_per_channel_and_changes_nothing(world, capsys):
    world.sync()
    world.apply(("sell", "de", world.skus[0], 4))
    before_pools = world.pools()
    with open_state(world.config.state_path) as state:
        adapters = world.adapters()
        for sim in world.sims.values():
            sim.reset_stats()
        results = sync_inventory_command(world.config, state, adapters, dry_run=True, full=True)
    out = capsys.readouterr().out
    assert world.writes() == 0 and world.pools() == before_pools
    assert world.skus[0] in out and "12 → 8" in out and "11 → 7" in out
    assert {r["store"]: r["planned"] for r in results} == {"us": 1, "fr": 1, "de": 0}
    assert all(r["outcome"] == "ok" and r["dry_run"] for r in results)


def test_a_sync_racing_concurrent_customers_ends_in_step(world):
    world.sync()
    expected = world.pools()
    stop = threading.Event()
    lock = threading.Lock()

    def customers():
        for n in itertools.count():
            if stop.is_set():
                return
            channel = ("fr", "de", "us")[n % 3]
            change = world.apply(("sell", channel, world.skus[n % 4], 1))
            with lock:
                expected[world.skus[n % 4]] += change

    thread = threading.Thread(target=customers)
    thread.start()
    try:
        for _ in range(3):
            world.sync(full=True)
    finally:
        stop.set()
        thread.join()
    world.sync(full=True)
    world.assert_in_step(expected)
