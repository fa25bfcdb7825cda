"""Every Redis key and queue name of the distributed mode, in one place."""

from __future__ import annotations

PREFIX = "connector"
RUNS = f"{PREFIX}:runs"  # a list: one JSON line per lock taken, released or found taken (tests read it)


def queue_of(shard: int) -> str:
    return f"shard.{shard}"


def store_lock(client: str, store: str) -> str:
    return f"{PREFIX}:lock:{client}:{store}"


def pending(client: str, job: str, stores: tuple[str, ...]) -> str:
    """Set while a job is enqueued and not yet started: the scheduler does not enqueue it twice."""
    return f"{PREFIX}:pending:{client}|{job}|{','.join(stores)}"


def wanted_again(client: str) -> str:
    """A set of jobs that found a store held by another job: enqueued again when that job ends."""
    return f"{PREFIX}:again:{client}"


def webhook_keys(client: str) -> str:
    """Per store with webhooks installed: platform, shop domain and (WooCommerce) the webhook secret."""
    return f"{PREFIX}:webhook-keys:{client}"


def worker_beat(shard: int, worker: str) -> str:
    return f"{PREFIX}:worker:{shard}:{worker}"


def worker_beats(shard: int | None = None) -> str:
    return f"{PREFIX}:worker:{'*' if shard is None else shard}:*"
