"""Real time: how long a sale takes to show on every channel, with webhooks and with polling only, in one run.

Three simulated channels (two WooCommerce stores, one Shopify shop, the shop the source of truth) share --skus
SKUs; the service runs in this process at the default schedules (orders polled every 2 min, inventory every
minute). --sales sales of one unit, each of its own SKU, land on random channels, --rate a second; a monitor
reads every channel and notes when all of them show each sale. Printed side by side:

  1. sale to every channel: p50, p95 and max seconds, with webhooks (Shopify delivering after --shopify-delay
     ms; WooCommerce's Action Scheduler running every --queue-run ms) and with polling only (no webhooks);
  2. a flash sale: one SKU with 20 units, a buyer on each channel buying one unit about every second while
     that channel shows stock: units sold beyond the 20, with polling and with webhooks.

Never a timed test: figures only. The full run (200 sales) takes about 8 minutes, most of it the polling side.

    .venv/bin/python bench/realtime.py                       # the issue's figures
    .venv/bin/python bench/realtime.py --sales 40 --rate 4   # a quick look (about 4 minutes)
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connector.config import load_config  # noqa: E402
from connector.jobs.inventory import InventorySync, channels_of  # noqa: E402
from connector.jobs.runner import adapters  # noqa: E402
from connector.platforms import registry  # noqa: E402
from connector.sandbox.launch import free_port  # noqa: E402
from connector.sandbox.shopify import ShopifySim  # noqa: E402
from connector.sandbox.woocommerce import CheckoutRefused, WooCommerceSim  # noqa: E402
from connector.scheduler import Service  # noqa: E402
from connector.state import open_state  # noqa: E402
from connector.webhooks import subscriptions  # noqa: E402
from connector.webhooks.service import Realtime  # noqa: E402

CHANNELS = ("fr", "de", "us")
STOCK = 50
FLASH_STOCK = 20


class World:
    def __init__(self, folder: Path, skus: int, *, webhooks: bool, shopify_delay: float, queue_run: float):
        self.sims = {"fr": WooCommerceSim("bench-fr").start(), "de": WooCommerceSim("bench-de").start()}
        self.sims["us"] = ShopifySim("bench-us", throttling=False).start()
        # the catalog was last edited an hour ago, as a live store's is: fresh edits would make every inventory
        # cycle read every SKU (its candidates include products changed in the last 10 minutes)
        for name in ("fr", "de"):
            self.sims[name].clock = lambda: time.time() - 3600
        self.sims["us"].shop._clock = lambda: datetime.now(UTC) - timedelta(hours=1)
        self.sims["us"].shop._last_stamp = datetime.now(UTC) - timedelta(hours=2)  # its times never run back
        self.skus = self.sims["fr"].add_products(count=skus, prefix="RT", stock=STOCK)
        self.sims["de"].add_products(count=skus, prefix="RT", stock=STOCK)
        (self.flash,) = self.sims["fr"].add_products(count=1, prefix="FLASH", stock=FLASH_STOCK)
        self.sims["de"].add_products(count=1, prefix="FLASH", stock=FLASH_STOCK)
        with self.sims["us"].lock:
            for sku in self.skus:
                self.sims["us"].shop.add_product(
                    f"Product {sku}", variants=[{"sku": sku, "available": STOCK}]
                )
            self.sims["us"].shop.add_product(
                "Flash", variants=[{"sku": self.flash, "available": FLASH_STOCK}]
            )
        for name in ("fr", "de"):
            self.sims[name].clock = time.time
        self.sims["us"].shop._clock = lambda: datetime.now(UTC)
        self.port = free_port()
        parts = [f'[client]\nname = "bench"\nbase_currency = "EUR"\nstate_file = "{folder}/bench.sqlite"\n']
        for name, sim in self.sims.items():
            platform = next(p for p in registry.platforms() if isinstance(sim, p.simulator()))
            table, env = platform.sandbox_store(name, sim, f"BENCH_{name.upper()}", 30)
            os.environ.update(env)
            parts.append(table)
        parts.append(
            '[inventory]\nsource_of_truth = "us"\n' + "".join(f"[inventory.channels.{c}]\n" for c in CHANNELS)
        )
        if webhooks:
            parts.append(f'[service]\npublic_url = "http://127.0.0.1:{self.port}"\n')
        path = folder / "bench.toml"
        path.write_text("\n".join(parts))
        self.config = load_config(path)
        self.webhooks = webhooks
        self.sims["us"].control("webhooks", {"delay_ms": shopify_delay})
        for name in ("fr", "de"):
            self.sims[name].control("webhooks", {"delay_ms": 0, "run_every_ms": queue_run})
        with open_state(self.config.state_path) as state, adapters(self.config) as opened:
            InventorySync(state, channels_of(self.config, opened)).run()  # the pools start
            if webhooks:
                subscriptions.install(self.config, state, opened)

    def quantity(self, channel: str, sku: str) -> int:
        level = self.sims[channel].stock(sku)
        return level.get("available", level.get("stock_quantity"))

    def stop(self) -> None:
        for sim in self.sims.values():
            sim.stop()


def start_service(world: World) -> Service:
    service = Service([world.config.path])
    ran = threading.Event()
    service.observers.append(lambda _c, _s, job, _r: ran.set() if job == "inventory" else None)
    if world.webhooks:
        service.realtime = Realtime(service, "127.0.0.1", world.port)
        service.realtime.start_receiver()
    service.start([world.config])
    if service.realtime is not None:
        service.realtime.start_processor()
    ran.wait(120)  # the first cycle of the start has run
    time.sleep(1)
    return service


def stop_service(service: Service) -> None:
    if service.realtime is not None:
        service.realtime.stop()
    service.stop()


def sale_latencies(world: World, sales: int, rate: float, seed: int) -> list[float]:
    chooser = random.Random(seed)
    pending: dict[str, tuple[float, dict[str, int]]] = {}
    done: list[float] = []
    lock = threading.Lock()
    stop = threading.Event()

    def monitor() -> None:
        while not stop.is_set():
            with lock:
                items = list(pending.items())
            for sku, (sold_at, expected) in items:
                if all(world.quantity(c, sku) <= expected[c] for c in CHANNELS):
                    with lock:
                        pending.pop(sku, None)
                        done.append(time.monotonic() - sold_at)
            time.sleep(0.05)

    watcher = threading.Thread(target=monitor, daemon=True)
    watcher.start()
    for sku in world.skus[:sales]:
        channel = chooser.choice(CHANNELS)
        expected = {c: world.quantity(c, sku) - 1 for c in CHANNELS}
        with lock:
            world.sims[channel].sell([{"sku": sku, "quantity": 1}])
            pending[sku] = (time.monotonic(), expected)
        time.sleep(1 / rate)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with lock:
            if not pending:
                break
        time.sleep(0.2)
    stop.set()
    watcher.join()
    return done


def flash_sale(world: World, seed: int, limit: float = 150.0) -> int:
    """Units sold beyond the 20 of one SKU with a buyer on each channel."""
    sku = world.flash
    sold = {c: 0 for c in CHANNELS}
    start = time.monotonic()

    def buyer(channel: str, chooser: random.Random) -> None:
        quiet_since = None
        while time.monotonic() - start < limit:
            shows = world.quantity(channel, sku)
            if shows > 0:
                quiet_since = None
                try:
                    world.sims[channel].sell([{"sku": sku, "quantity": 1}])
                    sold[channel] += 1
                except (CheckoutRefused, ValueError):
                    pass
            else:
                quiet_since = quiet_since or time.monotonic()
                if all(world.quantity(c, sku) <= 0 for c in CHANNELS) and time.monotonic() - quiet_since > 5:
                    return
            time.sleep(chooser.uniform(0.5, 1.5))

    threads = [
        threading.Thread(target=buyer, args=(c, random.Random(seed + n))) for n, c in enumerate(CHANNELS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(sold.values()) - FLASH_STOCK


def run(label: str, args, *, webhooks: bool) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"bench-realtime-{label}-"))
    world = World(
        folder, args.sales, webhooks=webhooks, shopify_delay=args.shopify_delay, queue_run=args.queue_run
    )
    service = start_service(world)
    try:
        print(f"{label}: {args.sales} sales at {args.rate}/s ...", file=sys.stderr)
        latencies = sale_latencies(world, args.sales, args.rate, args.seed)
        print(f"{label}: flash sale ...", file=sys.stderr)
        oversold = flash_sale(world, args.seed)
    finally:
        stop_service(service)
        world.stop()
    return {"latencies": latencies, "oversold": oversold, "missing": args.sales - len(latencies)}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sales", type=int, default=200)
    parser.add_argument("--rate", type=float, default=1.0, help="sales a second")
    parser.add_argument(
        "--shopify-delay", type=float, default=1000, help="ms from a change to Shopify's delivery"
    )
    parser.add_argument("--queue-run", type=float, default=3000, help="ms between WooCommerce queue runs")
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    results = {
        "webhooks": run("webhooks", args, webhooks=True),
        "polling only": run("polling", args, webhooks=False),
    }
    print(f"\nsale to every channel, {args.sales} sales on random channels of 3 (seconds)")
    print(f"{'':<14}{'p50':>8}{'p95':>8}{'max':>8}{'not shown':>11}")
    for label, result in results.items():
        values = result["latencies"]
        print(
            f"{label:<14}{statistics.median(values) if values else float('nan'):>8.1f}{percentile(values, 0.95):>8.1f}"
            f"{max(values, default=float('nan')):>8.1f}{result['missing']:>11}"
        )
    web, poll = results["webhooks"]["latencies"], results["polling only"]["latencies"]
    if web and poll:
        print(f"p95 polling / webhooks: {percentile(poll, 0.95) / percentile(web, 0.95):.0f}x")
    print("\nflash sale: one SKU with 20 units, a buyer on each of 3 channels")
    for label, result in results.items():
        print(f"{label:<14}{result['oversold']:>4} units sold beyond stock")


if __name__ == "__main__":
    main()
