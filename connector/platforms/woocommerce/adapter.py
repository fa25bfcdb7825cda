"""WooCommerce adapter: REST wc/v3 over one keep-alive session per store (Basic auth over https, OAuth 1.0a
over http; see transport.py).

Reading: id-ordered listings (`orderby=id&order=asc`) inside a `modified_after` window with
`dates_are_gmt=true`, each page anchored on the last id read (paging.py), so a record deleted or trashed during
a pass, or between a crash and the resume, can never hide another; up to `requests_in_flight` pages in flight.
Ordering by date would duplicate and skip records that share a timestamp across a page boundary. Every list
read names the fields it keeps (`_fields`), and product texts are read with `context=edit`: the default
`view` context renders them (wpautop, wptexturize, shortcodes; recorded in 50b/50c), and the connector keeps
and re-publishes what is stored.

Variations: WooCommerce 10.3 added GET /wc/v3/variations (woocommerce PR #60727; its controller extends the
per-product one without a product_id, so `parent=` filters by parent:
https://github.com/woocommerce/woocommerce/blob/trunk/plugins/woocommerce/includes/rest-api/Controllers/Version3/class-wc-rest-variations-controller.php).
The route index (GET /wp-json/wc/v3, recorded in 59c) tells whether a store has it, once per store and process.
With it, the variations of a page's variable products come in pages of 100 (`parent=` their ids); without it
(WooCommerce before 10.3), one request per variable product, several in flight. A variation's change also
bumps its parent's modification date (WC_Product_Variable::sync saves the parent), so incremental reads of
products catch it.

Customers have no modification filter in wc/v3: every pass reads them all by id and keeps those modified
since the window start; unchanged ones cost no state write. `role=all` also lists the site's administrators
and other staff: only people who bought (`is_paying_customer`) or who have the customer role are kept.
Abandoned checkouts: WooCommerce core has no abandoned-checkout API (wc/v3 knows only orders, and an unpaid
checkout leaves at most a `pending` or `checkout-draft` order, which is an order, not a checkout); carts live
in plugins with APIs of their own. `read("abandoned_checkouts", ...)` yields nothing and the resource is not
in `resources`, so the runner and the service never ask for it.

Removed records: a trashed product or order leaves the default listings (`status` any) but is listed with
`status=trash` (recorded in 55d), which `trashed_ids` reads; a deleted one is found by `listed_ids`.

Writing: `products/batch` for simple products and `products/<id>/variations/batch` per parent, at most 100
objects a request; a batch answers per item. products/batch refuses variation ids (recorded in 53-53f).
WooCommerce has no compare-and-set for stock. A key with read access only is refused on any write, also on an
empty `POST products/batch`, which a read_write key answers `[]` without changing anything (52-52d): the
write-permission probe of `missing_write_access`.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import Executor, Future
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import requests

from connector.platforms.base import (
    LIST_AND_SALE,
    DataProblem,
    OrderStatuses,
    Page,
    PriceTarget,
    PriceWrite,
    Resource,
    StockWrite,
    StoreAdapter,
    StoreInfo,
    TranslationSupport,
    TranslationWrite,
    WriteOutcome,
)
from connector.platforms.errors import (
    AuthError,
    BadRequestError,
    BadResponseError,
    NotFoundError,
    PlatformError,
    TransientError,
    UnknownOutcomeError,
)
from connector.platforms.network import never_sent
from connector.platforms.retry import retrying
from connector.platforms.threads import ContextThreadPool
from connector.platforms.woocommerce import normalise
from connector.platforms.woocommerce.paging import PAGE_SIZE, Position, anchored_pages
from connector.platforms.woocommerce.transport import Transport
from connector.records import StockLevel

log = logging.getLogger(__name__)

_ID_SEGMENT = re.compile(r"/\d+")
BATCH_LIMIT = 100
STOCK_MARK_KEY = "_connector_stock_write"  # product meta: mark of the last stock write
VARIATIONS_ROUTE = "/wc/v3/variations"
WRITING_JOBS = {
    "inventory": "stock",
    "prices": "prices",
    "translations": "translated texts",
    "tagging": "order notes",
}

# What the connector keeps of each record (normalise.py); every list read asks for these only.
_VARIANT = "id,parent_id,sku,regular_price,sale_price,manage_stock,stock_quantity,weight,meta_data,attributes,date_modified_gmt"
FIELDS = {
    "products": (
        "id,name,type,status,date_created_gmt,date_modified_gmt,description,short_description,variations,"
        "sku,regular_price,sale_price,manage_stock,stock_quantity,weight,meta_data,attributes,parent_id"
    ),
    "variations": _VARIANT,
    "orders": (
        "id,number,status,currency,total,total_tax,shipping_total,discount_total,date_created_gmt,"
        "date_modified_gmt,customer_id,billing,shipping,line_items,refunds"
    ),
    "customers": "id,email,role,is_paying_customer,billing,shipping,date_created_gmt,date_modified_gmt",
}
_STOCK = "id,parent_id,type,sku,manage_stock,stock_quantity,meta_data,variations"
_PRICES = "id,type,sku,regular_price,sale_price"

_VARIATIONS = "__connector_variations"  # where a fetched page of products carries its variations

# Whether each store (by API base URL) serves GET /wc/v3/variations: asked once per store and process.
_variations_route: dict[str, bool] = {}
_route_lock = threading.Lock()


class _InThisThread(Executor):
    """Runs each call at once in the calling thread: for reads made inside a worker of the pool, which must
    never wait on the pool itself."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to whoever reads the result, as the pool would
            future.set_exception(exc)
        return future


INLINE = _InThisThread()


# The connector's field names -> a WooCommerce product's fields.
TEXT_FIELDS = {"title": "name", "description": "description", "short_description": "short_description"}


class WooCommerceAdapter(StoreAdapter):
    platform = "woocommerce"
    # A store's own regular and sale prices; no markets.
    price_targets = (PriceTarget("woocommerce", "{store} (WooCommerce)", LIST_AND_SALE),)
    # Translations go into the products' own texts: a store holds one language.
    translations = TranslationSupport(frozenset(TEXT_FIELDS), per_locale=False)
    tags_orders = True  # as a private order note
    # Order statuses as the REST API gives them (without the wc- prefix); processing: paid, on-hold: awaiting
    # payment confirmation, pending: no payment made yet:
    # https://woocommerce.github.io/code-reference/classes/Automattic-WooCommerce-Enums-OrderStatus.html
    order_statuses = OrderStatuses(
        sales=frozenset({"processing", "completed", "on-hold", "refunded"}),
        refunded=frozenset({"refunded"}),
        awaiting_payment=frozenset({"pending"}),
    )

    def __init__(self, name: str, config: Any, *, cost_meta_key: str = "_cost"):
        super().__init__(name, config)
        self.cost_meta_key = cost_meta_key
        self.in_flight = int(getattr(config, "requests_in_flight", 4) or 1)
        self.transport = Transport(config, pool_size=self.in_flight)
        self._pool: ContextThreadPool | None = None
        self._count_lock = threading.Lock()

    @property
    def pool(self) -> ContextThreadPool:
        if self._pool is None:
            self._pool = ContextThreadPool(max_workers=self.in_flight, thread_name_prefix=f"wc-{self.name}")
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self.transport.close()

    # --- requests -----------------------------------------------------------------------------------------

    def call(
        self, method: str, endpoint: str, *, params: dict | None = None, data: Any = None, resend: bool = True
    ):
        """One request with retries; returns (decoded body, headers). Raises PlatformError subclasses.

        `resend=False` for a write that must not be applied twice (a stock change): it is sent again only
        when it certainly never reached the store (no connection made, a 429, a refused OAuth nonce, all
        answered before anything is done); a read timeout, a connection lost after sending or a 5xx raise
        UnknownOutcomeError at once, and the caller reads the store before writing again."""
        route = f"{method} {_ID_SEGMENT.sub('/<id>', endpoint)}"

        @retrying(self.attempts, store=self.name)
        def once():
            with self._count_lock:
                self.requests.count(route, write=method != "GET")
            try:
                response = self.transport.send(method, endpoint, params, data)
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
                ConnectionError,
            ) as exc:
                if not resend and not never_sent(exc):
                    raise UnknownOutcomeError(
                        self.name, f"{route}: {type(exc).__name__} after sending; not sent again"
                    ) from exc
                raise TransientError(self.name, f"{route}: {type(exc).__name__}") from exc
            try:
                return self._decode(route, response)
            except TransientError as exc:
                if not resend and response.status_code >= 500:
                    raise UnknownOutcomeError(self.name, f"{exc.message}; not sent again") from exc
                raise

        return once()

    def _decode(self, route: str, response: requests.Response):
        try:
            body = json.loads(response.content or b"null", parse_float=Decimal)
        except ValueError:
            if response.status_code >= 500:
                raise TransientError(self.name, f"{route}: HTTP {response.status_code}") from None
            if response.status_code == 404:  # a web page, not the REST API: wrong URL or API disabled
                raise NotFoundError(
                    self.name, f"{route}: HTTP 404, not a WordPress REST API answer"
                ) from None
            if response.status_code in (401, 403):
                raise AuthError(
                    self.name, f"{route}: HTTP {response.status_code} from a proxy or firewall"
                ) from None
            raise BadResponseError(
                self.name,
                f"{route}: HTTP {response.status_code}, answer is not JSON: {response.text[:200]!r}",
            ) from None
        status = response.status_code
        if status < 300:
            return body, response.headers
        code = body.get("code", "") if isinstance(body, dict) else ""
        message = (
            f"{route}: HTTP {status} {code}: {body.get('message', '') if isinstance(body, dict) else body}"
        )
        retry_after = _retry_after(response.headers)
        reused_nonce = status == 401 and "nonce" in str(
            body.get("message", "") if isinstance(body, dict) else ""
        )
        if status == 429 or status >= 500 or code == "rate_limit_exceeded" or reused_nonce:
            raise TransientError(self.name, message, retry_after=retry_after)
        if status in (401, 403):
            raise AuthError(self.name, message)
        if status == 404:
            raise NotFoundError(self.name, message)
        raise BadRequestError(self.name, message)

    def _page_at(self, endpoint: str, params: dict, offset: int) -> tuple[list[dict], int]:
        body, headers = self.call("GET", endpoint, params={**params, "per_page": PAGE_SIZE, "offset": offset})
        if not isinstance(body, list):
            raise BadResponseError(self.name, f"GET {endpoint}: expected a list, got {type(body).__name__}")
        return body, int(headers.get("X-WP-Total") or 0)

    def _listing(
        self,
        endpoint: str,
        params: dict,
        start: Position | None = None,
        expected: int | None = None,
        *,
        pool: Executor | None = None,
        expand: Callable[[list[dict]], None] | None = None,
    ) -> Iterator[tuple[list[dict], Position, bool]]:
        """An id-ordered listing, page by page, anchored (paging.py); `expand` completes each page in the
        worker that fetched it (a page of products gets its variations there)."""
        ordered = {**params, "orderby": "id", "order": "asc"}

        def fetch(offset: int) -> tuple[list[dict], int]:
            items, total = self._page_at(endpoint, ordered, offset)
            if expand is not None:
                # past the start, a page is kept only when its first record is one already read (paging.py)
                expand(items[1:] if offset > 0 else items)
            return items, total

        return anchored_pages(
            fetch,
            start or Position(),
            pool=pool or self.pool,
            in_flight=1 if pool is INLINE else self.in_flight,
            expected_total=expected,
        )

    def _all(
        self, endpoint: str, params: dict, expected: int | None = None, *, pool: Executor | None = None
    ) -> list[dict]:
        listing = self._listing(endpoint, params, expected=expected, pool=pool)
        return [item for items, _, _ in listing for item in items]

    # --- what the store offers ----------------------------------------------------------------------------

    def address(self) -> str:
        return self.config.url

    def has_variations_endpoint(self) -> bool:
        """Whether the store serves GET /wc/v3/variations (WooCommerce 10.3 and later), from its route index."""
        key = self.transport.base
        with _route_lock:
            known = _variations_route.get(key)
        if known is None:
            body, _ = self.call("GET", "")
            routes = body.get("routes", {}) if isinstance(body, dict) else {}
            known = VARIATIONS_ROUTE in routes and "GET" in routes[VARIATIONS_ROUTE].get("methods", [])
            with _route_lock:
                _variations_route[key] = known
        return known

    # --- contract -----------------------------------------------------------------------------------------

    def probe(self) -> StoreInfo:
        body, _ = self.call("GET", "data/currencies/current")
        detail = (
            "variations read through /wc/v3/variations (WooCommerce 10.3 or later)"
            if self.has_variations_endpoint()
            else "variations read one variable product at a time (no /wc/v3/variations: WooCommerce before 10.3)"
        )
        return StoreInfo(
            self.platform,
            self.config.api_version,
            body.get("code") if isinstance(body, dict) else None,
            detail=detail,
        )

    def missing_write_access(self, jobs: Collection[str]) -> list[str]:
        """One empty `POST products/batch`: a read_write key gets 200 `[]` and nothing changes; a key with read
        access only gets 401 "does not have write permissions" (recorded in 52-52d)."""
        writes = [WRITING_JOBS[job] for job in jobs if job in WRITING_JOBS]
        if not writes:
            return []
        try:
            self.call("POST", "products/batch", data={})
        except AuthError as exc:
            if "write permission" not in exc.message:
                raise
            return [
                f"{self.name}: the WooCommerce key has read access only, so {', '.join(writes)} cannot be "
                f"written; create a key with Read/Write permissions (WooCommerce > Settings > Advanced > "
                f"REST API) and replace stores.{self.name}.consumer_key and consumer_secret"
            ]
        return []

    def read(self, resource: Resource, since: datetime | None, resume: str | None = None) -> Iterator[Page]:
        if resource == "abandoned_checkouts":
            return  # no such API in WooCommerce core: see the module docstring
        params: dict[str, Any] = {"_fields": FIELDS[resource]}
        if since is not None and resource != "customers":
            params.update(modified_after=_wc_time(since), dates_are_gmt="true")
        if resource == "customers":
            params["role"] = "all"
        if resource == "products":
            params["context"] = "edit"
        expand = self._attach_variations if resource == "products" else None
        for items, position, last in self._listing(resource, params, Position.parse(resume), expand=expand):
            problems: list[DataProblem] = []
            if resource == "products":
                records = self._products(items, problems)
            elif resource == "orders":
                records = [normalise.order(item, problems) for item in items]
            else:
                records = [normalise.customer(item) for item in items if _kept_customer(item)]
                if since is not None:
                    records = [c for c in records if c.updated_at >= since]
            yield Page(records, problems, None if last else position.token())

    def _attach_variations(self, items: list[dict]) -> None:
        """In the worker that fetched a page of products: the variations of its variable products, read one
        request after another there (the pool's other workers fetch the next pages meanwhile)."""
        parents = [item for item in items if item.get("type") == "variable" and item.get("variations")]
        found = self._variations_of(
            parents, {"_fields": FIELDS["variations"], "context": "edit"}, pool=INLINE
        )
        for item in parents:
            item[_VARIATIONS] = found.get(item["id"], [])

    def _products(self, items: list[dict], problems: list[DataProblem]):
        return [
            normalise.product(item, item.pop(_VARIATIONS, []), self.cost_meta_key, problems) for item in items
        ]

    def _variations_of(
        self, parents: list[dict], params: dict, *, pool: Executor | None = None
    ) -> dict[int, list[dict]]:
        """The variations of these variable products, by parent id: in pages of 100 from /wc/v3/variations
        where the store has it, else one request per product, on `pool` (`requests_in_flight` at a time)."""
        pool = pool or self.pool
        found: dict[int, list[dict]] = defaultdict(list)
        if not parents:
            return found
        if self.has_variations_endpoint():
            expected = sum(len(p["variations"]) for p in parents)
            query = {**params, "parent": ",".join(str(p["id"]) for p in parents)}
            for variation in self._counted("variations", query, expected, pool=pool):
                found[int(variation["parent_id"])].append(variation)
            return found
        listings = [
            (
                parent,
                pool.submit(
                    self._counted,
                    f"products/{parent['id']}/variations",
                    params,
                    len(parent["variations"]),
                    pool=INLINE,
                ),
            )
            for parent in parents
            if len(parent["variations"]) < PAGE_SIZE
        ]
        for parent in parents:  # more than a page: from the main thread, whose listing uses the pool itself
            if len(parent["variations"]) >= PAGE_SIZE:
                found[int(parent["id"])] = self._counted(
                    f"products/{parent['id']}/variations", params, PAGE_SIZE, pool=pool
                )
        for parent, listing in listings:
            found[int(parent["id"])] = listing.result()
        return found

    def _counted(
        self, endpoint: str, params: dict, expected: int, *, pool: Executor | None = None
    ) -> list[dict]:
        """A listing whose size the parent products tell: its pages asked at once, side by side (no overlap),
        kept when together they hold exactly the total every one of them reports; otherwise (a variation
        added or removed between two of them) read again page by page, anchored."""
        ordered = {**params, "orderby": "id", "order": "asc"}
        pages = max(1, -(-expected // PAGE_SIZE))
        if pages == 1:
            items, total = self._page_at(endpoint, ordered, 0)
            answers = [(items, total)]
        else:
            futures = [
                (pool or self.pool).submit(self._page_at, endpoint, ordered, k * PAGE_SIZE)
                for k in range(pages)
            ]
            answers = [future.result() for future in futures]
        items = {item["id"]: item for page, _ in answers for item in page}
        totals = {total for _, total in answers}
        if len(totals) == 1 and len(items) == totals.pop():
            return [items[i] for i in sorted(items)]
        return self._all(endpoint, params, pool=pool)

    def trashed_ids(self, resource: Resource, since: datetime | None) -> set[str] | None:
        """`status=trash` lists what the default listings leave out (recorded in 55d); customers cannot be
        trashed in WooCommerce (recorded in 30)."""
        if resource not in ("products", "orders"):
            return None
        params: dict[str, Any] = {"status": "trash", "_fields": "id"}
        if since is not None:
            params.update(modified_after=_wc_time(since), dates_are_gmt="true")
        return {str(item["id"]) for item in self._all(resource, params)}

    def listed_ids(self, resource: Resource) -> set[str] | None:
        if resource == "abandoned_checkouts":
            return None
        if resource == "customers":
            listed = self._all("customers", {"role": "all", "_fields": "id,role,is_paying_customer"})
            return {str(item["id"]) for item in listed if _kept_customer(item)}
        return {str(item["id"]) for item in self._all(resource, {"_fields": "id"})}

    def stock_levels(self, skus: Iterable[str] | None = None) -> Iterator[StockLevel]:
        """By SKU list (the `sku` filter takes a comma list and finds variations too), 100 SKUs a request,
        several in flight; every product and variation when None: the products listing and, on WooCommerce
        10.3 and later, the /wc/v3/variations listing (two requests per 100 SKUs at most), else each variable
        product's variations. Each level carries the mark of the connector's last stock write."""
        if skus is None:
            yield from self._all_stock_levels()
            return
        for item in self._by_sku(skus, _STOCK):
            if item.get("type") != "variable":
                yield _stock_level(item)

    def _all_stock_levels(self) -> Iterator[StockLevel]:
        endpoint = self.has_variations_endpoint()
        for items, _, _ in self._listing("products", {"_fields": _STOCK}):
            variable = [item for item in items if item.get("type") == "variable"]
            yield from (
                _stock_level(item) for item in items if item.get("type") != "variable" and item.get("sku")
            )
            if not endpoint:
                by_parent = self._variations_of(
                    [v for v in variable if v.get("variations")], {"_fields": _STOCK}
                )
                for parent, variations in by_parent.items():
                    yield from (_stock_level(v, str(parent)) for v in variations if v.get("sku"))
        if endpoint:
            for items, _, _ in self._listing("variations", {"_fields": _STOCK}):
                yield from (_stock_level(v) for v in items if v.get("sku"))

    def _by_sku(self, skus: Iterable[str], fields: str) -> Iterator[dict]:
        """Products and variations holding these SKUs (trashed ones are not listed: recorded in 55f)."""
        wanted = sorted(set(skus))
        chunks = [wanted[start : start + PAGE_SIZE] for start in range(0, len(wanted), PAGE_SIZE)]
        answers = [
            (
                chunk,
                self.pool.submit(self._page_at, "products", {"sku": ",".join(chunk), "_fields": fields}, 0),
            )
            for chunk in chunks
        ]
        for chunk, answer in answers:
            items, total = answer.result()
            if total > len(items):
                items = self._all("products", {"sku": ",".join(chunk), "_fields": fields}, expected=total)
            keep = set(chunk)
            yield from (item for item in items if item.get("sku") in keep)

    def write_stock(self, writes: list[StockWrite]) -> list[WriteOutcome]:
        """WooCommerce has no compare-and-set. Each write sends the change (`inventory_delta`, which the store
        adds to its current quantity inside its own save: a sale landing between our read and this write is
        kept, not overwritten) and, in the same save, the write's mark as product meta, so a later read
        tells whether a write whose answer was lost had been applied. Such a write is never sent again blindly
        (it would add its change twice): the inventory job settles it by the next read (see `call`)."""
        items = []
        for w in writes:
            fields: dict[str, Any] = {"inventory_delta": w.quantity - w.expected}
            if w.mark:
                fields["meta_data"] = [{"key": STOCK_MARK_KEY, "value": w.mark}]
            items.append((w.sku, w.level.product_id, w.level.variant_id, fields))
        return self._batched(items, resend=False)

    def write_prices(self, writes: list[PriceWrite]) -> list[WriteOutcome]:
        """`price` becomes regular_price and `sale_price` sale_price ("" ends a sale), through the batch
        endpoints. WooCommerce has neither markets nor a compare-at price: a write naming a market is refused
        per item, and `compare_at_price` is not written (the struck-through price is the regular price)."""
        items, refused = [], []
        for w in writes:
            if w.market is not None:
                message = f"WooCommerce has no markets; cannot price {w.market!r}"
                refused.append(WriteOutcome(w.sku, False, message=message))
                continue
            regular, sale = LIST_AND_SALE.shown(w.price, w.sale_price)
            fields = {
                "regular_price": self._price_text(regular),
                "sale_price": "" if sale is None else self._price_text(sale),
            }
            items.append((w.sku, w.product_id, w.variant_id, fields))
        return refused + self._batched(items)

    def current_prices(
        self, skus: Iterable[str], market: str | None = None
    ) -> dict[str, tuple[Decimal | None, Decimal | None]]:
        """(regular price, sale price) of each SKU as the store shows them now, 100 SKUs a request."""
        if market is not None:
            raise ValueError(f"{self.name}: WooCommerce has no markets; cannot read prices of {market!r}")
        return {
            item["sku"]: (
                self._price_value(item.get("regular_price")),
                self._price_value(item.get("sale_price")),
            )
            for item in self._by_sku(skus, _PRICES)
            if item.get("type") != "variable"
        }

    @staticmethod
    def _price_text(amount: Decimal) -> str:
        """A price as WooCommerce takes it: plain digits, never an exponent (Decimal('1E+3') -> '1000')."""
        if isinstance(amount, bool) or not isinstance(amount, Decimal) or not amount.is_finite():
            raise TypeError(f"a price must be a finite Decimal, got {amount!r}")
        return f"{amount:f}"

    @staticmethod
    def _price_value(text: Any) -> Decimal | None:
        return None if text in (None, "") else Decimal(str(text))

    def write_products(self, updates: list[tuple[str, str, dict]]) -> list[WriteOutcome]:
        """Update product fields (e.g. translated texts): (sku, product id, fields)."""
        return self._batched([(sku, pid, pid, fields) for sku, pid, fields in updates])

    def write_translations(self, writes: list[TranslationWrite]) -> list[WriteOutcome]:
        """Translated texts into the products of this (market's own) store, through products/batch."""
        return self.write_products(
            [
                (
                    w.sku,
                    w.product_id,
                    {TEXT_FIELDS[name]: text for name, text in w.fields.items() if name in TEXT_FIELDS},
                )
                for w in writes
            ]
        )

    def tag_order(self, order_id: str, text: str) -> None:
        """Add a private note to an order (fraud flags); raises a PlatformError when the store refuses it."""
        body, _ = self.call("POST", f"orders/{order_id}/notes", data={"note": text})
        if not isinstance(body, dict) or body.get("id") is None:
            raise BadResponseError(self.name, f"POST orders/{order_id}/notes: no note in the answer")

    def _batched(self, items: list[tuple[str, str, str, dict]], *, resend: bool = True) -> list[WriteOutcome]:
        """Group updates by endpoint (simple products together, variations per parent), 100 a request.
        `resend`: see `call` (False for changes that must not be applied twice)."""
        groups: dict[str, list[tuple[str, str, dict]]] = defaultdict(list)
        for sku, product_id, variant_id, fields in items:
            endpoint = (
                "products/batch" if variant_id == product_id else f"products/{product_id}/variations/batch"
            )
            groups[endpoint].append((sku, variant_id, fields))
        outcomes = []
        for endpoint, group in groups.items():
            for start in range(0, len(group), BATCH_LIMIT):
                chunk = group[start : start + BATCH_LIMIT]
                try:
                    body, _ = self.call(
                        "POST",
                        endpoint,
                        data={"update": [{"id": int(vid), **fields} for _, vid, fields in chunk]},
                        resend=resend,
                    )
                except PlatformError as exc:
                    if isinstance(exc, AuthError):
                        raise
                    outcomes += [WriteOutcome(sku, False, message=str(exc)) for sku, _, _ in chunk]
                    continue
                answered = {str(item.get("id")): item for item in (body or {}).get("update", [])}
                for sku, vid, _ in chunk:
                    item = answered.get(vid)
                    if item is None or "error" in item:
                        error = (item or {}).get("error", {}).get("message", "no answer for this item")
                        outcomes.append(WriteOutcome(sku, False, message=f"{endpoint} id {vid}: {error}"))
                    else:
                        outcomes.append(WriteOutcome(sku, True))
        return outcomes


def _kept_customer(item: dict) -> bool:
    """People who bought or who have the customer role; `role=all` also lists administrators and staff."""
    return item.get("role") == "customer" or item.get("is_paying_customer") is True


def _stock_level(item: dict, parent_id: str | None = None) -> StockLevel:
    managed = item.get("manage_stock") is True  # "parent": the parent product holds the stock
    parent = parent_id or str(item.get("parent_id") or item["id"])
    mark = next(
        (
            str(meta.get("value") or "")
            for meta in item.get("meta_data") or []
            if isinstance(meta, dict) and meta.get("key") == STOCK_MARK_KEY
        ),
        "",
    )
    quantity = int(item.get("stock_quantity") or 0) if managed else 0
    return StockLevel(item["sku"], quantity, managed, str(item["id"]), parent, write_mark=mark)


def _wc_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _retry_after(headers) -> float | None:
    value = headers.get("Retry-After") or headers.get("RateLimit-Retry-After")
    try:
        return float(value) if value else None
    except ValueError:
        return None
