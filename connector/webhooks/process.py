"""Process the client's pending inbox: a delivery is a hint, never the truth.

All pending deliveries are taken at once (a burst makes one pass): for each store whose deliveries name orders,
that store's orders are pulled again through the API (a retried delivery carries the payload of when it was
first sent; the pull reads the order as it is now, and its lines explain the stock drop to the inventory
guardrails); a deleted product pulls that store's products (the record is marked gone). Then one targeted
inventory cycle reads and writes just the SKUs the deliveries and the re-read orders name, on every channel.
Deliveries are marked processed after that cycle, so a crash anywhere before leaves them pending: the service
processes the inbox at start.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from connector.config import ClientConfig
from connector.jobs.pull import pull
from connector.jobs.runner import configured_client_jobs, recorded_run
from connector.platforms.base import StoreAdapter
from connector.state import State
from connector.webhooks import inbox

log = logging.getLogger(__name__)

ORDER_TOPICS = ("orders/", "refunds/", "order.")
DELETED_PRODUCT_TOPICS = ("products/delete", "product.deleted")


def process_pending(
    config: ClientConfig, state: State, adapters: dict[str, StoreAdapter], *, between_pages=None
) -> list[dict[str, Any]]:
    """Answers the job results it ran (pulls and the targeted inventory cycle) plus one `webhooks` result."""
    rows = inbox.pending(state)
    if not rows:
        return []
    by_store: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_store[row["store"]].append(row)
    results: list[dict[str, Any]] = []
    skus: set[str] = set()
    done: list[str] = []
    failed: dict[str, list[str]] = {}
    for store, items in by_store.items():
        adapter = adapters.get(store)
        keys = [item["event_key"] for item in items]
        if adapter is None:  # a store removed from the config (or stopped): nothing to act on
            done += keys
            continue
        store_results = _reread(state, adapter, items, between_pages)
        results += store_results
        if any(r.get("outcome") != "ok" for r in store_results):
            failed[store] = keys
            continue
        skus |= _skus_of(state, store, items)
        done += keys
    if skus and "inventory" in configured_client_jobs(config):
        from connector.jobs.inventory import sync_inventory_command

        cycle = sync_inventory_command(
            config, state, adapters, dry_run=False, as_json=True, only=sorted(skus)
        )
        results += (
            cycle  # a channel the cycle could not serve is the scheduled cycles' (and polling's) to catch up
        )
    if done:
        inbox.mark(state, done)
    for store, keys in failed.items():
        inbox.mark(state, keys, error=f"processing failed on {store}; retried at the next pass")
    results.append(
        {
            "job": "webhooks",
            "store": "-",
            "outcome": "ok" if not failed else "failed",
            "deliveries": len(rows),
            "processed": len(done),
            "skus": len(skus),
            **({"error": f"processing failed on {', '.join(sorted(failed))}"} if failed else {}),
        }
    )
    return results


def _reread(state: State, adapter: StoreAdapter, items: list[dict], between_pages) -> list[dict[str, Any]]:
    results = []
    topics = {item["topic"] for item in items}
    resources = []
    if any(topic.startswith(ORDER_TOPICS) for topic in topics) and "orders" in adapter.resources:
        resources.append("orders")
    if topics & set(DELETED_PRODUCT_TOPICS) and "products" in adapter.resources:
        resources.append("products")
    for resource in resources:

        def work(resource=resource) -> dict[str, Any]:
            summary = pull(state, adapter, resource, on_page=between_pages)
            return {k: v for k, v in summary.as_dict().items() if k not in ("store", "resource")}

        results.append(recorded_run(state, f"pull:{resource}", adapter.name, work))
    return results


def _skus_of(state: State, store: str, items: list[dict]) -> set[str]:
    """The SKUs the deliveries name, and those the state knows for the orders, products and inventory items
    they name (an order's lines as just re-read; a variable product's variations)."""
    skus: set[str] = set()
    orders, products, items_ids = set(), set(), set()
    for item in items:
        hint = item["hint"]
        skus |= set(hint.get("skus") or [])
        if hint.get("order_id"):
            orders.add(hint["order_id"])
        for key in ("product_id", "parent_id"):
            if hint.get(key):
                products.add(hint[key])
        if hint.get("inventory_item_id"):
            items_ids.add(hint["inventory_item_id"])
    db = state.db
    for chunk in _chunks(sorted(orders)):
        marks = ",".join("?" * len(chunk))
        rows = db.execute(
            f"select sku from order_lines where store = ? and order_id in ({marks}) and sku is not null",
            [store, *chunk],
        )
        skus |= {row[0] for row in rows}
    for column, wanted in (("product_id", products), ("id", products), ("inventory_item_id", items_ids)):
        for chunk in _chunks(sorted(wanted)):
            marks = ",".join("?" * len(chunk))
            rows = db.execute(
                f"select sku from variants where store = ? and {column} in ({marks}) and sku is not null",
                [store, *chunk],
            )
            skus |= {row[0] for row in rows}
    return {sku for sku in skus if sku}


def _chunks(items: list[str], size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]
