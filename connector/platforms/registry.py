"""The platforms the connector knows, each registered by its own package.

A platform package (a folder of `connector/platforms/`) calls `register()` in its `__init__.py` with its
store config model (the schema of a `[stores.NAME]` table), its adapter and its simulator. Nothing outside the
package names it: config loading, the jobs, the reports and the service find it here, by the `platform` value
of a store's table. The packages are found by looking in this folder, so adding one needs no other edit.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connector.platforms.base import StoreAdapter

SandboxStore = Callable[[str, Any, str, int], tuple[str, dict[str, str]]]


@dataclass(frozen=True)
class Platform:
    """What a platform package offers the rest of the connector."""

    name: str  # the `platform` value of a [stores.NAME] table
    title: str  # how messages name the platform
    store_config: type  # the pydantic model of its [stores.NAME] table
    adapter: Callable[[], type[StoreAdapter]]  # the adapter class, imported on first use
    open: Callable[..., StoreAdapter]  # (name, store config, *, cost_meta_key) -> an adapter
    simulator: Callable[[], type]  # the sandbox simulator class, imported on first use
    # (store name, running simulator, env prefix, timeout) -> the [stores.NAME] table and the env it reads
    sandbox_store: SandboxStore
    rank: int = 100  # where messages and listings put it, lowest first


_platforms: dict[str, Platform] = {}
_discovered = False
_discovering = False
_lock = threading.RLock()


def register(platform: Platform) -> None:
    with _lock:
        _platforms[platform.name] = platform


def unregister(name: str) -> None:
    with _lock:
        _platforms.pop(name, None)


def platforms() -> list[Platform]:
    """Every registered platform, in listing order."""
    _discover()
    with _lock:
        return sorted(_platforms.values(), key=lambda p: (p.rank, p.name))


def names() -> list[str]:
    return [platform.name for platform in platforms()]


def get(name: str) -> Platform | None:
    _discover()
    with _lock:
        return _platforms.get(name)


def platform_of(store_config: Any) -> Platform:
    platform = get(getattr(store_config, "platform", ""))
    if platform is None:
        raise ValueError(
            f"unknown platform {getattr(store_config, 'platform', None)!r}; use one of {names()}"
        )
    return platform


def adapter_class(store_config: Any) -> type[StoreAdapter]:
    """The adapter class serving a store, to ask what it can do without opening it."""
    return platform_of(store_config).adapter()


def open_adapter(name: str, store_config: Any, *, cost_meta_key: str = "_cost") -> StoreAdapter:
    return platform_of(store_config).open(name, store_config, cost_meta_key=cost_meta_key)


def titles(reading: str | None = None) -> list[str]:
    """The platforms' titles; with `reading`, only those whose adapter reads that resource."""
    return [p.title for p in platforms() if reading is None or reading in p.adapter().resources]


def _discover() -> None:
    """Import every platform package once; each registers itself as it is imported."""
    global _discovered, _discovering
    if _discovered:
        return
    with _lock:
        if _discovered or _discovering:  # a package asking while it is being imported sees what is there
            return
        _discovering = True
        try:
            package = importlib.import_module("connector.platforms")
            for module in pkgutil.iter_modules(package.__path__):
                if module.ispkg:
                    importlib.import_module(f"connector.platforms.{module.name}")
        finally:
            _discovering = False
        _discovered = True
