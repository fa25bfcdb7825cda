"""Putting a job in its shard's queue, at most once until a worker starts it."""

from __future__ import annotations

import logging

from celery import Celery
from redis import Redis

from connector.distributed import names
from connector.distributed.app import TASK

log = logging.getLogger(__name__)

# A job enqueued and not started for this long is enqueued again (its message may have been lost with a Redis
# that keeps nothing on disk); until then the scheduler skips it, as `connector run` coalesces missed runs.
PENDING_SECONDS = 3600


def enqueue(app: Celery, redis: Redis, client: str, shard: int, job: str, stores: tuple[str, ...]) -> bool:
    """Enqueue one run of `job` for the client's shard; False when one is already waiting there."""
    if not redis.set(names.pending(client, job, stores), shard, nx=True, ex=PENDING_SECONDS):
        log.debug("%s %s is still waiting in %s: not enqueued again", client, job, names.queue_of(shard))
        return False
    try:
        app.send_task(TASK, args=[client, job, list(stores)], queue=names.queue_of(shard))
    except BaseException:
        redis.delete(names.pending(client, job, stores))
        raise
    return True


def started(redis: Redis, client: str, job: str, stores: tuple[str, ...]) -> None:
    """A worker took the job: the next run may be enqueued."""
    redis.delete(names.pending(client, job, stores))
