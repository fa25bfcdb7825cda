"""Shopify search syntax (`query:` arguments) and cursor paging over the shop's sorted views.

Supported terms: `updated_at`, `created_at`, `processed_at` with `:`, `:>`, `:>=`, `:<`, `:<=` and an ISO
date or time (quoted or not); `sku:`, `email:`, `id:` (also with comparisons), `status:` (products; abandoned
checkouts: open or closed), `recovery_state:` (abandoned checkouts: recovered or not_recovered); terms joined
by spaces or `AND`; groups of terms joined by `OR` (`sku:A OR sku:B`), without parentheses. Unknown fields
are ignored, as Shopify ignores them.
"""

from __future__ import annotations

import base64
import json
import re
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .shop import Shop, SortedView, parse_gid, sort_function

_OR = re.compile(r"\s+OR\s+")
_TERM = re.compile(r"""(?P<field>[a-z_]+):(?P<op>>=|<=|>|<|=)?(?P<value>'[^']*'|"[^"]*"|\S+)""")
_TIME_FIELDS = {"updated_at": "updated_at", "created_at": "created_at", "processed_at": "created_at"}
MAX_PAGE_SIZE = 250


class SearchError(ValueError):
    """An argument combination Shopify refuses (e.g. neither first nor last)."""


@dataclass(frozen=True)
class Term:
    field: str
    op: str
    value: str


def parse_query(text: str | None) -> list[Term]:
    if not text:
        return []
    terms = []
    for match in _TERM.finditer(text):
        value = match.group("value")
        if value[:1] in "'\"" and value[-1:] == value[:1]:
            value = value[1:-1]
        terms.append(Term(match.group("field").lower(), match.group("op") or "=", value))
    return terms


def parse_query_groups(text: str | None) -> list[list[Term]]:
    """The query as alternatives: a record matches when it matches every term of one group."""
    if not text:
        return [[]]
    return [parse_query(part) for part in _OR.split(text)]


def _parse_time(value: str) -> datetime:
    text = value.strip().replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:  # Shopify reads a bare date or time in the shop's zone; the simulator uses UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == ">":
        return left > right
    if op == ">=":
        return left >= right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    return left == right


def predicate(resource: str, terms: list[Term]) -> Callable[[Any], bool]:
    checks: list[Callable[[Any], bool]] = []
    for term in terms:
        if term.field in _TIME_FIELDS:
            attribute = _TIME_FIELDS[term.field]
            try:
                bound = _parse_time(term.value)
            except ValueError:
                continue
            checks.append(lambda r, a=attribute, o=term.op, b=bound: _compare(getattr(r, a), o, b))
        elif term.field == "id":
            number = int(term.value) if term.value.isdigit() else parse_gid(term.value, _kind(resource))
            if number is not None:
                checks.append(lambda r, o=term.op, n=number: _compare(r.id, o, n))
        elif term.field == "sku" and resource == "productVariants":
            checks.append(lambda r, v=term.value: r.sku == v)
        elif term.field == "sku" and resource == "products":
            checks.append(lambda r, v=term.value: any(variant.sku == v for variant in r.variants))
        elif term.field == "email" and resource in ("customers", "orders"):
            email = term.value.lower()
            checks.append(lambda r, v=email: (r.email or "").lower() == v)
        elif term.field == "status" and resource == "products":
            status = term.value.upper()
            checks.append(lambda r, v=status: r.status == v)
        elif term.field == "status" and resource == "abandonedCheckouts":
            closed = term.value.lower() == "closed"
            checks.append(lambda r, c=closed: (r.completed_at is not None) == c)
        elif term.field == "recovery_state" and resource == "abandonedCheckouts":
            recovered = term.value.lower() == "recovered"
            checks.append(lambda r, v=recovered: (r.order_id is not None) == v)
    return lambda record: all(check(record) for check in checks)


def any_group(resource: str, groups: list[list[Term]]) -> Callable[[Any], bool]:
    predicates = [predicate(resource, terms) for terms in groups]
    if len(predicates) == 1:
        return predicates[0]
    return lambda record: any(matches(record) for matches in predicates)


def count_matches(shop: Shop, resource: str, query: str | None) -> int:
    """How many records of `resource` a `query:` selects (the `*Count` root fields)."""
    matches = any_group(resource, parse_query_groups(query))
    return sum(1 for record in shop.collection(resource).values() if matches(record))


def _kind(resource: str) -> str:
    return {
        "products": "Product",
        "productVariants": "ProductVariant",
        "orders": "Order",
        "customers": "Customer",
        "abandonedCheckouts": "AbandonedCheckout",
    }[resource]


def encode_cursor(position: tuple) -> str:
    parts = [value.isoformat() if isinstance(value, datetime) else value for value in position]
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode()


def decode_cursor(cursor: str, sample: tuple) -> tuple:
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if len(parts) != len(sample):
            raise ValueError
        return tuple(
            datetime.fromisoformat(part) if isinstance(reference, datetime) else type(reference)(part)
            for part, reference in zip(parts, sample, strict=True)
        )
    except (ValueError, TypeError, json.JSONDecodeError):
        raise SearchError(f"Invalid cursor for current pagination sort: {cursor!r}") from None


@dataclass
class Page:
    records: list[Any]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool


def check_page_args(first: int | None, last: int | None) -> int:
    if first is None and last is None:
        raise SearchError("you must provide one of first or last")
    if first is not None and last is not None:
        raise SearchError("providing both first and last is not supported")
    size = first if first is not None else last
    if size < 0 or size > MAX_PAGE_SIZE:
        raise SearchError(f"the page size must be between 0 and {MAX_PAGE_SIZE}, got {size}")
    return size


def page_of_records(
    records: list[Any],
    key: Callable[[Any], tuple],
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    reverse: bool = False,
    unlimited: bool = False,
) -> Page:
    """Page a small in-memory list (nested connections such as a product's variants)."""
    view = SortedView(records, key)
    return page_of_view(
        view,
        lambda _r: True,
        first=first,
        after=after,
        last=last,
        before=before,
        reverse=reverse,
        unlimited=unlimited,
    )


def page_of_view(
    view: SortedView,
    matches: Callable[[Any], bool],
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    reverse: bool = False,
    unlimited: bool = False,
) -> Page:
    """One page of a sorted view: O(log n) to find the cursor, then as many records as the page needs."""
    if unlimited:
        size = len(view.records)
        if last is not None:
            reverse = not reverse
    else:
        size = check_page_args(first, last)
        if last is not None:  # paging backwards is paging forwards over the reversed order
            reverse = not reverse
            after, before = before, after
    keys, records = view.keys, view.records
    sample = keys[0] if keys else None
    if not reverse:
        start = 0
        if after and sample is not None:
            start = view.index_after(decode_cursor(after, sample))
        indexes: Iterator[int] = iter(range(start, len(records)))
        stop_key = decode_cursor(before, sample) if before and sample is not None else None

        def beyond(index: int) -> bool:
            return stop_key is not None and keys[index] >= stop_key
    else:
        end = len(records)
        if after and sample is not None:
            end = _index_before(view, decode_cursor(after, sample))
        indexes = iter(range(end - 1, -1, -1))
        stop_key = decode_cursor(before, sample) if before and sample is not None else None

        def beyond(index: int) -> bool:
            return stop_key is not None and keys[index] <= stop_key

    picked: list[int] = []
    has_more = False
    for index in indexes:
        if beyond(index):
            break
        if not matches(records[index]):
            continue
        if len(picked) == size:
            has_more = True
            break
        picked.append(index)
    page_records = [records[i] for i in picked]
    cursors = [encode_cursor(keys[i]) for i in picked]
    if last is not None and not unlimited:
        page_records.reverse()
        cursors.reverse()
        return Page(page_records, cursors, has_next_page=bool(before), has_previous_page=has_more)
    return Page(page_records, cursors, has_next_page=has_more, has_previous_page=bool(after))


def _index_before(view: SortedView, position: tuple) -> int:
    return bisect_left(view.keys, position)


def search_page(
    shop: Shop,
    resource: str,
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    query: str | None = None,
    sort_key: str = "ID",
    reverse: bool = False,
    unlimited: bool = False,
) -> Page:
    try:
        sort_function(sort_key)
    except KeyError:
        raise SearchError(f"sortKey {sort_key} is not supported by the simulator") from None
    groups = parse_query_groups(query)
    group_skus = [[t.value for t in terms if t.field == "sku" and t.op == "="] for terms in groups]
    if resource == "productVariants" and all(group_skus):
        # A SKU search touches a few records: page over just the indexed hits.
        wanted = {sku for skus in group_skus for sku in skus}
        hits = [shop.variants_by_sku[sku] for sku in wanted if sku in shop.variants_by_sku]
        view = SortedView(hits, sort_function(sort_key))
    else:
        view = shop.view(resource, sort_key)
    return page_of_view(
        view,
        any_group(resource, groups),
        first=first,
        after=after,
        last=last,
        before=before,
        reverse=reverse,
        unlimited=unlimited,
    )
