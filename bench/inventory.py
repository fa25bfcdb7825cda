"""Inventory sync cost: 10,000 SKUs on three channels (two WooCommerce stores, one Shopify shop), 1% changed.

Prints, for the pooled sync (connector.jobs.inventory) and for a naive sync that reads and writes one SKU per
request on every channel: requests sent (reads, writes) and wall time, and their ratio. Also the first (full)
sync, the pull of the orders that name the changed SKUs, and a cycle with nothing changed.

The naive sync is run on a sample of SKUs (--naive-sample) and scaled to the catalogue: its requests are one
read per SKU per channel plus one write per changed channel quantity, so the count is exact; its time is the
sample's time per SKU times the SKU count. The Shopify simulator's cost bucket is switched off: throttling
would measure the bucket, not the sync.

    .venv/bin/python bench/inventory.py [--skus 10000] [--changed 0.01] [--naive-sample 300]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from pathlib import Path

from connector.config import ClientConfig
from connector.inventory import store
from connector.inventory.fold import Seen, fold
from connector.jobs.inventory import InventorySync, channels_of
from connector.jobs.pull import pull
from connector.platforms.base import StockWrite
from connector.platforms.registry import open_adapter
from connector.sandbox.shopify import ShopifySim
from connector.sandbox.woocommerce import WooCommerceSim
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
    args = parser.parse_args()
    rng = random.Random(args.seed)
    volume(args, rng)
    for mode in ("delta", "absolute"):
        race(mode, args.race_cycles, args.seed)


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


def race(mode: str, cycles: int, seed: int) -> None:
    """Customers buy on both WooCommerce stores without pause while full cycles run back to back. `delta`
    writes as the adapter does (`inventory_delta`); `absolute` sets `stock_quantity`, what a sync without
    compare-and-set usually does. Counts the sales missing from the pool once quiet."""
    from connector.platforms.woocommerce import adapter as woo

    original = woo.WooCommerceAdapter.write_stock

    def absolute(self, writes):
        items = [
            (w.sku, w.level.product_id, w.level.variant_id, {"stock_quantity": w.quantity}) for w in writes
        ]
        items = [
            (sku, pid, vid, {**fields, "meta_data": [{"key": woo.STOCK_MARK_KEY, "value": w.mark}]})
            for (sku, pid, vid, fields), w in zip(items, writes, strict=True)
        ]
        return self._batched(items)

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
            woo.WooCommerceAdapter.write_stock = absolute
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


if __name__ == "__main__":
    main()
