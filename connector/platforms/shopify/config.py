"""The `[stores.NAME]` table of a Shopify shop: the shop, the API version and one of three credential forms
(connector/platforms/shopify/credentials.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, PrivateAttr, SecretStr, model_validator

from connector.config import Section


def _shopify_version(version: str) -> str:
    from connector.platforms.shopify.schema import (
        SHIPPED_VERSIONS,
        SUPPORTED_VERSIONS,
        supported_versions_text,
    )

    if version not in SUPPORTED_VERSIONS:
        why = (
            "too old: inventory writes need 2026-04 or later (changeFromQuantity and @idempotent)"
            if version in SHIPPED_VERSIONS
            else "not a version the pinned Shopify schema ships"
        )
        raise ValueError(f"api_version {version!r} is {why}; use one of {supported_versions_text()}")
    return version


class ShopifyStore(Section):
    platform: Literal["shopify"]
    shop: str = Field(min_length=3, description="acme.myshopify.com, or the full URL of a local simulator")
    api_version: Annotated[str, AfterValidator(_shopify_version)] = "2026-10"
    access_token: SecretStr | None = None
    client_id: SecretStr | None = None
    client_secret: SecretStr | None = None
    auth: Literal["client_credentials", "authorization_code"] = "client_credentials"
    location: str | None = None
    timeout: int = Field(default=30, ge=1, le=600)
    # Records above which a first full read uses a bulk operation (defaults: connector/platforms/shopify/adapter.py).
    bulk_thresholds: dict[Literal["products", "orders", "customers"], Annotated[int, Field(ge=0)]] = {}
    _state_path: Path | None = PrivateAttr(default=None)
    _config_path: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _one_credential_form(self) -> ShopifyStore:
        from connector.platforms.shopify.credentials import form_problems

        problems = form_problems(
            {
                "access_token": self.access_token and self.access_token.get_secret_value(),
                "client_id": self.client_id and self.client_id.get_secret_value(),
                "client_secret": self.client_secret and self.client_secret.get_secret_value(),
                "auth": "authorization_code" if self.auth == "authorization_code" else None,
            }
        )
        if problems:
            raise ValueError(problems[0])
        return self

    def bind_to_client(self, state_path: Path, config_path: Path) -> None:
        """Called by load_config: the client's state file holds authorization-code tokens and bulk operations."""
        self._state_path, self._config_path = state_path, config_path

    @property
    def state_path(self) -> Path | None:
        """The client's state file, once loaded from a config."""
        return self._state_path

    @property
    def config_path(self) -> Path | None:
        return self._config_path
