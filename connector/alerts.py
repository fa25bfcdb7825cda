"""Alerts: per client, one notification when an incident starts and one when it ends, through Apprise.

Apprise (https://github.com/caronc/apprise) sends to email, Slack, Teams, ntfy, generic JSON webhooks and
about a hundred more services from one URL each; a client lists its URLs in `[alerts] urls`, each read
from the environment (`"env:ACME_ALERTS"`: they carry tokens).

An incident is a (kind, subject) pair, e.g. ("credential_refused", "fr"). Whoever observes a condition
reports it with one call, as often as it is observed:

    alerts.update("stock_held", "fr", active=held > 0, detail="12 stock changes held on fr: ...")

The first active report sends the alert, later active reports send nothing, and the first inactive report
after that sends the recovery. Open incidents are kept in the client's state file (`alert_incidents`), so a
restart or a `run --once` from cron does not repeat an alert. Notifications leave from one background
thread: a slow or dead notification target never holds back a job.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from connector.logs import client_context, redact
from connector.state import open_state

log = logging.getLogger(__name__)

SEND_TIMEOUT_SECONDS = 15

Sender = Callable[[str, str, str], bool]  # (title, body, notify type) -> sent


class Alerts:
    """One client's incidents; `update` is thread-safe and returns at once."""

    def __init__(
        self, client: str, urls: Sequence[str], state_path: Path | None, *, sender: Sender | None = None
    ):
        self.client = client
        self.state_path = state_path
        self._send = sender or (_apprise_sender(urls) if urls else None)
        self._lock = threading.Lock()
        self._open: dict[tuple[str, str], str] = {}
        if state_path is not None and self._send is not None:
            with open_state(state_path) as state:
                self._open = {(r["kind"], r["subject"]): r["detail"] for r in state.open_incidents()}
        self._outbox: queue.Queue[tuple[str, str, str] | None] = queue.Queue()
        self._worker: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return self._send is not None

    def open_incidents(self) -> dict[tuple[str, str], str]:
        with self._lock:
            return dict(self._open)

    def update(self, kind: str, subject: str, *, active: bool, detail: str = "") -> None:
        """Report a condition: an alert when it starts, a recovery notice when it ends, nothing otherwise."""
        if self._send is None:
            return
        key = (kind, subject)
        with self._lock:
            if active == (key in self._open):
                return
            if active:
                self._open[key] = detail
            else:
                detail = self._open.pop(key)
        self._remember(kind, subject, active, detail)
        where = f"{self.client}/{subject}" if subject else self.client
        what = kind.replace("_", " ")
        if active:
            self._post(f"connector {where}: {what}", detail, "failure")
        else:
            self._post(f"connector {where}: recovered ({what})", f"recovered: {detail}", "success")

    def _remember(self, kind: str, subject: str, active: bool, detail: str) -> None:
        if self.state_path is None:
            return
        with open_state(self.state_path) as state:
            if active:
                state.open_incident(kind, subject, detail)
            else:
                state.close_incident(kind, subject)

    def _post(self, title: str, body: str, notify_type: str) -> None:
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._deliver, name="alerts", daemon=True)
                self._worker.start()
        self._outbox.put((redact(title), redact(body), notify_type))

    def _deliver(self) -> None:
        with client_context(self.client):  # its lines name the client, as the lines of its jobs do
            self._deliver_all()

    def _deliver_all(self) -> None:
        while True:
            item = self._outbox.get()
            try:
                if item is None:
                    return
                title, body, notify_type = item
                try:
                    sent = self._send(title, body, notify_type)
                except Exception as exc:  # a notification target's failure must not stop the service
                    log.warning("alert not sent (%s): %s", type(exc).__name__, title)
                else:
                    if not sent:
                        log.warning("alert not sent (the notification service refused it): %s", title)
            finally:
                self._outbox.task_done()

    def flush(self) -> None:
        """Wait until every alert posted so far has been handed to its target (tests, `run --once`)."""
        self._outbox.join()


def _apprise_sender(urls: Sequence[str]) -> Sender:
    import apprise

    notifier = apprise.Apprise()
    for url in urls:
        notifier.add(url)

    def send(title: str, body: str, notify_type: str) -> bool:
        return bool(notifier.notify(body=body, title=title, notify_type=notify_type))

    return send


def check_urls(urls: Sequence[str]) -> list[str]:
    """Problems with alert URLs, each naming its position only (a URL carries its token)."""
    if not urls:
        return []
    import apprise

    return [
        f"alerts.urls[{number}]: not a notification URL Apprise knows; see "
        "https://github.com/caronc/apprise/wiki for the form of each service's URL"
        for number, url in enumerate(urls)
        if apprise.Apprise.instantiate(url) is None
    ]
