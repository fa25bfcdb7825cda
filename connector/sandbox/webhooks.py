"""Webhook deliveries of a simulated store: queued, sent asynchronously from a thread of their own.

The platform decides what a delivery holds and what a failure does (`on_result`); this queue sends them after
`delay_ms` (at the next queue run with `run_every_ms`), optionally twice (`duplicate_rate`, the same headers and body) or out of order (`reorder`), and
re-sends a failed one after `retry_ms` doubling at each attempt, up to `retries` times (Shopify: 8; WooCommerce
sends each delivery once). Controls: `POST /__sandbox/webhooks {"delay_ms", "duplicate_rate", "reorder",
"retry_ms", "run_every_ms"}`.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

log = logging.getLogger(__name__)

CONNECT_TIMEOUT, ANSWER_TIMEOUT = 1.0, 5.0  # Shopify: 1 s to connect, 5 s to answer


@dataclass
class Delivery:
    subscription: str  # the subscription (webhook) id
    url: str
    headers: dict[str, str]
    body: bytes
    retries: int = 0  # re-sends allowed after a failure
    attempt: int = 0
    due: float = 0.0
    kind: str = "delivery"  # or "ping"


@dataclass
class Settings:
    delay_ms: float = 200.0
    duplicate_rate: float = 0.0
    reorder: bool = False
    retry_ms: float = 500.0
    run_every_ms: float = 0.0  # a queue run every N ms (WooCommerce's Action Scheduler): sent at the next run


@dataclass
class SentRecord:
    subscription: str
    kind: str
    topic: str
    status: int | None  # None: no answer (refused connection, timeout)
    attempt: int
    at: float = field(default_factory=time.time)


class WebhookQueue:
    def __init__(self, name: str, on_result: Callable[[Delivery, bool], bool]):
        """`on_result(delivery, ok)` answers whether a failed delivery may be re-sent."""
        self.name = name
        self.on_result = on_result
        self.settings = Settings()
        self.sent: list[SentRecord] = []
        self._queue: list[Delivery] = []
        self._cond = threading.Condition()
        self._stopped = False
        self._session = requests.Session()
        self._rng = random.Random(7)
        self._busy = 0
        self._thread = threading.Thread(target=self._run, name=f"{name}-webhooks", daemon=True)
        self._thread.start()

    def configure(self, **spec: Any) -> dict[str, Any]:
        known = {"delay_ms", "duplicate_rate", "reorder", "retry_ms", "run_every_ms"}
        unknown = set(spec) - known
        if unknown:
            raise ValueError(f"unknown webhook setting(s) {sorted(unknown)}; use {sorted(known)}")
        rate = float(spec.get("duplicate_rate", self.settings.duplicate_rate))
        if not 0 <= rate <= 1:
            raise ValueError("duplicate_rate is a probability from 0 to 1")
        with self._cond:
            self.settings = Settings(
                delay_ms=float(spec.get("delay_ms", self.settings.delay_ms)),
                duplicate_rate=rate,
                reorder=bool(spec.get("reorder", self.settings.reorder)),
                retry_ms=float(spec.get("retry_ms", self.settings.retry_ms)),
                run_every_ms=float(spec.get("run_every_ms", self.settings.run_every_ms)),
            )
            return dict(self.settings.__dict__)

    def enqueue(self, delivery: Delivery, *, delay_ms: float | None = None) -> None:
        with self._cond:
            wait = self.settings.delay_ms if delay_ms is None else delay_ms
            delivery.due = time.monotonic() + wait / 1000
            period = self.settings.run_every_ms / 1000
            if period > 0:
                delivery.due = math.ceil(delivery.due / period) * period
            self._queue.append(delivery)
            if delivery.kind == "delivery" and self._rng.random() < self.settings.duplicate_rate:
                copy = Delivery(**delivery.__dict__)
                copy.due = delivery.due + self._rng.uniform(0, 0.3)
                self._queue.append(copy)
            self._cond.notify_all()

    def idle(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is queued or being sent (tests); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._thread.join(2)
        self._session.close()

    def _next(self) -> Delivery | None:
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                due = [d for d in self._queue if d.due <= now]
                if due:
                    chosen = self._rng.choice(due) if self.settings.reorder else min(due, key=lambda d: d.due)
                    self._queue.remove(chosen)
                    self._busy += 1
                    return chosen
                wake = min((d.due for d in self._queue), default=now + 0.5)
                self._cond.wait(max(0.005, min(0.5, wake - now)))
        return None

    def _run(self) -> None:
        while True:
            delivery = self._next()
            if delivery is None:
                return
            try:
                self._send(delivery)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _send(self, delivery: Delivery) -> None:
        status = None
        try:
            answer = self._session.post(
                delivery.url,
                data=delivery.body,
                headers=delivery.headers,
                timeout=(CONNECT_TIMEOUT, ANSWER_TIMEOUT),
            )
            status = answer.status_code
        except requests.RequestException:
            pass
        ok = status is not None and 200 <= status < 300
        topic = (
            delivery.headers.get("X-Shopify-Topic")
            or delivery.headers.get("X-WC-Webhook-Topic")
            or delivery.kind
        )
        self.sent.append(SentRecord(delivery.subscription, delivery.kind, topic, status, delivery.attempt))
        again = self.on_result(delivery, ok)
        if not ok and again and delivery.attempt < delivery.retries:
            delivery.attempt += 1
            self.enqueue(delivery, delay_ms=self.settings.retry_ms * 2 ** (delivery.attempt - 1))
