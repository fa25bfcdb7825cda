"""Errors every platform adapter raises, so jobs handle one vocabulary whatever the platform.

Messages name the store and say what happened in the platform's own words; they never carry a credential.
"""

from __future__ import annotations

SNIPPET_LENGTH = 200


class PlatformError(Exception):
    """Base: a call to a store's API did not give a usable answer."""

    def __init__(self, store: str, message: str) -> None:
        self.store = store
        self.message = message
        super().__init__(f"{store}: {message}")


class AuthError(PlatformError):
    """401/403: the credential is wrong, revoked or lacks a scope. The store stops until it is fixed."""


class NotFoundError(PlatformError):
    """The addressed resource does not exist (404, or a lookup that answered nothing)."""


class BadRequestError(PlatformError):
    """A 4xx other than 429, or a GraphQL error: the request itself is wrong, so retrying cannot help."""


class TransientError(PlatformError):
    """429, 5xx, a dropped connection or a timeout: worth retrying, after `retry_after` seconds if known."""

    def __init__(self, store: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(store, message)
        self.retry_after = retry_after


class UnknownOutcomeError(PlatformError):
    """A write that may have been applied: sent, then no answer (a read timeout, a reset after sending) or a
    5xx. Never resent blindly: what the store holds now must be read first (a write that adds a change would
    add it twice)."""


class ThrottledError(TransientError):
    """The platform's rate limit refused the call (HTTP 429 or GraphQL THROTTLED)."""


class BadResponseError(PlatformError):
    """An answer that is not JSON, or not the shape the API documents."""

    @classmethod
    def quoting(cls, store: str, problem: str, body: str | bytes | None) -> BadResponseError:
        """The error with the first SNIPPET_LENGTH characters of the body for diagnosis."""
        if isinstance(body, bytes):
            body = body.decode("utf-8", errors="replace")
        snippet = (body or "")[:SNIPPET_LENGTH]
        return cls(store, f"{problem}; the answer began with {snippet!r}")
