"""Shared fixtures: simulated stores on 127.0.0.1 and client configs pointing at them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from receivers import capture  # noqa: F401 - the webhook receiver fixture, for every test

from connector.config import ClientConfig, load_config
from connector.platforms import registry


@pytest.fixture
def simulators() -> Iterator[Callable]:
    """`simulators(kind, name, **options)` starts a store simulator that stops after the test."""
    started = []

    def start(kind: str, name: str, **options):
        platform = registry.get(kind)
        assert platform is not None, f"no platform {kind!r}"
        sim = platform.simulator()(name, **options)
        sim.start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


def store_toml(name: str, sim, env_prefix: str) -> tuple[str, dict[str, str]]:
    """The [stores.NAME] table for a simulator, and the environment its env: secrets need."""
    platform = next(p for p in registry.platforms() if isinstance(sim, p.simulator()))
    return platform.sandbox_store(name, sim, env_prefix, 10)


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
