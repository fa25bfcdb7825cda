"""What a failed connection says about the store's address, read from the exception chain.

A refused connection, a host that does not resolve, and https spoken to a server answering plain http are
not worth retrying in a one-off sync: the address is wrong or the store is down, and eight attempts over
minutes only hide that. A dropped connection or a timeout stays transient.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

# OpenSSL's words when the other side answered TLS with something that is not TLS (plain http).
_PLAIN_HTTP_MARKERS = ("WRONG_VERSION_NUMBER", "wrong version number", "record layer failure", "http request")


def chain(exc: BaseException | None) -> Iterator[BaseException]:
    """The exception, its causes and contexts, and the exceptions urllib3/requests keep in their args."""
    seen: set[int] = set()
    pending = [exc] if exc is not None else []
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException)]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            pending.append(reason)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)


def unreachable_reason(exc: BaseException, where: str) -> str | None:
    """A sentence naming why `where` cannot be reached, when retrying cannot help; None otherwise."""
    for cause in chain(exc):
        name = type(cause).__name__
        if isinstance(cause, socket.gaierror) or name == "NameResolutionError":
            return f"DNS: the host of {where} does not resolve; check the address"
        if isinstance(cause, ssl.SSLError) and any(m in str(cause) for m in _PLAIN_HTTP_MARKERS):
            return (
                f"TLS: {where} answers plain http, not https; write the address with http:// "
                "(or enable https on that server)"
            )
        if isinstance(cause, ConnectionRefusedError):
            return f"refused: nothing listens at {where}; check the address and port, and that the store is up"
    return None


def never_sent(exc: BaseException) -> bool:
    """Whether the request certainly did not reach the server: no connection was made (refused, the host
    does not resolve, the connect timed out). A read timeout, a reset or a TLS error once connected may come
    after the server acted on the request."""
    for cause in chain(exc):
        name = type(cause).__name__
        if isinstance(cause, ConnectionRefusedError | socket.gaierror):
            return True
        if name in ("ConnectTimeout", "ConnectTimeoutError", "NewConnectionError", "NameResolutionError"):
            return True
    return False


def address_of(exc: BaseException) -> str | None:
    """scheme://host:port of the connection that failed, where urllib3 recorded it."""
    for cause in chain(exc):
        pool = getattr(cause, "pool", None)
        if pool is not None and getattr(pool, "host", None):
            return f"{pool.scheme}://{pool.host}:{pool.port}"
    return None
