"""`connector run`: one APScheduler process serving one or many clients on their schedules.

Per client and store: pull jobs for orders, products and customers, and for abandoned checkouts where the
store's adapter reads them, on the orders schedule; per client: inventory, prices and translations.
Every job has `max_instances=1` and coalesces missed runs (a pause never replays a backlog).
Jobs touching the same store never overlap: each store has a lock, and client-wide jobs take all of the
client's store locks in name order. A pull of orders that sees new or changed orders starts the client's
inventory cycle at once, so a sale reaches the other channels within one inventory cycle.

A failing store backs off (doubling from 30 s up to 15 min) without holding back other stores or clients; a
refused credential stops that store's jobs and says so once, until the config is reloaded (SIGHUP).
SIGTERM/SIGINT stop scheduling and let running jobs finish their current page or batch; the process exits
within SHUTDOWN_SECONDS. A second signal exits at once.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from connector.config import ClientConfig, ConfigError, load_config, schedule_seconds
from connector.jobs.pull import pull
from connector.jobs.runner import configured_client_jobs, recorded_run, run_client_job
from connector.platforms.base import StoreAdapter
from connector.platforms.registry import open_adapter
from connector.platforms.retry import SHUTDOWN, StopRequested
from connector.state import open_state

log = logging.getLogger(__name__)

SHUTDOWN_SECONDS = 14
BACKOFF_FIRST, BACKOFF_CAP = 30.0, 900.0
LOCK_WAIT_SECONDS = 60
CLIENT_JOBS = ("inventory", "prices", "translations")
# Pulled resources without a schedule of their own in [schedules] follow this one.
SCHEDULE_OF = {"abandoned_checkouts": "orders"}


@dataclass
class StoreHealth:
    failures: int = 0
    retry_at: float = 0.0
    disabled: str | None = None  # why the store's jobs are stopped
    last_success: dict[str, float] = field(default_factory=dict)  # job -> unix time
    set_aside: str | None = None  # why the inventory sets this channel aside (said once per outage)


class ClientRuntime:
    """One client's config, adapters (kept between runs: rate-limit pacing lives in them) and store health."""

    def __init__(self, config: ClientConfig):
        self.config = config
        self.key = str(config.path)
        self.adapters: dict[str, StoreAdapter] = {
            name: open_adapter(name, s, cost_meta_key=config.pricing.cost_meta_key)
            for name, s in config.stores.items()
        }
        self.health = {name: StoreHealth() for name in config.stores}

    def close(self) -> None:
        for adapter in self.adapters.values():
            adapter.close()

    def client_jobs(self) -> list[str]:
        """The client-wide jobs its config asks for."""
        return configured_client_jobs(self.config)


class Service:
    def __init__(self, config_paths: list[Path], *, workers: int = 8):
        self.paths = [Path(p) for p in config_paths]
        self.clients: dict[str, ClientRuntime] = {}
        self.locks: dict[tuple[str, str], threading.Lock] = {}  # kept across reloads
        self.stopping = threading.Event()
        self.stopped = threading.Event()
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(workers)},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
            timezone="UTC",
        )
        self.observers: list[Callable[[str, str, str, dict[str, Any]], None]] = []  # metrics hook
        self._reload_requested = threading.Event()

    # --- lifecycle ----------------------------------------------------------------------------------------

    def start(self, configs: list[ClientConfig]) -> None:
        SHUTDOWN.clear()
        for config in configs:
            with open_state(config.state_path) as state:
                state.close_unfinished_runs()
            self._add_client(config)
        self.scheduler.start()
        log.info(
            "serving %d client(s): %s",
            len(self.clients),
            ", ".join(c.config.client.name for c in self.clients.values()),
        )

    def stop(self) -> None:
        """Stop scheduling; running jobs stop after their current page or batch."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        SHUTDOWN.set()
        log.info("stopping: running jobs finish their current page or batch")
        done = threading.Thread(target=self._shutdown, daemon=True)
        done.start()
        done.join(SHUTDOWN_SECONDS)
        if done.is_alive():
            log.warning("jobs still running after %d s; exiting (committed work is safe)", SHUTDOWN_SECONDS)
        else:
            SHUTDOWN.clear()  # every job has ended: the process may go on (tests, an embedding program)
        self.stopped.set()

    def _shutdown(self) -> None:
        self.scheduler.shutdown(wait=True)
        for runtime in self.clients.values():
            runtime.close()

    def request_reload(self) -> None:
        self._reload_requested.set()

    def reload(self) -> None:
        """Re-read every config; a valid one replaces its client's jobs, an invalid one keeps the old."""
        for path in self.paths:
            try:
                config = load_config(path)
            except ConfigError as exc:
                log.error("reload: %s kept its previous config:\n%s", path, exc)
                continue
            old = self.clients.pop(str(config.path), None)
            if old is not None:
                for job in self.scheduler.get_jobs():
                    if job.id.startswith(old.key + "|"):
                        job.remove()
                old.close()
            self._add_client(config)
            log.info("reload: %s scheduled anew", path)

    def wait(self) -> None:
        while not self.stopped.wait(0.5):
            if self._reload_requested.is_set():
                self._reload_requested.clear()
                self.reload()

    # --- scheduling ---------------------------------------------------------------------------------------

    def _add_client(self, config: ClientConfig) -> None:
        runtime = ClientRuntime(config)
        self.clients[runtime.key] = runtime
        schedules, stagger = config.schedules, 0.0
        for store in config.stores:
            self.locks.setdefault((config.client.name, store), threading.Lock())
            for resource in runtime.adapters[store].resources:
                schedule = getattr(schedules, SCHEDULE_OF.get(resource, resource))
                self._schedule(runtime, f"pull:{resource}", (store,), schedule, stagger)
                stagger += 0.2
        for job in runtime.client_jobs():
            self._schedule(runtime, job, tuple(sorted(config.stores)), getattr(schedules, job), stagger)
            stagger += 0.2

    def _schedule(
        self, runtime: ClientRuntime, job: str, stores: tuple[str, ...], schedule: str, delay: float
    ):
        jitter = runtime.config.schedules.jitter_seconds or None
        seconds = schedule_seconds(schedule)
        if seconds is not None:
            trigger = IntervalTrigger(seconds=seconds, jitter=jitter, timezone="UTC")
        else:
            trigger = CronTrigger.from_crontab(schedule.removeprefix("cron:").strip(), timezone="UTC")
            trigger.jitter = jitter
        self.scheduler.add_job(
            self.run_job,
            trigger,
            args=(runtime.key, job, stores),
            id=self.job_id(runtime.key, job, stores),
            name=f"{runtime.config.client.name} {job} {','.join(stores)}",
            next_run_time=_utc_in(delay),
        )

    @staticmethod
    def job_id(client_key: str, job: str, stores: tuple[str, ...]) -> str:
        return f"{client_key}|{job}|{','.join(stores)}"

    def trigger_now(self, client_key: str, job: str) -> None:
        runtime = self.clients.get(client_key)
        if runtime is None or job not in runtime.client_jobs():
            return
        found = self.scheduler.get_job(self.job_id(client_key, job, tuple(sorted(runtime.config.stores))))
        if found is not None:
            found.modify(next_run_time=_utc_in(0))

    # --- running one job ----------------------------------------------------------------------------------

    def run_job(self, client_key: str, job: str, stores: tuple[str, ...]) -> None:
        runtime = self.clients.get(client_key)
        if runtime is None or self.stopping.is_set():
            return
        now = time.time()
        ready = [s for s in stores if not runtime.health[s].disabled and runtime.health[s].retry_at <= now]
        if job.startswith("pull:") and not ready:
            return
        name = runtime.config.client.name
        locks = [self.locks[(name, s)] for s in sorted(stores)]
        taken = []
        try:
            for lock in locks:
                if not self._acquire(lock):
                    log.info("%s %s skipped: a store stayed busy or the service is stopping", name, job)
                    return
                taken.append(lock)
            results = self._execute(runtime, job, stores)
        finally:
            for lock in reversed(taken):
                lock.release()
        for result in results:
            self._account(runtime, job, result)

    def _acquire(self, lock: threading.Lock) -> bool:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while time.monotonic() < deadline and not self.stopping.is_set():
            if lock.acquire(timeout=0.25):
                return True
        return False

    def _execute(self, runtime: ClientRuntime, job: str, stores: tuple[str, ...]) -> list[dict[str, Any]]:
        with open_state(runtime.config.state_path) as state:
            if job.startswith("pull:"):
                resource = job.split(":", 1)[1]
                (store,) = stores
                result = recorded_run(state, job, store, lambda: self._pull(state, runtime, store, resource))
                changed = result.get("created", 0) + result.get("updated", 0)
                if resource == "orders" and result["outcome"] == "ok" and changed:
                    self.trigger_now(runtime.key, "inventory")
                return [result]
            usable = {s: a for s, a in runtime.adapters.items() if not runtime.health[s].disabled}
            return run_client_job(job, runtime.config, state, usable)

    def _pull(self, state, runtime: ClientRuntime, store: str, resource: str) -> dict[str, Any]:
        def between_pages(_summary) -> None:
            if self.stopping.is_set():
                raise StopRequested

        summary = pull(state, runtime.adapters[store], resource, on_page=between_pages)
        return {k: v for k, v in summary.as_dict().items() if k not in ("store", "resource")}

    def _account(self, runtime: ClientRuntime, job: str, result: dict[str, Any]) -> None:
        store = result.get("store")
        health = runtime.health.get(store) if store else None
        for observe in self.observers:
            observe(runtime.config.client.name, store or "-", job, result)
        if health is None:
            return
        if job == "inventory":
            self._account_channel(runtime, store, health, result)
            return
        if result.get("outcome") == "ok":
            health.failures, health.retry_at = 0, 0.0
            health.last_success[job] = time.time()
        elif result.get("outcome") == "failed":
            if result.get("kind") == "AuthError":
                if not health.disabled:
                    health.disabled = result.get("error", "credential refused")
                    log.error(
                        "%s/%s: credential refused (%s); its jobs are stopped until the config is reloaded "
                        "(SIGHUP) or the service restarts",
                        runtime.config.client.name,
                        store,
                        health.disabled,
                    )
                return
            health.failures += 1
            delay = min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** (health.failures - 1))
            health.retry_at = time.time() + delay
            log.warning(
                "%s/%s: %s failed %d time(s) in a row; next try in %.0f s",
                runtime.config.client.name,
                store,
                job,
                health.failures,
                delay,
            )

    def _account_channel(self, runtime: ClientRuntime, store: str, health: StoreHealth, result: dict) -> None:
        """An inventory channel set aside is said once when its outage starts and once when it ends; while
        it lasts the channel is tried every cycle with one attempt per request, so a dead store does not
        hold the cycle (and every other channel) in retries."""
        client = runtime.config.client.name
        adapter = runtime.adapters[store]
        for held in result.get("held", []):
            if held.get("new"):
                log.warning(
                    "%s/%s: stock change of %s held, not folded: %s to %s, %s; release it with "
                    "`connector sync inventory --accept-stock-changes` or correct it in the store",
                    client,
                    store,
                    held["sku"],
                    held["baseline"],
                    held["quantity"],
                    held["reason"],
                )
        for released in result.get("released", []):
            log.info(
                "%s/%s: held stock change of %s released (%s)",
                client,
                store,
                released["sku"],
                released["how"],
            )
        if result.get("outcome") == "ok":
            health.last_success["inventory"] = time.time()
            if health.set_aside is not None:
                health.set_aside = None
                adapter.attempts = StoreAdapter.attempts
                log.info(
                    "%s/%s: the inventory channel answers again; its changes are folded and written",
                    client,
                    store,
                )
        elif result.get("outcome") == "failed":
            if health.set_aside is None:
                log.error("%s: %s", client, result.get("error", f"{store}: inventory failed"))
                if result.get("set_aside"):
                    adapter.attempts = 1
            health.set_aside = result.get("error", "inventory failed")


def _utc_in(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def serve(
    configs: list[ClientConfig], *, health_port: int | None = None, health_host: str = "127.0.0.1"
) -> int:
    service = Service([c.path for c in configs])
    signals = {"count": 0}

    def on_stop(signum, _frame) -> None:
        signals["count"] += 1
        if signals["count"] > 1:
            log.warning("second signal: exiting now")
            os._exit(1)
        threading.Thread(target=service.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, lambda *_: service.request_reload())
    health = None
    if health_port is not None:
        from connector.health import HealthServer

        health = HealthServer(service, health_host, health_port).start()
    service.start(configs)
    try:
        service.wait()
    finally:
        if health is not None:
            health.stop()
    return 0
