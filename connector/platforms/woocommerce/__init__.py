"""WooCommerce (REST wc/v3 through the `woocommerce` package): registers its store table, adapter and simulator."""

import secrets

import woocommerce.oauth

from connector.platforms.registry import Platform, register
from connector.platforms.woocommerce.config import WooCommerceStore

# The package's OAuth nonce is 8 random digits. WooCommerce refuses a nonce it has seen in the last 15
# minutes (401 "nonce has already been used"), so a busy store met a collision every few thousand requests.
woocommerce.oauth.OAuth.generate_nonce = staticmethod(lambda: secrets.token_hex(20))


def _adapter():
    from connector.platforms.woocommerce.adapter import WooCommerceAdapter

    return WooCommerceAdapter


def _open(name: str, config: WooCommerceStore, *, cost_meta_key: str = "_cost"):
    return _adapter()(name, config, cost_meta_key=cost_meta_key)


def _simulator():
    from connector.sandbox.woocommerce import WooCommerceSim

    return WooCommerceSim


def _sandbox_store(name: str, sim, env_prefix: str, timeout: int) -> tuple[str, dict[str, str]]:
    env = {f"{env_prefix}_KEY": sim.consumer_key, f"{env_prefix}_SECRET": sim.consumer_secret}
    table = (
        f'[stores.{name}]\nplatform = "woocommerce"\nurl = "{sim.base_url}"\n'
        f'consumer_key = "env:{env_prefix}_KEY"\nconsumer_secret = "env:{env_prefix}_SECRET"\ntimeout = {timeout}\n'
    )
    return table, env


register(
    Platform(
        name="woocommerce",
        title="WooCommerce",
        store_config=WooCommerceStore,
        adapter=_adapter,
        open=_open,
        simulator=_simulator,
        sandbox_store=_sandbox_store,
        rank=10,
    )
)
