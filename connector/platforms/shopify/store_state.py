"""What a Shopify store keeps in the client's state file: authorization-code tokens, the bulk operation each
resource's read started, and what the store cannot give (store limits).

The adapter has its own short connection to the state file (the jobs hold theirs): each write is one small
transaction, so it never waits long behind a page commit. Without a state file (a store opened outside a
client config, as some tests do) the same calls work in memory for the life of the adapter.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from connector.state import open_state

BUSY_SECONDS = 30


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    access_expires_at: str | None  # ISO UTC
    refresh_expires_at: str | None
    scope: str


class ShopifyStoreState:
    def __init__(self, store: str, path: Path | None) -> None:
        self.store = store
        self.path = path
        self._lock = threading.Lock()
        self._memory: dict[str, dict] = {"tokens": {}, "bulk": {}, "limits": {}}
        if path is not None:
            open_state(path).close()  # applies the migrations that define the tables below

    def _connect(self) -> sqlite3.Connection:
        assert self.path is not None
        conn = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        conn.execute(f"pragma busy_timeout = {BUSY_SECONDS * 1000}")
        return conn

    def _write(self, sql: str, args: list) -> None:
        with self._lock:
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(sql, args)
                conn.execute("COMMIT")
            finally:
                conn.close()

    def _read(self, sql: str, args: list) -> list[tuple]:
        with self._lock:
            conn = self._connect()
            try:
                return conn.execute(sql, args).fetchall()
            finally:
                conn.close()

    # -- authorization-code tokens ------------------------------------------------------------------

    def tokens(self) -> TokenPair | None:
        if self.path is None:
            return self._memory["tokens"].get(self.store)
        rows = self._read(
            "select access_token, refresh_token, access_expires_at, refresh_expires_at, scope "
            "from shopify_tokens where store = ?",
            [self.store],
        )
        return TokenPair(*rows[0]) if rows else None

    def save_tokens(self, pair: TokenPair) -> None:
        """The new pair replaces the old in one committed transaction: until the commit the old pair is what
        the state holds (and Shopify keeps the old refresh token usable until the new one is used), after it
        the new pair is; no moment leaves the client with neither."""
        if self.path is None:
            self._memory["tokens"][self.store] = pair
            return
        self._write(
            "insert into shopify_tokens (store, access_token, refresh_token, access_expires_at, "
            "refresh_expires_at, scope, updated_at) values (?, ?, ?, ?, ?, ?, ?) on conflict (store) do update "
            "set access_token = excluded.access_token, refresh_token = excluded.refresh_token, "
            "access_expires_at = excluded.access_expires_at, refresh_expires_at = excluded.refresh_expires_at, "
            "scope = excluded.scope, updated_at = excluded.updated_at",
            [
                self.store,
                pair.access_token,
                pair.refresh_token,
                pair.access_expires_at,
                pair.refresh_expires_at,
                pair.scope,
                _now(),
            ],
        )

    # -- bulk operations ---------------------------------------------------------------------------

    def bulk(self, resource: str) -> tuple[str, str | None] | None:
        """(query, operation id or None) recorded for a resource's bulk read."""
        if self.path is None:
            return self._memory["bulk"].get(resource)
        rows = self._read(
            "select query, operation from shopify_bulk where store = ? and resource = ?", [self.store, resource]
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def record_bulk(self, resource: str, query: str, operation: str | None) -> None:
        if self.path is None:
            self._memory["bulk"][resource] = (query, operation)
            return
        self._write(
            "insert into shopify_bulk (store, resource, query, operation, started_at) values (?, ?, ?, ?, ?) "
            "on conflict (store, resource) do update set query = excluded.query, operation = excluded.operation, "
            "started_at = excluded.started_at",
            [self.store, resource, query, operation, _now()],
        )

    def forget_bulk(self, resource: str) -> None:
        if self.path is None:
            self._memory["bulk"].pop(resource, None)
            return
        self._write("delete from shopify_bulk where store = ? and resource = ?", [self.store, resource])

    # -- store limits ------------------------------------------------------------------------------

    def limit(self, kind: str) -> str | None:
        if self.path is None:
            return self._memory["limits"].get(kind)
        rows = self._read("select message from store_limits where store = ? and kind = ?", [self.store, kind])
        return rows[0][0] if rows else None

    def record_limit(self, kind: str, message: str) -> bool:
        """Record a limit once; True when it is new (the caller says it once)."""
        if self.limit(kind) is not None:
            return False
        if self.path is None:
            self._memory["limits"][kind] = message
            return True
        self._write(
            "insert or ignore into store_limits (store, kind, message, first_seen) values (?, ?, ?, ?)",
            [self.store, kind, message, _now()],
        )
        return True

    def clear_limit(self, kind: str) -> None:
        if self.path is None:
            self._memory["limits"].pop(kind, None)
            return
        self._write("delete from store_limits where store = ? and kind = ?", [self.store, kind])
