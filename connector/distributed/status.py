"""`connector status` in the distributed mode: whether the client's shard has a live worker."""

from __future__ import annotations

from typing import Any

from connector.config import ClientConfig
from connector.distributed import shards
from connector.distributed.connection import DistributedError, connect, redis_url


def shard_status(config: ClientConfig, given_url: str | None) -> dict[str, Any]:
    shard = config.client.shard
    try:
        entry = shards.shard_report(connect(redis_url(given_url)), {shard})[shard]
    except DistributedError as exc:
        return {"shard": shard, "workers": None, "queued": None, "line": f"shard {shard}: {exc}"}
    return {"shard": shard, **entry, "line": shards.describe(shard, entry)}
