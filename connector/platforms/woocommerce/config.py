"""The `[stores.NAME]` table of a WooCommerce store."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from connector.config import HttpUrl, Section


class WooCommerceStore(Section):
    platform: Literal["woocommerce"]
    url: HttpUrl
    api_version: Literal["wc/v3"] = "wc/v3"
    consumer_key: SecretStr
    consumer_secret: SecretStr
    timeout: int = Field(default=30, ge=1, le=600)
    verify_tls: bool = True
