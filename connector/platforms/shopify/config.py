"""The `[stores.NAME]` table of a Shopify shop."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from connector.config import Section


class ShopifyStore(Section):
    platform: Literal["shopify"]
    shop: str = Field(min_length=3, description="acme.myshopify.com, or the full URL of a local simulator")
    api_version: str = "2026-10"
    access_token: SecretStr
    location: str | None = None
    timeout: int = Field(default=30, ge=1, le=600)
