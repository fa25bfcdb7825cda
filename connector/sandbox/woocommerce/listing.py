"""Collection reads: query parameter validation, filtering over the indexes, sorting, paging and
the X-WP-Total / X-WP-TotalPages / Link headers."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from ..server import Request
from .dates import parse_query_date
from .store import ORDER_STATUSES, Collection
from .validation import ParamError, english_list, is_rest_boolean, is_rest_integer, to_boolean

PRODUCT_ORDERBY = [
    "date",
    "modified",
    "id",
    "include",
    "title",
    "slug",
    "price",
    "popularity",
    "rating",
    "menu_order",
]
ORDER_ORDERBY = ["date", "modified", "id", "include", "title", "slug"]
VARIATION_ORDERBY = ["date", "id", "include", "title", "slug", "modified", "menu_order"]
CUSTOMER_ORDERBY = ["id", "include", "name", "registered_date"]
PRODUCT_STATUS = ["any", "future", "trash", "draft", "pending", "private", "publish"]
ORDER_LIST_STATUS = ["any", "trash", *ORDER_STATUSES]
ROLES = ["all", "administrator", "editor", "author", "contributor", "subscriber", "customer", "shop_manager"]
DATE_PARAMS = ("after", "before", "modified_after", "modified_before")


@dataclass
class ListQuery:
    page: int = 1
    per_page: int = 10
    offset: int | None = None
    order: str = "desc"
    orderby: str = "date"
    include: list[int] = field(default_factory=list)
    exclude: list[int] = field(default_factory=list)
    dates: dict[str, float] = field(default_factory=dict)  # epoch bounds, already read in the right zone
    filters: dict[str, Any] = field(default_factory=dict)

    def signature(self) -> tuple:
        return (
            self.order,
            self.orderby,
            tuple(self.include),
            tuple(self.exclude),
            tuple(sorted(self.dates.items())),
            tuple(sorted((name, repr(value)) for name, value in self.filters.items())),
        )


def parse_list_query(
    request: Request,
    *,
    zone: ZoneInfo,
    orderby: list[str],
    default_orderby: str,
    default_order: str = "desc",
    dated: bool = True,
    statuses: list[str] | None = None,
    status_is_list: bool = False,
    extra: Callable[[Request, dict, dict], None] | None = None,
) -> ListQuery:
    """Validate the collection parameters the way WordPress does (every bad one reported at once)."""
    errors: dict[str, tuple[str, str, Any]] = {}
    query = ListQuery(orderby=default_orderby, order=default_order)

    def integer(name: str, minimum: int | None, maximum: int | None) -> int | None:
        raw = request.param(name)
        if raw is None:
            return None
        if not is_rest_integer(raw):
            errors[name] = ("rest_invalid_type", f"{name} is not of type integer.", {"param": name})
            return None
        value = int(float(raw))
        if minimum is not None and maximum is not None and not minimum <= value <= maximum:
            message = f"{name} must be between {minimum} (inclusive) and {maximum} (inclusive)"
            errors[name] = ("rest_out_of_bounds", message, None)
        elif minimum is not None and value < minimum:
            errors[name] = ("rest_out_of_bounds", f"{name} must be greater than or equal to {minimum}", None)
        return value

    def enum(name: str, allowed: list[str]) -> str | None:
        raw = request.param(name)
        if raw is None:
            return None
        if raw not in allowed:
            errors[name] = ("rest_not_in_enum", f"{name} is not one of {english_list(allowed)}.", None)
            return None
        return raw

    query.page = integer("page", 1, None) or 1
    per_page = integer("per_page", 1, 100)
    query.per_page = per_page if per_page is not None else 10
    query.offset = integer("offset", None, None)
    query.order = enum("order", ["asc", "desc"]) or default_order
    query.orderby = enum("orderby", orderby) or default_orderby
    query.include = id_list(request, "include", errors)
    query.exclude = id_list(request, "exclude", errors)

    dates_are_gmt = False
    raw_gmt = request.param("dates_are_gmt")
    if raw_gmt is not None:
        if is_rest_boolean(raw_gmt):
            dates_are_gmt = to_boolean(raw_gmt)
        else:
            errors["dates_are_gmt"] = (
                "rest_invalid_type",
                "dates_are_gmt is not of type boolean.",
                {"param": "dates_are_gmt"},
            )
    if dated:
        for name in DATE_PARAMS:
            raw = request.param(name)
            if raw is None:
                continue
            try:
                query.dates[name] = parse_query_date(raw, dates_are_gmt=dates_are_gmt, zone=zone)
            except ValueError:
                errors[name] = ("rest_invalid_date", "Invalid date.", None)

    if statuses is not None:
        raw_status = request.query.get("status", [])[-1:] or request.query.get("status[]")
        if raw_status:
            values = (
                [part for raw in raw_status for part in raw.split(",") if part]
                if status_is_list
                else [raw_status[-1]]
            )
            bad = [value for value in values if value not in statuses]
            if bad:
                errors["status"] = (
                    "rest_not_in_enum",
                    f"status{'[0]' if status_is_list else ''} is not one of {english_list(statuses)}.",
                    None,
                )
            else:
                query.filters["status"] = tuple(values)
    for name in ("sku", "search", "slug", "type", "stock_status", "email"):
        raw = request.param(name)
        if raw not in (None, ""):
            query.filters[name] = raw
    if extra is not None:
        extra(request, query.filters, errors)
    if errors:
        raise ParamError(errors)
    return query


def id_list(request: Request, name: str, errors: dict) -> list[int]:
    # PHP keeps the last `include=1,2`; `include[]=1&include[]=2` builds a list
    raw_values = request.query.get(name, [])[-1:] or request.query.get(f"{name}[]") or []
    ids: list[int] = []
    for raw in raw_values:
        for part in raw.split(","):
            part = part.strip()
            if not part:
                continue
            if not is_rest_integer(part):
                errors[name] = (
                    "rest_invalid_type",
                    f"{name}[0] is not of type integer.",
                    {"param": f"{name}[0]"},
                )
                return []
            ids.append(int(float(part)))
    return ids


def select(
    collection: Collection | None,
    query: ListQuery,
    *,
    matches: Callable[[Any], bool],
    sort_key: Callable[[Any], Any] | None,
    narrowed: Iterable[int] | None = None,
    records: dict[int, Any] | None = None,
) -> list[int]:
    """The ordered ids a query selects; cached until the collection changes.

    Candidates come from the narrowest index: `narrowed` (an SKU or email lookup), the include
    list, or a bisected range of the modified/created index; an unfiltered date or modified
    ordering reads its index in order, with no sort. Without a collection (a product's few
    variations) `records` and `narrowed` say what to page over and nothing is cached.
    """
    source = records if collection is None else collection.records

    def compute() -> list[int]:
        records = source
        dates = query.dates
        presorted = False
        if narrowed is not None:
            candidates = list(narrowed)
        elif query.include:
            candidates = [record_id for record_id in query.include if record_id in records]
        elif collection is None:
            candidates = list(records)
        elif "modified_after" in dates or "modified_before" in dates:
            candidates = collection.by_modified.ids(
                after=dates.get("modified_after"), before=dates.get("modified_before")
            )
            presorted = query.orderby == "modified"
        else:
            candidates = collection.by_created.ids(after=dates.get("after"), before=dates.get("before"))
            presorted = query.orderby == "date"
        excluded = set(query.exclude)
        selected = []
        for record_id in candidates:
            record = records.get(record_id)
            if record is None or record_id in excluded or not matches(record):
                continue
            if not _in_range(record.created, dates.get("after"), dates.get("before")):
                continue
            if not _in_range(record.modified, dates.get("modified_after"), dates.get("modified_before")):
                continue
            selected.append(record)
        if query.orderby == "include" and query.include:
            position = {record_id: index for index, record_id in enumerate(query.include)}
            selected.sort(key=lambda record: position[record.id])
            return [record.id for record in selected]
        if not presorted and sort_key is not None:
            selected.sort(key=lambda record: (sort_key(record), record.id))
        ids = [record.id for record in selected]
        if query.order == "desc":
            ids.reverse()
        return ids

    if collection is None:
        return compute()
    return collection.cached(query.signature(), compute)


def _in_range(value: int, after: float | None, before: float | None) -> bool:
    return (after is None or value > after) and (before is None or value < before)


def page_of(ids: list[int], query: ListQuery) -> tuple[list[int], int, int]:
    """The ids on the requested page, the total and the page count."""
    total = len(ids)
    pages = math.ceil(total / query.per_page) if total else 0
    start = query.offset if query.offset is not None else (query.page - 1) * query.per_page
    return ids[start : start + query.per_page], total, pages


def paging_headers(
    request: Request,
    route_url: str,
    query: ListQuery,
    total: int,
    pages: int,
    defaults: dict[str, str] | None = None,
) -> dict[str, str]:
    """X-WP-Total, X-WP-TotalPages, and Link rel=prev/next built from the request's own parameters."""
    params: dict[str, str] = {}
    for name, value in parse_qsl(request.raw_query, keep_blank_values=True):
        params[name] = value  # as PHP's $_GET: first position, last value
    for name, value in (defaults or {}).items():
        params.setdefault(name, value)
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
    links = []
    page = query.page
    if page > 1:
        links.append(f'<{_with_page(route_url, params, min(page - 1, pages))}>; rel="prev"')
    if pages > page:
        links.append(f'<{_with_page(route_url, params, page + 1)}>; rel="next"')
    if links:
        headers["Link"] = ", ".join(links)
    return headers


def _with_page(route_url: str, params: dict[str, str], page: int) -> str:
    with_page = dict(params)
    with_page["page"] = str(page)
    return f"{route_url}?{urlencode(with_page)}"


def price_key(price: str) -> Decimal:
    try:
        return Decimal(price) if price else Decimal(0)
    except InvalidOperation:
        return Decimal(0)
