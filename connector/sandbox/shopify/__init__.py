"""Simulated Shopify shop: the Admin GraphQL API executed against the real published schema."""

from .server import ShopifySim

__all__ = ["ShopifySim"]
