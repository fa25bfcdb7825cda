"""Simulated Shopify shop: the Admin GraphQL API executed against the real published schema."""

from .server import ShopifySim
from .shop import CheckoutRefused

__all__ = ["CheckoutRefused", "ShopifySim"]
