"""Is this HTTP request a delivery from one of the client's stores? A pure function: no state, no I/O.

`verify(client, store, headers, body, keys)` answers an `Accepted` delivery or a `Refused` one (an HTTP status
and a reason that holds no secret). The receiver of `connector run` and a stateless receiver in front of
workers both call it; what happens next (the inbox, processing) is theirs. How each platform signs and names
its deliveries is in its package's `webhooks` module (`read_delivery`, `is_ping`).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType

from connector.platforms import registry
from connector.platforms.deliveries import Accepted, Refused, StoreKeys, signature

__all__ = ["MAX_BODY", "Accepted", "Refused", "StoreKeys", "platform_webhooks", "signature", "verify"]

MAX_BODY = 1024 * 1024  # larger deliveries are refused with 413


def platform_webhooks(platform: str) -> ModuleType:
    """The platform's webhooks module: its topics, subscriptions and how it signs its deliveries."""
    return importlib.import_module(f"connector.platforms.{platform}.webhooks")


def verify(
    client: str,
    store: str,
    headers: Mapping[str, str],
    body: bytes,
    keys: Mapping[str, Mapping[str, StoreKeys]],
) -> Accepted | Refused:
    """`headers` must look names up case-insensitively (as aiohttp's and requests' do)."""
    where = f"{client}/{store}"
    if client in keys:
        for platform in _with_webhooks():
            if platform_webhooks(platform).is_ping(headers, body):
                # carries nothing and changes nothing; sent while the webhook is created, before it is installed
                ping_id = body.decode("ascii", "replace").partition("=")[2]
                return Accepted(platform, client, store, "ping", "", ping_id, ping=True)
    store_keys = keys.get(client, {}).get(store)
    if store_keys is None:
        return Refused(404, f"{where}: no such client or store with webhooks installed")
    if len(body) > MAX_BODY:
        return Refused(413, f"{where}: body of {len(body)} bytes is over the {MAX_BODY} byte limit")
    return platform_webhooks(store_keys.platform).read_delivery(client, store, headers, body, store_keys)


def _with_webhooks() -> list[str]:
    found = []
    for platform in registry.platforms():
        try:
            platform_webhooks(platform.name)
        except ModuleNotFoundError:
            continue  # a platform without webhooks (polled only)
        found.append(platform.name)
    return found
