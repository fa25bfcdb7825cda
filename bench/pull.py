"""Pull cost: the connector's pull against a naive loop over the client library, on the same simulators.

For a WooCommerce and a Shopify simulator seeded alike (--products products with 3 variants or variations each,
--orders orders, --customers customers), measures:
  - the connector's pull (connector.jobs.pull) of products, orders and customers into a fresh SQLite state,
    as `connector sync all` runs it;
  - the same pull again with nothing changed (the incremental cursors at work);
  - a naive loop: WooCommerce through the `woocommerce` package, 10 a page, plus one request per variable
    product for its variations; Shopify through the connector's ShopifyTransport, `products(first: 10)`,
    `orders(first: 10)` and `customers(first: 10)` cursor pages with the connector's own sync queries (one
    query a page, no bulk operation). Neither loop has an incremental filter, so every run of it costs what
    its first run costs: it is run once. It reads and decodes the JSON but neither normalises nor stores it,
    so its time is a lower bound and the time ratios understate the difference.
and prints for each: requests sent (counted by the simulator, retries included), requests per 1,000 items,
items per second, wall time and peak memory; then the ratio naive / connector for requests and time.

Items are what the store holds: products + variations (variants) + orders + customers. A full pull reads them
all; a run with nothing changed brings the same items up to date, so its figures are per item held too.
Peak memory is the peak resident set size (resource.getrusage ru_maxrss) of the process that made the run:
every run has a fresh process of its own, and the baseline of such a process (interpreter and imports, no
work) is printed beside it. SQLite's page cache is included.
The simulators run in yet another process, so the figures are the client side's, not the servers'.
The Shopify simulator's cost bucket is switched off (the naive loop would spend minutes waiting for points):
the query cost points each run spends are printed instead, with the least time they need at Shopify's
standard restore rate of 100 points a second after a full 2,000-point bucket.

The defaults run in a minute or two; the issue's size (10,000 products / 30,000 variants / 20,000 orders)
is `--products 10000 --orders 20000` (several minutes):

    .venv/bin/python bench/pull.py [--products 2000] [--orders 4000] [--customers 1000]

`--shopify-paced` measures instead a paged Shopify pull under Shopify's standard cost bucket, today's fixed
page sizes beside page sizes from the reported costs (bench/shopify_paced.py; about ten minutes).
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import resource
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests
import woocommerce

from connector.config import ClientConfig
from connector.jobs.pull import pull
from connector.platforms.base import RESOURCES, StoreAdapter
from connector.platforms.registry import open_adapter
from connector.platforms.shopify import documents
from connector.platforms.shopify.adapter import ShopifyAdapter
from connector.platforms.shopify.transport import ShopifyTransport
from connector.state import open_state

NAIVE_PAGE = 10
SHOPIFY_RESTORE_RATE = 100  # points a second on standard plans
SHOPIFY_BUCKET = 2_000
ACTUAL_COST = re.compile(rb'"actualQueryCost":\s*(\d+)')
PLATFORMS = ("woocommerce", "shopify")


# --- the simulators, in a process of their own ------------------------------------------------------------


def host_simulators(connection, products: int, orders: int, customers: int, seed: int) -> None:
    """Start and seed both simulators, send their addresses and item counts, serve until told to stop."""
    from connector.sandbox.shopify import ShopifySim
    from connector.sandbox.woocommerce import WooCommerceSim

    with WooCommerceSim("bench-woo") as woo, ShopifySim("bench-shop", throttling=False) as shop:
        woo_counts = woo.seed(
            products=products, variants=3 * products, customers=customers, orders=orders, seed=seed
        )
        shop_counts = shop.seed(products=products, variants=3, customers=customers, orders=orders, seed=seed)
        connection.send(
            {
                "woocommerce": {
                    "url": woo.base_url,
                    "consumer_key": woo.consumer_key,
                    "consumer_secret": woo.consumer_secret,
                    "items": sum(woo_counts[k] for k in ("products", "variations", "orders", "customers")),
                },
                "shopify": {
                    "url": shop.base_url,
                    "access_token": shop.access_token,
                    "items": sum(shop_counts[k] for k in ("products", "variants", "orders", "customers")),
                },
            }
        )
        connection.recv()


def requests_served(base_url: str) -> int:
    """Platform requests the simulator has answered (its control API is not counted)."""
    stats = requests.get(f"{base_url}/__sandbox/stats", timeout=10).json()
    return sum(stats["requests"].values())


# --- one measured run ---------------------------------------------------------------------------------------


@dataclass
class Run:
    platform: str
    label: str
    items: int  # what the store holds
    read: int  # products, orders and customers the run read (variants ride along with their product)
    requests: int
    seconds: float
    peak_rss_mb: float
    points: int | None = None  # Shopify query cost spent

    @property
    def per_thousand(self) -> float:
        return self.requests * 1000 / self.items

    @property
    def items_per_second(self) -> float:
        return self.items / self.seconds

    @property
    def paced_seconds(self) -> float:
        """The least time a real shop needs to grant the points at its restore rate, after a full bucket."""
        return max(0, (self.points or 0) - SHOPIFY_BUCKET) / SHOPIFY_RESTORE_RATE


class CostTally:
    """Adds up `actualQueryCost` of every GraphQL answer a session receives (a requests response hook)."""

    def __init__(self) -> None:
        self.points = 0

    def __call__(self, response: requests.Response, *args, **kwargs) -> None:
        if response.request.method == "POST":
            found = ACTUAL_COST.search(response.content[-2000:])  # `extensions` comes last in the answer
            if found:
                self.points += int(found.group(1))


def measured_run(task: str, platform: str, sim: dict, state_file: str) -> dict:
    """One run in the calling process: the connector's pull into `state_file`, the naive loop, or nothing at
    all (the baseline). Meant for a fresh process, so that ru_maxrss is this run's peak."""
    tally = CostTally()
    work: Callable[[], int]
    if task == "idle":
        work = lambda: 0  # noqa: E731
    elif task == "naive" and platform == "woocommerce":
        api = woocommerce.API(
            url=sim["url"],
            consumer_key=sim["consumer_key"],
            consumer_secret=sim["consumer_secret"],
            version="wc/v3",
            timeout=60,
        )
        work = lambda: naive_woocommerce(api)  # noqa: E731
    elif task == "naive":
        transport = shopify_transport(sim, tally)
        work = lambda: naive_shopify(transport)  # noqa: E731
    else:
        work = lambda: connector_pull(platform, sim, state_file, tally)  # noqa: E731
    served, started = requests_served(sim["url"]), time.perf_counter()
    read = work()
    seconds = time.perf_counter() - started
    return {
        "read": read,
        "requests": requests_served(sim["url"]) - served,
        "seconds": seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # Linux reports KiB
        "points": tally.points if platform == "shopify" else None,
    }


def in_own_process(context, task: str, platform: str, sim: dict, state_file: Path, label: str) -> Run:
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        figures = pool.submit(measured_run, task, platform, sim, str(state_file)).result()
    run = Run(platform, label, sim["items"], **figures)
    if task != "idle":
        cost = f", {run.points:,} query cost points" if run.points is not None else ""
        print(
            f"  {label}: {run.read:,} records read, {run.requests:,} requests in {run.seconds:.2f} s, "
            f"peak RSS {run.peak_rss_mb:.0f} MB{cost}",
            flush=True,
        )
    return run


def shopify_transport(sim: dict, tally: CostTally) -> ShopifyTransport:
    session = requests.Session()
    session.hooks["response"].append(tally)
    return ShopifyTransport(sim["url"], sim["access_token"], session=session, timeout=60)


# --- the connector's pull and the naive loops ---------------------------------------------------------------


def connector_pull(platform: str, sim: dict, state_file: str, tally: CostTally) -> int:
    """Products, orders and customers pulled as `connector sync all` does; answers the records read."""
    if platform == "woocommerce":
        store = {
            "platform": "woocommerce",
            "url": sim["url"],
            "consumer_key": sim["consumer_key"],
            "consumer_secret": sim["consumer_secret"],
            "timeout": 60,
        }
    else:
        store = {
            "platform": "shopify",
            "shop": sim["url"],
            "access_token": sim["access_token"],
            "timeout": 60,
        }
    config = ClientConfig.model_validate(
        {
            "client": {"name": "bench", "base_currency": "EUR", "state_file": state_file},
            "stores": {platform: store},
        }
    )
    if platform == "shopify":  # the adapter the registry opens, on a session that tallies the query cost
        adapter: StoreAdapter = ShopifyAdapter(
            platform, config.stores[platform], transport=shopify_transport(sim, tally)
        )
    else:
        adapter = open_adapter(platform, config.stores[platform])
    with open_state(config.state_path) as state:
        return sum(pull(state, adapter, resource).read for resource in RESOURCES)


def naive_woocommerce(api: woocommerce.API) -> int:
    """Every product, order and customer, 10 a page, and each variable product's variations (one request)."""
    read = 0
    for endpoint in RESOURCES:
        params = {"role": "all"} if endpoint == "customers" else {}
        page = 1
        while True:
            answer = api.get(endpoint, params={**params, "per_page": NAIVE_PAGE, "page": page})
            answer.raise_for_status()
            for item in answer.json():
                read += 1
                if endpoint == "products" and item["type"] == "variable":
                    variations = api.get(f"products/{item['id']}/variations", params={"per_page": 100})
                    variations.raise_for_status()
                    variations.json()
            if page >= int(answer.headers.get("X-WP-TotalPages") or 0):
                break
            page += 1
    return read


def naive_shopify(transport: ShopifyTransport) -> int:
    """Every product, order and customer through cursor pages of 10 (the connector's own sync queries)."""
    location = transport.execute(documents.PRIMARY_LOCATION)["location"]["id"]
    queries = {
        "products": (documents.PRODUCTS_SYNC_PAGE, {"variantsFirst": NAIVE_PAGE, "locationId": location}),
        "orders": (documents.ORDERS_SYNC_PAGE, {"linesFirst": NAIVE_PAGE}),
        "customers": (documents.CUSTOMERS_SYNC_PAGE, {}),
    }
    read = 0
    for path, (document, variables) in queries.items():
        for page in transport.pages(document, {"first": NAIVE_PAGE, "query": None, **variables}, path):
            read += len(page.nodes)
    return read


# --- report -------------------------------------------------------------------------------------------------


def print_table(runs: list[Run], baseline_mb: float) -> None:
    print()
    header = (
        f"{'platform':<12}{'run':<28}{'requests':>9}{'req/1k items':>13}{'items/s':>10}"
        f"{'seconds':>9}{'peak RSS MB':>12}"
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        print(
            f"{run.platform:<12}{run.label:<28}{run.requests:>9,}{run.per_thousand:>13.1f}"
            f"{run.items_per_second:>10,.0f}{run.seconds:>9.2f}{run.peak_rss_mb:>12.0f}"
        )
    print(f"(peak RSS of a process that imports the same modules and does nothing: {baseline_mb:.0f} MB)")
    print()
    for platform in PLATFORMS:
        first, again, naive = (run for run in runs if run.platform == platform)
        print(
            f"{platform} naive / connector: first pull {naive.requests / first.requests:,.1f}x the requests, "
            f"{naive.seconds / first.seconds:,.1f}x the time; nothing changed "
            f"{naive.requests / max(1, again.requests):,.0f}x the requests, "
            f"{naive.seconds / again.seconds:,.0f}x the time"
        )
    for run in runs:
        if run.points is not None:
            print(
                f"shopify {run.label}: {run.points:,} query cost points; at {SHOPIFY_RESTORE_RATE} points/s "
                f"a real shop needs at least {run.paced_seconds:,.0f} s"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--orders", type=int, default=4_000)
    parser.add_argument("--customers", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shopify-paced", action="store_true", help="Shopify under the standard cost bucket")
    parser.add_argument("--paced-products", type=int, default=5_000)
    parser.add_argument("--paced-orders", type=int, default=5_000)
    args = parser.parse_args()
    if args.shopify_paced:
        from shopify_paced import run_paced

        run_paced(args.paced_products, args.paced_orders, args.seed)
        return

    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    host = context.Process(
        target=host_simulators,
        args=(theirs, args.products, args.orders, args.customers, args.seed),
        daemon=True,
    )
    host.start()
    try:
        sims = ours.recv()
        print(
            f"{args.products:,} products x 3 variants, {args.orders:,} orders, {args.customers:,} customers a "
            f"store: {sims['woocommerce']['items']:,} WooCommerce items, {sims['shopify']['items']:,} Shopify items"
        )
        runs = []
        with tempfile.TemporaryDirectory() as folder:
            baseline = in_own_process(context, "idle", "shopify", sims["shopify"], Path(folder), "idle")
            for platform in PLATFORMS:
                print(platform, flush=True)
                sim, state_file = sims[platform], Path(folder) / f"{platform}.sqlite"
                for task, label in (
                    ("pull", "connector, first pull"),
                    ("pull", "connector, nothing changed"),
                    ("naive", f"naive loop, {NAIVE_PAGE} a page"),
                ):
                    runs.append(in_own_process(context, task, platform, sim, state_file, label))
        print_table(runs, baseline.peak_rss_mb)
    finally:
        ours.send("stop")
        host.join(timeout=30)


if __name__ == "__main__":
    main()
