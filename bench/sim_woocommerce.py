"""How much the WooCommerce simulator holds and serves on this machine.

Seeds 10,000 products / 30,000 variations, then drives it through the real `woocommerce` client
(OAuth 1.0a signed, one connection per request as the client does) for a few seconds per case:
paged product reads, variation reads, and 100-item batch writes, with 1 and 4 client threads.

    .venv/bin/python bench/sim_woocommerce.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import itertools
import resource
import sys
import threading
import time
from collections.abc import Callable

from woocommerce import API

import connector.platforms.woocommerce  # noqa: F401 - strong OAuth nonces, as the connector sends them
from connector.sandbox.woocommerce import WooCommerceSim


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def run_for(seconds: float, threads: int, one_request: Callable[[int], None]) -> tuple[int, float]:
    """Run one_request(n) in `threads` threads until the time is up; answers (requests, elapsed)."""
    counter = itertools.count()
    done = [0] * threads
    deadline = time.perf_counter() + seconds

    def worker(slot: int) -> None:
        while time.perf_counter() < deadline:
            one_request(next(counter))
            done[slot] += 1

    started = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(slot,)) for slot in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return sum(done), time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--variants", type=int, default=30_000)
    parser.add_argument("--seconds", type=float, default=3.0, help="per measured case")
    args = parser.parse_args()

    rss_before = peak_rss_mb()
    with WooCommerceSim("bench") as sim:
        started = time.perf_counter()
        counts = sim.seed(
            products=args.products, variants=args.variants, customers=1_000, orders=2_000, seed=1
        )
        seed_seconds = time.perf_counter() - started
        print(f"seed: {counts}")
        print(
            f"seed time: {seed_seconds:.2f} s; peak RSS {peak_rss_mb():.0f} MB (before seeding {rss_before:.0f} MB)"
        )

        wc = API(
            url=sim.base_url,
            consumer_key=sim.consumer_key,
            consumer_secret=sim.consumer_secret,
            version="wc/v3",
            timeout=30,
        )
        first = wc.get("products", params={"per_page": 100})
        pages = int(first.headers["X-WP-TotalPages"])
        variable_ids = []
        for page in range(1, pages + 1):
            for product in wc.get(
                "products", params={"per_page": 100, "page": page, "type": "variable"}
            ).json():
                variable_ids.append(product["id"])
            if len(variable_ids) >= 500:
                break
        simple = [
            p
            for p in wc.get("products", params={"per_page": 100, "type": "simple"}).json()
            if p["manage_stock"]
        ]

        def read_products(n: int) -> None:
            answer = wc.get("products", params={"per_page": 100, "page": n % pages + 1})
            assert answer.status_code == 200, answer.text

        def read_variations(n: int) -> None:
            answer = wc.get(
                f"products/{variable_ids[n % len(variable_ids)]}/variations", params={"per_page": 100}
            )
            assert answer.status_code == 200, answer.text

        def batch_write(n: int) -> None:
            updates = [
                {"id": product["id"], "stock_quantity": (n + i) % 50}
                for i, product in enumerate(simple[:100])
            ]
            answer = wc.post("products/batch", {"update": updates})
            assert answer.status_code == 200, answer.text

        print(f"{'case':<40}{'threads':>8}{'requests':>10}{'req/s':>10}{'items/s':>10}")
        cases = [
            ("GET products?per_page=100 (paged)", read_products, 100),
            ("GET products/<id>/variations", read_variations, args.variants // max(1, counts["variable"])),
            (f"POST products/batch ({len(simple[:100])} updates)", batch_write, len(simple[:100])),
        ]
        for label, one_request, items in cases:
            for threads in (1, 4):
                total, elapsed = run_for(args.seconds, threads, one_request)
                rate = total / elapsed
                print(f"{label:<40}{threads:>8}{total:>10}{rate:>10.1f}{rate * items:>10.0f}")
        print(f"peak RSS after the run: {peak_rss_mb():.0f} MB")
        print(
            f"requests counted by the simulator: {sum(sim.stats()['requests'].values())}, writes {sim.stats()['writes']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
