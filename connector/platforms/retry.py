"""The retry policy for platform calls: TransientError only, honouring the platform's Retry-After.

`retrying()` gives a policy that decorates a function (`@retrying(store="acme")`), runs one call
(`policy.call(fn, *args)`) or drives a tenacity attempt loop (`for attempt in policy: with attempt: ...`).
"""

from __future__ import annotations

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
    stop_after_attempt,
    wait_random_exponential,
)

from .errors import TransientError

log = logging.getLogger(__name__)
T = TypeVar("T")

# Set when the process shuts down: a wait between two attempts then ends at once with StopRequested.
SHUTDOWN = threading.Event()


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
            "store %s: attempt %d failed (%s); retrying in %.2fs", store, state.attempt_number, reason, wait
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
        "stop": stop_after_attempt(max_attempts),
        "wait": _PlatformWait(max_wait, initial_wait),
        "before_sleep": _retry_logger(store),
        "sleep": _sleep,
        "reraise": True,
    }
    options.update(overrides)
    return RetryPolicy(**options)
