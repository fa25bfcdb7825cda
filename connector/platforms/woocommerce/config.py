"""The `[stores.NAME]` table of a WooCommerce store."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr

from connector.config import HttpUrl, Section
from connector.logs import register_basic_credentials


class WooCommerceStore(Section):
    platform: Literal["woocommerce"]
    url: HttpUrl
    api_version: Literal["wc/v3"] = "wc/v3"
    consumer_key: SecretStr
    consumer_secret: SecretStr
    timeout: int = Field(default=30, ge=1, le=600)
    verify_tls: bool = True
    # Reads that do not depend on each other sent at once (pages of a known total, variations of several
    # products); 1 sends one at a time. Commit order and the cursor rules are kept (adapter.py, paging.py).
    requests_in_flight: int = Field(default=4, ge=1, le=16)

    def model_post_init(self, context: Any) -> None:
        # Over https the pair travels as HTTP Basic: the base64 of key:secret is a secret as well.
        register_basic_credentials(
            self.consumer_key.get_secret_value(), self.consumer_secret.get_secret_value()
        )
