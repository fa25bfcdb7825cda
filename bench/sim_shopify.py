"""Benchmark of the Shopify simulator: seed time, memory, and requests per second it sustains.

Seeds 10,000 products / 30,000 variants, then measures, with the cost bucket disabled, a paged variant
read (250 a page, cursor paging through the catalogue) and a 250-quantity inventorySetQuantities, each
with 1 and 4 client threads for a few seconds. Runs in about a minute:

    .venv/bin/python bench/sim_shopify.py [--products 10000] [--variants 3] [--seconds 6]
"""

from __future__ import annotations

import argparse
import resource
import threading
import time
import uuid

from connector.platforms.retry import retrying
from connector.platforms.shopify import documents
from connector.platforms.shopify.schema import load_schema
from connector.platforms.shopify.transport import ShopifyTransport
from connector.sandbox.shopify import ShopifySim


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_for(seconds: float, threads: int, make_worker) -> tuple[int, float]:
    """Run `threads` workers until `seconds` pass; returns (requests done, elapsed)."""
    deadline = time.monotonic() + seconds
    counts = [0] * threads

    def loop(index: int) -> None:
        work = make_worker(index)
        while time.monotonic() < deadline:
            counts[index] += work()

    started = time.monotonic()
    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts), time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--variants", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()

    load_schema()
    baseline = peak_rss_mb()
    with ShopifySim("Bench Shop", throttling=False) as sim:
        started = time.perf_counter()
        counts = sim.seed(products=args.products, variants=args.variants, customers=1000, orders=2000)
        seed_seconds = time.perf_counter() - started
        print(f"seed: {counts} in {seed_seconds:.2f}s")
        print(f"peak RSS: {peak_rss_mb():.0f} MB (schema and interpreter before seeding: {baseline:.0f} MB)")

        def transport() -> ShopifyTransport:
            return ShopifyTransport(sim.base_url, sim.access_token, retry_policy=retrying(max_attempts=1))

        location = transport().execute(documents.SHOP)["locations"]["nodes"][0]["id"]
        items = [
            node["inventoryItem"]["id"]
            for node in transport().execute(documents.VARIANTS_PAGE, {"first": 250})["productVariants"][
                "nodes"
            ]
        ]

        def paged_reader(_index: int):
            client = transport()
            pages = [client.pages(documents.VARIANTS_PAGE, {"first": 250}, "productVariants")]

            def work() -> int:
                try:
                    next(pages[0])
                except StopIteration:
                    pages[0] = client.pages(documents.VARIANTS_PAGE, {"first": 250}, "productVariants")
                    next(pages[0])
                return 1

            return work

        def stock_writer(index: int):
            client = transport()
            quantity = [index * 1000]

            def work() -> int:
                quantity[0] += 1
                change = {
                    "name": "available",
                    "reason": "correction",
                    "quantities": [
                        {
                            "inventoryItemId": item,
                            "locationId": location,
                            "quantity": quantity[0],
                            "changeFromQuantity": None,
                        }
                        for item in items
                    ],
                }
                result = client.execute(
                    documents.INVENTORY_SET_QUANTITIES, {"input": change, "idempotencyKey": str(uuid.uuid4())}
                )
                assert not result["inventorySetQuantities"]["userErrors"]
                return 1

            return work

        for label, worker in (
            ("paged variant read, 250 a page", paged_reader),
            ("inventorySetQuantities x250", stock_writer),
        ):
            for threads in (1, 4):
                done, elapsed = run_for(args.seconds, threads, worker)
                per_item = done * 250 / elapsed
                print(
                    f"{label:<34} threads={threads}: {done / elapsed:7.1f} requests/s "
                    f"({per_item:,.0f} items/s, {done} requests in {elapsed:.1f}s)"
                )
        print(f"peak RSS at the end: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
