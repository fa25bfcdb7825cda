"""Picks the adapter for a configured store."""

from __future__ import annotations

from connector.platforms.base import StoreAdapter


def open_adapter(name: str, store_config, *, cost_meta_key: str = "_cost") -> StoreAdapter:
    if store_config.platform == "woocommerce":
        from connector.platforms.woocommerce.adapter import WooCommerceAdapter

        return WooCommerceAdapter(name, store_config, cost_meta_key=cost_meta_key)
    if store_config.platform == "shopify":
        from connector.platforms.shopify.adapter import ShopifyAdapter

        return ShopifyAdapter(name, store_config)
    raise ValueError(f"store {name}: unknown platform {store_config.platform!r}")
