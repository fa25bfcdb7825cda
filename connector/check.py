"""`connector check`: contact each store with a cheap authenticated read and name the precise failure."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass

import requests

from connector.config import ClientConfig
from connector.logs import redact
from connector.platforms.errors import AuthError, NotFoundError, PlatformError
from connector.platforms.registry import open_adapter


@dataclass(frozen=True)
class CheckLine:
    store: str
    ok: bool
    detail: str

    def summary(self) -> str:
        return ("ok: " if self.ok else "FAILED: ") + self.detail


def check_stores(config: ClientConfig) -> list[CheckLine]:
    lines = []
    for name, store in config.stores.items():
        adapter = open_adapter(name, store)
        adapter.attempts = 1
        try:
            info = adapter.probe()
        except Exception as exc:  # every failure becomes one line naming its cause
            lines.append(CheckLine(name, False, redact(explain(exc, store))))
        else:
            lines.append(
                CheckLine(
                    name,
                    True,
                    f"reachable, authenticated, {info.platform} API {info.api_version}, currency {info.currency or '?'}",
                )
            )
        finally:
            adapter.close()
    return lines


def explain(exc: BaseException, store) -> str:
    """The first cause that names what to fix: DNS, TLS, refused, timeout, wrong key, scope, wrong URL."""
    where = getattr(store, "url", None) or getattr(store, "shop", "")
    for cause in _chain(exc):
        if isinstance(cause, socket.gaierror) or "NameResolutionError" in type(cause).__name__:
            return f"DNS: the host of {where} does not resolve; check the address"
        if isinstance(cause, ssl.SSLError | requests.exceptions.SSLError):
            return (
                f"TLS: the certificate of {where} is not valid ({cause}); fix the certificate or the address"
            )
        if isinstance(cause, requests.exceptions.Timeout):
            return f"timeout: {where} did not answer in {store.timeout} s; check the address or raise timeout"
        if isinstance(cause, ConnectionRefusedError):
            return f"refused: nothing listens at {where}; check the address and port"
    if isinstance(exc, AuthError):
        return f"{exc}; check the credentials and the key's permissions or app scopes"
    if isinstance(exc, NotFoundError):
        return f"{exc}; check the address, and that the REST API is enabled"
    if isinstance(exc, PlatformError):
        return str(exc)
    if isinstance(exc, requests.exceptions.ConnectionError):
        return f"unreachable: {where} ({exc.__class__.__name__}); check the address and the network"
    return f"{type(exc).__name__}: {exc}"


def _chain(exc: BaseException | None):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        for arg in getattr(exc, "args", ()):
            if isinstance(arg, BaseException):
                yield from _chain(arg)
        exc = exc.__cause__ or exc.__context__
