"""Webhooks inside `connector run`: the receiver, the processor thread, and the polling switch.

- The processor wakes when a delivery is kept (after a short coalescing pause, so a burst makes one pass), every
  RETRY_SECONDS, and at start: a delivery kept before a crash is processed when the service comes back. It runs
  the `webhooks` job of each client through the service (the client's store locks, its accounting).
- Polling: while a store's webhooks are healthy its orders are pulled every `[service] orders_with_webhooks`
  (default 15 min) instead of the `[schedules] orders` interval. Healthy: webhooks installed, a delivery
  received, and no poll since that delivery found order changes that no delivery announced. A poll that does
  (deliveries stopped while the store kept selling) puts the store back on the short interval and says so once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from connector.config import schedule_seconds
from connector.state import iso, open_state, utc_now
from connector.webhooks import inbox
from connector.webhooks.receiver import ClientInbox, Receiver
from connector.webhooks.subscriptions import client_secret

if TYPE_CHECKING:
    from connector.scheduler import ClientRuntime, Service

log = logging.getLogger(__name__)

COALESCE_SECONDS = 0.25
RETRY_SECONDS = 30.0
KEYS_TTL_SECONDS = 5.0
# A change younger than this may still have its delivery on the way (WooCommerce on WP-Cron: up to a minute).
ANNOUNCE_GRACE_SECONDS = 120.0
STOPPED = "webhooks_stopped"  # the alert incident of a store whose deliveries stopped


class Realtime:
    def __init__(self, service: Service, host: str = "127.0.0.1", port: int | None = None):
        self.service = service
        self.receiver = Receiver(self.lookup, self.wake, host, port) if port is not None else None
        self._woken: set[str] = set()
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[float, ClientInbox]] = {}
        self._polled: dict[tuple[str, str], str] = {}  # (client key, store) -> when its last poll started
        self.skipped_polls: Counter[str] = (
            Counter()
        )  # per store: scheduled orders polls left out (webhooks healthy)
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------------------------

    def start_receiver(self) -> None:
        if self.receiver is not None:
            self.receiver.start()

    def start_processor(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="webhook-processor", daemon=True)
        self._thread.start()
        self.wake(None)  # the inbox is processed at start: nothing kept before a crash is lost

    def stop(self) -> None:
        self._event.set()
        if self.receiver is not None:
            self.receiver.stop()

    # --- receiver side ------------------------------------------------------------------------------------

    def _runtime_named(self, client: str) -> ClientRuntime | None:
        return next((r for r in list(self.service.clients.values()) if r.config.client.name == client), None)

    def lookup(self, client: str, fresh: bool = False) -> ClientInbox | None:
        """The client's inbox and keys, read again every few seconds (or now: `fresh`, a store just installed)."""
        runtime = self._runtime_named(client)
        if runtime is None:
            return None
        cached = self._keys.get(client)
        if not fresh and cached is not None and time.monotonic() - cached[0] < KEYS_TTL_SECONDS:
            return cached[1]
        config = runtime.config
        secrets = {store: client_secret(config, store) for store in config.stores}
        with open_state(config.state_path) as state:
            keys = {s: k for s, k in inbox.store_keys(state, secrets).items() if s in config.stores}
        found = ClientInbox(config.state_path, keys)
        self._keys[client] = (time.monotonic(), found)
        return found

    def wake(self, client: str | None) -> None:
        with self._lock:
            self._woken.add(client or "*")
        self._event.set()

    # --- processor ----------------------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self.service.stopping.is_set():
            self._event.wait(RETRY_SECONDS)
            if self.service.stopping.is_set():
                return
            time.sleep(COALESCE_SECONDS)  # deliveries of one burst arrive within a fraction of a second
            self._event.clear()
            with self._lock:
                woken, self._woken = self._woken, set()
            for runtime in list(self.service.clients.values()):
                if woken and "*" not in woken and runtime.config.client.name not in woken:
                    continue
                try:
                    if not inbox.has_pending(runtime.config.state_path):
                        continue  # nothing to do: the client's store locks are left to its jobs
                    self.service.run_job(runtime.key, "webhooks", tuple(sorted(runtime.config.stores)))
                    self._alert_resumed(runtime)
                except Exception:  # the next pass retries; the service must keep running
                    log.exception("%s: processing the webhook inbox failed", runtime.config.client.name)

    # --- polling switch -----------------------------------------------------------------------------------

    def store_health(self, runtime: ClientRuntime) -> dict[str, dict[str, Any]]:
        with open_state(runtime.config.state_path) as state:
            return store_health(state, list(runtime.config.stores))

    def poll_interval(self, runtime: ClientRuntime, store: str, short: float | None) -> float | None:
        health = self.store_health(runtime).get(store, {})
        if not health.get("healthy"):
            return short
        return float(schedule_seconds(runtime.config.service.orders_with_webhooks) or short or 900)

    def poll_due(self, runtime: ClientRuntime, store: str) -> bool:
        """Whether the scheduled orders pull of this store runs now (False: webhooks healthy, polled lately)."""
        interval = self.poll_interval(runtime, store, None)
        if interval is None:
            return True
        last = runtime.health[store].last_success.get("pull:orders")
        due = last is None or time.time() - last >= interval - 1
        if not due:
            self.skipped_polls[store] += 1
        return due

    def after_poll(self, runtime: ClientRuntime, store: str, result: dict[str, Any], started: str) -> None:
        """A scheduled orders poll that found orders changed that no delivery named (and long enough ago that
        their delivery would have come): the store's webhooks are not delivering; its orders are polled at the
        short interval again until a delivery arrives (said once)."""
        key = (runtime.key, store)
        previous = self._polled.get(key)
        self._polled[key] = started
        changed = result.get("created", 0) + result.get("updated", 0)
        if previous is None or result.get("outcome") != "ok" or not changed:
            return
        with open_state(runtime.config.state_path) as state:
            if store not in inbox.installed(state):
                return
            settled = iso(utc_now() - timedelta(seconds=ANNOUNCE_GRACE_SECONDS))
            missed = inbox.unannounced_orders(state, store, previous, settled)
            if not missed:
                return
            was_healthy = store_health(state, [store])[store]["healthy"]
            inbox.save_store(state, store, missed_at=iso(utc_now()))
        if was_healthy:
            runtime.alerts.update(
                STOPPED,
                store,
                active=True,
                detail=f"a poll found {len(missed)} order change(s) that no webhook announced; orders are polled "
                "at the short interval until deliveries resume (check `connector webhooks status`)",
            )
            log.warning(
                "%s/%s: a poll found %d order change(s) that no webhook announced; orders are polled every %s "
                "again until deliveries resume (check `connector webhooks status`)",
                runtime.config.client.name,
                store,
                len(missed),
                runtime.config.schedules.orders.removeprefix("every "),
            )


    def _alert_resumed(self, runtime: ClientRuntime) -> None:
        """A store whose webhooks had stopped and that delivers again: its incident closes (said once)."""
        stopped = [store for kind, store in runtime.alerts.open_incidents() if kind == STOPPED]
        if not stopped:
            return
        with open_state(runtime.config.state_path) as state:
            health = store_health(state, stopped)
        for store in stopped:
            if health[store]["healthy"]:
                runtime.alerts.update(STOPPED, store, active=False)


def store_health(state, stores: list[str]) -> dict[str, dict[str, Any]]:
    """Per store: webhooks installed, the last delivery, and whether they are healthy."""
    installed, last = inbox.installed(state), inbox.last_deliveries(state)
    report = {}
    for store in stores:
        row = installed.get(store)
        delivery = last.get(store)
        missed = (row or {}).get("missed_at") if row else None
        healthy = bool(row) and delivery is not None and (missed is None or missed < delivery)
        report[store] = {"installed": bool(row), "last_delivery": delivery, "healthy": healthy}
    return report
