"""The one bulk read path: find or start a resource's bulk operation, wait for it, stream its JSONL result and
join the lines into records, whatever their order.

Operations. From 2026-01 an app may run up to five bulk queries per shop; `currentBulkOperation` is
deprecated for `bulkOperations` with a status filter, and a sixth query is refused with `LIMIT_REACHED`
(https://shopify.dev/docs/api/usage/bulk-operations/queries,
https://shopify.dev/docs/api/admin-graphql/2026-07/queries/bulkOperations). The query a read will start is
recorded in the client's state *before* `bulkOperationRunQuery` is sent, and the operation's id once it is
answered: a crashed pass's successor finds that operation (by id through `node`, or by its query through
`bulkOperations` when the crash came before the answer) and adopts it, so a resource never has two operations
of ours running. `LIMIT_REACHED` (other apps' or our other resources' operations fill the five places) waits
and retries with backoff through the retry policy and is recorded as a store limit that `status` shows.
Polling is a retry loop too: every wait goes through the shutdown event (connector/platforms/retry.py).

Ungrouped output. `groupObjects` defaults to false from 2026-01: a child line (a variant, an order line, an
inventory level) may come before its parent or anywhere after it
(https://shopify.dev/changelog/bulk-operations-group-objects-default-changed-to-false). Grouping on request
(`groupObjects: true`) is not used: Shopify documents that it makes operations slower and more likely to
fail, which is what a bulk read of a large shop can least afford. Instead the result is spilled, line by line
as it downloads, into a scratch SQLite file beside the client's state (mode 0600), indexed by `__parentId`;
then the root lines are read back in file order, 250 at a time, each with its children and their children
from the index. Memory holds one page of records whatever the file's size (a 100,000-product shop is a
file of some 400,000 lines on disk, one page in memory). A spill commits every SPILL_BATCH lines with its
count, so a download cut short (or a crash) goes on after the lines already spilled; a page's resume token
names the operation and the last root line assembled, so a crash after a committed page assembles the rest
from the spill (or, if the scratch file is gone, spills the file again and skips the roots already read).
The scratch file is deleted when the read ends. Result URLs stay valid for seven days.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from tenacity import stop_after_delay, wait_exponential

from connector.platforms.errors import (
    AuthError,
    BadRequestError,
    BadResponseError,
    PlatformError,
    TransientError,
)
from connector.platforms.retry import SHUTDOWN, StopRequested, retrying
from connector.platforms.shopify import documents
from connector.platforms.shopify.store_state import ShopifyStoreState
from connector.platforms.shopify.transport import ShopifyTransport

log = logging.getLogger(__name__)

IN_PROGRESS = ("CREATED", "RUNNING")
FINISHED_BADLY = ("FAILED", "CANCELED", "CANCELING", "EXPIRED")
PAGE_ROOTS = 250  # root records a page of a bulk read
SPILL_BATCH = 2_000  # lines a spill commits at once
DOWNLOAD_ATTEMPTS = 8
LIMIT_WAIT_INITIAL = 2.0
LIMIT_WAIT_MAX = 60.0
LIMIT_GIVE_UP_AFTER = 3_600.0
BULK_LIMIT = "bulk_limit"


class BulkAccessDenied(PlatformError):
    """The operation failed with ACCESS_DENIED (e.g. protected customer data the app is not approved for)."""


class _StillRunning(TransientError):
    pass


class _LimitReached(TransientError):
    pass


@dataclass
class BulkPage:
    nodes: list[dict]  # root objects, each with its child lines joined under `__children`
    resume: dict | None  # {"operation", "roots"} after this page; None on the last page


def _gid_number(operation_id: str) -> str:
    return operation_id.rsplit("/", 1)[-1]


class BulkReader:
    def __init__(
        self,
        transport: ShopifyTransport,
        state: ShopifyStoreState,
        spill_dir: Path,
        *,
        count: Callable[[str], None],
        poll_interval: float = 0.5,
        timeout: float = 4 * 3600.0,
    ) -> None:
        self.transport = transport
        self.state = state
        self.spill_dir = spill_dir
        self.count = count  # count(route): the adapter's request counter
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.store = transport.store_name

    # -- reading -------------------------------------------------------------------------------------

    def read(self, resource: str, query: str, position: dict | None) -> Iterator[BulkPage]:
        """Pages of root objects; `position` is the resume token of the last committed page, if any."""
        operation_id = (position or {}).get("operation")
        after_root = int((position or {}).get("roots", -1))
        url = None
        if operation_id:
            url = self._usable(operation_id)
            if url is False:
                log.info("store %s: bulk operation %s is gone; reading %s again", self.store, operation_id, resource)
                operation_id, after_root = None, -1
        if not operation_id:
            operation_id = self._adopt_or_start(resource, query)
            url = self._wait(operation_id)
        for attempt in range(2):
            if not url:  # the operation found nothing
                self._finish(resource, operation_id)
                yield BulkPage([], None)
                return
            try:
                yield from self._pages(operation_id, str(url), after_root)
                self._finish(resource, operation_id)
                return
            except BadRequestError as exc:  # the result file is gone (expired): run the query again
                if attempt:
                    raise
                log.info("store %s: bulk result of %s unavailable (%s); starting again", self.store, operation_id, exc.message)
                self._drop_spill(operation_id)
                operation_id, after_root = self._start(resource, query), -1
                url = self._wait(operation_id)

    def _finish(self, resource: str, operation_id: str) -> None:
        self.state.forget_bulk(resource)
        self._drop_spill(operation_id)

    # -- operations ----------------------------------------------------------------------------------

    def _node(self, operation_id: str) -> dict:
        self.count("BulkOperationPoll")
        return self.transport.execute(documents.BULK_OPERATION_POLL, {"id": operation_id}).get("node") or {}

    def _usable(self, operation_id: str) -> str | None | bool:
        """The result URL of an operation of ours (waiting while it runs); None: it found nothing;
        False: it is gone (failed, cancelled, expired)."""
        node = self._node(operation_id)
        status = node.get("status")
        if status in IN_PROGRESS:
            try:
                return self._wait(operation_id)
            except PlatformError as exc:
                if isinstance(exc, AuthError | BulkAccessDenied):
                    raise
                return False
        if status == "COMPLETED":
            return node.get("url")
        return False

    def _adopt_or_start(self, resource: str, query: str) -> str:
        recorded = self.state.bulk(resource)
        if recorded is not None and recorded[0].strip() == query.strip():
            if recorded[1]:
                url = self._usable(recorded[1])
                if url is not False:
                    log.info("store %s: adopting bulk operation %s of %s", self.store, recorded[1], resource)
                    return recorded[1]
            else:  # the pass died between recording the query and hearing the operation's id
                found = self._find_by_query(query)
                if found is not None:
                    self.state.record_bulk(resource, query, found)
                    log.info("store %s: adopting bulk operation %s of %s", self.store, found, resource)
                    return found
        return self._start(resource, query)

    def _find_by_query(self, query: str) -> str | None:
        for status in ("running", "created", "completed"):
            for node in self.transport.paginate(
                documents.BULK_OPERATIONS,
                {"query": f"status:{status} operation_type:query"},
                "bulkOperations",
                on_request=lambda: self.count("BulkOperations"),
            ):
                if (node.get("query") or "").strip() == query.strip():
                    return node["id"]
        return None

    def _start(self, resource: str, query: str) -> str:
        self.state.record_bulk(resource, query, None)  # before the mutation: a crash leaves a trace to adopt
        policy = retrying(
            10_000,
            LIMIT_WAIT_MAX,
            initial_wait=LIMIT_WAIT_INITIAL,
            store=self.store,
            retry=_retry_on(_LimitReached),
            stop=stop_after_delay(LIMIT_GIVE_UP_AFTER),
        )
        operation_id = policy.call(self._run_query, query)
        self.state.clear_limit(BULK_LIMIT)
        self.state.record_bulk(resource, query, operation_id)
        return operation_id

    def _run_query(self, query: str) -> str:
        self.count("BulkOperationRunQuery")
        payload = (
            self.transport.execute(documents.BULK_OPERATION_RUN_QUERY, {"query": query}).get("bulkOperationRunQuery")
            or {}
        )
        errors = payload.get("userErrors") or []
        operation = payload.get("bulkOperation") or {}
        if not errors and operation.get("id"):
            return operation["id"]
        codes = {e.get("code") for e in errors}
        messages = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)
        if "LIMIT_REACHED" in codes or "OPERATION_IN_PROGRESS" in codes:
            if self.state.record_limit(
                BULK_LIMIT, "the shop's bulk operations are all in use (LIMIT_REACHED); waiting for a free place"
            ):
                log.warning("store %s: bulk query refused (%s); waiting for a free place", self.store, messages)
            raise _LimitReached(self.store, f"bulk query refused: {messages}")
        raise BadRequestError(self.store, f"bulk query refused: {messages or 'no operation id'}")

    def _wait(self, operation_id: str) -> str | None:
        """Poll until the operation completes: its result URL (None when it found no object)."""
        policy = retrying(
            1_000_000,
            10.0,
            store=self.store,
            retry=_retry_on(_StillRunning),
            stop=stop_after_delay(self.timeout),
            wait=wait_exponential(multiplier=self.poll_interval, min=self.poll_interval, max=10.0),
            before_sleep=None,
        )
        return policy.call(self._poll_once, operation_id)

    def _poll_once(self, operation_id: str) -> str | None:
        node = self._node(operation_id)
        status = node.get("status")
        if status == "COMPLETED":
            log.info("store %s: bulk operation %s completed, %s objects", self.store, operation_id, node.get("objectCount"))
            return node.get("url")
        if status in FINISHED_BADLY:
            if node.get("errorCode") == "ACCESS_DENIED":
                raise BulkAccessDenied(self.store, f"bulk operation {operation_id} ended {status} (ACCESS_DENIED)")
            raise PlatformError(self.store, f"bulk operation {operation_id} ended {status} ({node.get('errorCode')})")
        raise _StillRunning(self.store, f"bulk operation {operation_id} is {status}")

    # -- the spill ---------------------------------------------------------------------------------------

    def _spill_path(self, operation_id: str) -> Path:
        return self.spill_dir / f"{self.store}-{_gid_number(operation_id)}.sqlite"

    def _drop_spill(self, operation_id: str) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.unlink(f"{self._spill_path(operation_id)}{suffix}")
            except FileNotFoundError:
                pass

    def _open_spill(self, operation_id: str) -> sqlite3.Connection:
        self.spill_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self._spill_path(operation_id)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))  # customer data: owner only
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("pragma journal_mode = wal")
        conn.execute("pragma synchronous = normal")
        conn.execute("create table if not exists lines (no integer primary key, id text, parent text, body text)")
        conn.execute("create index if not exists lines_parent on lines (parent)")
        conn.execute("create table if not exists meta (key text primary key, value text)")
        return conn

    @staticmethod
    def _meta(conn: sqlite3.Connection, key: str) -> str | None:
        row = conn.execute("select value from meta where key = ?", [key]).fetchone()
        return row[0] if row else None

    def _spill(self, conn: sqlite3.Connection, url: str) -> None:
        """Download the result into the spill, going on after the lines already spilled."""
        if self._meta(conn, "complete") == "1":
            return
        self.count("GET bulk result")
        for attempt in retrying(DOWNLOAD_ATTEMPTS, 30.0, initial_wait=1.0, store=self.store):
            with attempt:
                self._spill_once(conn, url)

    def _spill_once(self, conn: sqlite3.Connection, url: str) -> None:
        done = int(self._meta(conn, "lines") or 0)
        batch: list[tuple[int, str | None, str | None, str]] = []
        number = 0
        for number, line in enumerate(self.transport.download_lines(url), start=1):
            if number <= done:
                continue
            try:
                item = json.loads(line)
            except ValueError:
                raise BadResponseError.quoting(self.store, "a bulk result line is not JSON", line) from None
            batch.append((number, item.get("id"), item.get("__parentId"), line.decode("utf-8")))
            if len(batch) >= SPILL_BATCH:
                self._commit(conn, batch, number)
                batch = []
                if SHUTDOWN.is_set():  # a safe point: the lines so far are kept, the next pass goes on
                    raise StopRequested
        self._commit(conn, batch, max(number, done), complete=True)

    @staticmethod
    def _commit(conn: sqlite3.Connection, batch: list, lines: int, *, complete: bool = False) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("insert or replace into lines (no, id, parent, body) values (?, ?, ?, ?)", batch)
        conn.execute("insert or replace into meta (key, value) values ('lines', ?)", [str(lines)])
        if complete:
            conn.execute("insert or replace into meta (key, value) values ('complete', '1')")
        conn.execute("COMMIT")

    # -- assembly ----------------------------------------------------------------------------------------

    def _pages(self, operation_id: str, url: str, after_root: int) -> Iterator[BulkPage]:
        conn = self._open_spill(operation_id)
        try:
            self._spill(conn, url)
            last = after_root
            while True:
                roots = conn.execute(
                    "select no, body from lines where parent is null and no > ? order by no limit ?",
                    [last, PAGE_ROOTS],
                ).fetchall()
                if not roots:
                    if last == after_root:
                        yield BulkPage([], None)
                    return
                nodes = [_load(body) for _, body in roots]
                self._join_children(conn, nodes)
                last = roots[-1][0]
                more = conn.execute(
                    "select 1 from lines where parent is null and no > ? limit 1", [last]
                ).fetchone()
                yield BulkPage(nodes, {"operation": operation_id, "roots": last} if more else None)
                if not more:
                    return
                if SHUTDOWN.is_set():
                    raise StopRequested
        finally:
            conn.close()

    @staticmethod
    def _join_children(conn: sqlite3.Connection, nodes: list[dict]) -> None:
        """Attach every line whose `__parentId` is a node's id (or the id of an object inside it, such as a
        variant's inventory item), recursively: children under `__children`, in file order."""
        by_id: dict[str, dict] = {}
        for node in nodes:
            _index(node, node, by_id)
        frontier = list(by_id)
        while frontier:
            found: list[tuple[str, str]] = []
            for start in range(0, len(frontier), 500):
                chunk = frontier[start : start + 500]
                found += conn.execute(
                    f"select parent, body from lines where parent in ({','.join('?' * len(chunk))}) order by no",
                    chunk,
                ).fetchall()
            frontier = []
            for parent, body in found:
                child = _load(body)
                child.pop("__parentId", None)
                by_id[parent].setdefault("__children", []).append(child)
                for key in _index(child, child, by_id):
                    frontier.append(key)


def _index(owner: dict, value: Any, by_id: dict[str, dict]) -> list[str]:
    """Register the ids in a line (its own and those of nested objects) as pointing at the line's object."""
    added = []
    if isinstance(value, dict):
        if isinstance(value.get("id"), str) and value["id"] not in by_id:
            by_id[value["id"]] = owner if value is owner else value
            added.append(value["id"])
        for key, nested in value.items():
            if key != "__children" and isinstance(nested, dict):
                added += _index(owner, nested, by_id)
    return added


def _load(body: str) -> dict:
    return json.loads(body, parse_float=Decimal)


def _retry_on(kind: type[BaseException]):
    from tenacity import retry_if_exception_type

    return retry_if_exception_type(kind)
