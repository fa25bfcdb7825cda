"""Logging set-up: readable lines on a terminal, JSON lines for services, and secret redaction everywhere.

Every secret resolved from the environment is registered here; `redact()` replaces it in any text, and the
filter installed on the root handler applies it to every log record (message, arguments and traceback).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from datetime import UTC, datetime

REDACTED = "[REDACTED]"
_MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary words

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _secrets_lock:
            _secrets.add(value)


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


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("client", "store", "job"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(*, json_lines: bool = False, level: int = logging.INFO, stream=None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter())
    if json_lines:
        handler.setFormatter(JsonLineFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )
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
