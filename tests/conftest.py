"""Shared fixtures: simulated stores on 127.0.0.1 and client configs pointing at them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from connector.config import ClientConfig, load_config
from connector.sandbox.shopify import ShopifySim
from connector.sandbox.woocommerce.sim import WooCommerceSim


@pytest.fixture
def simulators() -> Iterator[Callable]:
    """`simulators(kind, name, **options)` starts a store simulator that stops after the test."""
    started = []

    def start(kind: str, name: str, **options):
        sim = (WooCommerceSim if kind == "woocommerce" else ShopifySim)(name, **options)
        sim.start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


def store_toml(name: str, sim, env_prefix: str) -> tuple[str, dict[str, str]]:
    """The [stores.NAME] table for a simulator, and the environment its env: secrets need."""
    if isinstance(sim, WooCommerceSim):
        env = {f"{env_prefix}_KEY": sim.consumer_key, f"{env_prefix}_SECRET": sim.consumer_secret}
        return (
            f'[stores.{name}]\nplatform = "woocommerce"\nurl = "{sim.base_url}"\n'
            f'consumer_key = "env:{env_prefix}_KEY"\nconsumer_secret = "env:{env_prefix}_SECRET"\ntimeout = 10\n',
            env,
        )
    env = {f"{env_prefix}_TOKEN": sim.access_token}
    return (
        f'[stores.{name}]\nplatform = "shopify"\nshop = "{sim.base_url}"\naccess_token = "env:{env_prefix}_TOKEN"\n'
        "timeout = 10\n",
        env,
    )


@pytest.fixture
def client_config(tmp_path: Path, monkeypatch) -> Callable[..., ClientConfig]:
    """`client_config({"fr": sim, ...}, extra="...toml...")` writes a config for the simulators and loads it."""

    def make(
        stores: dict, extra: str = "", *, name: str = "acme", base_currency: str = "EUR"
    ) -> ClientConfig:
        parts = [
            f'[client]\nname = "{name}"\nbase_currency = "{base_currency}"\nstate_file = "{name}.sqlite"\n'
        ]
        for store_name, sim in stores.items():
            text, env = store_toml(store_name, sim, f"{name.upper()}_{store_name.upper().replace('-', '_')}")
            parts.append(text)
            for key, value in env.items():
                monkeypatch.setenv(key, value)
        path = tmp_path / f"{name}.toml"
        path.write_text("\n".join(parts) + "\n" + extra)
        return load_config(path)

    return make
