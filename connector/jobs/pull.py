"""Pull: every store's products, orders and customers (and a Shopify store's abandoned checkouts), kept current
in the client's state.

A pass reads the records modified since the store's high-water mark (less an overlap, for equal timestamps and
clock skew), page by page. Each page commits in one transaction together with the cursor that covers it, so a
crash re-reads at most one page and never skips one. Records already held with the same content are counted
as unchanged and not written: the content hash covers only what the connector keeps in its columns and
variants (never the platform's JSON, whose unused parts, such as WooCommerce's shuffled related_ids, change on
every read). The summary's `written` counts the record rows SQLite itself reports changed. Bad data is
recorded as a data problem and the rest of the page goes on.

Records removed from a store: once a pass ends, the ids the store moved to its trash since the pass's `since`
(all, after a first pass) are asked where the platform tells, and once a day (and on a full pull) the ids the store lists are compared
with the ids held. A product (with its variants) or a customer the store no longer has leaves the tables every
job reads and is kept in `gone_records`; an order is kept, with status `trash` (or `deleted`), which reports
do not count as a sale.

Cursor (JSON, per store and resource):
  {"high_water": ISO time of the newest record committed (at a pass's end: no later than the pass began),
   "pass_since": the `since` of the pass under way, "resume": the adapter's position after the last page,
   "pass_started": when the pass under way began (recorded before its first page), "in_pass": whether one is,
   "ids_checked_at": when the held ids were last compared with the store's}
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from connector.platforms.base import DataProblem, Page, Resource, StoreAdapter
from connector.records import AbandonedCheckout, Customer, Order, Product
from connector.state import State, iso, parse_iso, to_json, utc_now

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=5)
ID_CHECK_EVERY = timedelta(hours=24)
GONE_TABLES = {"products": "products", "customers": "customers"}


@dataclass
class PullSummary:
    store: str
    resource: str
    pages: int = 0
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: int = 0  # record rows SQLite reports inserted, updated or deleted
    gone: int = 0  # records found removed from the store (marked gone, or orders marked trash/deleted)
    skipped: dict[str, int] = field(default_factory=dict)  # problem kind -> count

    def as_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "resource": self.resource,
            "pages": self.pages,
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "written": self.written,
            "gone": self.gone,
            "skipped": self.skipped,
        }


def pull(
    state: State,
    adapter: StoreAdapter,
    resource: Resource,
    *,
    full: bool = False,
    on_page: Callable[[PullSummary], None] | None = None,
) -> PullSummary:
    summary = PullSummary(adapter.name, resource)
    held_cursor = _load_cursor(state, adapter.name, resource)
    cursor = {} if full else held_cursor
    checked = held_cursor.get("ids_checked_at")
    high_water = cursor.get("high_water")
    if cursor.get("resume") is not None:
        since, resume = _parse(cursor.get("pass_since")), cursor["resume"]
        started = cursor.get("pass_started") or iso(utc_now())
    else:
        since, resume = (_parse(high_water) - OVERLAP if high_water else None), None
        # A pass that died before its first page may have left work running on the platform (a Shopify bulk
        # operation the next pass takes over): its start still bounds what the next pass may skip.
        started = cursor.get("pass_started") if cursor.get("in_pass") else iso(utc_now())
        with state.transaction():
            _save_cursor(
                state, adapter.name, resource, high_water, since, None, started, in_pass=True, checked=checked
            )

    def save(resume: str | None) -> None:
        _save_cursor(
            state,
            adapter.name,
            resource,
            high_water,
            since,
            resume,
            started,
            in_pass=resume is not None,
            checked=checked,
        )

    for page in adapter.read(resource, since, resume):
        with state.transaction():
            _store_page(state, adapter.name, resource, page, summary)
            newest = max((r.updated_at for r in page.records), default=None)
            if newest and (high_water is None or newest > parse_iso(high_water)):
                high_water = iso(newest)
            if page.resume is None:
                # A change made while the pass ran may sit on a page already read: the next pass starts
                # no later than this one began, so such a change is read then, never skipped.
                high_water = min(high_water, started) if high_water else None
            save(page.resume)
        summary.pages += 1
        if on_page:
            on_page(summary)
        if page.resume is None:
            checked = _find_removed(state, adapter, resource, since, checked, full=full, summary=summary)
            with state.transaction():
                save(None)
    return summary


def _find_removed(
    state: State,
    adapter: StoreAdapter,
    resource: Resource,
    since: datetime | None,
    checked: str | None,
    *,
    full: bool,
    summary: PullSummary,
) -> str | None:
    """After a completed pass: what the store trashed since `since`, and (daily, or on a full pull) every held
    id the store no longer lists. Answers when the ids were last compared."""
    if resource not in ("products", "orders", "customers"):
        return checked
    now = utc_now()
    trashed = adapter.trashed_ids(resource, since)
    # A first pass has just read every record the store lists: the next comparison of ids is due a day later.
    due = full or (since is not None and (checked is None or now - parse_iso(checked) >= ID_CHECK_EVERY))
    listed = adapter.listed_ids(resource) if due else None
    held = {row[0] for row in state.db.execute(f"select id from {resource} where store = ?", [adapter.name])}
    removed = set(trashed or ()) & held
    deleted: set[str] = set()
    if listed is not None:
        missing = held - listed - removed
        in_trash = adapter.trashed_ids(resource, None) if missing else set()
        removed |= missing & (in_trash or set())
        deleted = missing - removed
    if removed or deleted:
        with state.transaction():
            before = state.db.conn.total_changes
            if resource == "orders":
                _mark_orders(state, adapter.name, removed, "trash")
                _mark_orders(state, adapter.name, deleted, "deleted")
            else:
                _mark_gone(state, adapter.name, resource, removed, "trashed")
                _mark_gone(state, adapter.name, resource, deleted, "deleted")
            summary.written += state.db.conn.total_changes - before
        summary.gone += len(removed | deleted)
        log.info(
            "%s %s: %d trashed and %d deleted in the store since last seen",
            adapter.name,
            resource,
            len(removed),
            len(deleted),
        )
    return iso(now) if listed is not None or since is None else checked


def _mark_orders(state: State, store: str, ids: set[str], status: str) -> None:
    """A removed order stays (reports list it under its status, never as a sale); its hash is cleared so that
    an order taken back out of the trash is written again when it is next read."""
    state.db.conn.executemany(
        "update orders set status = ?, raw_hash = '' where store = ? and id = ? and status != ?",
        [(status, store, order_id, status) for order_id in sorted(ids)],
    )


def _mark_gone(state: State, store: str, resource: str, ids: set[str], reason: str) -> None:
    now = iso(utc_now())
    for record_id in sorted(ids):
        row = state.db.execute(f"select * from {resource} where store = ? and id = ?", [store, record_id])
        columns = [d[0] for d in row.description]
        values = row.fetchone()
        if values is None:
            continue
        held = dict(zip(columns, values, strict=True))
        held.pop("raw", None)
        gone = [(store, resource, record_id, None, reason, now, to_json(held))]
        if resource == "products":
            variants = state.db.execute(
                "select id, sku, price, stock from variants where store = ? and product_id = ?",
                [store, record_id],
            ).fetchall()
            gone += [
                (
                    store,
                    "variants",
                    vid,
                    sku,
                    reason,
                    now,
                    to_json({"product_id": record_id, "price": price, "stock": stock}),
                )
                for vid, sku, price, stock in variants
            ]
            state.db.execute("delete from variants where store = ? and product_id = ?", [store, record_id])
        state.db.conn.executemany(_GONE_UPSERT, gone)
        state.db.execute(f"delete from {resource} where store = ? and id = ?", [store, record_id])
        # its open data problems went with it
        state.db.conn.executemany(
            "update data_problems set resolved_at = ? where store = ? and ref = ? and resolved_at is null",
            [(now, store, ref) for ref in (record_id, *(g[2] for g in gone[1:]))],
        )


_GONE_UPSERT = """insert into gone_records (store, resource, id, sku, reason, gone_at, row) values (?, ?, ?, ?, ?, ?, ?)
    on conflict (store, resource, id) do update set sku = excluded.sku, reason = excluded.reason,
    gone_at = excluded.gone_at, row = excluded.row"""


def _save_cursor(
    state: State,
    store: str,
    resource: str,
    high_water: str | None,
    since: datetime | None,
    resume: str | None,
    started: str,
    *,
    in_pass: bool,
    checked: str | None,
) -> None:
    position = {
        "high_water": high_water,
        "pass_since": since and iso(since),
        "resume": resume,
        "pass_started": started,
        "in_pass": in_pass,
        "ids_checked_at": checked,
    }
    state.set_cursor(store, resource, json.dumps(position))


def _load_cursor(state: State, store: str, resource: str) -> dict[str, Any]:
    raw = state.cursor(store, resource)
    return json.loads(raw) if raw else {}


def _parse(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


# --- storing a page ---------------------------------------------------------------------------------------


def _store_page(state: State, store: str, resource: str, page: Page, summary: PullSummary) -> None:
    summary.read += len(page.records)
    problems = list(page.problems)
    if resource == "products":
        problems += _duplicate_skus(state, store, page.records)
    rows = [_ROW[resource](store, record) for record in page.records]
    held = _held_hashes(state, resource, store, [row["id"] for row in rows])
    changed = []
    for record, row in zip(page.records, rows, strict=True):
        if held.get(row["id"]) == row["raw_hash"]:
            summary.unchanged += 1
            continue
        summary.created += row["id"] not in held
        summary.updated += row["id"] in held
        changed.append((record, row))
    if changed:
        before = state.db.conn.total_changes
        _upsert(state, resource, [row for _, row in changed])
        if resource == "products":
            _store_variants(state, store, [record for record, _ in changed])
        elif resource == "orders":
            _store_lines(state, store, [record for record, _ in changed])
        if resource in GONE_TABLES:  # a record the store lists again is no longer gone
            back = [(store, resource, row["id"]) for _, row in changed if row["id"] not in held]
            state.db.conn.executemany(
                "delete from gone_records where store = ? and resource = ? and id = ?", back
            )
        summary.written += state.db.conn.total_changes - before
    _record_problems(state, store, resource, problems, summary)
    _resolve_fixed(state, store, resource, _refs(page.records), {(p.kind, p.ref) for p in problems})


def _held_hashes(state: State, table: str, store: str, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = state.db.execute(
        f"select id, raw_hash from {table} where store = ? and id in ({marks})", [store, *ids]
    )
    return dict(rows.fetchall())


def _duplicate_skus(state: State, store: str, products: list[Product]) -> list[DataProblem]:
    """A SKU used by two variants of one store cannot be matched across stores: report every such variant."""
    variants = [(v, p.id) for p in products for v in p.variants if v.sku]
    if not variants:
        return []
    skus = sorted({v.sku for v, _ in variants})
    page_products = {p.id for p in products}
    owner: dict[str, str] = {}  # sku -> a variant already held for it, outside the products of this page
    for start in range(0, len(skus), 500):
        chunk = skus[start : start + 500]
        rows = state.db.execute(  # on the (store, sku) index: a lookup per SKU, not a scan of the store
            f"select sku, id, product_id from variants indexed by variants_store_sku "
            f"where store = ? and sku in ({','.join('?' * len(chunk))})",
            [store, *chunk],
        )
        for sku, variant_id, product_id in rows:
            if product_id not in page_products:
                owner.setdefault(sku, variant_id)
    problems = []
    for variant, _ in variants:
        other = owner.setdefault(variant.sku, variant.id)
        if other != variant.id:
            problems.append(
                DataProblem(
                    "duplicate_sku",
                    variant.id,
                    f"SKU {variant.sku!r} is used by variants {other} and {variant.id}; "
                    "give each variant its own SKU in the store",
                )
            )
    return problems


def _store_variants(state: State, store: str, products: list[Product]) -> None:
    """A product's variants as read; those it no longer has (a variation deleted) are marked gone."""
    ids = [product.id for product in products]
    keep = {v.id for product in products for v in product.variants}
    held: list[tuple[str, str, str | None, str | None, int | None]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        held += state.db.execute(
            f"select id, product_id, sku, price, stock from variants where store = ? "
            f"and product_id in ({','.join('?' * len(chunk))})",
            [store, *chunk],
        ).fetchall()
    dropped = [row for row in held if row[0] not in keep]
    if dropped:
        now = iso(utc_now())
        state.db.conn.executemany(
            _GONE_UPSERT,
            [
                (
                    store,
                    "variants",
                    vid,
                    sku,
                    "deleted",
                    now,
                    to_json({"product_id": pid, "price": price, "stock": stock}),
                )
                for vid, pid, sku, price, stock in dropped
            ],
        )
        state.db.conn.executemany(
            "delete from variants where store = ? and id = ?", [(store, row[0]) for row in dropped]
        )
    state.db.conn.executemany(
        "delete from gone_records where store = ? and resource = 'variants' and id = ?",
        [(store, vid) for vid in sorted(keep - {row[0] for row in held})],
    )
    _upsert(
        state,
        "variants",
        [
            {
                "store": store,
                "id": v.id,
                "product_id": v.product_id,
                "sku": v.sku,
                "price": _money(v.price),
                "compare_at_price": _money(v.compare_at_price),
                "sale_price": _money(v.sale_price),
                "stock": v.stock,
                "manage_stock": int(v.manage_stock),
                "weight": _money(v.weight),
                "options": to_json(v.options),
                "cost": _money(v.cost),
                "inventory_item_id": v.inventory_item_id,
                "updated_at": v.updated_at and iso(v.updated_at),
                "raw": to_json(v.raw),
            }
            for product in products
            for v in product.variants
        ],
    )


def _upsert(state: State, table: str, rows: list[dict[str, Any]]) -> None:
    """Rows keyed by (store, id) in one statement each (executemany ... ON CONFLICT), not an insert attempt
    followed by an update per row."""
    if not rows:
        return
    columns = list(rows[0])
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in ("store", "id"))
    state.db.conn.executemany(
        f"insert into {table} ({', '.join(columns)}) values ({', '.join('?' * len(columns))}) "
        f"on conflict (store, id) do update set {updates}",
        [[row[c] for c in columns] for row in rows],
    )


def _store_lines(state: State, store: str, orders: list[Order]) -> None:
    state.db.conn.executemany(
        "delete from order_lines where store = ? and order_id = ?", [(store, order.id) for order in orders]
    )
    state.db.conn.executemany(
        "insert into order_lines (store, order_id, line_no, sku, product_id, variant_id, quantity, unit_price, "
        "total, name) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                store,
                order.id,
                number,
                line.sku,
                line.product_id,
                line.variant_id,
                line.quantity,
                _money(line.unit_price),
                _money(line.total),
                line.name,
            )
            for order in orders
            for number, line in enumerate(order.lines)
        ],
    )


def _record_problems(
    state: State, store: str, resource: str, problems: list[DataProblem], summary: PullSummary
):
    now = iso(utc_now())
    for problem in problems:
        summary.skipped[problem.kind] = summary.skipped.get(problem.kind, 0) + 1
        state.db.execute(
            """insert into data_problems (store, resource, kind, ref, message, first_seen, last_seen)
               values (?, ?, ?, ?, ?, ?, ?)
               on conflict (store, kind, ref) do update set message = excluded.message,
                 last_seen = excluded.last_seen, resolved_at = null""",
            [store, resource, problem.kind, problem.ref, problem.message, now, now],
        )


def _refs(records: list) -> list[str]:
    """The ids a page speaks for: its records, and a product's variants (problems name variants)."""
    return [ref for r in records for ref in (r.id, *(v.id for v in getattr(r, "variants", ())))]


def _resolve_fixed(state: State, store: str, resource: str, refs: list[str], current: set[tuple[str, str]]):
    """Open problems of records read again without them were fixed in the store: mark them resolved."""
    for start in range(0, len(refs), 400):
        chunk = refs[start : start + 400]
        marks = ",".join("?" * len(chunk))
        rows = state.db.execute(
            f"""select kind, ref from data_problems where store = ? and resource = ? and resolved_at is null
                and (ref in ({marks}) or (instr(ref, '/') > 0 and substr(ref, 1, instr(ref, '/') - 1) in ({marks})))""",
            [store, resource, *chunk, *chunk],
        ).fetchall()
        fixed = [(kind, ref) for kind, ref in rows if (kind, ref) not in current]
        state.db.conn.executemany(
            "update data_problems set resolved_at = ? where store = ? and kind = ? and ref = ?",
            [(iso(utc_now()), store, kind, ref) for kind, ref in fixed],
        )


def _money(value: Any) -> str | None:
    return None if value is None else str(value)


def _hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(to_json(payload).encode()).hexdigest()


def _product_row(store: str, product: Product) -> dict[str, Any]:
    row = {
        "store": store,
        "id": product.id,
        "title": product.title,
        "kind": product.kind,
        "status": product.status,
        "updated_at": iso(product.updated_at),
        "description_html": product.description_html,
        "short_description_html": product.short_description_html,
    }
    # What the connector keeps (the columns and the variants' fields), never the platform's JSON.
    variants = [{k: v for k, v in vars(variant).items() if k != "raw"} for variant in product.variants]
    return {**row, "raw_hash": _hash({**row, "variants": variants}), "raw": to_json(product.raw)}


def _order_row(store: str, order: Order) -> dict[str, Any]:
    fields = {k: v for k, v in vars(order).items() if k not in ("raw", "lines")}
    row = {k: (_money(v) if k.endswith("total") else v) for k, v in fields.items()}
    row.update(created_at=iso(order.created_at), updated_at=iso(order.updated_at))
    return {
        **row,
        "store": store,
        "raw_hash": _hash({**row, "lines": [vars(line) for line in order.lines]}),
        "raw": to_json(order.raw),
    }


def _customer_row(store: str, customer: Customer) -> dict[str, Any]:
    row = {
        "store": store,
        "id": customer.id,
        "email": customer.email,
        "country": customer.country,
        "created_at": iso(customer.created_at),
        "updated_at": iso(customer.updated_at),
        "orders_count": customer.orders_count,
        "total_spent": _money(customer.total_spent),
    }
    return {**row, "raw_hash": _hash(row)}


def _abandoned_checkout_row(store: str, checkout: AbandonedCheckout) -> dict[str, Any]:
    row = {
        "store": store,
        "id": checkout.id,
        "created_at": iso(checkout.created_at),
        "updated_at": iso(checkout.updated_at),
        "completed_at": checkout.completed_at and iso(checkout.completed_at),
        "country": checkout.country,
        "total": _money(checkout.total),
        "currency": checkout.currency,
    }
    return {**row, "raw_hash": _hash(row)}


_ROW: dict[str, Callable[[str, Any], dict[str, Any]]] = {
    "products": _product_row,
    "orders": _order_row,
    "customers": _customer_row,
    "abandoned_checkouts": _abandoned_checkout_row,
}


def forget_customer(state: State, email: str) -> int:
    """Erase a person's data (data-protection request): customer rows go, their orders keep only figures."""
    with state.transaction() as db:
        customers = db.execute("delete from customers where lower(email) = lower(?)", [email]).rowcount
        orders = db.execute(
            """update orders set customer_email = null, customer_id = null, shipping_address = null, raw = '{}'
               where lower(customer_email) = lower(?)""",
            [email],
        ).rowcount
    return customers + orders
