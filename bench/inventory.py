"""Inventory sync cost: 10,000 SKUs on three channels (two WooCommerce stores, one Shopify shop), 1% changed.

Prints, for the pooled sync (connector.jobs.inventory) and for a naive sync that reads and writes one SKU per
request on every channel: requests sent (reads, writes) and wall time, and their ratio. Also the first (full)
sync, the pull of the orders that name the changed SKUs, and a cycle with nothing changed.

The naive sync is run on a sample of SKUs (--naive-sample) and scaled to the catalogue: its requests are one
read per SKU per channel plus one write per changed channel quantity, so the count is exact; its time is the
sample's time per SKU times the SKU count. The Shopify simulator's cost bucket is switched off: throttling
would measure the bucket, not the sync.

Then a flash sale: one SKU with few units split between three channels (shares of 40, 30 and 30 %),
customers buying one unit at a time on every channel at once, as fast as each store lets them, while the
sync runs cycle after cycle and one channel's writes fail half the time (half of those failures after the
store applied the write, the answer lost). Printed: the units sold beyond stock, summed over several sales,
for compare-and-set channels (three Shopify shops), for the same with the writes sent in one phase (raises
before every lowering was done, the order before the guardrails), for two WooCommerce stores and a shop
with WooCommerce's residual window (its REST controller adds `inventory_delta` to the quantity it loaded
and saves the sum: a checkout committing between load and save is overwritten; the window's length is an
assumption, `--save-ms`), and for writes of new quantities (what a sync without compare-and-set does).

    .venv/bin/python bench/inventory.py [--skus 10000] [--changed 0.01] [--naive-sample 300]
                                        [--flash-sales 5] [--flash-units 20] [--save-ms 0 20]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import tempfile
import threading
import time
from pathlib import Path
from unittest import mock

from connector.config import ClientConfig
from connector.inventory import store
from connector.inventory.fold import Seen, fold
from connector.jobs.inventory import InventorySync, channels_of
from connector.jobs.pull import pull
from connector.platforms.base import StockWrite
from connector.platforms.errors import TransientError
from connector.platforms.registry import open_adapter
from connector.sandbox.shopify import CheckoutRefused as ShopifyCheckoutRefused
from connector.sandbox.shopify import ShopifySim
from connector.sandbox.woocommerce import WooCommerceSim
from connector.sandbox.woocommerce.store import CheckoutRefused
from connector.state import open_state

CHANNELS = ("fr", "de", "us")


def requests_of(adapters) -> tuple[int, int]:
    return sum(a.requests.reads for a in adapters.values()), sum(a.requests.writes for a in adapters.values())


def measured(adapters, work):
    reads, writes = requests_of(adapters)
    started = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - started
    after = requests_of(adapters)
    return result, after[0] - reads, after[1] - writes, elapsed


def sell_some(sims, skus: list[str], share: float, rng: random.Random) -> int:
    changed = rng.sample(skus, max(1, int(len(skus) * share)))
    for sku in changed:
        channel = rng.choice(CHANNELS)
        sims[channel].sell([{"sku": sku, "quantity": 1}])
    return len(changed)


def naive_sync(state, channels, skus: list[str]) -> tuple[int, int]:
    """One read per SKU per channel, one write per differing channel quantity; answers (reads, writes)."""
    rules = {c.name: c.rules for c in channels}
    order = [c.name for c in channels]
    held = store.load(state, skus)
    reads = writes = 0
    for sku in skus:
        levels = {}
        for channel in channels:
            reads += 1
            for level in channel.adapter.stock_levels([sku]):
                levels[channel.name] = level
        seen = {name: Seen(level.quantity) for name, level in levels.items()}
        result = fold(held.pools.get(sku), held.baselines[sku], seen, {}, rules, order)
        for write in result.writes if result else []:
            level = levels[write.channel]
            adapter = next(c.adapter for c in channels if c.name == write.channel)
            adapter.write_stock([StockWrite(sku, write.target, write.current, level)])
            writes += 1
    return reads, writes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--naive-sample", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--race-cycles", type=int, default=60)
    parser.add_argument("--flash-sales", type=int, default=5, help="flash sales per row")
    parser.add_argument("--flash-units", type=int, default=20, help="units of the SKU at the start")
    parser.add_argument(
        "--save-ms", type=float, nargs="+", default=[0.0, 20.0], help="WooCommerce load-to-save windows"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    volume(args, rng)
    for mode in ("delta", "absolute"):
        race(mode, args.race_cycles, args.seed)
    flash_sales(args)


def volume(args, rng: random.Random) -> None:
    with (
        WooCommerceSim("bench-fr") as fr,
        WooCommerceSim("bench-de") as de,
        ShopifySim("bench-us") as us,
        tempfile.TemporaryDirectory() as folder,
    ):
        sims = {"fr": fr, "de": de, "us": us}
        us.control("bucket", {"enabled": False})
        skus = fr.add_products(count=args.skus, prefix="P", stock=50)
        de.add_products(count=args.skus, prefix="P", stock=50)
        with us.lock:
            for sku in skus:
                us.shop.add_product(f"Product {sku}", variants=[{"sku": sku, "available": 50}])
        woo = {"platform": "woocommerce", "timeout": 60}
        config = ClientConfig.model_validate(
            {
                "client": {
                    "name": "bench",
                    "base_currency": "EUR",
                    "state_file": str(Path(folder) / "b.sqlite"),
                },
                "stores": {
                    "fr": {
                        **woo,
                        "url": fr.base_url,
                        "consumer_key": fr.consumer_key,
                        "consumer_secret": fr.consumer_secret,
                    },
                    "de": {
                        **woo,
                        "url": de.base_url,
                        "consumer_key": de.consumer_key,
                        "consumer_secret": de.consumer_secret,
                    },
                    "us": {
                        "platform": "shopify",
                        "shop": us.base_url,
                        "access_token": us.access_token,
                        "timeout": 60,
                    },
                },
                "inventory": {"source_of_truth": "us", "channels": {"us": {"buffer": 1}, "fr": {}, "de": {}}},
            }
        )
        adapters = {name: open_adapter(name, cfg) for name, cfg in config.stores.items()}
        rows = []
        with open_state(config.state_path) as state:
            channels = channels_of(config, adapters)
            sync = InventorySync(state, channels)
            _, r, w, t = measured(adapters, lambda: sync.run())
            rows.append(("first sync (full read, every channel)", r, w, t))
            for adapter in adapters.values():
                pull(state, adapter, "orders")

            changed = sell_some(sims, skus, args.changed, rng)

            def pull_orders():
                for adapter in adapters.values():
                    pull(state, adapter, "orders")

            _, r, w, t = measured(adapters, pull_orders)
            rows.append((f"pull of the orders naming the {changed} changed SKUs", r, w, t))
            report, r, w, t = measured(adapters, lambda: sync.run())
            pooled = (r, w, t)
            rows.append(
                (f"pooled sync, {changed} SKUs changed ({'full' if report.full else 'incremental'})", r, w, t)
            )
            _, r, w, t = measured(adapters, lambda: sync.run())
            rows.append(("pooled sync, nothing changed", r, w, t))
            _, r, w, t = measured(adapters, lambda: sync.run(full=True))
            rows.append(("pooled full reconciliation, nothing changed", r, w, t))

            changed = sell_some(sims, skus, args.changed, rng)
            sample = rng.sample(skus, args.naive_sample)
            started = time.perf_counter()
            naive_sync(state, channels, sample)
            per_sku = (time.perf_counter() - started) / len(sample)
            # one read per SKU per channel; one write request per channel quantity that differs, as many as
            # the pooled sync wrote for a change of the same size
            written = sum(counts.written for counts in report.channels.values())
            naive = (len(CHANNELS) * len(skus), written, per_sku * len(skus))
            rows.append(
                (f"naive sync, one request per SKU per channel (timed on {len(sample)} SKUs)", *naive)
            )

        width = max(len(row[0]) for row in rows)
        print(f"{args.skus:,} SKUs x {len(CHANNELS)} channels, {args.changed:.0%} changed per cycle")
        print(f"{'':<{width}}  {'reads':>7} {'writes':>7} {'requests':>9} {'seconds':>8}")
        for label, reads, writes, seconds in rows:
            print(f"{label:<{width}}  {reads:>7,} {writes:>7,} {reads + writes:>9,} {seconds:>8.2f}")
        ratio_requests = (naive[0] + naive[1]) / max(1, pooled[0] + pooled[1])
        ratio_time = naive[2] / max(pooled[2], 1e-9)
        print(f"naive / pooled: {ratio_requests:,.0f}x the requests, {ratio_time:,.0f}x the wall time")


def absolute_writes(self, writes):
    """WooCommerceAdapter.write_stock sending new quantities (`stock_quantity`) instead of changes."""
    from connector.platforms.woocommerce.adapter import STOCK_MARK_KEY

    items = [(w.sku, w.level.product_id, w.level.variant_id, {"stock_quantity": w.quantity}) for w in writes]
    items = [
        (sku, pid, vid, {**fields, "meta_data": [{"key": STOCK_MARK_KEY, "value": w.mark}]})
        for (sku, pid, vid, fields), w in zip(items, writes, strict=True)
    ]
    return self._batched(items)


def race(mode: str, cycles: int, seed: int) -> None:
    """Customers buy on both WooCommerce stores without pause while full cycles run back to back. `delta`
    writes as the adapter does (`inventory_delta`); `absolute` sets `stock_quantity`, what a sync without
    compare-and-set usually does. Counts the sales missing from the pool once quiet."""
    from connector.platforms.woocommerce import adapter as woo

    original = woo.WooCommerceAdapter.write_stock
    rng = random.Random(seed)
    with (
        WooCommerceSim("race-fr") as fr,
        WooCommerceSim("race-de") as de,
        tempfile.TemporaryDirectory() as folder,
    ):
        sims = {"fr": fr, "de": de}
        skus = fr.add_products(count=20, prefix="R", stock=100_000)
        de.add_products(count=20, prefix="R", stock=100_000)
        config = ClientConfig.model_validate(
            {
                "client": {
                    "name": "race",
                    "base_currency": "EUR",
                    "state_file": str(Path(folder) / "r.sqlite"),
                },
                "stores": {
                    name: {
                        "platform": "woocommerce",
                        "url": sim.base_url,
                        "consumer_key": sim.consumer_key,
                        "consumer_secret": sim.consumer_secret,
                    }
                    for name, sim in sims.items()
                },
                "inventory": {"source_of_truth": "fr"},
            }
        )
        adapters = {name: open_adapter(name, cfg) for name, cfg in config.stores.items()}
        if mode == "absolute":
            woo.WooCommerceAdapter.write_stock = absolute_writes
        sold = dict.fromkeys(skus, 0)
        stop = threading.Event()

        def customers():
            while not stop.is_set():
                sku = rng.choice(skus)
                sims[rng.choice(("fr", "de"))].sell([{"sku": sku, "quantity": 1}])
                sold[sku] += 1
                time.sleep(0.0005)

        try:
            with open_state(config.state_path) as state:
                sync = InventorySync(state, channels_of(config, adapters))
                sync.run()
                thread = threading.Thread(target=customers)
                thread.start()
                written = 0
                try:
                    for _ in range(cycles):
                        report = sync.run(full=True)
                        written += sum(c.written for c in report.channels.values())
                finally:
                    stop.set()
                    thread.join()
                sync.run(full=True)
                pools = {
                    r["sku"]: r["quantity"] for r in state.db.query("select sku, quantity from stock_pool")
                }
        finally:
            woo.WooCommerceAdapter.write_stock = original
        lost = sum(pools[sku] - (100_000 - sold[sku]) for sku in skus)
        print(
            f"race, {mode} writes: {cycles} cycles, {sum(sold.values()):,} sales, {written:,} stock writes: "
            f"{lost:,} sales missing from the pool"
        )


# --- flash sale ------------------------------------------------------------------------------------------------

SHARES = (40, 30, 30)
PAUSES = {"a": 0.02, "b": 0.06, "c": 0.01}  # seconds between customers, on average: b is the slow one


def flaky_writes(adapter, rng: random.Random) -> None:
    """Half the stock writes fail: a quarter never reach the store, a quarter are applied and the answer lost."""
    original = adapter.write_stock

    def write_stock(writes):
        draw = rng.random()
        if draw < 0.25:
            raise TransientError(adapter.name, "simulated: no answer (the store never got it)")
        if draw < 0.5:
            original(writes)
            raise TransientError(adapter.name, "simulated: the store applied it, the answer was lost")
        return original(writes)

    adapter.write_stock = write_stock


def flash_sale(
    platforms: tuple[str, ...], units: int, seed: int, *, save_ms: float, failing: bool, patches=()
) -> int:
    """One flash sale; answers the units sold beyond stock."""
    rng = random.Random(seed)
    names = ("a", "b", "c")
    sku = "FLASH-00001"
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as folder:
        sims, stores = {}, {}
        for name, platform in zip(names, platforms, strict=True):
            if platform == "shopify":
                sim = stack.enter_context(ShopifySim(f"flash-{name}"))
                sim.control("bucket", {"enabled": False})
                with sim.lock:
                    sim.shop.add_product("Flash", variants=[{"sku": sku, "available": 0}])
                stores[name] = {"platform": "shopify", "shop": sim.base_url, "access_token": sim.access_token}
            else:
                sim = stack.enter_context(WooCommerceSim(f"flash-{name}"))
                sim.add_products(count=1, prefix="FLASH", stock=0)
                stores[name] = {
                    "platform": "woocommerce",
                    "url": sim.base_url,
                    "consumer_key": sim.consumer_key,
                    "consumer_secret": sim.consumer_secret,
                }
            sims[name] = sim
        if platforms[0] == "shopify":
            sims["a"].control("set_stock", {"sku": sku, "quantity": units})
        else:
            sims["a"].set_stock(sku, units)
        config = ClientConfig.model_validate(
            {
                "client": {
                    "name": "flash",
                    "base_currency": "EUR",
                    "state_file": str(Path(folder) / "f.sqlite"),
                },
                "stores": stores,
                "inventory": {
                    "source_of_truth": "a",
                    "channels": {n: {"share": share} for n, share in zip(names, SHARES, strict=True)},
                },
            }
        )
        adapters = {name: open_adapter(name, cfg) for name, cfg in config.stores.items()}
        for patch in patches:
            stack.enter_context(patch)
        sold = dict.fromkeys(names, 0)
        with open_state(config.state_path) as state:
            sync = InventorySync(state, channels_of(config, adapters), source_of_truth="a")
            sync.run()  # the first sync splits the units between the channels
            for sim in sims.values():
                if isinstance(sim, WooCommerceSim):  # its REST controller's load-to-save window
                    sim.control("save_window", {"ms": save_ms})
            if failing:
                flaky_writes(adapters["b"], rng)
            stop = threading.Event()

            def customer(name: str) -> None:
                sim, pause = sims[name], PAUSES[name]
                arrivals = random.Random(f"{seed}-{name}")
                while not stop.wait(arrivals.expovariate(1 / pause)):
                    with sim.lock:  # each store refuses a checkout past its stock (Shopify: policy DENY)
                        try:
                            sim.sell([{"sku": sku, "quantity": 1}])
                            sold[name] += 1
                        except (CheckoutRefused, ShopifyCheckoutRefused):
                            pass

            buyers = [threading.Thread(target=customer, args=(name,)) for name in names]
            for thread in buyers:
                thread.start()
            deadline = time.monotonic() + 3.0
            try:
                while time.monotonic() < deadline:
                    sync.run(full=True)
            finally:
                stop.set()
                for thread in buyers:
                    thread.join()
        for adapter in adapters.values():
            adapter.close()
    return max(0, sum(sold.values()) - units)


def flash_sales(args) -> None:
    from connector.platforms.woocommerce.adapter import WooCommerceAdapter

    shops, mixed = ("shopify",) * 3, ("woocommerce", "woocommerce", "shopify")
    rows = [
        ("compare-and-set (3 Shopify shops), all healthy", shops, 0.0, False, ()),
        ("compare-and-set, one shop's writes failing half the time", shops, 0.0, True, ()),
    ]
    for save_ms in args.save_ms:
        label = f"2 WooCommerce + 1 Shopify, one failing; WooCommerce saves {save_ms:g} ms after loading"
        rows.append((label, mixed, save_ms, True, ()))
    naive = (mock.patch.object(WooCommerceAdapter, "write_stock", absolute_writes),)
    rows.append(
        (
            f"the same ({args.save_ms[-1]:g} ms), new quantities written (no compare-and-set)",
            mixed,
            args.save_ms[-1],
            True,
            naive,
        )
    )
    print(
        f"flash sale: {args.flash_units} units of one SKU, shares {'/'.join(map(str, SHARES))} %, customers on "
        f"every channel at once for 3 s while full cycles run back to back, {args.flash_sales} sales per row"
    )
    width = max(len(row[0]) for row in rows)
    print(f"{'':<{width}}  {'units sold beyond stock':>24}")
    for label, platforms, save_ms, failing, patches in rows:
        beyond = 0
        for number in range(args.flash_sales):
            beyond += flash_sale(
                platforms,
                args.flash_units,
                args.seed + number,
                save_ms=save_ms,
                failing=failing,
                patches=patches,
            )
        print(f"{label:<{width}}  {beyond:>24,}")


if __name__ == "__main__":
    main()
