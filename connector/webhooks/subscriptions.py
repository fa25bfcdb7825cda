"""The connector's webhook subscriptions on each store: install (idempotent), list, remove, repair.

Ours are those whose address is `[service] public_url` + `/webhooks/<client>/<store>`; one with that path on
another host (public_url changed) is replaced. A WooCommerce store's webhooks sign with a secret generated here
and kept in the client's state; Shopify signs with the app's client secret from the config.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from connector.config import ClientConfig
from connector.logs import register_secret
from connector.platforms import registry
from connector.platforms.base import StoreAdapter
from connector.state import State, iso, utc_now
from connector.webhooks import inbox
from connector.webhooks.verify import platform_webhooks


class WebhookSetupError(Exception):
    """A store whose webhooks cannot be installed as configured (a usage error naming the fix)."""


@dataclass
class StoreOutcome:
    store: str
    address: str = ""
    created: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def changed(self) -> bool:
        return bool(self.created or self.reactivated or self.removed)


def path_of(client: str, store: str) -> str:
    return f"/webhooks/{client}/{store}"


def address_of(config: ClientConfig, store: str) -> str:
    if not config.service.public_url:
        raise WebhookSetupError(
            f"{config.path}: [service] public_url is not set; write the https address that reaches the webhook "
            'port, e.g. public_url = "https://sync.example.com" (README: Real time)'
        )
    return config.service.public_url.rstrip("/") + path_of(config.client.name, store)


def platform_module(adapter: StoreAdapter) -> ModuleType:
    return platform_webhooks(adapter.platform)


def client_secret(config: ClientConfig, store: str) -> str | None:
    secret = getattr(config.stores[store], "client_secret", None)
    return secret.get_secret_value() if secret is not None else None


def install(config: ClientConfig, state: State, adapters: dict[str, StoreAdapter]) -> list[StoreOutcome]:
    """Every store gets exactly our topics at our address, active; running it again changes nothing."""
    for store, adapter in adapters.items():
        module = platform_module(adapter)
        if module.SIGNED_WITH_APP_SECRET and not client_secret(config, store):
            raise WebhookSetupError(
                f"{config.path}: stores.{store}: {registry.get(adapter.platform).title} signs webhooks with the "
                f"app's client secret, and this store has an access_token only; {module.APP_SECRET_FIX}"
            )
    return [_install_store(config, state, store, adapter) for store, adapter in adapters.items()]


def _install_store(config: ClientConfig, state: State, store: str, adapter: StoreAdapter) -> StoreOutcome:
    module = platform_module(adapter)
    address = address_of(config, store)
    outcome = StoreOutcome(store, address)
    known = inbox.installed(state).get(store, {})
    secret = None if module.SIGNED_WITH_APP_SECRET else known.get("secret")
    fresh_secret = not module.SIGNED_WITH_APP_SECRET and not secret
    if fresh_secret:
        secret = secrets.token_urlsafe(32)
        register_secret(secret)
    path = path_of(config.client.name, store)
    present: dict[str, dict[str, Any]] = {}
    for hook in module.subscriptions(adapter):
        if not hook["address"].endswith(path):
            continue  # someone else's subscription
        stale = hook["address"] != address or hook["topic"] not in module.TOPICS or hook["topic"] in present
        if stale or fresh_secret:  # a webhook whose secret we no longer hold cannot be verified
            module.delete(adapter, hook["id"])
            outcome.removed.append(hook["topic"])
            continue
        present[hook["topic"]] = hook
    for topic in module.TOPICS:
        hook = present.get(topic)
        if hook is None:
            present[topic] = module.create(adapter, topic, address, secret)
            outcome.created.append(topic)
        elif hook["status"] != "active":
            module.reactivate(adapter, hook)
            hook["status"] = "active"
            outcome.reactivated.append(topic)
        else:
            outcome.kept.append(topic)
    inbox.save_store(
        state,
        store,
        platform=adapter.platform,
        secret=secret,
        shop_domain=module.shop_domain(adapter) if not known.get("shop_domain") else known["shop_domain"],
        address=address,
        subscriptions=[{"id": h["id"], "topic": h["topic"]} for h in present.values()],
        installed_at=known.get("installed_at") or iso(utc_now()),
        checked_at=iso(utc_now()),
    )
    return outcome


def repair(config: ClientConfig, state: State, adapters: dict[str, StoreAdapter]) -> list[StoreOutcome]:
    """The service's periodic check: for each store with webhooks installed, re-create what the platform
    removed (Shopify after 8 failures) and set active what it disabled (WooCommerce after 7)."""
    installed = inbox.installed(state)
    return [
        _install_store(config, state, store, adapter)
        for store, adapter in adapters.items()
        if store in installed and config.service.public_url
    ]


def remove(config: ClientConfig, state: State, adapters: dict[str, StoreAdapter]) -> list[StoreOutcome]:
    outcomes = []
    for store, adapter in adapters.items():
        module = platform_module(adapter)
        outcome = StoreOutcome(store)
        path = path_of(config.client.name, store)
        for hook in module.subscriptions(adapter):
            if hook["address"].endswith(path):
                module.delete(adapter, hook["id"])
                outcome.removed.append(hook["topic"])
        inbox.forget_store(state, store)
        outcomes.append(outcome)
    return outcomes


def status(config: ClientConfig, state: State, adapters: dict[str, StoreAdapter]) -> list[dict[str, Any]]:
    """Per store: the address, each of our topics with its status on the platform (or missing)."""
    rows, installed = [], inbox.installed(state)
    last = inbox.last_deliveries(state)
    for store, adapter in adapters.items():
        module = platform_module(adapter)
        path = path_of(config.client.name, store)
        ours = {h["topic"]: h for h in module.subscriptions(adapter) if h["address"].endswith(path)}
        rows.append(
            {
                "store": store,
                "installed": store in installed,
                "address": installed.get(store, {}).get("address") or "",
                "topics": {
                    topic: (ours[topic]["status"] if topic in ours else "missing") for topic in module.TOPICS
                },
                "last_delivery": last.get(store),
            }
        )
    return rows
