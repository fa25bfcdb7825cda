"""Shopify through the Admin GraphQL API: registers its store table, adapter and simulator."""

from connector.platforms.registry import Platform, register
from connector.platforms.shopify.config import ShopifyStore


def _adapter():
    from connector.platforms.shopify.adapter import ShopifyAdapter

    return ShopifyAdapter


def _open(name: str, config: ShopifyStore, *, cost_meta_key: str = "_cost"):  # noqa: ARG001 - costs come from Shopify
    return _adapter()(name, config)


def _simulator():
    from connector.sandbox.shopify import ShopifySim

    return ShopifySim


def _sandbox_store(name: str, sim, env_prefix: str, timeout: int) -> tuple[str, dict[str, str]]:
    # What a new merchant has: a Dev Dashboard app's client id and secret (the client credentials grant).
    env = {f"{env_prefix}_CLIENT_ID": sim.client_id, f"{env_prefix}_CLIENT_SECRET": sim.client_secret}
    table = (
        f'[stores.{name}]\nplatform = "shopify"\nshop = "{sim.base_url}"\n'
        f'client_id = "env:{env_prefix}_CLIENT_ID"\nclient_secret = "env:{env_prefix}_CLIENT_SECRET"\n'
        f"timeout = {timeout}\n"
    )
    return table, env


register(
    Platform(
        name="shopify",
        title="Shopify",
        store_config=ShopifyStore,
        adapter=_adapter,
        open=_open,
        simulator=_simulator,
        sandbox_store=_sandbox_store,
        rank=20,
    )
)
