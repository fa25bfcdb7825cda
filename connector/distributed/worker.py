"""`connector worker --shard N`: runs the jobs of the clients whose config says `shard = N`.

The jobs are those of `connector run` (the same Service runs them: backoff, refused credentials, alerts, the
run record in each client's state); what differs is who decides when. A job is run only under the locks of
its stores in Redis; a job that finds a store held returns at once (coalesced). When the holder is another job
(the inventory cycle a new order asks for, while a pull holds a store), the coalesced job is enqueued again
as soon as that holder ends.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from celery import signals
from redis import Redis

from connector.config import ClientConfig
from connector.distributed import names
from connector.distributed.app import REDELIVERY_SECONDS, TASK, WEBHOOK_TASK, make_app
from connector.distributed.connection import DistributedError, by_client_name, connect
from connector.distributed.enqueue import enqueue, started
from connector.distributed.locks import LEASE_SECONDS, store_locks
from connector.distributed.shards import BEAT_SECONDS, WorkerBeat, worker_id
from connector.scheduler import Service
from connector.state import open_state
from connector.webhooks import inbox
from connector.webhooks.verify import Accepted, platform_webhooks

log = logging.getLogger(__name__)

MAX_CONCURRENCY = 256


# A running `webhooks` job read the inbox when it started: deliveries kept since need a run of their own.
RUN_AGAIN_WHEN_BUSY = frozenset({"webhooks"})
KEYS_SECONDS = 10.0


class ShardService(Service):
    """The embedded service's job runner, without its scheduler: the queue of the shard says when."""

    def __init__(self, paths: list[Path], redis: Redis, enqueue_job, *, workers: int):
        super().__init__(paths, workers=workers)
        self.redis = redis
        self.enqueue_job = enqueue_job  # (client, job, stores) -> enqueued

    def by_name(self, client: str):
        return next((r for r in self.clients.values() if r.config.client.name == client), None)

    def trigger_now(self, client_key: str, job: str) -> None:
        """New orders ask for the client's inventory cycle now: the pull that saw them still holds its store, so
        the cycle is enqueued the moment that pull ends."""
        runtime = self.clients.get(client_key)
        if runtime is not None and job in runtime.client_jobs():
            stores = tuple(sorted(runtime.config.stores))
            self.redis.sadd(names.wanted_again(runtime.config.client.name), json.dumps([job, list(stores)]))


def run_task(
    service: ShardService, worker: str, lease: float, client: str, job: str, stores: tuple[str, ...]
):
    """One delivery of one job: under the locks of its stores, or coalesced."""
    redis = service.redis
    started(redis, client, job, stores)
    runtime = service.by_name(client)
    if runtime is None:
        log.warning(
            "%s %s: this worker does not serve client %s (its config's shard changed?)", client, job, client
        )
        return {"outcome": "not served here"}
    with store_locks(redis, client, job, stores, worker, lease=lease) as held:
        if not held.acquired:
            log.info(
                "%s/%s %s coalesced: %s runs on the store", client, held.busy, job, held.holder or "a job"
            )
            if held.holder != job or job in RUN_AGAIN_WHEN_BUSY:
                redis.sadd(names.wanted_again(client), json.dumps([job, list(stores)]))
            return {"outcome": "coalesced", "busy": held.busy}
        results = service.run_job(runtime.key, job, stores)
    # its stores are free now: the jobs that found them held (or that new orders asked for) go to the queue
    for raw in redis.spop(names.wanted_again(client), 100) or []:
        again_job, again_stores = json.loads(raw)
        service.enqueue_job(client, again_job, tuple(again_stores))
    return {"outcome": "ran", "results": len(results)}


def keep_webhook(service: ShardService, delivery: Accepted) -> dict[str, Any]:
    """A delivery the receiver verified: into the client's inbox (once per event), then its `webhooks` job."""
    runtime = service.by_name(delivery.client)
    if runtime is None:
        log.warning("%s/%s: webhook for a client this worker does not serve", delivery.client, delivery.store)
        return {"outcome": "not served here"}
    if not inbox.write(runtime.config.state_path, delivery):
        return {"outcome": "duplicate"}
    service.enqueue_job(delivery.client, "webhooks", tuple(sorted(runtime.config.stores)))
    return {"outcome": "kept"}


def publish_keys(service: ShardService) -> None:
    """The stores' webhook keys a stateless receiver needs: platform, shop domain and the WooCommerce webhook
    secret the connector chose (an app's client secret is in the receiver's config already)."""
    for runtime in list(service.clients.values()):
        with open_state(runtime.config.state_path) as state:
            rows = inbox.installed(state)
        published = {
            store: {"platform": row["platform"], "shop_domain": row["shop_domain"]}
            | ({} if platform_webhooks(row["platform"]).SIGNED_WITH_APP_SECRET else {"secret": row["secret"]})
            for store, row in rows.items()
        }
        service.redis.set(names.webhook_keys(runtime.config.client.name), json.dumps(published), ex=86400)


def publish_keys_every(service: ShardService, seconds: float) -> None:
    while not service.stopping.is_set():
        try:
            publish_keys(service)
        except Exception as exc:  # Redis or a state file away for a moment: the next round tries again
            log.warning("webhook keys not published (%s)", exc)
        service.stopping.wait(seconds)


def serve_worker(
    configs: list[ClientConfig],
    shard: int,
    url: str,
    *,
    concurrency: int | None = None,
    lease: float = LEASE_SECONDS,
    redelivery_seconds: float = REDELIVERY_SECONDS,
    heartbeat_seconds: float = BEAT_SECONDS,
) -> int:
    mine = [c for c in configs if c.client.shard == shard]
    if not mine:
        found = ", ".join(f"{c.path}: shard {c.client.shard}" for c in configs)
        raise DistributedError(
            f"no client of these configs is on shard {shard} ({found}); set `shard = {shard}` in a config's "
            "[client] table, or start the worker with the --shard its clients name"
        )
    named = by_client_name(mine)
    # as in `connector run`, each client may run its service.concurrent_jobs at once
    concurrency = concurrency or min(MAX_CONCURRENCY, sum(c.service.concurrent_jobs for c in mine))
    redis = connect(url)
    app = make_app(url, redelivery_seconds=redelivery_seconds)
    queue = names.queue_of(shard)
    shards = {name: config.client.shard for name, config in named.items()}

    def enqueue_job(client: str, job: str, stores: tuple[str, ...]) -> bool:
        return enqueue(app, redis, client, shards[client], job, stores)

    service = ShardService([c.path for c in mine], redis, enqueue_job, workers=concurrency)
    service.start(mine, schedule=False)
    # the state's heartbeat: `connector status` names this worker as the one serving the client
    service.serving = True
    threading.Thread(target=service.wait, daemon=True, name="reloads and heartbeat").start()
    worker = worker_id(shard)
    beat = WorkerBeat(redis, shard, worker, sorted(named), heartbeat_seconds).start()

    @app.task(name=TASK, acks_late=True, reject_on_worker_lost=True)
    def run_job(client: str, job: str, stores: list[str]) -> dict[str, Any]:
        return run_task(service, worker, lease, client, job, tuple(stores))

    @app.task(name=WEBHOOK_TASK, acks_late=True, reject_on_worker_lost=True)
    def keep_delivery(fields: dict[str, Any]) -> dict[str, Any]:
        return keep_webhook(service, Accepted(**fields))

    keys = threading.Thread(target=publish_keys_every, args=(service, KEYS_SECONDS), daemon=True)
    keys.start()

    @signals.setup_logging.connect(weak=False)
    def keep_our_logging(**_kwargs) -> None:
        """Celery leaves logging alone when this signal has a receiver: job lines keep the service's format."""
        logging.getLogger("celery").setLevel(logging.WARNING)

    @signals.worker_shutting_down.connect(weak=False)
    def on_shutdown(**_kwargs) -> None:
        beat.stop()
        threading.Thread(target=service.stop, daemon=True).start()

    log.info(
        "worker %s serving shard %d (%s, %d jobs at once): %s",
        worker,
        shard,
        queue,
        concurrency,
        ", ".join(sorted(named)),
    )
    try:
        app.worker_main(
            [
                "--quiet",  # no banner
                "worker",
                "--queues",
                queue,
                "--pool",
                "threads",
                "--concurrency",
                str(concurrency),
                "--hostname",
                f"{worker}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "WARNING",
            ]
        )
    finally:
        beat.stop()
        service.stop()
    return 0
