"""WooCommerce (REST wc/v3 through the `woocommerce` package)."""

import secrets

import woocommerce.oauth

# The package's OAuth nonce is 8 random digits. WooCommerce refuses a nonce it has seen in the last 15
# minutes (401 "nonce has already been used"), so a busy store met a collision every few thousand requests.
woocommerce.oauth.OAuth.generate_nonce = staticmethod(lambda: secrets.token_hex(20))
