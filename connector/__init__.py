"""connector: keeps a cross-border merchant's WooCommerce and Shopify stores in step."""

__version__ = "0.1.0"
