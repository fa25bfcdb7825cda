"""One catalog on several simulated stores: what a merchant selling the same SKUs on every channel has.

`catalog_of(sim)` reads a seeded WooCommerce simulator's products; `load_catalog(sim, catalog)` creates the
same products (same SKUs, prices and stock) in another WooCommerce or Shopify simulator, as a merchant's
import would. Prices may be multiplied (a store in another currency) and texts kept in the source language,
so that the connector has prices and translations to push.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector.sandbox.shopify import ShopifySim
from connector.sandbox.woocommerce import writes
from connector.sandbox.woocommerce.sim import WooCommerceSim


def catalog_of(sim: WooCommerceSim) -> list[dict[str, Any]]:
    """The simulator's products, each with its sellable variants (a simple product is its own variant)."""
    catalog = []
    with sim.lock:
        for product in sorted(sim.store.products.records.values(), key=lambda p: p.id):
            records = (
                [sim.store.posts[i] for i in product.variation_ids]
                if product.type == "variable"
                else [product]
            )
            catalog.append(
                {
                    "title": product.name,
                    "description_html": product.description,
                    "short_description_html": product.short_description,
                    "option_names": [a["name"] for a in product.attributes] or ["Title"],
                    "variants": [
                        {
                            "sku": r.sku,
                            "price": r.regular_price or "0",
                            "stock": r.stock_quantity if r.manage_stock else None,
                            "options": [a["option"] for a in r.attributes if "option" in a],
                        }
                        for r in records
                        if r.sku
                    ],
                }
            )
    return [item for item in catalog if item["variants"]]


def load_catalog(
    sim: WooCommerceSim | ShopifySim, catalog: list[dict], *, price_factor: Decimal = Decimal(1)
) -> int:
    """Create every catalog product in `sim`; answers the number of variants created."""
    created = 0
    with sim.lock:
        for item in catalog:
            created += (_load_shopify if isinstance(sim, ShopifySim) else _load_woocommerce)(
                sim, item, price_factor
            )
        if isinstance(sim, ShopifySim):
            sim.shop.changed()
    return created


def _price(text: str, factor: Decimal) -> str:
    return str((Decimal(text) * factor).quantize(Decimal("0.01")))


def _stock_fields(stock: int | None) -> dict[str, Any]:
    return {"manage_stock": True, "stock_quantity": stock} if stock is not None else {"manage_stock": False}


def _load_woocommerce(sim: WooCommerceSim, item: dict, factor: Decimal) -> int:
    store = sim.store
    texts = {
        "name": item["title"],
        "description": item["description_html"],
        "short_description": item["short_description_html"],
    }
    variants = item["variants"]
    if not variants[0]["options"]:
        only = variants[0]
        writes.create_product(
            store,
            {
                **texts,
                "type": "simple",
                "sku": only["sku"],
                "regular_price": _price(only["price"], factor),
                **_stock_fields(only["stock"]),
            },
        )
        return 1
    names = item["option_names"]
    parent = writes.create_product(
        store,
        {
            **texts,
            "type": "variable",
            "attributes": [
                {
                    "name": name,
                    "visible": True,
                    "variation": True,
                    "options": sorted({v["options"][i] for v in variants if len(v["options"]) > i}),
                }
                for i, name in enumerate(names)
            ],
        },
    )
    for variant in variants:
        writes.create_variation(
            store,
            parent,
            {
                "sku": variant["sku"],
                "regular_price": _price(variant["price"], factor),
                "attributes": [{"name": names[i], "option": o} for i, o in enumerate(variant["options"])],
                **_stock_fields(variant["stock"]),
            },
        )
    store.sync_variable(parent, bump=False)
    return len(variants)


def _load_shopify(sim: ShopifySim, item: dict, factor: Decimal) -> int:
    sim.shop.add_product(
        item["title"],
        description_html=item["description_html"],
        option_names=item["option_names"],
        variants=[
            {
                "sku": v["sku"],
                "title": " / ".join(v["options"]) or "Default Title",
                "option_values": v["options"] or ["Default Title"],
                "price": _price(v["price"], factor),
                "available": v["stock"] or 0,
                "tracked": v["stock"] is not None,
            }
            for v in item["variants"]
        ],
    )
    return len(item["variants"])
