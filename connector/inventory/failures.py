"""What a failing channel is told: one line naming the channel, what failed and what to do about it.

A channel whose reads or writes fail is set aside for the cycle (connector/jobs/inventory.py); this module only
words it, from the platform-neutral errors every adapter raises.
"""

from __future__ import annotations

from connector.logs import redact
from connector.platforms.errors import (
    AuthError,
    BadRequestError,
    BadResponseError,
    NotFoundError,
    PlatformError,
    TransientError,
    UnknownOutcomeError,
)

KEPT = "set aside this cycle: the other channels were synced, and its changes are kept until it answers"


def channel_line(channel: str, phase: str, failure: PlatformError | str) -> str:
    """`phase` is "read" or "write"; `failure` the error raised, or the message of a write the store refused."""
    what = "cannot read its stock" if phase == "read" else "its stock writes failed"
    detail = failure.message if isinstance(failure, PlatformError) else failure
    return redact(f"{channel}: {what} ({detail}); {_fix(channel, phase, failure)}; {KEPT}")


def _fix(channel: str, phase: str, failure: PlatformError | str) -> str:
    if isinstance(failure, AuthError):
        may = "read" if phase == "read" else "write"
        return (
            f"give [stores.{channel}] a credential that may {may} stock "
            "(`connector check` names the key or scope to replace)"
        )
    if isinstance(failure, UnknownOutcomeError):
        return "the store did not say whether it applied them; the next cycle reads the stock back first"
    if isinstance(failure, TransientError):
        return "the store gave no answer after every retry; check that it is up (the next cycle tries again)"
    if isinstance(failure, NotFoundError):
        return f"check the address of [stores.{channel}] and that its API is enabled"
    if isinstance(failure, BadResponseError):
        return f"the answer was not the store's API; check the address of [stores.{channel}] and any proxy"
    if isinstance(failure, BadRequestError):
        return "the store refused the request as sent; its message says why"
    return (
        "the store refused these writes or did not say whether it applied them; its message says why "
        "(the next cycle reads the stock back before writing again)"
    )
