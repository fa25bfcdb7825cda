"""Opening a listening port of the connector's (health, webhooks), with the message a taken port deserves."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def listen(start: Callable[[], T], option: str, host: str, port: int, error: type[Exception]) -> T:
    """`start()` the server; a port that cannot be opened raises `error` naming `option` and the fix."""
    try:
        return start()
    except OSError as exc:
        raise error(
            f"{option} {port}: cannot listen on {host}:{port} ({exc.strerror}); another process holds that port "
            "(`ss -ltnp` names it): choose a free port"
        ) from None
