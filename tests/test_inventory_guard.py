"""Stock guardrails: a drop on a channel other than the source of truth that no order pulled for that channel
explains is held, listed and folded only once explained or accepted; real sales and real overselling fold."""

from __future__ import annotations

from decimal import Decimal

import pytest
from test_inventory import World
from test_inventory_channels import connector, sync

from connector.config import ChannelRules
from connector.inventory.fold import Seen, Write, fold
from connector.inventory.guard import DropLimits, hold_reason
from connector.inventory.phases import capped_raises
from connector.platforms.registry import open_adapter
from connector.state import open_state


@pytest.fixture
def world(simulators, client_config):
    return World(simulators, client_config)


# --- pure parts --------------------------------------------------------------------------------------------


def test_what_the_guard_holds():
    limits = DropLimits()
    assert hold_reason(82, 82, -5, 0, limits).startswith(
        "below zero, and no order pulled for it accounts for"
    )
    assert hold_reason(10, 2, -5, 7, limits) is None  # real overselling: the orders explain all 7 units
    assert hold_reason(10, 2, -5, 6, limits).startswith("below zero")  # one unit no order explains
    assert hold_reason(12, 12, 5, 0, limits) == (
        "no order pulled for it accounts for the 7 units it lost, more than 50 % of the pool (12)"
    )
    assert hold_reason(12, 12, 6, 0, limits) is None  # 6 of 12: not more than half
    assert "7 of the 10 units it lost" in hold_reason(12, 12, 2, 3, limits)
    assert hold_reason(12, 12, 2, 4, limits) is None  # 6 unexplained: not more than half
    assert hold_reason(1000, 1000, 700, 0, DropLimits(Decimal(50), 200)).endswith("max_drop_units (200)")
    assert hold_reason(12, 5, 9, 0, limits) is None  # a rise is never held


def test_a_held_drop_is_kept_whole_through_writes_and_folded_exactly_once():
    rules = {"src": ChannelRules(), "m": ChannelRules()}
    guard = lambda channel, pool, before, now: "typo" if channel == "m" and before - now > 5 else None  # noqa: E731
    # m fell from 10 to 1: held, not folded, and not raised back
    held = fold(10, {"src": 10, "m": 10}, {"src": Seen(10), "m": Seen(1)}, {}, rules, ["src", "m"], guard)
    assert held.pool == 10 and held.baselines["m"] == 10 and set(held.held) == {"m"} and held.writes == []
    # the source sells 9: the pool is 1, m is lowered to 1 (it shows 1 already: nothing to write)
    low = fold(10, {"src": 10, "m": 10}, {"src": Seen(1), "m": Seen(3)}, {}, rules, ["src", "m"], guard)
    assert [(w.channel, w.current, w.target) for w in low.writes] == [("m", 3, 1)]
    # accepted later, the whole drop from the baseline lands once
    accepted = fold(
        1, {"src": 1, "m": 8}, {"src": Seen(1), "m": Seen(1)}, {}, rules, ["src", "m"], guard, {"m"}
    )
    assert accepted.pool == 1 - 7 and [e.cause for e in accepted.entries] == ["accepted change on m"]


def test_raises_wait_for_room_where_the_channels_split_the_pool():
    # pool 10 split 50/50: b could not be lowered from 5 to 3 (it failed), so a may go from 1 to 5, not 3
    targets, standing = {"a": 3, "b": 3}, {"a": 1, "b": 5}
    assert capped_raises(6, targets, standing, [Write("a", 1, 3)]) == []
    assert capped_raises(10, {"a": 5, "b": 5}, {"a": 1, "b": 6}, [Write("a", 1, 5)]) == [Write("a", 1, 4)]
    # overlapping rules (every channel shows the whole pool): raises go as planned
    assert capped_raises(6, {"a": 6, "b": 6}, {"a": 1, "b": 9}, [Write("a", 1, 6)]) == [Write("a", 1, 6)]
    # a negative quantity goes up to 0 whatever the room: nobody can buy there
    assert capped_raises(0, {"a": 0, "b": 0}, {"a": 0, "b": 0}, [Write("a", -2, 0)]) == [Write("a", -2, 0)]


# --- on the simulators, as the merchant sees it --------------------------------------------------------------


def test_a_typo_below_zero_on_a_market_store_is_held_not_folded_and_listed(world):
    assert sync(world).returncode == 0
    sku = world.skus[0]
    world.sims["de"].set_stock(sku, -5)  # meant 5, typed -5 in wp-admin
    run = sync(world, "--full")
    assert run.returncode == 0, run.stderr
    assert (
        f"held, not folded: {sku} on de went from 10 to -5: below zero, and no order pulled for it accounts "
        "for the 15 units it lost"
    ) in run.stdout
    assert "--accept-stock-changes" in run.stdout
    # nothing wiped: the master and the other channels keep the pool's quantities; de is left as it is
    assert (world.quantity("us", sku), world.quantity("fr", sku), world.quantity("de", sku)) == (11, 12, -5)
    assert world.pools()[sku] == 12
    status = connector("status", "-c", str(world.config.path))
    assert f"  de {sku}: 10 to -5 since " in status.stdout and "held stock changes: 1" in status.stdout
    again = sync(world, "--full")  # still held, listed again, still nothing written
    assert f"held, not folded: {sku} on de" in again.stdout and world.quantity("fr", sku) == 12
    world.sims["de"].set_stock(sku, 10)  # the merchant corrects it
    fixed = sync(world)
    assert f"released: {sku} on de, folded" in fixed.stdout
    world.assert_in_step(dict.fromkeys(world.skus, 12))
    assert "held stock changes: 0" in connector("status", "-c", str(world.config.path)).stdout


def test_a_held_change_is_folded_as_it_stands_with_accept_stock_changes(world):
    assert sync(world).returncode == 0
    sku = world.skus[1]
    world.sims["de"].set_stock(sku, 2)  # 8 of 12 gone, and no order says why
    assert f"held, not folded: {sku} on de went from 10 to 2" in sync(world, "--full").stdout
    world.apply(("sell", "fr", sku, 1))  # life goes on meanwhile
    run = sync(world, "--accept-stock-changes")
    assert run.returncode == 0 and f"released: {sku} on de, folded as accepted" in run.stdout
    world.assert_in_step({**dict.fromkeys(world.skus, 12), sku: 12 - 8 - 1})
    with open_state(world.config.state_path) as state:
        causes = [r["cause"] for r in state.db.query("select cause from stock_ledger where sku = ?", [sku])]
    assert "accepted change on de" in causes


def test_sales_on_a_market_store_fold_at_once_because_their_orders_explain_them(world):
    """Customers take 9 of de's 10 before any orders pull: the cycle pulls de's orders before it would hold
    the drop, and the orders explain it."""
    assert sync(world).returncode == 0
    sku = world.skus[2]
    for _ in range(3):
        world.apply(("sell", "de", sku, 3))
    run = sync(world, "--full")
    assert run.returncode == 0 and "held" not in run.stdout, run.stdout
    world.assert_in_step({**dict.fromkeys(world.skus, 12), sku: 3})


def test_real_overselling_on_backorders_folds_below_zero(world):
    assert sync(world).returncode == 0
    sku = world.skus[3]
    api = open_adapter("fr", world.config.stores["fr"])
    level = next(iter(api.stock_levels([sku])))
    api.call("PUT", f"products/{level.product_id}", data={"backorders": "yes"})
    world.apply(("sell", "fr", sku, 14))  # 12 in stock, 2 on backorder: fr shows -2
    run = sync(world, "--full")
    assert run.returncode == 0 and "held" not in run.stdout
    assert "oversold (pool below zero; every channel shows 0): P-00004 (-2)" in run.stdout
    world.assert_in_step({**dict.fromkeys(world.skus, 12), sku: -2})


def test_a_drop_on_the_source_of_truth_is_never_held(world):
    assert sync(world).returncode == 0
    sku = world.skus[0]
    change = world.apply(("set_stock", "us", sku, 1))  # the warehouse counted 1 (it showed 11)
    run = sync(world, "--full")
    assert change == -10 and "held" not in run.stdout
    world.assert_in_step({**dict.fromkeys(world.skus, 12), sku: 2})


def test_the_service_log_says_a_held_change_once(world, caplog):
    from connector.scheduler import ClientRuntime, Service

    assert sync(world).returncode == 0
    world.sims["fr"].set_stock(world.skus[0], -5)
    service = Service([world.config.path])
    runtime = ClientRuntime(world.config)
    try:
        for _ in range(3):  # three service cycles: the products pull sees the edit, inventory reads it
            service._execute(runtime, "pull:products", ("fr",))
            for result in service._execute(runtime, "inventory", tuple(sorted(world.config.stores))):
                service._account(runtime, "inventory", result)
    finally:
        runtime.close()
    held = [r.getMessage() for r in caplog.records if "held, not folded" in r.getMessage()]
    assert len(held) == 1, held
    assert held[0].startswith("acme/fr: stock change of P-00001 held, not folded: 12 to -5, below zero")
