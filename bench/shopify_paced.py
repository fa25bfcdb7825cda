"""A paged Shopify pull under Shopify's standard cost bucket (2,000 points, 100 a second): today's fixed page
sizes against page sizes from the costs Shopify reports, on the same simulated shop, one after the other.

The shop: --products products with 3 variants each and --orders orders (defaults: the issue's 5,000 / 15,000 /
5,000). Both runs read products and orders by cursor pages (bulk operations are switched off) into a fresh
state, in a process of their own, right after one another: the second starts on the bucket the first left
drained, as a pull after a restart does. For each run it prints the requests sent and requests per 1,000
records (products + orders; variants ride along with their product), the THROTTLED answers, the query cost
points actually spent and the bucket use: points spent a second as a share of the restore rate (a pull that
keeps the bucket busy uses close to 100 %; the bucket's first 2,000 points let it go a little above).

"Today's path" is the adapter with the page sizes it had before (19 products x 6 variants, 16 orders x 5 lines,
sized for the old linear cost rule) and without reading the bucket before its first page.

    .venv/bin/python bench/pull.py --shopify-paced [--paced-products 5000] [--paced-orders 5000]
"""

from __future__ import annotations

import multiprocessing
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

STANDARD_BUCKET, STANDARD_RESTORE = 2_000, 100
TODAYS_PAGE_SIZES = {
    "products": 19,
    "variantsFirst": 6,
    "orders": 16,
    "linesFirst": 5,
    "customers": 200,
    "abandoned_checkouts": 190,
}


def host_shop(connection, products: int, orders: int, seed: int) -> None:
    from connector.sandbox.shopify import ShopifySim

    with ShopifySim("bench-paced", bucket_max=STANDARD_BUCKET, restore_rate=STANDARD_RESTORE) as shop:
        counts = shop.seed(products=products, variants=3, customers=50, orders=orders, seed=seed)
        connection.send({"url": shop.base_url, "client_id": shop.client_id, "client_secret": shop.client_secret, **counts})
        connection.recv()


@dataclass
class PacedRun:
    label: str
    records: int
    requests: int
    throttled: int
    points: float
    seconds: float

    @property
    def per_thousand(self) -> float:
        return self.requests * 1000 / self.records

    @property
    def bucket_use(self) -> float:
        return self.points / self.seconds / STANDARD_RESTORE


def paced_pull(shop: dict, state_file: str, todays: bool) -> dict:
    """Products and orders paged into a fresh state; run in a fresh process."""
    from connector.config import ClientConfig
    from connector.jobs.pull import pull
    from connector.platforms.registry import open_adapter
    from connector.state import open_state

    config = ClientConfig.model_validate(
        {
            "client": {"name": "paced", "base_currency": "EUR", "state_file": state_file},
            "stores": {
                "shop": {
                    "platform": "shopify",
                    "shop": shop["url"],
                    "client_id": shop["client_id"],
                    "client_secret": shop["client_secret"],
                    "timeout": 120,
                }
            },
        }
    )
    adapter = open_adapter("shop", config.stores["shop"])
    adapter.bulk_thresholds = {"products": 10**9, "orders": 10**9, "customers": 10**9}  # paged reads only
    if todays:
        adapter.page_sizes = dict(TODAYS_PAGE_SIZES)
        adapter.transport.probe_bucket = False
    before = requests.get(f"{shop['url']}/__sandbox/stats", timeout=10).json()
    started = time.perf_counter()
    with open_state(config.state_path) as state:
        read = sum(pull(state, adapter, resource).read for resource in ("products", "orders"))
    seconds = time.perf_counter() - started
    after = requests.get(f"{shop['url']}/__sandbox/stats", timeout=10).json()
    return {
        "records": read,
        "requests": sum(after["requests"].values()) - sum(before["requests"].values()),
        "throttled": after["throttled"] - before["throttled"],
        "points": adapter.transport.points_spent,
        "seconds": seconds,
    }


def run_paced(products: int, orders: int, seed: int = 1) -> list[PacedRun]:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    host = context.Process(target=host_shop, args=(theirs, products, orders, seed), daemon=True)
    host.start()
    runs = []
    try:
        shop = ours.recv()
        print(
            f"Shopify, standard bucket ({STANDARD_BUCKET:,} points, {STANDARD_RESTORE}/s): paged pull of "
            f"{shop['products']:,} products ({shop['variants']:,} variants) and {shop['orders']:,} orders",
            flush=True,
        )
        with tempfile.TemporaryDirectory() as folder:
            for label, todays in (("today's path (fixed pages)", True), ("connector (pages from costs)", False)):
                with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                    state_file = str(Path(folder) / f"{'today' if todays else 'now'}.sqlite")
                    figures = pool.submit(paced_pull, shop, state_file, todays).result()
                run = PacedRun(label, **figures)
                print(f"  {label}: {run.requests:,} requests, {run.seconds:.0f} s", flush=True)
                runs.append(run)
    finally:
        ours.send("stop")
        host.join(timeout=30)
    print_paced(runs)
    return runs


def print_paced(runs: list[PacedRun]) -> None:
    header = (
        f"{'run':<32}{'records':>9}{'requests':>10}{'req/1k rec':>12}{'THROTTLED':>11}"
        f"{'points':>9}{'seconds':>9}{'bucket use':>12}"
    )
    print()
    print(header)
    print("-" * len(header))
    for run in runs:
        print(
            f"{run.label:<32}{run.records:>9,}{run.requests:>10,}{run.per_thousand:>12.1f}{run.throttled:>11}"
            f"{run.points:>9,.0f}{run.seconds:>9.0f}{run.bucket_use:>11.0%}"
        )
    if len(runs) == 2 and runs[1].requests:
        today, now = runs
        print(
            f"\ntoday's path / connector: {today.requests / now.requests:.1f}x the requests, "
            f"{today.seconds / now.seconds:.1f}x the time, {today.points / max(now.points, 1):.1f}x the points"
        )
    print("targets: bucket use >= 85 % of the restore rate, 0 THROTTLED, <= 15 requests per 1,000 records")
