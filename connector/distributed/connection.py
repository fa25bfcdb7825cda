"""The Redis every process of the distributed mode shares, and the errors a user can act on."""

from __future__ import annotations

import os

from redis import Redis
from redis.exceptions import RedisError

from connector.config import ClientConfig
from connector.logs import redact, register_secret

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


class DistributedError(Exception):
    """The distributed mode cannot start as asked; `code` is the exit code (2 usage or config, 1 Redis away)."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def redis_url(given: str | None = None) -> str:
    """--redis, else $CONNECTOR_REDIS_URL, else a local Redis; a password in it is redacted from logs."""
    url = given or os.environ.get("CONNECTOR_REDIS_URL") or DEFAULT_REDIS_URL
    password = url.split("://", 1)[-1].rpartition("@")[0].partition(":")[2]
    if password:
        register_secret(password)
    return url


def connect(url: str) -> Redis:
    try:
        redis = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10, health_check_interval=30)
        redis.ping()
    except (RedisError, ValueError) as exc:
        raise DistributedError(
            redact(
                f"cannot reach Redis at {url} ({exc}); start it, or point --redis (or CONNECTOR_REDIS_URL) at it"
            ),
            1,
        ) from None
    return redis


def by_client_name(configs: list[ClientConfig]) -> dict[str, ClientConfig]:
    """Jobs travel by client name between machines: two configs of one name would share locks and queues."""
    named: dict[str, ClientConfig] = {}
    for config in configs:
        other = named.setdefault(config.client.name, config)
        if other is not config:
            raise DistributedError(
                f"{config.path} and {other.path} both name the client {config.client.name!r}; the distributed "
                "mode tells clients apart by [client] name: give each its own"
            )
    return named
