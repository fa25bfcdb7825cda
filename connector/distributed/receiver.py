"""`connector receiver`: webhook deliveries received on any machine, kept in the client's shard queue.

Stateless: it verifies each delivery (connector/webhooks/verify.py, the function `connector run`'s receiver
uses) and enqueues it to the client's shard before it answers 200; a worker of the shard writes it to the
client's inbox (idempotent by event key: a repeated delivery changes nothing) and enqueues the client's
`webhooks` job, which processes the inbox under the client's store locks as `connector run` does.
The keys come from two places: a Shopify store's from its config (the app's client secret); a WooCommerce
store's webhook secret, which the connector chose when it installed the webhooks and keeps in the client's
state, from Redis, where the shard's workers publish it (keep Redis on a private network, with a password).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import signal
import threading
import time

from redis import Redis

from connector.config import ClientConfig
from connector.distributed import names
from connector.distributed.app import WEBHOOK_TASK, make_app
from connector.distributed.connection import DistributedError, by_client_name, connect
from connector.listening import listen
from connector.webhooks.receiver import ClientInbox, Receiver
from connector.webhooks.subscriptions import client_secret
from connector.webhooks.verify import Accepted, StoreKeys, platform_webhooks

log = logging.getLogger(__name__)

KEYS_TTL_SECONDS = 5.0


def published_keys(redis: Redis, config: ClientConfig) -> dict[str, StoreKeys]:
    """The keys `verify` needs per store with webhooks installed: published by the shard's workers, the
    Shopify app's client secret added from the config."""
    raw = redis.get(names.webhook_keys(config.client.name))
    keys = {}
    for store, row in (json.loads(raw) if raw else {}).items():
        by_app = platform_webhooks(row["platform"]).SIGNED_WITH_APP_SECRET
        secret = client_secret(config, store) if by_app else row.get("secret")
        if store in config.stores and secret:
            keys[store] = StoreKeys(row["platform"], secret, row.get("shop_domain"))
    return keys


class QueueReceiver(Receiver):
    """The aiohttp receiver of `connector run`, keeping each delivery in the shard's queue, not an inbox."""

    def __init__(self, configs: dict[str, ClientConfig], redis: Redis, send, host: str, port: int):
        super().__init__(self.lookup, lambda _client: None, host, port)
        self.configs, self.redis, self.send = configs, redis, send
        self._keys: dict[str, tuple[float, ClientInbox]] = {}

    def lookup(self, client: str, fresh: bool = False) -> ClientInbox | None:
        config = self.configs.get(client)
        if config is None:
            return None
        cached = self._keys.get(client)
        if not fresh and cached is not None and time.monotonic() - cached[0] < KEYS_TTL_SECONDS:
            return cached[1]
        found = ClientInbox(config.state_path, published_keys(self.redis, config))
        self._keys[client] = (time.monotonic(), found)
        return found

    def keep(self, target: ClientInbox, delivery: Accepted) -> bool:
        """Queued for the client's shard, whose worker keeps it in the inbox (once per event)."""
        self.send(delivery)
        return True


def serve_receiver(configs: list[ClientConfig], url: str, *, host: str, port: int) -> int:
    named = by_client_name(configs)
    redis = connect(url)
    app = make_app(url)

    def send(delivery: Accepted) -> None:
        shard = named[delivery.client].client.shard
        app.send_task(WEBHOOK_TASK, args=[dataclasses.asdict(delivery)], queue=names.queue_of(shard))

    receiver = QueueReceiver(named, redis, send, host, port)
    listen(receiver.start, "--port", host, port, DistributedError)
    log.info("receiving webhooks on http://%s:%d/webhooks/<client>/<store>", host, receiver.port)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    receiver.stop()
    return 0
