"""`connector demo`: the whole cycle on simulated stores, with no account and no network.

A French master store (WooCommerce, EUR), a German market store (WooCommerce) and a Shopify shop selling to
Switzerland, the United Kingdom and the United States run on 127.0.0.1, with a DeepL-compatible server. The
demo pulls every store, pools the stock, prices every market, translates the catalog, then sells on the
German store and shows the sale reach every other channel.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from connector.config import load_config
from connector.jobs.pull import pull
from connector.jobs.runner import adapters, recorded_run
from connector.platforms.base import RESOURCES
from connector.sandbox.launch import start_sandbox
from connector.scheduler import client_job
from connector.state import open_state

SAMPLE_ROWS = 4


def run_demo(console: Console | None = None) -> int:
    console = console or Console()
    started = time.monotonic()
    console.rule("[bold]connector demo")
    sandbox = start_sandbox(woocommerce=2, shopify=1, products=40, variants=30, orders=80)
    workdir = Path(tempfile.mkdtemp(prefix="connector-demo-"))
    try:
        os.environ.update(sandbox.env)
        config = load_config(sandbox.write_config(workdir / "sandbox.toml"))
        stores = ", ".join(f"{name} ({type(sim).__name__.removesuffix('Sim')})" for name, sim in sandbox.stores.items())
        console.print(f"simulated stores: {stores}; markets: {', '.join(config.markets)}")
        with open_state(config.state_path) as state, adapters(config) as opened:
            _pull(console, state, opened)
            _inventory(console, config, state, opened)
            _prices(console, config, state, opened)
            _translations(console, config, state, opened)
            _sale_follows(console, config, state, opened, sandbox)
            writes = {name: sim.stats()["writes"] for name, sim in sandbox.stores.items()}
            _run_jobs(config, state, opened, quiet=True)
            again = {name: sim.stats()["writes"] - writes[name] for name, sim in sandbox.stores.items()}
            console.print(f"a second full cycle with nothing new sends {sum(again.values())} write requests")
    finally:
        sandbox.stop()
    console.rule(f"done in {time.monotonic() - started:.1f} s; state kept in {workdir}")
    return 0


def _pull(console: Console, state, opened) -> None:
    table = Table(title="1. pull: every store into the client's SQLite state")
    for column in ("store", *RESOURCES, "requests"):
        table.add_column(column, justify="left" if column == "store" else "right")
    for name, adapter in opened.items():
        counts = [pull(state, adapter, resource).read for resource in RESOURCES]
        table.add_row(name, *map(str, counts), str(adapter.requests.reads))
    console.print(table)


def _results(config, state, opened, job: str) -> list[dict[str, Any]]:
    return client_job(job)(config, state, opened, dry_run=False, as_json=True, market=None, language=None,
                     accept_large_changes=False, csv=False)


def _inventory(console: Console, config, state, opened) -> None:
    results = _results(config, state, opened, "inventory")
    table = Table(title="2. inventory: one pool per SKU, every channel set from it")
    for column in ("store", "outcome", "details"):
        table.add_column(column)
    for result in results:
        details = ", ".join(f"{k} {v}" for k, v in result.items() if isinstance(v, int) and not isinstance(v, bool))
        table.add_row(result.get("store", "-"), result["outcome"], details)
    console.print(table)


def _prices(console: Console, config, state, opened) -> None:
    results = _results(config, state, opened, "prices")
    table = Table(title="3. prices: base price in EUR through each market's rules")
    for column in ("market", "SKU", "base EUR", "price", "rate (date)", "floor"):
        table.add_column(column)
    for result in results:
        for line in result.get("lines", [])[:SAMPLE_ROWS]:
            table.add_row(
                result["market"], line["sku"], line["base_price"] or "-", f"{line['price']} {line['currency']}",
                f"{line['rate']} ({line['rate_date']})", "yes" if line["floor_applied"] else "",
            )
    console.print(table)
    pushed = ", ".join(f"{r['market']}: {r.get('pushed', 0)} pushed, {r['outcome']}" for r in results)
    console.print(f"   {pushed}")


def _translations(console: Console, config, state, opened) -> None:
    results = _results(config, state, opened, "translations")
    table = Table(title="4. translations: French texts to each market's language (fake DeepL, marked)")
    for column in ("store", "outcome", "details"):
        table.add_column(column)
    for result in results:
        details = ", ".join(f"{k} {v}" for k, v in result.items() if isinstance(v, int) and not isinstance(v, bool))
        table.add_row(result.get("store", "-"), result["outcome"], details)
    console.print(table)


def _sale_follows(console: Console, config, state, opened, sandbox) -> None:
    german = sandbox.stores["de-shop"]
    sku = next(
        row[0] for row in state.db.execute(
            "select sku from variants where store = 'de-shop' and manage_stock = 1 and stock > 3 order by sku"
        )
    )
    before = {name: _stock(sim, sku) for name, sim in sandbox.stores.items()}
    german.sell([{"sku": sku, "quantity": 2}], email="kunde@example.de", country="DE")
    pull(state, opened["de-shop"], "orders")
    _results(config, state, opened, "inventory")
    after = {name: _stock(sim, sku) for name, sim in sandbox.stores.items()}
    table = Table(title=f"5. a customer buys 2 x {sku} on de-shop; one inventory cycle later")
    for column in ("store", "before", "after"):
        table.add_column(column, justify="left" if column == "store" else "right")
    for name in sandbox.stores:
        table.add_row(name, str(before[name]), str(after[name]))
    console.print(table)


def _stock(sim, sku: str) -> int | None:
    level = sim.stock(sku)
    return level.get("available", level.get("stock_quantity"))


def _run_jobs(config, state, opened, *, quiet: bool) -> None:
    for name, adapter in opened.items():
        for resource in RESOURCES:
            recorded_run(state, f"pull:{resource}", name, lambda a=adapter, r=resource: pull(state, a, r).as_dict())
    for job in ("inventory", "prices", "translations"):
        _results(config, state, opened, job)
