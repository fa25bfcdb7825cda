"""A simulated WooCommerce 10 store: REST wc/v3 with real OAuth 1.0a / Basic auth, paging, batches,
WooCommerce's stock rules and error bodies, and store actions (seed, sell, restock, ...)."""

from .sim import CheckoutRefused, WooCommerceSim

__all__ = ["CheckoutRefused", "WooCommerceSim"]
