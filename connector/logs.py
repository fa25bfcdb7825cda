"""Logging set-up: readable lines on a terminal, JSON lines for services, and secret redaction everywhere.

Every secret resolved from the environment is registered here, with the forms it travels in: its
percent-encoding (a query string, a form body) and, for a key pair sent as HTTP Basic, the base64 of
`key:secret` (`register_basic_credentials`). `redact()` replaces each of them in any text, and the filter
installed on the root handler applies it to every log record (message, arguments and traceback). It is the one
redaction of the connector: the translation providers register their keys here too.

Every line logged while a client's job runs names the client (`client_context`), also the lines of the
platforms layer, which knows stores only: two clients may each have a store called "boutique". A JSON line
has it as `client`; a text line starts with it unless its message already does.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import json
import logging
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime

REDACTED = "[REDACTED]"
_MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary words

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Redact `value` from now on, as it is and percent-encoded (RFC 3986, and as a form encodes it)."""
    if not value or len(value) < _MIN_SECRET_LENGTH:
        return
    forms = {value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)}
    with _secrets_lock:
        _secrets.update(forms)


def register_basic_credentials(user: str | None, password: str | None) -> None:
    """A key pair sent as HTTP Basic (`Authorization: Basic base64(user:password)`): each part, and the token."""
    register_secret(user)
    register_secret(password)
    if user and password:
        register_secret(base64.b64encode(f"{user}:{password}".encode()).decode("ascii"))


def redact(text: str) -> str:
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


_client: contextvars.ContextVar[str | None] = contextvars.ContextVar("log_client", default=None)


@contextlib.contextmanager
def client_context(name: str) -> Iterator[None]:
    """Within (this thread, and the pool threads that carry its context): log lines name client `name`."""
    token = _client.set(name)
    try:
        yield
    finally:
        _client.reset(token)


class ClientFilter(logging.Filter):
    """Gives a record the client of the context it was logged in, unless it names one itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        client = _client.get()
        if client is not None and not getattr(record, "client", None):
            record.client = client
        return True


class TextLineFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        client = getattr(record, "client", None)
        if client and not record.message.startswith((f"{client}/", f"{client}:", f"{client} ")):
            record = logging.makeLogRecord({**record.__dict__, "message": f"{client}: {record.message}"})
        return super().formatMessage(record)


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("client", "store", "job", "outcome", "counts", "duration_seconds"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(*, json_lines: bool = False, level: int = logging.INFO, stream=None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.addFilter(ClientFilter())
    handler.setFormatter(JsonLineFormatter() if json_lines else TextLineFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Third-party clients log full URLs (with OAuth signatures) at DEBUG; keep them quiet.
    for noisy in ("urllib3", "requests_oauthlib", "oauthlib", "deepl"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # "skipped: maximum number of running instances reached" is the intended max_instances=1 at work.
    logging.getLogger("apscheduler").setLevel(max(level, logging.ERROR))
