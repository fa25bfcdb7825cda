"""The client's SQLite state: every table is defined here, in one ordered list of migrations.

The schema version lives in `PRAGMA user_version`. Opening a file applies the migrations it lacks, each in its
own transaction; a file written by a newer connector is refused rather than guessed at. Files are created with
mode 0600 (they hold customer data), in WAL mode with a busy timeout so a status read never blocks a sync.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

BUSY_TIMEOUT_MS = 30_000


class StateError(Exception):
    pass


class DamagedStateError(StateError):
    """The file fails SQLite's integrity check: nothing is written to it; `connector doctor` tells more."""


HOST = socket.gethostname()


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime; state times are UTC-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def to_json(payload: Any) -> str:
    """JSON for state columns: Decimals keep their exact digits (as strings), keys sorted for stable hashes."""
    return json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)


def parse_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- migrations: append only; never edit one that has shipped ----------------------------------------------


def _m1_runs_and_cursors(db: sqlite_utils.Database) -> None:
    db["cursors"].create(
        {"store": str, "resource": str, "position": str, "updated_at": str},
        pk=("store", "resource"),
    )
    db["sync_runs"].create(
        {
            "id": int,
            "job": str,
            "store": str,
            "started_at": str,
            "finished_at": str,
            "outcome": str,  # running, ok, partial, failed
            "counts": str,  # JSON object
            "error": str,
        },
        pk="id",
    )
    db["sync_runs"].create_index(["job", "store", "started_at"])


def _m2_pulled_records(db: sqlite_utils.Database) -> None:
    # Money is stored as TEXT holding a Decimal's exact digits: SQLite's REAL is a binary float.
    db["products"].create(
        {
            "store": str,
            "id": str,
            "title": str,
            "kind": str,
            "status": str,
            "updated_at": str,
            "description_html": str,
            "short_description_html": str,
            "raw_hash": str,
            "raw": str,
        },
        pk=("store", "id"),
    )
    db["variants"].create(
        {
            "store": str,
            "id": str,
            "product_id": str,
            "sku": str,
            "price": str,
            "compare_at_price": str,
            "sale_price": str,
            "stock": int,
            "manage_stock": int,
            "weight": str,
            "options": str,
            "cost": str,
            "inventory_item_id": str,
            "updated_at": str,
            "raw": str,
        },
        pk=("store", "id"),
    )
    db["variants"].create_index(["sku"])
    db["variants"].create_index(["store", "product_id"])
    db["orders"].create(
        {
            "store": str,
            "id": str,
            "number": str,
            "status": str,
            "currency": str,
            "total": str,
            "subtotal": str,
            "tax_total": str,
            "shipping_total": str,
            "discount_total": str,
            "refunded_total": str,
            "created_at": str,
            "updated_at": str,
            "customer_id": str,
            "customer_email": str,
            "billing_country": str,
            "shipping_country": str,
            "shipping_address": str,
            "risk_level": str,
            "raw_hash": str,
            "raw": str,
        },
        pk=("store", "id"),
    )
    db["orders"].create_index(["created_at"])
    db["orders"].create_index(["customer_email"])
    db["order_lines"].create(
        {
            "store": str,
            "order_id": str,
            "line_no": int,
            "sku": str,
            "product_id": str,
            "variant_id": str,
            "quantity": int,
            "unit_price": str,
            "total": str,
            "name": str,
        },
        pk=("store", "order_id", "line_no"),
    )
    db["order_lines"].create_index(["sku"])
    db["customers"].create(
        {
            "store": str,
            "id": str,
            "email": str,
            "country": str,
            "created_at": str,
            "updated_at": str,
            "orders_count": int,
            "total_spent": str,
            "raw_hash": str,
        },
        pk=("store", "id"),
    )
    db["customers"].create_index(["email"])
    db["data_problems"].create(
        {
            "store": str,
            "resource": str,
            "kind": str,
            "ref": str,
            "message": str,
            "first_seen": str,
            "last_seen": str,
            "resolved_at": str,
        },
        pk=("store", "kind", "ref"),
    )


def _m3_translation_memory(db: sqlite_utils.Database) -> None:
    # One row per (source text hash, languages, provider, glossary version); `key` is their digest.
    db["translation_memory"].create(
        {
            "key": str,
            "source_hash": str,
            "source_lang": str,
            "target_lang": str,
            "provider": str,
            "glossary_version": str,
            "translation": str,
            "rejected_reason": str,
            "characters": int,
            "created_at": str,
        },
        pk="key",
        not_null={
            "source_hash",
            "source_lang",
            "target_lang",
            "provider",
            "glossary_version",
            "characters",
            "created_at",
        },
    )


def _m_pushed_prices(db: sqlite_utils.Database) -> None:
    # The last prices the price job pushed per market and SKU, with the rate they were converted at and the
    # target's prices they replaced (as the state held them), so a push is not repeated before the next pull.
    db["pushed_prices"].create(
        {
            "store": str,
            "market": str,
            "sku": str,
            "currency": str,
            "price": str,
            "compare_at": str,
            "sale": str,
            "replaced_price": str,
            "replaced_second": str,
            "rate": str,
            "rate_date": str,
            "rate_source": str,
            "pushed_at": str,
        },
        pk=("store", "market", "sku"),
        not_null={"currency", "price", "rate", "rate_date", "pushed_at"},
    )


def _m_pushed_translations(db: sqlite_utils.Database) -> None:
    # What the translation job published where: one row per target store, Shopify market ("" for none),
    # language, target product and field, with hashes of the source and of the published text, so an
    # unchanged translation is not pushed again.
    db["pushed_translations"].create(
        {
            "store": str,
            "market": str,
            "language": str,
            "product_id": str,
            "field": str,
            "source_hash": str,
            "value_hash": str,
            "pushed_at": str,
        },
        pk=("store", "market", "language", "product_id", "field"),
        not_null={"source_hash", "value_hash", "pushed_at"},
    )


def _m_stock_pool(db: sqlite_utils.Database) -> None:
    # The inventory job's pooled model: one pool per SKU; per channel the quantity the pool has accounted for
    # (baseline); every write recorded as an intent before it is sent (`mark` travels with the write where the
    # platform can keep it); a ledger of every change with its cause.
    db["stock_pool"].create(
        {"sku": str, "quantity": int, "started_from": str, "created_at": str, "updated_at": str},
        pk="sku",
        not_null={"quantity", "created_at", "updated_at"},
    )
    db["stock_baselines"].create(
        {"sku": str, "channel": str, "quantity": int, "updated_at": str},
        pk=("sku", "channel"),
        not_null={"quantity", "updated_at"},
    )
    db["stock_intents"].create(
        {
            "mark": str,
            "sku": str,
            "channel": str,
            "expected": int,
            "target": int,
            "status": str,  # planned, sent, then applied, refused (compare-and-set), not_applied, abandoned
            "batch": str,  # the intents sent to one channel in one call of write_stock
            "variant_id": str,
            "product_id": str,
            "inventory_item_id": str,
            "created_at": str,
            "settled_at": str,
            "message": str,
        },
        pk="mark",
        not_null={"sku", "channel", "expected", "target", "status", "created_at"},
    )
    db["stock_intents"].create_index(["status", "channel"])
    db["stock_intents"].create_index(["sku"])
    db["stock_ledger"].create(
        {
            "id": int,
            "at": str,
            "sku": str,
            "channel": str,
            "kind": str,  # first_sync, sale, increase, sync_write
            "cause": str,  # "sale on fr", "increase on fr", "sync write on fr", "first sync from fr"
            "change": int,  # pool change (sale, increase, first sync) or channel change (sync write)
            "pool_after": int,
            "channel_after": int,
            "mark": str,
        },
        pk="id",
        not_null={"at", "sku", "kind", "cause", "change"},
    )
    db["stock_ledger"].create_index(["sku", "id"])


def _m_report_tags(db: sqlite_utils.Database) -> None:
    # Flagged orders already tagged on their store (connector/reports/tagging.py): an order is tagged once.
    # `if_not_exists`: files written before this migration got the table from the reports code itself.
    db["report_tags"].create(
        {"store": str, "order_id": str, "text": str, "tagged_at": str},
        pk=("store", "order_id"),
        if_not_exists=True,
    )


def _m_abandoned_checkouts(db: sqlite_utils.Database) -> None:
    # Shopify abandoned checkouts (connector/jobs/pull.py), read by reports for the cart abandonment rate:
    # created_at ISO UTC, total TEXT Decimal digits in `currency`; completed_at once recovered.
    # `if_not_exists`: a table made by hand before this migration is kept.
    db["abandoned_checkouts"].create(
        {
            "store": str,
            "id": str,
            "created_at": str,
            "updated_at": str,
            "completed_at": str,
            "country": str,
            "total": str,
            "currency": str,
            "raw_hash": str,
        },
        pk=("store", "id"),
        if_not_exists=True,
    )
    db["abandoned_checkouts"].create_index(["created_at"], if_not_exists=True)


def _m_stock_holds(db: sqlite_utils.Database) -> None:
    # Inventory guardrails (connector/inventory/guard.py): a channel's change not folded into the pool because
    # it was implausible; open while released_at is null (released: folded, accepted or abandoned). The
    # channel's baseline keeps the change; this row is what `status` and the service report.
    db["stock_holds"].create(
        {
            "id": int,
            "sku": str,
            "channel": str,
            "baseline": int,  # what the pool had counted on the channel
            "quantity": int,  # what the channel showed when last read
            "reason": str,
            "held_at": str,
            "updated_at": str,
            "released_at": str,
            "released_how": str,  # folded (explained or corrected), accepted, abandoned
        },
        pk="id",
        not_null={"sku", "channel", "baseline", "quantity", "reason", "held_at", "updated_at"},
    )
    db.execute("create unique index stock_holds_open on stock_holds (sku, channel) where released_at is null")


def _m_shopify_credentials_and_bulk(db: sqlite_utils.Database) -> None:
    # Shopify (connector/platforms/shopify/store_state.py): an agency's authorization-code tokens (the pair is
    # replaced in one transaction, so a crash never leaves a client without a usable refresh token), the bulk
    # operation each resource's read started (recorded before the mutation is sent, so a crashed pass adopts
    # it instead of starting another), and what a store cannot give (e.g. protected customer data).
    db["shopify_tokens"].create(
        {
            "store": str,
            "access_token": str,
            "refresh_token": str,
            "access_expires_at": str,
            "refresh_expires_at": str,
            "scope": str,
            "updated_at": str,
        },
        pk="store",
        if_not_exists=True,
    )
    db["shopify_bulk"].create(
        {"store": str, "resource": str, "query": str, "operation": str, "started_at": str},
        pk=("store", "resource"),
        if_not_exists=True,
    )
    db["store_limits"].create(
        {"store": str, "kind": str, "message": str, "first_seen": str},
        pk=("store", "kind"),
        if_not_exists=True,
    )


def _m_run_owner(db: sqlite_utils.Database) -> None:
    # Who runs a `running` row (host and process id), so a row left by a killed one-off run reads as
    # interrupted; and the heartbeat of a service serving this state, with its next run per job.
    db["sync_runs"].add_column("host", str)
    db["sync_runs"].add_column("pid", int)
    db["service_heartbeat"].create(
        {"host": str, "pid": int, "started_at": str, "beat_at": str, "next_runs": str},
        pk=("host", "pid"),
        not_null={"started_at", "beat_at"},
    )


def _m_compact_run_counts(db: sqlite_utils.Database) -> None:
    # sync_runs keeps counts, never item lists: rows written before this migration are compacted.
    for row_id, counts in db.execute("select id, counts from sync_runs where length(counts) > 2").fetchall():
        try:
            compact = compact_counts(json.loads(counts))
        except ValueError:
            compact = {}
        db.execute("update sync_runs set counts = ? where id = ?", [to_json(compact), row_id])


def _m_alert_incidents(db: sqlite_utils.Database) -> None:
    # Incidents an alert was sent for and no recovery yet (connector/alerts.py): one alert per incident.
    db["alert_incidents"].create(
        {"kind": str, "subject": str, "detail": str, "opened_at": str},
        pk=("kind", "subject"),
        not_null={"opened_at"},
    )


def _m_gone_records(db: sqlite_utils.Database) -> None:
    # Products, variants and customers the store no longer has (deleted, or in its trash): their rows leave the
    # tables every job reads, so nothing is planned for them, and are kept here as they were last held
    # (`row`, JSON), with why and when they went. A record that comes back is read again and leaves this table.
    db["gone_records"].create(
        {"store": str, "resource": str, "id": str, "sku": str, "reason": str, "gone_at": str, "row": str},
        pk=("store", "resource", "id"),
        not_null={"reason", "gone_at"},
    )


def _m_variants_store_sku_index(db: sqlite_utils.Database) -> None:
    # The duplicate-SKU check looks a page's SKUs up within one store; without this index SQLite took the
    # (store, product_id) one and scanned every variant of the store for every page.
    db["variants"].create_index(["store", "sku"], index_name="variants_store_sku", if_not_exists=True)


def _m_webhooks(db: sqlite_utils.Database) -> None:
    # connector/webhooks: deliveries received and not yet processed (kept a week after processing, for status
    # and de-duplication; ids and SKUs only, no personal data), and per store the webhooks installed: the
    # secret WooCommerce signs with, the Shopify shop's domain, the subscriptions' ids.
    db["webhook_inbox"].create(
        {
            "event_key": str,
            "store": str,
            "platform": str,
            "topic": str,
            "resource_id": str,
            "hint": str,
            "received_at": str,
            "processed_at": str,
            "attempts": int,
            "error": str,
        },
        pk="event_key",
        not_null={"store", "topic", "received_at"},
    )
    db["webhook_inbox"].create_index(["processed_at", "received_at"], index_name="webhook_inbox_pending")
    db["webhook_stores"].create(
        {
            "store": str,
            "platform": str,
            "secret": str,
            "shop_domain": str,
            "address": str,
            "subscriptions": str,
            "installed_at": str,
            "checked_at": str,
            "missed_at": str,  # a poll found order changes no delivery announced: polling is short again
        },
        pk="store",
    )


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _m1_runs_and_cursors,
    _m2_pulled_records,
    _m3_translation_memory,
    _m_pushed_prices,
    _m_pushed_translations,
    _m_stock_pool,
    _m_report_tags,
    _m_abandoned_checkouts,
    _m_stock_holds,
    _m_shopify_credentials_and_bulk,
    _m_run_owner,
    _m_compact_run_counts,
    _m_alert_incidents,
    _m_gone_records,
    _m_variants_store_sku_index,
    _m_webhooks,
]
SCHEMA_VERSION = len(MIGRATIONS)
HEARTBEAT_FRESH_SECONDS = 90  # a service beats every 30 s: older than this, it is gone
KEPT_LIST = 8  # a list of at most this many short strings (languages, warnings) is kept in run counts


def compact_counts(counts: Any) -> Any:
    """What a sync_runs row keeps of a job's result: numbers, flags, short texts; a list of items becomes
    its length (a dry run's item list would otherwise be stored, and printed by status, item by item)."""
    if isinstance(counts, dict):
        return {str(key): compact_counts(value) for key, value in counts.items()}
    if isinstance(counts, list | tuple):
        short = all(isinstance(item, str) and len(item) <= 200 for item in counts)
        return list(counts) if short and len(counts) <= KEPT_LIST else len(counts)
    return counts


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class _Connection(sqlite3.Connection):
    """sqlite-utils wraps each write in `with conn:`, which commits; inside our own transaction the outer
    BEGIN ... COMMIT must decide, so the context manager steps aside while one is open."""

    explicit_transaction = False

    def __enter__(self) -> _Connection:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> bool:
        if self.explicit_transaction:
            return False
        return super().__exit__(exc_type, exc, tb)


class State:
    """An open state file. `db` is the sqlite_utils Database; helpers below cover what every job needs."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.db = _open(self.path)

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> State:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """One atomic unit: everything inside commits together or not at all."""
        with _transaction(self.db.conn):
            yield self.db

    # cursors

    def cursor(self, store: str, resource: str) -> str | None:
        rows = self.db.execute(
            "select position from cursors where store = ? and resource = ?", [store, resource]
        ).fetchall()
        return rows[0][0] if rows else None

    def set_cursor(self, store: str, resource: str, position: str) -> None:
        """Call inside the transaction that commits the records the position covers."""
        # Plain SQL, as every keyed write here: sqlite-utils' upsert inserts the key columns alone first, under
        # INSERT OR IGNORE, so a table given a NOT NULL column would lose every new row without an error.
        self.db.execute(
            "insert into cursors (store, resource, position, updated_at) values (?, ?, ?, ?) "
            "on conflict (store, resource) do update set position = excluded.position, "
            "updated_at = excluded.updated_at",
            [store, resource, position, iso(utc_now())],
        )

    def clear_cursors(self, store: str) -> None:
        self.db.execute("delete from cursors where store = ?", [store])

    # sync runs

    def start_run(self, job: str, store: str) -> int:
        with self.transaction() as db:
            runs = db["sync_runs"].insert(
                {
                    "job": job,
                    "store": store,
                    "started_at": iso(utc_now()),
                    "outcome": "running",
                    "host": HOST,
                    "pid": os.getpid(),
                }
            )
            return runs.last_pk

    def finish_run(
        self, run_id: int, outcome: str, counts: dict[str, Any] | None = None, error: str = ""
    ) -> None:
        with self.transaction() as db:
            db["sync_runs"].update(
                run_id,
                {
                    "finished_at": iso(utc_now()),
                    "outcome": outcome,
                    "counts": to_json(compact_counts(counts or {})),
                    "error": error,
                },
            )

    def close_unfinished_runs(self) -> int:
        """Runs a stopped or killed process of this host left `running` (a live one-off sync's stay): the
        service calls this as it starts, a one-off sync too."""
        dead = [
            row_id
            for row_id, host, pid in self.db.execute(
                "select id, host, pid from sync_runs where outcome = 'running'"
            ).fetchall()
            if host in (None, HOST) and not (pid and pid_alive(pid) and pid != os.getpid())
        ]
        with self.transaction() as db:
            for row_id in dead:
                db.execute(
                    "update sync_runs set outcome = 'interrupted', finished_at = ?, "
                    "error = 'the process stopped before this run finished' where id = ?",
                    [iso(utc_now()), row_id],
                )
        return len(dead)

    def run_is_live(self, run: dict) -> bool:
        """Whether a `running` row's process still runs (rows of another host are taken at their word)."""
        if run.get("host") not in (None, HOST):
            return True
        return pid_alive(run.get("pid"))

    # alert incidents

    def open_incidents(self) -> list[dict]:
        return list(self.db.query("select kind, subject, detail, opened_at from alert_incidents"))

    def open_incident(self, kind: str, subject: str, detail: str) -> None:
        with self.transaction() as db:
            # insert(replace=True), not upsert: sqlite-utils' upsert inserts the key columns alone first,
            # which the NOT NULL columns refuse (silently, as INSERT OR IGNORE)
            db["alert_incidents"].insert(
                {"kind": kind, "subject": subject, "detail": detail, "opened_at": iso(utc_now())}, replace=True
            )

    def close_incident(self, kind: str, subject: str) -> None:
        with self.transaction() as db:
            db.execute("delete from alert_incidents where kind = ? and subject = ?", [kind, subject])

    # the service's heartbeat

    def beat(self, started_at: str, next_runs: dict[str, str]) -> None:
        """Written by a service serving this state every 30 s and after each job; gone when it stops."""
        with self.transaction() as db:
            db["service_heartbeat"].insert(
                {
                    "host": HOST,
                    "pid": os.getpid(),
                    "started_at": started_at,
                    "beat_at": iso(utc_now()),
                    "next_runs": to_json(next_runs),
                },
                replace=True,
            )

    def stop_beating(self) -> None:
        with self.transaction() as db:
            db.execute("delete from service_heartbeat where host = ? and pid = ?", [HOST, os.getpid()])

    def live_service(self) -> dict | None:
        """The service serving this state now, if any: a fresh heartbeat of a live process."""
        now = utc_now()
        for row in self.db.query("select * from service_heartbeat order by beat_at desc"):
            fresh = (now - parse_iso(row["beat_at"])).total_seconds() < HEARTBEAT_FRESH_SECONDS
            alive = row["host"] != HOST or pid_alive(row["pid"])
            if fresh and alive:
                return {**row, "next_runs": json.loads(row["next_runs"] or "{}")}
        return None

    def last_runs(self) -> list[dict]:
        """The latest run of every (job, store), newest first."""
        return list(
            self.db.query(
                """select r.* from sync_runs r
                   join (select job, store, max(id) as id from sync_runs group by job, store) latest
                   on r.id = latest.id order by r.started_at desc"""
            )
        )


_checked: set[tuple[int, int]] = set()  # (device, inode) of files that passed quick_check in this process
_checked_lock = threading.Lock()


def _create(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(path, 0o600)
    except OSError as exc:
        folder = path.parent
        raise StateError(
            f"{path}: cannot create the state file ({exc.strerror}: {exc.filename or folder}); create "
            f"{folder} writable by this user, or point client.state_file at a writable folder (under "
            "systemd's ProtectSystem=strict, list that folder in ReadWritePaths=)"
        ) from None


def _quick_check(conn: sqlite3.Connection, path: Path) -> None:
    """PRAGMA quick_check once per file and process (it reads every page: not on every open of a job)."""
    key = (path.stat().st_dev, path.stat().st_ino)
    with _checked_lock:
        if key in _checked:
            return
    try:
        rows = [row[0] for row in conn.execute("pragma quick_check(5)").fetchall()]
    except sqlite3.DatabaseError as exc:
        rows = [str(exc)]
    if rows != ["ok"]:
        conn.close()
        raise DamagedStateError(damaged_message(path, rows))
    with _checked_lock:
        _checked.add(key)


def damaged_message(path: Path, problems: list[str]) -> str:
    return (
        f"{path}: the state file is damaged ({'; '.join(problems)[:300]}); nothing was written to it. "
        f"Run `connector doctor -c CONFIG` for what is damaged and how to restore it from a backup"
    )


def _open(path: Path) -> sqlite_utils.Database:
    _create(path)
    try:
        conn = sqlite3.connect(
            path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
            factory=_Connection,
        )
        version = conn.execute("pragma user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise StateError(
            f"{path}: not a connector state file ({exc}); point state_file at another path, "
            "or run `connector doctor -c CONFIG`"
        ) from None
    _quick_check(conn, path)
    if version > SCHEMA_VERSION:
        conn.close()
        raise StateError(
            f"{path}: written by a newer connector (schema {version}; this one knows up to {SCHEMA_VERSION}); "
            "upgrade connector before using this file"
        )
    conn.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("pragma journal_mode = wal")
    conn.execute("pragma synchronous = normal")
    conn.execute("pragma foreign_keys = on")
    db = sqlite_utils.Database(conn)
    for number in range(version, SCHEMA_VERSION):
        with _transaction(conn):
            # another process opening the same new file may have applied it while this one waited
            if conn.execute("pragma user_version").fetchone()[0] > number:
                continue
            MIGRATIONS[number](db)
            conn.execute(f"pragma user_version = {number + 1}")
    if version < SCHEMA_VERSION:
        conn.execute("pragma optimize")  # statistics for the query planner once the schema changed
    return db


@contextmanager
def _transaction(conn: _Connection) -> Iterator[None]:
    if conn.explicit_transaction:  # nested: the outer transaction already covers this work
        yield
        return
    conn.execute("BEGIN IMMEDIATE")
    conn.explicit_transaction = True
    try:
        yield
    except BaseException:
        conn.explicit_transaction = False
        conn.execute("ROLLBACK")
        raise
    conn.explicit_transaction = False
    conn.execute("COMMIT")


def open_state(path: Path | str) -> State:
    return State(path)
