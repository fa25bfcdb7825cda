"""`connector check`: contact each store with a cheap authenticated read and name the precise failure; prove,
without changing anything, that each store's credential may write what the configured jobs write there; and
name any store that sells pooled SKUs without being an inventory channel or excluded."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass

import requests

from connector.config import ClientConfig
from connector.logs import redact
from connector.platforms.base import StoreAdapter
from connector.platforms.errors import AuthError, NotFoundError, PlatformError
from connector.platforms.network import unreachable_reason
from connector.platforms.registry import open_adapter


@dataclass(frozen=True)
class CheckLine:
    store: str
    ok: bool
    detail: str
    notes: tuple[str, ...] = ()  # further lines: credential form, scopes, what a configured job cannot do

    def summary(self) -> str:
        return ("ok: " if self.ok else "FAILED: ") + self.detail


def check_stores(config: ClientConfig) -> list[CheckLine]:
    lines = []
    writers = jobs_writing(config)
    for name, store in config.stores.items():
        adapter = open_adapter(name, store)
        adapter.attempts = 1
        try:
            info = adapter.probe()
        except Exception as exc:  # every failure becomes one line naming its cause
            lines.append(CheckLine(name, False, redact(explain(exc, adapter))))
        else:
            lines.append(
                CheckLine(
                    name,
                    True,
                    f"reachable, authenticated, {info.platform} API {info.api_version}, currency {info.currency or '?'}"
                    + (f"; {info.detail}" if info.detail else ""),
                    _credential_notes(adapter),
                )
            )
            jobs = [j for j in writers.get(name, []) if j != "tagging" or adapter.tags_orders]
            if jobs:
                lines += _write_access(name, store, adapter, jobs)
        finally:
            adapter.close()
    return lines + check_channels(config)


def jobs_writing(config: ClientConfig) -> dict[str, list[str]]:
    """Per store, the configured jobs that write to it."""
    from connector.jobs.inventory import configured_channels
    from connector.jobs.runner import configured_client_jobs

    jobs = configured_client_jobs(config)
    writing: dict[str, list[str]] = {name: [] for name in config.stores}
    if "inventory" in jobs:
        for name in configured_channels(config):
            writing[name].append("inventory")
    for job in ("prices", "translations"):
        if job in jobs:
            for name in dict.fromkeys(market.target for market in config.markets.values()):
                writing[name].append(job)
    if config.reports.tag_flagged_orders:
        for name in writing:
            writing[name].append("tagging")
    return writing


def _write_access(name: str, store, adapter, jobs: list[str]) -> list[CheckLine]:
    try:
        missing = adapter.missing_write_access(jobs)
    except NotImplementedError:
        return [
            CheckLine(
                name, True, f"write access for {', '.join(jobs)} not checked: {store.platform} cannot tell"
            )
        ]
    except Exception as exc:
        return [
            CheckLine(name, False, redact(f"write access for {', '.join(jobs)}: {explain(exc, adapter)}"))
        ]
    if missing:
        return [CheckLine(name, False, redact(sentence)) for sentence in missing]
    return [
        CheckLine(
            name,
            True,
            f"may write what {', '.join(jobs)} write{'s' if len(jobs) == 1 else ''} (nothing changed)",
        )
    ]


def check_channels(config: ClientConfig) -> list[CheckLine]:
    """Stores that sell pooled SKUs but are neither inventory channels nor excluded (from the pulled products
    in the state; a store never pulled is named too, since nobody can tell)."""
    from connector.inventory.coverage import uncovered_stores
    from connector.state import open_state

    if not config.inventory.channels:
        return []
    if not config.state_path.exists():
        from connector.inventory.coverage import Uncovered

        others = [
            s
            for s in config.stores
            if s not in config.inventory.channels and s not in config.inventory.excluded
        ]
        return [CheckLine(s, False, Uncovered(s, None).problem) for s in others]
    with open_state(config.state_path) as state:
        return [CheckLine(gap.store, False, gap.problem) for gap in uncovered_stores(config, state)]


def _credential_notes(adapter: StoreAdapter) -> tuple[str, ...]:
    """What the platform says of the credential (its form, the scopes granted, personal data access)."""
    try:
        return tuple(redact(note) for note in adapter.credential_summary())
    except Exception as exc:  # noqa: BLE001 - an unread summary is a note, the probe itself succeeded
        return (redact(f"credential details not read: {explain(exc, adapter)}"),)


def explain(exc: BaseException, adapter: StoreAdapter) -> str:
    """The first cause that names what to fix: DNS, TLS, refused, timeout, wrong key, scope, wrong URL."""
    where = adapter.address()
    store = adapter.config
    reason = unreachable_reason(exc, where)
    if reason:
        return reason
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
