"""WooCommerce pull and stock reads: the connector against today's path and a naive client loop, in one run.

"Today's path" is the connector as it was at a git revision (--baseline, default the last one that read
variations per product and paged by page number): its `connector/` package is extracted from git into a temporary folder and run by the
same interpreter, so both sides read the same simulators. The naive loop is bench/pull.py's: the `woocommerce`
package, 10 a page, plus one request per variable product for its variations.

Printed, each beside today's path and the naive loop where it applies:
  1. first pull of --products products (3 variations each on average; half of them variable), --orders orders
     and --customers customers from a WooCommerce 10.3 simulator and from a 10.0 one (no /wc/v3/variations):
     requests, requests per 1,000 records held, wall time, connector CPU seconds;
  2. the same first pull (10.3) with --latency ms injected on every request: wall time with 4 requests in
     flight against 1 in flight, and the request counts;
  3. connector CPU seconds per 1,000 products for a products pull at each of --scale (e.g. 10k, 30k, 100k);
  4. a full stock reconciliation of a catalog of --variation-skus variation SKUs on 3 channels: read
     requests per channel, against 2 x (SKUs / 100);
  5. the state rows a second pull writes when nothing changed (SQLite's own count).
Request counts are the simulator's (retries included); CPU seconds are the connector process's own
(user + system), the simulators running in another process. Never a timed test: figures only.

    .venv/bin/python bench/pull_woocommerce.py                     # the issue's sizes (about 15 minutes)
    .venv/bin/python bench/pull_woocommerce.py --products 2000 --orders 4000 --customers 500 --scale 2000,6000 \\
        --variation-skus 2000 --latency 100                    # a few minutes
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ("products", "orders", "customers")
BASELINE = "9ac8828"  # the last revision with per-product variations and page-number paging


# --- the simulators, in a process of their own ---------------------------------------------------------------


def host(connection) -> None:
    """Serve simulators on request: {"seed": {...}} seeds a fresh one and answers its address."""
    from connector.sandbox.woocommerce import WooCommerceSim

    sims = []
    try:
        while True:
            order = connection.recv()
            if order == "stop":
                return
            sim = WooCommerceSim(f"bench-{len(sims)}").start()
            counts = sim.seed(**order["seed"])
            sims.append(sim)
            connection.send(
                {
                    "url": sim.base_url,
                    "consumer_key": sim.consumer_key,
                    "consumer_secret": sim.consumer_secret,
                    "counts": counts,
                }
            )
    finally:
        for sim in sims:
            sim.stop()


def control(sim: dict, action: str, payload: dict) -> dict:
    return requests.post(f"{sim['url']}/__sandbox/{action}", json=payload, timeout=30).json()


def served(sim: dict) -> int:
    return sum(requests.get(f"{sim['url']}/__sandbox/stats", timeout=30).json()["requests"].values())


# --- one measured run, in a process of its own -------------------------------------------------------------------


def child(task: dict) -> dict:
    """Runs in a fresh interpreter whose `connector` is the one under test (PYTHONPATH)."""
    import connector
    from connector.config import ClientConfig
    from connector.platforms.registry import open_adapter
    from connector.state import open_state

    sim = task["sim"]
    store = {
        "platform": "woocommerce",
        "url": sim["url"],
        "consumer_key": sim["consumer_key"],
        "consumer_secret": sim["consumer_secret"],
        "timeout": 120,
    }
    if task.get("in_flight") and task["side"] == "connector":
        store["requests_in_flight"] = task["in_flight"]
    config = ClientConfig.model_validate(
        {
            "client": {"name": "bench", "base_currency": "EUR", "state_file": task["state"]},
            "stores": {"fr": store},
        }
    )
    adapter = open_adapter("fr", config.stores["fr"])
    started, cpu = time.perf_counter(), _cpu()
    result: dict = {"code": str(Path(connector.__file__).parent)}
    if task["kind"] == "pull":
        from connector.jobs.pull import pull

        with open_state(config.state_path) as state:
            changes = state.db.conn.total_changes
            summaries = [pull(state, adapter, r) for r in task["resources"]]
            result["total_changes"] = state.db.conn.total_changes - changes
            result["read"] = sum(s.read for s in summaries)
            result["written"] = sum(getattr(s, "written", -1) for s in summaries)
    else:
        result["levels"] = sum(1 for _ in adapter.stock_levels(None))
    result.update(seconds=time.perf_counter() - started, cpu=_cpu() - cpu)
    adapter.close()
    return result


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(task: dict, baseline: Path) -> dict:
    env = dict(os.environ)
    if task["side"] == "today":
        env["PYTHONPATH"] = str(baseline)
    before = served(task["sim"])
    out = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(task)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise SystemExit(f"{task['side']} {task['kind']} failed:\n{out.stderr[-3000:]}")
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    figures["requests"] = served(task["sim"]) - before
    if task["side"] == "today":
        assert figures["code"].startswith(str(baseline)), figures["code"]
    return figures


def naive(sim: dict) -> dict:
    spec = importlib.util.spec_from_file_location("bench_pull", ROOT / "bench" / "pull.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_pull"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    import woocommerce

    api = woocommerce.API(
        url=sim["url"],
        consumer_key=sim["consumer_key"],
        consumer_secret=sim["consumer_secret"],
        version="wc/v3",
        timeout=120,
    )
    before, started = served(sim), time.perf_counter()
    module.naive_woocommerce(api)
    return {"requests": served(sim) - before, "seconds": time.perf_counter() - started}


def extract(revision: str, folder: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", revision, "connector"], cwd=ROOT, capture_output=True, check=True
    )
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    return folder


# --- the report ---------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--scale", default="10000,30000,100000", help="products for the CPU figure")
    parser.add_argument("--variation-skus", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=100, help="ms injected on every request")
    parser.add_argument("--baseline", default=BASELINE, help="git revision of today's path")
    parser.add_argument("--sections", default="1,2,3,4,5", help="which figures to print, e.g. 1,2")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return

    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(target=host, args=(theirs,), daemon=True)
    server.start()

    def simulator(**seed) -> dict:
        ours.send({"seed": seed})
        return ours.recv()

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        baseline = extract(args.baseline, work / "baseline")
        states = iter(range(10_000))

        def run(
            side: str, sim: dict, kind: str = "pull", resources=("products", "orders", "customers"), **extra
        ):
            task = {"side": side, "sim": sim, "kind": kind, "resources": list(resources), **extra}
            task["state"] = str(work / f"state-{next(states)}.sqlite")
            return measure(task, baseline)

        sim = simulator(
            products=args.products,
            variants=3 * args.products,
            customers=args.customers,
            orders=args.orders,
            seed=1,
        )
        sections = {int(part) for part in args.sections.split(",")}
        c = sim["counts"]
        held = c["products"] + c["variations"] + c["orders"] + c["customers"]
        print(
            f"store: {c['products']:,} products ({c['variable']:,} variable), {c['variations']:,} variations, "
            f"{c['orders']:,} orders, {c['customers']:,} customers = {held:,} records; today's path = {args.baseline}"
        )

        sections = {int(part) for part in args.sections.split(",")}
        if 1 in sections:
            print("\n1. first pull (requests per 1,000 records held)")
            rows = []
            for version in ("10.3.0", "10.0.2"):
                control(sim, "version", {"woocommerce": version})
                connector = run("connector", sim)
                today = run("today", sim) if version == "10.3.0" else rows[0][2]
                loop = naive(sim) if version == "10.3.0" else rows[0][3]
                rows.append((version, connector, today, loop))
            print(f"  {'store':<8}{'':<12}{'requests':>10}{'req/1k':>9}{'wall s':>9}{'CPU s':>8}")
            for version, connector, today, loop in rows:
                for label, figures in (("connector", connector), ("today", today), ("naive", loop)):
                    cpu = f"{figures['cpu']:>8.1f}" if "cpu" in figures else f"{'-':>8}"
                    print(
                        f"  {version:<8}{label:<12}{figures['requests']:>10,}{figures['requests'] * 1000 / held:>9.1f}"
                        f"{figures['seconds']:>9.1f}{cpu}"
                    )
            print(
                "  (today's path and the naive loop never ask /wc/v3/variations: the same on both versions)"
            )

        if 2 in sections:
            print(f"\n2. first pull at {args.latency:.0f} ms a request (WooCommerce 10.3)")
            control(sim, "version", {"woocommerce": "10.3.0"})
            control(sim, "faults", {"latency_ms": args.latency})
            one = run("connector", sim, in_flight=1)
            four = run("connector", sim, in_flight=4)
            control(sim, "faults", {})
            print(f"  1 in flight: {one['requests']:,} requests, {one['seconds']:.1f} s")
            print(f"  4 in flight: {four['requests']:,} requests, {four['seconds']:.1f} s")
            print(f"  wall time 4 / 1 in flight: {four['seconds'] / one['seconds']:.2f}")

        if 3 in sections:
            print("\n3. connector CPU seconds per 1,000 products (products pull, WooCommerce 10.3)")
            for size in (int(s) for s in args.scale.split(",")):
                big = simulator(products=size, variants=3 * size, customers=1, orders=1, seed=2)
                connector = run("connector", big, resources=("products",))
                today = run("today", big, resources=("products",))
                print(
                    f"  {size:>7,} products: connector {connector['cpu'] * 1000 / size:.2f} s "
                    f"({connector['requests']:,} requests), today {today['cpu'] * 1000 / size:.2f} s "
                    f"({today['requests']:,} requests)"
                )

        if 4 in sections:
            print(
                f"\n4. full stock reconciliation, about {args.variation_skus:,} variation SKUs on 3 channels"
            )
            variable = args.variation_skus // 6
            for channel in range(3):
                shop = simulator(
                    products=2 * variable,
                    variants=args.variation_skus,
                    customers=1,
                    orders=1,
                    seed=3 + channel,
                )
                skus = shop["counts"]["variations"] + shop["counts"]["simple"]
                connector = run("connector", shop, kind="stock")
                control(shop, "version", {"woocommerce": "10.0.2"})
                older = run("connector", shop, kind="stock")
                today = run("today", shop, kind="stock")
                print(
                    f"  channel {channel + 1}: {skus:,} SKUs ({shop['counts']['variations']:,} variations); read requests: "
                    f"connector {connector['requests']:,} on 10.3 (bound 2 x SKUs/100 = {2 * skus / 100:,.0f}), "
                    f"{older['requests']:,} on 10.0; today {today['requests']:,}"
                )

        if 5 in sections:
            print("\n5. a second pull with nothing changed (WooCommerce 10.3)")
            fresh = simulator(
                products=args.products,
                variants=3 * args.products,
                customers=args.customers,
                orders=args.orders,
                seed=1,
            )
            for side in ("connector", "today"):
                state = str(work / f"again-{side}.sqlite")
                task = {
                    "side": side,
                    "sim": fresh,
                    "kind": "pull",
                    "resources": list(RESOURCES),
                    "state": state,
                }
                first, again = measure(task, baseline), measure(task, baseline)
                records = f"{again['written']} record rows written, " if again["written"] >= 0 else ""
                print(
                    f"  {side}: {records}{again['total_changes']:,} rows changed by SQLite's count (cursors included; "
                    f"first pull {first['total_changes']:,}), {again['requests']:,} requests"
                )
    ours.send("stop")
    server.join(timeout=60)


if __name__ == "__main__":
    main()
