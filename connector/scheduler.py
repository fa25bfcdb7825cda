"""`connector run`: one APScheduler process serving one or many clients on their schedules.

Per client and store: pull jobs for orders, products and customers, and for abandoned checkouts where the
store's adapter reads them, on the orders schedule; per client: inventory, prices and translations.
Every job has `max_instances=1` and coalesces missed runs (a pause never replays a backlog).
Jobs touching the same store never overlap: each store has a lock, and client-wide jobs take all of the
client's store locks in name order. A pull of orders that sees new or changed orders starts the client's
inventory cycle at once, so a sale reaches the other channels within one inventory cycle.

Clients are isolated from each other: each has a pool of `service.concurrent_jobs` threads of its own (a job
due while they are all busy is coalesced, connector/client_pool.py), every request of its jobs is retried
for `service.retry_seconds` at most, and every line logged during its jobs names it (connector/logs.py).
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

from connector.alerts import Alerts
from connector.client_pool import ClientPool
from connector.config import ClientConfig, ConfigError, load_config, schedule_seconds
from connector.jobs.pull import pull
from connector.jobs.runner import configured_client_jobs, recorded_run, run_client_job
from connector.listening import listen
from connector.logs import client_context
from connector.platforms.base import StoreAdapter
from connector.platforms.errors import PlatformError
from connector.platforms.registry import open_adapter
from connector.platforms.retry import SHUTDOWN, StopRequested, one_off_retries, retry_budget
from connector.state import compact_counts, iso, open_state
from connector.webhooks import subscriptions as webhook_subscriptions
from connector.webhooks.process import process_pending
from connector.webhooks.service import Realtime

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """The service cannot start as asked (a port in use); a usage error."""


SHUTDOWN_SECONDS = 14
BACKOFF_FIRST, BACKOFF_CAP = 30.0, 900.0
LOCK_WAIT_SECONDS = 60
CLIENT_JOBS = ("inventory", "prices", "translations")
# Pulled resources without a schedule of their own in [schedules] follow this one.
SCHEDULE_OF = {"abandoned_checkouts": "orders"}
HEARTBEAT_SECONDS = 30
STALE_INTERVALS = 3  # /healthz?strict=1: a job whose last success is older than this many intervals


@dataclass
class StoreHealth:
    failures: int = 0
    retry_at: float = 0.0
    disabled: str | None = None  # why the store's jobs are stopped
    last_success: dict[str, float] = field(default_factory=dict)  # job -> unix time
    set_aside: str | None = None  # why the inventory sets this channel aside (said once per outage)


class ClientRuntime:
    """One client's config, adapters (kept between runs: rate-limit pacing lives in them), store health and
    alerts (kept across reloads, so a reload neither repeats an alert nor forgets an open incident)."""

    def __init__(self, config: ClientConfig, alerts: Alerts | None = None):
        self.config = config
        self.key = str(config.path)
        self.alerts = alerts or Alerts(config.client.name, config.alerts.urls, config.state_path)
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

    def planned_jobs(self) -> list[tuple[str, tuple[str, ...], str]]:
        """Every job the service runs for this client: (job, stores, schedule), in the order it starts them."""
        schedules, planned = self.config.schedules, []
        for store in self.config.stores:
            for resource in self.adapters[store].resources:
                planned.append(
                    (f"pull:{resource}", (store,), getattr(schedules, SCHEDULE_OF.get(resource, resource)))
                )
        for job in self.client_jobs():
            planned.append((job, tuple(sorted(self.config.stores)), getattr(schedules, job)))
        if self.config.service.public_url:  # subscriptions a platform removed or disabled are repaired
            planned.append(
                ("webhooks:check", tuple(sorted(self.config.stores)), self.config.service.webhook_check)
            )
        return planned

    def interval_of(self, job: str) -> float | None:
        """Seconds between two runs of a job (`pull:orders`, `prices:de`, `inventory`)."""
        name = job.split(":", 1)[1] if job.startswith("pull:") else job.split(":", 1)[0]
        if job == "webhooks:check":
            return schedule_interval(self.config.service.webhook_check)
        schedule = getattr(self.config.schedules, SCHEDULE_OF.get(name, name), None)
        return schedule_interval(schedule) if schedule else None


def schedule_interval(schedule: str) -> float:
    """An interval schedule's seconds; for a cron schedule, the gap between its next two runs."""
    seconds = schedule_seconds(schedule)
    if seconds is not None:
        return float(seconds)
    trigger = CronTrigger.from_crontab(schedule.removeprefix("cron:").strip(), timezone="UTC")
    first = trigger.get_next_fire_time(None, datetime.now(UTC))
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
    return (second - first).total_seconds() if first and second else 86400.0


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
        self.pools: dict[str, ClientPool] = {}  # client key -> its executor (connector/client_pool.py)
        self._reload_requested = threading.Event()
        self.alerts: dict[str, Alerts] = {}  # client key -> its alerts, kept across reloads
        self.started_at = time.time()
        self.serving = False  # True while scheduling (not for `run --once`): the heartbeat is written
        self._beat_wanted = threading.Event()
        self.realtime: Realtime | None = None  # webhooks (connector/webhooks/service.py), when served

    # --- lifecycle ----------------------------------------------------------------------------------------

    def start(self, configs: list[ClientConfig], *, schedule: bool = True) -> None:
        SHUTDOWN.clear()
        self.started_at = time.time()
        for config in configs:
            with open_state(config.state_path) as state:
                state.close_unfinished_runs()
            self._add_client(config, schedule=schedule)
        if not schedule:
            return
        self.serving = True
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
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.serving = False
        for runtime in self.clients.values():
            runtime.close()
            try:
                with open_state(runtime.config.state_path) as state:
                    state.stop_beating()
            except Exception as exc:  # a damaged or vanished state file must not stop the shutdown
                log.warning("%s: heartbeat not removed (%s)", runtime.config.client.name, exc)

    # --- heartbeat: `connector status` shows next runs only while it is fresh -----------------------------

    def beat_all(self) -> None:
        for runtime in list(self.clients.values()):
            self.beat(runtime)

    def beat(self, runtime: ClientRuntime) -> None:
        if not self.serving or self.stopping.is_set():
            return
        next_runs = {}
        for job in self.scheduler.get_jobs():
            if job.id.startswith(runtime.key + "|") and job.next_run_time is not None:
                _, name, stores = job.id.split("|", 2)
                key = f"{name}|{stores}" if name.startswith("pull:") else name
                next_runs[key] = iso(job.next_run_time)
        try:
            with open_state(runtime.config.state_path) as state:
                state.beat(iso(datetime.fromtimestamp(self.started_at, UTC)), next_runs)
        except Exception as exc:  # the heartbeat is information; a failure to write it is logged only
            log.warning("%s: heartbeat not written (%s)", runtime.config.client.name, exc)

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
        """The main loop: reloads on request, and the heartbeat (here, not in job threads: APScheduler's
        shutdown holds its job store lock while it waits for running jobs, which get_jobs needs)."""
        last_beat = 0.0
        while not self.stopped.wait(0.5):
            if self._reload_requested.is_set():
                self._reload_requested.clear()
                self.reload()
            due = time.monotonic() - last_beat >= HEARTBEAT_SECONDS
            if not self.stopping.is_set() and (due or self._beat_wanted.is_set()):
                self._beat_wanted.clear()
                last_beat = time.monotonic()
                self.beat_all()

    # --- scheduling ---------------------------------------------------------------------------------------

    def _add_client(self, config: ClientConfig, *, schedule: bool = True) -> None:
        key = str(config.path)
        if key not in self.alerts or self.alerts[key].state_path != config.state_path:
            self.alerts[key] = Alerts(config.client.name, config.alerts.urls, config.state_path)
        runtime = ClientRuntime(config, self.alerts[key])
        self.clients[runtime.key] = runtime
        for store in config.stores:
            self.locks.setdefault((config.client.name, store), threading.Lock())
        self._give_pool(runtime)
        if schedule:
            for number, (job, stores, when) in enumerate(runtime.planned_jobs()):
                self._schedule(runtime, job, stores, when, 0.2 * number)

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
            executor=runtime.key,
        )

    def _give_pool(self, runtime: ClientRuntime) -> None:
        """The client's own executor (kept across reloads unless its size changes): its jobs run only there."""
        limit = runtime.config.service.concurrent_jobs
        old = self.pools.get(runtime.key)
        if old is not None and old.limit == limit and old.client == runtime.config.client.name:
            return
        if old is not None:
            self.scheduler.remove_executor(runtime.key, shutdown=False)
            old.shutdown(wait=False)  # its running jobs end on their own; the new pool takes the next ones
        pool = ClientPool(runtime.config.client.name, limit, self._coalesced)
        self.pools[runtime.key] = pool
        self.scheduler.add_executor(pool, alias=runtime.key)

    def _coalesced(self, job) -> None:
        client_key, name, stores = job.args
        runtime = self.clients.get(client_key)
        if runtime is None:
            return
        store = stores[0] if name.startswith("pull:") else "-"
        for observe in self.observers:
            observe(runtime.config.client.name, store, name, {"job": name, "outcome": "coalesced"})

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

    def run_job(self, client_key: str, job: str, stores: tuple[str, ...]) -> list[dict[str, Any]]:
        runtime = self.clients.get(client_key)
        if runtime is None or self.stopping.is_set():
            return []
        now = time.time()
        ready = [s for s in stores if not runtime.health[s].disabled and runtime.health[s].retry_at <= now]
        if job.startswith("pull:") and not ready:
            return []
        if (
            job == "pull:orders"
            and self.realtime is not None
            and not self.realtime.poll_due(runtime, stores[0])
        ):
            return []  # webhooks deliver this store's orders: it is polled at the longer interval
        name = runtime.config.client.name
        with client_context(name), retry_budget(runtime.config.service.retry_seconds):
            return self._run_locked(runtime, job, stores)

    def _run_locked(self, runtime: ClientRuntime, job: str, stores: tuple[str, ...]) -> list[dict[str, Any]]:
        name = runtime.config.client.name
        locks = [self.locks[(name, s)] for s in sorted(stores)]
        taken = []
        try:
            for lock in locks:
                if not self._acquire(lock):
                    log.info("%s %s skipped: a store stayed busy or the service is stopping", name, job)
                    return []
                taken.append(lock)
            started = time.monotonic()
            results = self._execute(runtime, job, stores)
            seconds = time.monotonic() - started
        finally:
            for lock in reversed(taken):
                lock.release()
        failed_stores: set[str] = set()  # a store's failure counts once per run, whatever its markets
        for result in results:
            self._account(runtime, job, result, seconds, failed_stores)
        self._beat_wanted.set()
        return results

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
                started = iso(datetime.now(UTC))
                result = recorded_run(state, job, store, lambda: self._pull(state, runtime, store, resource))
                if resource == "orders" and self.realtime is not None:
                    self.realtime.after_poll(runtime, store, result, started)
                changed = result.get("created", 0) + result.get("updated", 0)
                if resource == "orders" and result["outcome"] == "ok" and changed:
                    self.trigger_now(runtime.key, "inventory")
                return [result]
            usable = {s: a for s, a in runtime.adapters.items() if not runtime.health[s].disabled}
            if job == "webhooks":
                return process_pending(runtime.config, state, usable, between_pages=self._between_pages)
            if job == "webhooks:check":
                return self._check_webhooks(runtime, state, usable)
            return run_client_job(job, runtime.config, state, usable)

    def _between_pages(self, _summary) -> None:
        if self.stopping.is_set():
            raise StopRequested

    def _check_webhooks(self, runtime: ClientRuntime, state, usable) -> list[dict[str, Any]]:
        """Re-create subscriptions a platform removed, set active those it disabled; each repair said once."""
        client = runtime.config.client.name
        try:
            outcomes = webhook_subscriptions.repair(runtime.config, state, usable)
        except PlatformError as exc:
            return [{"job": "webhooks:check", "store": exc.store, "outcome": "failed", "error": exc.message}]
        for outcome in outcomes:
            if outcome.created or outcome.reactivated:
                log.warning(
                    "%s/%s: webhook subscription(s) %s were removed or disabled by the platform (failed "
                    "deliveries?); repaired, and polling covered the gap",
                    client,
                    outcome.store,
                    ", ".join(outcome.created + outcome.reactivated),
                )
        return [
            {
                "job": "webhooks:check",
                "store": "-",
                "outcome": "ok",
                "repaired": sum(o.changed() for o in outcomes),
            }
        ]

    def _pull(self, state, runtime: ClientRuntime, store: str, resource: str) -> dict[str, Any]:
        def between_pages(_summary) -> None:
            if self.stopping.is_set():
                raise StopRequested

        summary = pull(state, runtime.adapters[store], resource, on_page=between_pages)
        return {k: v for k, v in summary.as_dict().items() if k not in ("store", "resource")}

    def _account(
        self,
        runtime: ClientRuntime,
        job: str,
        result: dict[str, Any],
        seconds: float = 0.0,
        failed_stores: set[str] | None = None,
    ) -> None:
        store = result.get("store")
        client = runtime.config.client.name
        log_run(client, job, result, seconds)
        health = runtime.health.get(store) if store else None
        for observe in self.observers:
            observe(client, store or "-", job, result)
        self._alert_held(runtime, result)
        if health is None:
            return
        if job == "inventory":
            self._account_channel(runtime, store, health, result)
            return
        alerts = runtime.alerts
        if result.get("outcome") == "ok":
            health.failures, health.retry_at = 0, 0.0
            health.last_success[result.get("job") or job] = time.time()
            alerts.update("credential_refused", store, active=False)
            alerts.update("failing", store, active=False)
        elif result.get("outcome") == "failed":
            if result.get("kind") == "AuthError":
                if not health.disabled:
                    health.disabled = result.get("error", "credential refused")
                    log.error(
                        "%s/%s: credential refused (%s); its jobs are stopped until the config is reloaded "
                        "(SIGHUP) or the service restarts",
                        client,
                        store,
                        health.disabled,
                    )
                alerts.update(
                    "credential_refused",
                    store,
                    active=True,
                    detail=f"{client}/{store}: the store refused the credential ({health.disabled}); its jobs "
                    "are stopped until the config is fixed and reloaded (SIGHUP) or the service restarts",
                )
                return
            if failed_stores is not None:
                if store in failed_stores:
                    return
                failed_stores.add(store)
            health.failures += 1
            delay = min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** (health.failures - 1))
            if result.get("kind"):  # the store itself failed (a platform error): its pulls back off
                health.retry_at = time.time() + delay
            log.warning(
                "%s/%s: %s failed %d time(s) in a row%s",
                client,
                store,
                job,
                health.failures,
                f"; next try in {delay:.0f} s" if result.get("kind") else "",
            )
            if health.failures >= runtime.config.alerts.after_failures:
                alerts.update(
                    "failing",
                    store,
                    active=True,
                    detail=f"{client}/{store}: {job} failed {health.failures} times in a row; last error: "
                    f"{result.get('error', '?')}",
                )

    @staticmethod
    def _alert_held(runtime: ClientRuntime, result: dict[str, Any]) -> None:
        """Changes a guardrail held: an incident per channel (stock) or market (prices) until a run holds none."""
        job = str(result.get("job", ""))
        if job == "inventory" and result.get("outcome") == "ok" and not result.get("dry_run"):
            held, store = result.get("held") or [], result.get("store")
            runtime.alerts.update(
                "stock_held",
                str(store),
                active=bool(held),
                detail=f"{runtime.config.client.name}/{store}: {len(held)} stock change(s) held by the guardrail "
                f"(first: {held[0]['sku']} {held[0]['baseline']} to {held[0]['quantity']}, {held[0]['reason']}); "
                "correct them in the store or fold them with `connector sync inventory --accept-stock-changes`"
                if held
                else "",
            )
            return
        if not job.startswith("prices:") or result.get("outcome") != "ok" or result.get("dry_run"):
            return
        market, held = job.split(":", 1)[1], int(result.get("held") or 0)
        runtime.alerts.update(
            "prices_held",
            f"{result.get('store')}:{market}",
            active=held > 0,
            detail=f"{runtime.config.client.name}: {held} price change(s) for market {market} exceed its "
            "max_price_change and are held; review them with `connector sync prices --market "
            f"{market} --dry-run` and push them with --accept-large-changes",
        )

    # --- health: what /healthz reports -------------------------------------------------------------------

    def health_report(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Per client and store: ok, degraded (failing, or a job late) or stopped (credential refused)."""
        now, report = time.time(), {}
        for runtime in list(self.clients.values()):
            stores = {}
            expected = {store: set() for store in runtime.config.stores}
            hooks = self.realtime.store_health(runtime) if self.realtime is not None else {}
            for job, job_stores, _ in runtime.planned_jobs():
                if job.startswith("pull:"):
                    expected[job_stores[0]].add(job)
            for store, health in runtime.health.items():
                late = []
                webhooks = hooks.get(store)
                for job in sorted(expected.get(store, set()) | set(health.last_success)):
                    interval = runtime.interval_of(job)
                    if (
                        job == "pull:orders"
                        and webhooks
                        and webhooks["healthy"]
                        and self.realtime is not None
                    ):
                        interval = self.realtime.poll_interval(runtime, store, interval)
                    since = health.last_success.get(job, self.started_at)
                    if interval and now - since > STALE_INTERVALS * interval:
                        late.append(job)
                status = "stopped" if health.disabled else "degraded" if health.failures or late else "ok"
                stores[store] = {
                    "status": status,
                    "stopped": health.disabled,
                    "failures": health.failures,
                    "late": late,
                    "last_success": {
                        job: iso(datetime.fromtimestamp(at, UTC)) for job, at in health.last_success.items()
                    },
                }
                if store in hooks:
                    stores[store]["webhooks"] = hooks[store]
            report[runtime.config.client.name] = stores
        return report

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


def log_run(client: str, job: str, result: dict[str, Any], seconds: float) -> None:
    """One line per job run: client, store, job, outcome, counts, duration (fields of their own in JSON)."""
    store = result.get("store") or "-"
    name = result.get("job") or job
    outcome = result.get("outcome", "unknown")
    counts = {
        key: value
        for key, value in compact_counts(result).items()
        if isinstance(value, int | float) and not isinstance(value, bool) and value
    }
    shown = ", ".join(f"{key} {value}" for key, value in counts.items()) or "nothing to do"
    error = f": {result['error']}" if result.get("error") else ""
    if result.get("set_aside"):  # an inventory channel's outage is told when it starts and when it ends
        error = ": set aside (the outage was logged when it began)"
    log.log(
        logging.INFO if outcome in ("ok", "interrupted") else logging.WARNING,
        "%s/%s %s %s in %.1f s (%s)%s",
        client,
        store,
        name,
        outcome,
        seconds,
        shown,
        error,
        extra={
            "client": client,
            "store": store,
            "job": name,
            "outcome": outcome,
            "counts": counts,
            "duration_seconds": round(seconds, 3),
        },
    )


def run_once(configs: list[ClientConfig]) -> bool:
    """`connector run --once`: every job of every client once, in the service's order, then exit. Like a
    one-off sync, a store that refuses the connection or does not resolve fails at its first attempt."""
    service = Service([c.path for c in configs])
    service.start(configs, schedule=False)
    ok = True
    try:
        with one_off_retries():
            for runtime in list(service.clients.values()):
                for job, stores, _ in runtime.planned_jobs():
                    results = service.run_job(runtime.key, job, stores)
                    ok = ok and all(result.get("outcome") == "ok" for result in results)
    finally:
        for runtime in service.clients.values():
            runtime.alerts.flush()
            runtime.close()
    return ok


def _utc_in(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def serve(
    configs: list[ClientConfig],
    *,
    health_port: int | None = None,
    health_host: str = "127.0.0.1",
    webhook_port: int | None = None,
    webhook_host: str = "127.0.0.1",
) -> int:
    service = Service([c.path for c in configs])
    webhook_port = webhook_port_of(configs, webhook_port)
    service.realtime = Realtime(service, webhook_host, webhook_port)
    handle_signals(service)
    health = None
    if health_port is not None:
        from connector.health import HealthServer

        health = listen(
            lambda: HealthServer(service, health_host, health_port).start(),
            "--health-port",
            health_host,
            health_port,
            ServiceError,
        )
        log.info("health checks on http://%s:%d/healthz (and /metrics)", health_host, health.port)
    listen(service.realtime.start_receiver, "--webhook-port", webhook_host, webhook_port or 0, ServiceError)
    if service.realtime.receiver is not None:
        log.info(
            "webhooks received on http://%s:%d/webhooks/<client>/<store>",
            webhook_host,
            service.realtime.receiver.port,
        )
    service.start(configs)
    service.realtime.start_processor()
    try:
        service.wait()
    finally:
        service.realtime.stop()
        if health is not None:
            health.stop()
    return 0


def handle_signals(service: Service) -> None:
    """SIGTERM or SIGINT: stop at the next safe point (a second one: exit now); SIGHUP: reload the configs."""
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


def webhook_port_of(configs: list[ClientConfig], given: int | None) -> int | None:
    """--webhook-port, else the one `[service] webhook_port` the configs set (several: a usage error)."""
    if given is not None:
        return given
    ports = {c.service.webhook_port for c in configs if c.service.webhook_port is not None}
    if len(ports) > 1:
        raise ServiceError(
            f"the configs set different [service] webhook_port values ({', '.join(map(str, sorted(ports)))}); one "
            "service has one receiver: set the same port in each, or pass --webhook-port"
        )
    return ports.pop() if ports else None
