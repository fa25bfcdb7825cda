"""The retry policy for platform calls: TransientError only, honouring the platform's Retry-After.

Each call gives up after `max_attempts` attempts or when its next attempt would start after its retry budget,
whichever comes first. The budget is MAX_RETRY_SECONDS unless the caller sets one with `retry_budget(seconds)`:
the service gives every request of a client's job the client's `service.retry_seconds`, so that a store that
refuses or never answers holds its lock (and one of its client's job slots) for that long at most. A
Retry-After is honoured when it ends within the budget; one that would end after it ends the call at once
(the service then backs the store off). The budget bounds when the last attempt starts: an attempt in flight
still ends at its request timeout.
Inside `one_off_retries()` (a one-off `connector sync`) a refused connection, a host that does not resolve or
https spoken to a plain-http server ends the call at the first attempt: the address is wrong or the store is
down, and the user should hear so at once. The service keeps retrying them: it backs a failing store off.

`retrying()` gives a policy that decorates a function (`@retrying(store="acme")`), runs one call
(`policy.call(fn, *args)`) or drives a tenacity attempt loop (`for attempt in policy: with attempt: ...`).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from tenacity import (
    AttemptManager,
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    wait_random_exponential,
)

from .errors import TransientError
from .network import unreachable_reason

log = logging.getLogger(__name__)
T = TypeVar("T")

# Set when the process shuts down: a wait between two attempts then ends at once with StopRequested.
SHUTDOWN = threading.Event()


MAX_RETRY_SECONDS = 300.0  # a call never retries for longer than this, whatever its attempts left
# The budget of the requests made in this context (and in the pool threads that carry it, see threads.py).
_budget: contextvars.ContextVar[float | None] = contextvars.ContextVar("retry_budget", default=None)
_one_off = {"depth": 0}
_one_off_lock = threading.Lock()


@contextlib.contextmanager
def one_off_retries() -> Iterator[None]:
    """Within: give up at once on a refused connection, an unknown host or plain http behind https."""
    with _one_off_lock:
        _one_off["depth"] += 1
    try:
        yield
    finally:
        with _one_off_lock:
            _one_off["depth"] -= 1


@contextlib.contextmanager
def retry_budget(seconds: float) -> Iterator[None]:
    """Within (this thread, and the pool threads it hands work to): no request retries past `seconds`."""
    token = _budget.set(float(seconds))
    try:
        yield
    finally:
        _budget.reset(token)


def budget_seconds() -> float:
    """The total retry time a request made here may take."""
    chosen = _budget.get()
    return MAX_RETRY_SECONDS if chosen is None else chosen


class _Stop:
    """Stop after `max_attempts`, when the next attempt would start after the retry budget, or (one-off) at an
    unreachable address. tenacity computes the wait before it asks the stop, so the wait is known here."""

    def __init__(self, max_attempts: int) -> None:
        self.max_attempts = max_attempts

    def __call__(self, state: RetryCallState) -> bool:
        if state.attempt_number >= self.max_attempts:
            return True
        if state.seconds_since_start + state.upcoming_sleep >= budget_seconds():
            return True
        error = state.outcome.exception() if state.outcome is not None else None
        return bool(_one_off["depth"] and error is not None and unreachable_reason(error, ""))


class StopRequested(Exception):
    """The process is stopping; the work in hand stops at a safe point (after a commit, or between retries)."""


def _sleep(seconds: float) -> None:
    if SHUTDOWN.wait(seconds):
        raise StopRequested


def pause(seconds: float) -> None:
    """Wait `seconds` unless the process shuts down first (then StopRequested): for waits outside a retry."""
    _sleep(max(0.0, seconds))


class _PlatformWait:
    """Retry-After when the platform gave one (capped), else exponential backoff with full jitter."""

    def __init__(self, max_wait: float, initial: float) -> None:
        self.max_wait = max_wait
        self._backoff = wait_random_exponential(multiplier=initial, max=max_wait)

    def __call__(self, state: RetryCallState) -> float:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, TransientError) and error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_wait)
        return self._backoff(state)


def _retry_logger(default_store: str | None) -> Callable[[RetryCallState], None]:
    def log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        store = getattr(error, "store", None) or default_store or "?"
        reason = getattr(error, "message", None) or type(error).__name__
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        log.info(
            "store %s: attempt %d failed (%s); retrying in %.2fs",
            store,
            state.attempt_number,
            reason,
            wait,
            extra={"store": store},
        )

    return log_retry


class RetryPolicy:
    """A retry policy usable as a decorator, as an attempt iterator, or through `call`."""

    def __init__(self, **options: Any) -> None:
        self._options = options

    def retrying(self) -> Retrying:
        return Retrying(**self._options)

    def __call__(self, function: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(function)
        def wrapped(*args: Any, **kwargs: Any) -> T:
            return self.retrying()(function, *args, **kwargs)

        return wrapped

    def __iter__(self) -> Iterator[AttemptManager]:
        return iter(self.retrying())

    def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self.retrying()(function, *args, **kwargs)


def retrying(
    max_attempts: int = 8,
    max_wait: float = 60.0,
    *,
    initial_wait: float = 0.5,
    store: str | None = None,
    **overrides: Any,
) -> RetryPolicy:
    """Retry TransientError up to `max_attempts` times, each wait capped at `max_wait` seconds.

    `store` names the store in retry logs when the error does not; `overrides` go to tenacity.Retrying.
    """
    options: dict[str, Any] = {
        "retry": retry_if_exception_type(TransientError),
        "stop": _Stop(max_attempts),
        "wait": _PlatformWait(max_wait, initial_wait),
        "before_sleep": _retry_logger(store),
        "sleep": _sleep,
        "reraise": True,
    }
    options.update(overrides)
    return RetryPolicy(**options)
