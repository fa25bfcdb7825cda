"""WooCommerce (REST wc/v3 through the `woocommerce` package)."""
