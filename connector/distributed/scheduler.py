"""`connector scheduler`: enqueues every client's jobs into its shard's queue, on the schedules of `connector run`.

The embedded service's own scheduling does it (the same planned jobs, intervals, cron schedules, jitter,
coalescing of missed runs); only running a job is replaced by enqueueing it, at most once until a worker of
the shard starts it. The scheduler keeps no state file: it may run on any machine that reaches Redis.
`/healthz` (--health-port) says which shards have no live worker.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from celery import Celery
from redis import Redis

from connector.alerts import Alerts
from connector.config import ClientConfig
from connector.distributed import shards
from connector.distributed.app import make_app
from connector.distributed.connection import DistributedError, by_client_name, connect
from connector.distributed.enqueue import enqueue
from connector.health import HealthServer
from connector.listening import listen
from connector.scheduler import ClientRuntime, Service, handle_signals

log = logging.getLogger(__name__)


class QueueScheduler(Service):
    """`connector run`'s scheduling, with every job run replaced by a message to the client's shard."""

    def __init__(self, paths: list[Path], app: Celery, redis: Redis):
        super().__init__(paths, workers=2)
        self.app, self.redis = app, redis

    def start(self, configs: list[ClientConfig], *, schedule: bool = True) -> None:
        for config in configs:
            self._add_client(config)
        self.scheduler.start()
        log.info(
            "scheduling %d client(s) on shard(s) %s",
            len(self.clients),
            ", ".join(str(s) for s in sorted(self.shards())),
        )

    def _add_client(self, config: ClientConfig, *, schedule: bool = True) -> None:
        # no state file here (it lives with the shard's workers): no alerts, no heartbeat into it
        runtime = ClientRuntime(config, Alerts(config.client.name, [], None))
        self.clients[runtime.key] = runtime
        self._give_pool(runtime)  # the client's own executor, as in `connector run` (enqueueing takes little)
        for number, (job, stores, when) in enumerate(runtime.planned_jobs()):
            self._schedule(runtime, job, stores, when, 0.2 * number)

    def shards(self) -> set[int]:
        return {runtime.config.client.shard for runtime in self.clients.values()}

    def run_job(self, client_key: str, job: str, stores: tuple[str, ...]) -> list[dict[str, Any]]:
        runtime = self.clients.get(client_key)
        if runtime is None or self.stopping.is_set():
            return []
        try:
            enqueue(
                self.app, self.redis, runtime.config.client.name, runtime.config.client.shard, job, stores
            )
        except Exception as exc:  # Redis away: this run is missed, the next one is tried on schedule
            log.warning("%s %s not enqueued: %s", runtime.config.client.name, job, exc)
        return []

    def beat(self, runtime: ClientRuntime) -> None:
        """The workers write the state's heartbeat, on the machine that keeps it."""

    def _shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        for runtime in self.clients.values():
            runtime.close()


class SchedulerHealth(HealthServer):
    """/healthz of the scheduler: 200 while it schedules; per shard its live workers and queued jobs, and
    `status: degraded` when a shard has none (`?strict=1` then answers 503)."""

    def health(self, *, strict: bool = False) -> tuple[int, dict[str, Any]]:
        service: QueueScheduler = self.service  # type: ignore[assignment]
        alive = service.scheduler.running and not service.stopping.is_set()
        try:
            report = shards.shard_report(service.redis, service.shards())
        except Exception as exc:
            return 503, {"scheduler": "running" if alive else "stopped", "redis": f"unreachable ({exc})"}
        missing = shards.without_worker(report)
        body = {
            "scheduler": "running" if alive else "stopped",
            "status": "degraded" if missing else "ok",
            "strict": strict,
            "shards_without_worker": missing,
            "shards": {str(shard): entry for shard, entry in report.items()},
        }
        return (200 if alive and not (strict and missing) else 503), body


def serve_scheduler(
    configs: list[ClientConfig], url: str, *, health_port: int | None = None, health_host: str = "127.0.0.1"
) -> int:
    by_client_name(configs)
    redis = connect(url)
    service = QueueScheduler([c.path for c in configs], make_app(url), redis)
    handle_signals(service)
    health = None
    if health_port is not None:
        health = listen(
            lambda: SchedulerHealth(service, health_host, health_port).start(),
            "--health-port",
            health_host,
            health_port,
            DistributedError,
        )
        log.info("health checks on http://%s:%d/healthz", health_host, health.port)
    service.start(configs)
    try:
        service.wait()
    finally:
        if health is not None:
            health.stop()
    return 0
