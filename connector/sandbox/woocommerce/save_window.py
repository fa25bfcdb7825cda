"""WooCommerce's load-to-save window for stock changes, as a simulator option.

WooCommerce's REST controller applies `inventory_delta` to the product it loaded at the start of the request
and saves the sum later in the same request (`$stock_quantity = wc_stock_amount( $product->get_stock_quantity() );
$stock_quantity += wc_stock_amount( $request['inventory_delta'] ); $product->set_stock_quantity(...)` in
prepare_object_for_database, then `$product->save()`:
https://github.com/woocommerce/woocommerce/blob/trunk/plugins/woocommerce/includes/rest-api/Controllers/Version2/class-wc-rest-products-v2-controller.php).
A checkout committing between that load and the save is overwritten, whether the write sets `stock_quantity`
or sends `inventory_delta`. With `POST /__sandbox/save_window {"ms": 20}` the simulator loads the products a
write changes the stock of, lets `ms` pass outside its lock (checkouts go on), then saves: the quantity sent,
or loaded + delta, as WooCommerce does.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from ..server import Request
from .store import Store


def stock_items(request: Request, args: dict[str, int]) -> list[dict[str, Any]]:
    """The objects of a product or variation write (one, or a batch's `update` list) that change the stock
    (`stock_quantity` or `inventory_delta`); empty when the body is not such a write."""
    try:
        body = json.loads(request.body or b"null")
    except (UnicodeDecodeError, ValueError):
        return []
    if not isinstance(body, dict):
        return []
    if "update" in body:
        items = body["update"] if isinstance(body["update"], list) else []
    elif "id" in args:
        items = [{**body, "id": args["id"]}]
    else:
        return []
    return [
        item
        for item in items
        if isinstance(item, dict) and ("inventory_delta" in item or "stock_quantity" in item)
    ]


def load(store: Store, items: list[dict[str, Any]]) -> dict[int, int]:
    """The quantity each managed `inventory_delta` item is saved with: as loaded at the request's start, plus
    its delta."""
    loaded = {}
    for item in items:
        if "stock_quantity" in item:
            continue  # saved as sent (WooCommerce prefers stock_quantity when both are given)
        try:
            record = store.posts.get(int(item["id"]))
            delta = int(item["inventory_delta"])
        except (KeyError, TypeError, ValueError):
            continue  # the write itself answers the error
        if record is not None and record.manage_stock:
            loaded[record.id] = (record.stock_quantity or 0) + delta
    return loaded


def saved(request: Request, args: dict[str, int], quantities: dict[int, int]) -> Request:
    """The same request with each loaded item's delta replaced by the quantity WooCommerce saves."""
    body = json.loads(request.body)

    def rewrite(item: Any, item_id: Any) -> None:
        if isinstance(item, dict) and "stock_quantity" not in item:
            try:
                key = int(item_id)
            except (TypeError, ValueError):
                return
            if key in quantities and "inventory_delta" in item:
                del item["inventory_delta"]
                item["stock_quantity"] = quantities[key]

    if isinstance(body.get("update"), list):
        for item in body["update"]:
            rewrite(item, item.get("id") if isinstance(item, dict) else None)
    else:
        rewrite(body, args.get("id"))
    return dataclasses.replace(request, body=json.dumps(body).encode("utf-8"))
