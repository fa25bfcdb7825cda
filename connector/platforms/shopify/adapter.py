"""Shopify adapter: the Admin GraphQL API through one ShopifyTransport (cost pacing, retries) per store.

Reading: cursor pages sorted by `UPDATED_AT` inside a window `updated_at:>='<since>'`. A record changed while a
pass runs moves to the end of the order and is read again (repeats are allowed, skips are not). Shopify stops
cursor paging after 25,000 objects, so after CURSOR_RESTART_AFTER records a pass restarts its window at the
newest `updatedAt` read so far (records of that second repeat). A product with more variants than fit in the
products page, or an order with more lines, has the rest paged through `product(id)` / `order(id)`.
Abandoned checkouts (`abandonedCheckouts`, resource "abandoned_checkouts") have no UPDATED_AT sort key: they
are paged by id inside the same `updated_at` window (a record changed while a pass runs keeps its place, and
the pass's end moves the mark no later than its start, so the change is read by the next pass), and a pass
past CURSOR_RESTART_AFTER restarts with `id:>` the last id read instead of a later window. They are always
paged (no bulk read): a checkout costs 5 points, so a page of 190 stays under the per-query ceiling.
`resume` is a JSON object: {"mode": "paged", "since", "after", "read"[, "above_id"]} or
{"mode": "bulk", "operation", "lines"}.

Page sizes come from the costs Shopify reports. Connections are charged on a logarithmic scale of their page
size (connector/sandbox/shopify/cost.py, after https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits),
so a page of 250 costs little more than a page of 100: every root connection asks for Shopify's maximum of 250
and nested connections for as many as keep the query under the 1,000-point ceiling (a products page with 100
variants each is requested at about 915, an orders page with 50 lines at about 760). When Shopify refuses a
page as MAX_COST_EXCEEDED it reports the cost it computed; the page size is scaled down by the ratio of the
ceiling to that cost and the smaller size is kept for the adapter's life.

Bulk reads: the first full read (since None, no resume) counts the records with one cheap `*Count` query and
uses a bulk operation above BULK_THRESHOLDS. Why these figures: paging is bound by the cost bucket's restore
rate (100 points a second on standard plans; the 2,000-point bucket only covers the first burst). With the
real (logarithmic) costs a page of 250 products with a few variants actually spends some 250 to 500 points,
a page of 250 orders some 300, of 250 customers some 30: paging reads about 50 to 100 products, 80 orders or
700 customers a second once the burst is spent. A bulk operation costs 10 points whatever its size, but takes
tens of seconds to a few minutes of start, queue and poll latency on a real shop: it wins from about 2,500
products, 5,000 orders or 25,000 customers, and the gap grows with the shop (no 25,000-object cursor ceiling
either). Bulk results are joined and streamed by connector/platforms/shopify/bulk.py.

Writing: `inventorySetQuantities` (compare-and-set with `changeFromQuantity`, at most 250 quantities a call;
Shopify applies a call all or nothing, so refused items are taken out and the rest is sent again). Its
`@idempotent` key is the sha256 of the writes' marks, so the inventory job's resend of a call whose answer it
never recorded replays the first answer rather than applying twice (`replays_stock_writes`).
`productVariantsBulkUpdate` for variant prices, several products in one request through GraphQL aliases;
`priceListFixedPricesAdd` for a market's price list. A PriceWrite with a sale price sends price = the sale
price and compareAtPrice = the list price (Shopify's way of showing a sale: `PRICE_AND_COMPARE_AT`).

Fields the records take from the 2026-10 schema: an order's `status` is `displayFinancialStatus` lower-cased
("paid", "partially_refunded", ...), or "cancelled" when `cancelledAt` is set; its `risk_level` is the highest
`riskLevel` of `risk.assessments` (OrderRiskAssessment, Shopify's replacement of the deprecated
`Order.riskLevel` and `Order.risks`), lower-cased: none, pending, low, medium or high; a variant's `cost` is
`inventoryItem.unitCost` (in the shop's currency; None where no cost is entered).
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from connector.platforms.base import (
    PRICE_AND_COMPARE_AT,
    RESOURCES,
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
    PlatformError,
    TransientError,
)
from connector.platforms.retry import retrying
from connector.platforms.shopify import credentials, documents, normalise
from connector.platforms.shopify.bulk import BulkAccessDenied, BulkPage, BulkReader
from connector.platforms.shopify.store_state import ShopifyStoreState
from connector.platforms.shopify.translations import translatable_fields, write_translations
from connector.platforms.shopify.transport import CostExceededError, ProtectedDataError, ShopifyTransport
from connector.records import AbandonedCheckout, Customer, Order, Product, StockLevel

log = logging.getLogger(__name__)

# Page sizes (see the module doc): roots at Shopify's maximum, nested connections under the 1,000-point ceiling.
PAGE_SIZES: dict[str, int] = {
    "products": 250,
    "variantsFirst": 100,
    "orders": 250,
    "linesFirst": 50,
    "customers": 250,
    "abandoned_checkouts": 250,
}
MAX_QUERY_COST = 1000
VARIANTS_PAGE = 250
LINES_PAGE = 250
STOCK_PAGE = 250
PRICES_PAGE = 250
PRICE_LIST_PRICES_PAGE = 200
SKUS_PER_QUERY = 50
MAX_INPUT_ARRAY = 250  # Shopify's cap on input arrays (quantities, variants, prices)
PRODUCTS_PER_PRICE_REQUEST = 25  # aliased productVariantsBulkUpdate fields: 10 points each
CURSOR_RESTART_AFTER = 20_000  # below Shopify's 25,000-object cursor paging limit
BULK_THRESHOLDS: dict[str, int] = {"products": 2_500, "orders": 5_000, "customers": 25_000}
STALE = "CHANGE_FROM_QUANTITY_STALE"
PERSONAL_DATA = "personal_data"
PERSONAL_DATA_MESSAGE = (
    "personal fields (emails, names, addresses) are unavailable: the app is not approved for protected customer "
    "data; request access in the app's settings (https://shopify.dev/docs/apps/launch/protected-customer-data)"
)
# What each job needs of the app's access scopes (https://shopify.dev/docs/api/usage/access-scopes); a write
# scope implies its read scope. Every configured store is also pulled: PULL_SCOPES.
PULL_SCOPES = ("read_products", "read_orders", "read_customers")
JOB_SCOPES: dict[str, tuple[str, ...]] = {
    "inventory": ("write_inventory", "read_products", "read_locations"),
    "prices": ("write_products", "read_markets"),
    "translations": ("write_translations", "read_locales", "read_markets"),
    "tagging": ("write_orders",),
}

_PAGED: dict[str, tuple[str, str]] = {
    "products": (documents.PRODUCTS_SYNC_PAGE, "products"),
    "orders": (documents.ORDERS_SYNC_PAGE, "orders"),
    "customers": (documents.CUSTOMERS_SYNC_PAGE, "customers"),
    "abandoned_checkouts": (documents.ABANDONED_CHECKOUTS_SYNC_PAGE, "abandonedCheckouts"),
}
_SORTED_BY_ID = frozenset({"abandoned_checkouts"})  # no UPDATED_AT sort key in the schema
_COUNTS: dict[str, tuple[str, str]] = {
    "products": (documents.PRODUCTS_COUNT, "productsCount"),
    "orders": (documents.ORDERS_COUNT, "ordersCount"),
    "customers": (documents.CUSTOMERS_COUNT, "customersCount"),
}
_BULK: dict[str, str] = {
    "products": documents.PRODUCTS_BULK,
    "orders": documents.ORDERS_BULK,
    "customers": documents.CUSTOMERS_BULK,
}
# The same reads without protected customer data fields, for a store whose app is not approved for them.
_WITHOUT_PERSONAL: dict[str, str] = {
    documents.ORDERS_SYNC_PAGE: documents.ORDERS_SYNC_PAGE_WITHOUT_PERSONAL,
    documents.CUSTOMERS_SYNC_PAGE: documents.CUSTOMERS_SYNC_PAGE_WITHOUT_PERSONAL,
    documents.ORDERS_BULK: documents.ORDERS_BULK_WITHOUT_PERSONAL,
    documents.CUSTOMERS_BULK: documents.CUSTOMERS_BULK_WITHOUT_PERSONAL,
}
_SIZE_KEYS = {"products": "products", "orders": "orders", "customers": "customers", "abandoned_checkouts": "abandoned_checkouts"}


def variants_bulk_update_document(count: int) -> str:
    """One mutation updating the variants of `count` products: fields `update0..`, variables `product<i>`,
    `variants<i>`. Partial updates are allowed, so one refused variant does not hold back the others."""
    if count < 1:
        raise ValueError("a price update needs at least one product")
    arguments = ", ".join(
        f"$product{i}: ID!, $variants{i}: [ProductVariantsBulkInput!]!" for i in range(count)
    )
    fields = "\n".join(
        f"  update{i}: productVariantsBulkUpdate(productId: $product{i}, variants: $variants{i}, "
        "allowPartialUpdates: true) {\n"
        "    productVariants { id price compareAtPrice }\n"
        "    userErrors { field message code }\n"
        "  }"
        for i in range(count)
    )
    return f"mutation ProductVariantsBulkUpdateMany({arguments}) {{\n{fields}\n}}\n"


def sku_query(skus: list[str]) -> str:
    """Shopify search syntax selecting any of the SKUs: `sku:"A" OR sku:"B"`."""
    return " OR ".join('sku:"{}"'.format(sku.replace("\\", "\\\\").replace('"', '\\"')) for sku in skus)


def _window(since: datetime | None) -> str | None:
    return None if since is None else since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _search(window: str | None, above_id: str | None) -> str | None:
    """The `query:` of a paged read: the modification window, and past a restart the ids already read."""
    terms = []
    if window:
        terms.append(f"updated_at:>='{window}'")
    if above_id:
        terms.append(f"id:>{above_id}")
    return " AND ".join(terms) or None


def _legacy_id(global_id: str | None) -> str | None:
    """The number at the end of a global id (`gid://shopify/AbandonedCheckout/42` -> "42")."""
    tail = (global_id or "").rsplit("/", 1)[-1]
    return tail if tail.isdigit() else None


def _position(resume: str | None) -> dict | None:
    """A resume token back as a dict; one this adapter cannot read restarts the pass (records may repeat)."""
    if not resume:
        return None
    try:
        position = json.loads(resume)
    except ValueError:
        position = None
    if (
        not isinstance(position, dict)
        or position.get("mode") not in ("paged", "bulk")
        or (position.get("mode") == "bulk" and "roots" not in position)  # an older bulk token: read again
    ):
        log.warning("ignoring a resume position this adapter did not write: %.80r", resume)
        return None
    return position


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _error_index(error: dict, array: str) -> int | None:
    """The input index a userError's `field` path points at (["input", "quantities", "3", ...] -> 3)."""
    path = [str(part) for part in error.get("field") or []]
    if array in path:
        position = path.index(array) + 1
        if position < len(path) and path[position].isdigit():
            return int(path[position])
    return None


def idempotency_key(writes: list[StockWrite]) -> str:
    """The `@idempotent` key of one inventorySetQuantities call. Derived from the writes' marks when every
    write has one, so the same writes resent (after a crash, by the inventory job) replay the first call's
    answer instead of applying twice; a fresh random key otherwise. The transport's own retries of one call
    resend the same variables, hence the same key, either way."""
    marks = [w.mark for w in writes]
    if marks and all(marks):
        return hashlib.sha256("\n".join(marks).encode()).hexdigest()
    return str(uuid.uuid4())


def granted(scopes: str | None) -> set[str]:
    """Scopes as Shopify lists them ("read_products,write_inventory"), with each write's implied read."""
    found = {scope.strip() for scope in (scopes or "").split(",") if scope.strip()}
    return found | {scope.replace("write_", "read_", 1) for scope in found if scope.startswith("write_")}


def open_transport(name: str, config: Any) -> ShopifyTransport:
    """The transport of a configured store with its credential form (connector/platforms/shopify/credentials.py)."""
    form = credentials.form_of(config)
    if form == "client_credentials":
        source: Any = credentials.ClientCredentials(
            name,
            config.shop,
            config.client_id.get_secret_value(),
            config.client_secret.get_secret_value(),
            timeout=config.timeout,
        )
    elif form == "authorization_code":
        source = credentials.AuthorizationCode(
            name,
            config.shop,
            config.client_id.get_secret_value(),
            config.client_secret.get_secret_value(),
            ShopifyStoreState(name, config.state_path),
            config_path=str(config.config_path or "FILE"),
            timeout=config.timeout,
        )
    else:
        source = config.access_token.get_secret_value()
    return ShopifyTransport(
        config.shop, source, api_version=config.api_version, timeout=config.timeout, store_name=name
    )


class ShopifyAdapter(StoreAdapter):
    platform = "shopify"
    replays_stock_writes = True  # the idempotency key follows the marks: see idempotency_key
    resources = (*RESOURCES, "abandoned_checkouts")
    price_targets = (
        PriceTarget("shopify_variants", "{store} (Shopify variant prices)", PRICE_AND_COMPARE_AT),
        PriceTarget("shopify_price_list", "{store}, market {market} (price list)", PRICE_AND_COMPARE_AT, True),
    )
    # translationsRegister: per locale, optionally per market, beside the product's own texts.
    translations = TranslationSupport(translatable_fields(), per_locale=True, per_market=True)
    tags_orders = True
    # An order's status is its displayFinancialStatus lower-cased (see the module docstring):
    # https://shopify.dev/docs/api/admin-graphql/latest/enums/OrderDisplayFinancialStatus
    order_statuses = OrderStatuses(
        sales=frozenset({"paid", "partially_refunded", "refunded"}),
        refunded=frozenset({"refunded"}),
        awaiting_payment=frozenset({"pending", "authorized", "partially_paid"}),
    )

    def __init__(self, name: str, config: Any, *, transport: ShopifyTransport | None = None):
        super().__init__(name, config)
        self.transport = transport or open_transport(name, config)
        self._attempts = StoreAdapter.attempts
        self.bulk_thresholds = {**BULK_THRESHOLDS, **(getattr(config, "bulk_thresholds", None) or {})}
        self.bulk_poll_interval = 0.5
        self.page_sizes = dict(PAGE_SIZES)
        state_path = getattr(config, "state_path", None)
        self.store_state = ShopifyStoreState(name, state_path)
        if state_path is not None:
            self._spill_dir, self._scratch = Path(f"{state_path}.shopify-bulk"), None
        else:
            self._scratch = tempfile.TemporaryDirectory(prefix="connector-bulk-")
            self._spill_dir = Path(self._scratch.name)
        self._location_id: str | None = config.location
        self._price_lists: dict[str, tuple[str, str, str]] | None = None  # key -> (id, currency, market)

    @property
    def attempts(self) -> int:  # type: ignore[override]
        return self._attempts

    @attempts.setter
    def attempts(self, value: int) -> None:
        """Attempts per request for transient failures (`connector check` sets 1), applied to the transport."""
        self._attempts = value
        self.transport._policy = retrying(value, store=self.name)

    @property
    def throttle_wait_seconds(self) -> float:
        return float(self.transport.throttle_waits_seconds)

    def close(self) -> None:
        self.transport.close()
        if self._scratch is not None:
            self._scratch.cleanup()

    # --- calls --------------------------------------------------------------------------------------------

    def _call(self, route: str, document: str, variables: dict | None = None, *, write: bool = False) -> dict:
        self.requests.count(route, write=write)
        return self.transport.execute(document, variables)

    def _counter(self, route: str):
        return lambda: self.requests.count(route, write=False)

    def _paginate(self, route: str, document: str, variables: dict, path: str) -> Iterator[dict]:
        return self.transport.paginate(document, variables, path, on_request=self._counter(route))

    def location_id(self) -> str:
        """The configured location, else the shop's primary location (asked once)."""
        if self._location_id is None:
            location = self._call("PrimaryLocation", documents.PRIMARY_LOCATION).get("location") or {}
            if not location.get("id"):
                raise BadResponseError(self.name, "the shop reports no primary location")
            self._location_id = location["id"]
        return self._location_id

    # --- probe and permissions -----------------------------------------------------------------------------

    def probe(self) -> StoreInfo:
        shop = self._call("ShopProbe", documents.SHOP_PROBE).get("shop") or {}
        return StoreInfo(
            self.platform, self.transport.api_version, shop.get("currencyCode"), shop.get("name", "")
        )

    def granted_scopes(self) -> set[str]:
        """The app's access scopes on this shop, from the token answer or `currentAppInstallation`."""
        scope = getattr(self.transport.credentials, "scope", None)
        if scope is None:
            installation = self._call("AccessScopes", documents.ACCESS_SCOPES).get("currentAppInstallation") or {}
            scope = ",".join(s.get("handle", "") for s in installation.get("accessScopes") or [])
        return granted(scope)

    def address(self) -> str:
        return self.config.shop

    def credential_summary(self) -> list[str]:
        """What `connector check` says of the credential: its form, the scopes granted, personal data access."""
        scopes = self.granted_scopes()
        lines = [
            f"credential: {self.transport.credentials.form}",
            f"granted scopes: {', '.join(sorted(scopes)) or 'none'}",
        ]
        missing = [s for s in PULL_SCOPES if s not in scopes]
        if missing:
            lines.append(f"the pull needs {', '.join(missing)}: add them to the app's access scopes")
        if "read_orders" in scopes and not self.personal_data_available():
            lines.append(PERSONAL_DATA_MESSAGE)
        return lines

    def personal_data_available(self) -> bool:
        """Whether the app may read protected customer data; a denial is recorded once for status and reports."""
        try:
            self._call("PersonalDataProbe", documents.PERSONAL_DATA_PROBE)
        except ProtectedDataError:
            self._personal_data_denied()
            return False
        self.store_state.clear_limit(PERSONAL_DATA)
        return True

    def missing_write_access(self, jobs: Collection[str]) -> list[str]:
        """One sentence per scope a configured job needs and the app lacks; changes nothing on the shop."""
        scopes = self.granted_scopes()
        sentences = []
        for job in jobs:
            for scope in JOB_SCOPES.get(job, ()):
                if scope not in scopes:
                    sentences.append(
                        f"the {self.transport.credentials.form} credential of store {self.name} lacks the "
                        f"{scope} scope that {job} needs: add {scope} to the app's access scopes and "
                        + ("reinstall the app" if "client" in self.transport.credentials.form else "authorize again")
                    )
        return sentences

    def _personal_data_denied(self) -> None:
        if self.store_state.record_limit(PERSONAL_DATA, PERSONAL_DATA_MESSAGE):
            log.warning("store %s: %s", self.name, PERSONAL_DATA_MESSAGE)

    def _document(self, document: str) -> str:
        if self.store_state.limit(PERSONAL_DATA) is not None:
            return _WITHOUT_PERSONAL.get(document, document)
        return document

    # --- reading ------------------------------------------------------------------------------------------

    def read(self, resource: Resource, since: datetime | None, resume: str | None = None) -> Iterator[Page]:
        if resource not in _PAGED:
            raise ValueError(f"unknown resource {resource!r}")
        position = _position(resume)
        if position is not None and position.get("mode") == "bulk":
            yield from self._read_bulk(resource, position)
        elif (
            position is None
            and since is None
            and resource in self.bulk_thresholds
            and (self.store_state.bulk(resource) is not None or self.count(resource) > self.bulk_thresholds[resource])
        ):
            yield from self._read_bulk(resource, None)
        else:
            yield from self._read_paged(resource, since, position)

    def count(self, resource: Resource, query: str | None = None) -> int:
        """How many records a resource holds (Shopify counts exactly up to 10,000, then says "at least")."""
        document, field = _COUNTS[resource]
        answer = self._call(field, document, {"query": query}).get(field) or {}
        return int(answer.get("count") or 0)

    def _sizes(self, resource: str) -> dict[str, Any]:
        sizes: dict[str, Any] = {"first": self.page_sizes[_SIZE_KEYS[resource]]}
        if resource == "products":
            sizes.update(variantsFirst=self.page_sizes["variantsFirst"], locationId=self.location_id())
        elif resource == "orders":
            sizes["linesFirst"] = self.page_sizes["linesFirst"]
        return sizes

    def _shrink(self, resource: str, exc: CostExceededError) -> None:
        """Scale a page down after MAX_COST_EXCEEDED, by the ratio of the ceiling to the cost Shopify reported."""
        key = _SIZE_KEYS[resource]
        ratio = MAX_QUERY_COST / exc.cost if exc.cost else 0.5
        nested = {"products": "variantsFirst", "orders": "linesFirst"}.get(resource)
        for size_key in (key, nested):
            if size_key:
                self.page_sizes[size_key] = max(1, int(self.page_sizes[size_key] * min(ratio, 0.9)))
        log.info("store %s: %s pages cost %s points; page sizes now %s", self.name, resource, exc.cost, self.page_sizes)

    def _read_paged(self, resource: str, since: datetime | None, position: dict | None) -> Iterator[Page]:
        window = position["since"] if position else _window(since)
        after = position.get("after") if position else None
        read = int(position.get("read", 0)) if position else 0
        above_id = position.get("above_id") if position else None
        path = _PAGED[resource][1]
        while True:  # one round per cursor run; a window restart or a smaller page size starts another
            document = self._document(_PAGED[resource][0])
            variables = {**self._sizes(resource), "query": _search(window, above_id), "after": after}
            restart = False
            try:
                for connection in self.transport.pages(
                    document,
                    variables,
                    path,
                    on_request=self._counter(path),
                    cost_hint=MAX_QUERY_COST,  # until Shopify has reported this page's cost
                ):
                    nodes = connection.nodes
                    problems: list[DataProblem] = []
                    records = [self._record(resource, node, problems) for node in nodes]
                    read += len(nodes)
                    more = bool(connection.has_next_page and connection.end_cursor)
                    resume = None
                    if more:
                        after = connection.end_cursor
                        if read >= CURSOR_RESTART_AFTER and resource in _SORTED_BY_ID:
                            last_id = _legacy_id(nodes[-1].get("id")) if nodes else None
                            if last_id:
                                above_id, after, read, restart = last_id, None, 0, True
                        elif read >= CURSOR_RESTART_AFTER:
                            newest = nodes[-1].get("updatedAt") if nodes else None
                            if newest and newest != window:
                                window, after, read, restart = newest, None, 0, True
                        token = {"mode": "paged", "since": window, "after": after, "read": read}
                        if above_id:
                            token["above_id"] = above_id
                        resume = json.dumps(token)
                    yield Page(records, problems, resume)
                    if restart:
                        break
                if not restart:
                    return
            except CostExceededError as exc:
                self._shrink(resource, exc)
            except ProtectedDataError:
                if document == _WITHOUT_PERSONAL.get(document, document):
                    raise
                self._personal_data_denied()  # the same page is read again without the personal fields

    def _record(
        self, resource: str, node: dict, problems: list[DataProblem]
    ) -> Product | Order | Customer | AbandonedCheckout:
        if resource == "products":
            return normalise.product(node, self._all_variants(node), problems)
        if resource == "orders":
            return normalise.order(node, self._all_lines(node), problems)
        if resource == "abandoned_checkouts":
            return normalise.abandoned_checkout(node, problems)
        return normalise.customer(node, problems)

    def _all_variants(self, product: dict) -> list[dict]:
        return self._whole_connection(
            product.get("variants"),
            "ProductVariantsSyncPage",
            documents.PRODUCT_VARIANTS_SYNC_PAGE,
            {"id": product["id"], "first": VARIANTS_PAGE, "locationId": self.location_id()},
            "product.variants",
        )

    def _all_lines(self, order: dict) -> list[dict]:
        return self._whole_connection(
            order.get("lineItems"),
            "OrderLinesPage",
            documents.ORDER_LINES_PAGE,
            {"id": order["id"], "first": LINES_PAGE},
            "order.lineItems",
        )

    def _whole_connection(
        self, connection: dict | None, route: str, document: str, variables: dict, path: str
    ):
        """A nested connection's nodes, with the pages its parent's page had no room for."""
        nodes = list((connection or {}).get("nodes") or [])
        info = (connection or {}).get("pageInfo") or {}
        if info.get("hasNextPage") and info.get("endCursor"):
            nodes += self._paginate(route, document, {**variables, "after": info["endCursor"]}, path)
        return nodes

    # --- bulk reads ---------------------------------------------------------------------------------------

    def _bulk_reader(self) -> BulkReader:
        return BulkReader(
            self.transport,
            self.store_state,
            self._spill_dir,
            count=lambda route: self.requests.count(route, write=False),
            poll_interval=self.bulk_poll_interval,
        )

    def _read_bulk(self, resource: str, position: dict | None) -> Iterator[Page]:
        location = self.location_id() if resource == "products" else None
        while True:
            query = self._document(_BULK[resource])
            try:
                for page in self._bulk_reader().read(resource, query, position):
                    yield self._bulk_page(resource, page, location)
                return
            except BulkAccessDenied:
                if query == _WITHOUT_PERSONAL.get(query, query):
                    raise
                self._personal_data_denied()
                self.store_state.forget_bulk(resource)
                position = None

    def _bulk_page(self, resource: str, page: BulkPage, location: str | None) -> Page:
        records: list[Any] = []
        problems: list[DataProblem] = []
        for node in page.nodes:
            # Bulk lines come in no order: put children in the order a paged read gives them.
            children = sorted(node.pop("__children", []), key=_child_order)
            if resource == "products":
                variants = [normalise.level_at(_with_levels(child), location) for child in children]
                records.append(normalise.product(node, variants, problems))
            elif resource == "orders":
                records.append(normalise.order(node, children, problems))
            else:
                records.append(normalise.customer(node, problems))
        resume = None if page.resume is None else json.dumps({"mode": "bulk", **page.resume})
        return Page(records, problems, resume)

    # --- stock --------------------------------------------------------------------------------------------

    def stock_levels(self, skus: Iterable[str] | None = None) -> Iterator[StockLevel]:
        location = self.location_id()
        variables = {"first": STOCK_PAGE, "locationId": location}
        if skus is None:
            for node in self._paginate("StockLevels", documents.STOCK_LEVELS, variables, "productVariants"):
                if node.get("sku"):
                    yield self._level(node)
            return
        for chunk in _chunks(sorted(set(skus)), SKUS_PER_QUERY):
            wanted = set(chunk)
            for node in self._paginate(
                "StockLevels",
                documents.STOCK_LEVELS,
                {**variables, "query": sku_query(chunk)},
                "productVariants",
            ):
                if node.get("sku") in wanted:  # Shopify's search is token-based: keep exact matches only
                    yield self._level(node)

    @staticmethod
    def _level(node: dict) -> StockLevel:
        item = node.get("inventoryItem") or {}
        tracked = bool(item.get("tracked"))
        available = normalise.available_at(item) if tracked else None
        return StockLevel(
            sku=node["sku"],
            quantity=available or 0,
            managed=tracked,
            variant_id=node["id"],
            product_id=(node.get("product") or {}).get("id", ""),
            inventory_item_id=item.get("id"),
        )

    def write_stock(self, writes: list[StockWrite]) -> list[WriteOutcome]:
        outcomes: dict[int, WriteOutcome] = {}
        pending: list[int] = []
        for index, write in enumerate(writes):
            if write.level.inventory_item_id is None:
                outcomes[index] = WriteOutcome(
                    write.sku, False, message="no inventory item id: read stock first"
                )
            elif write.quantity == write.expected:
                outcomes[index] = WriteOutcome(write.sku, True)  # nothing to change, nothing sent
            else:
                pending.append(index)
        location = self.location_id() if pending else ""
        for chunk in _chunks(pending, MAX_INPUT_ARRAY):
            self._set_quantities([(i, writes[i]) for i in chunk], location, outcomes)
        return [outcomes[i] for i in range(len(writes))]

    def _set_quantities(
        self, items: list[tuple[int, StockWrite]], location: str, outcomes: dict[int, WriteOutcome]
    ) -> None:
        """Shopify applies a call all or nothing: refused items are answered, the others sent again."""
        while items:
            quantities = [
                {
                    "inventoryItemId": w.level.inventory_item_id,
                    "locationId": location,
                    "quantity": w.quantity,
                    "changeFromQuantity": w.expected,
                }
                for _, w in items
            ]
            variables = {
                "input": {"name": "available", "reason": "correction", "quantities": quantities},
                "idempotencyKey": idempotency_key([w for _, w in items]),
            }
            try:
                data = self._call(
                    "InventorySetQuantities", documents.INVENTORY_SET_QUANTITIES, variables, write=True
                )
            except PlatformError as exc:
                if isinstance(exc, AuthError):
                    raise
                refused = not isinstance(exc, TransientError)  # an answered refusal: the call did not run
                for index, write in items:
                    outcomes[index] = WriteOutcome(write.sku, False, message=exc.message, refused=refused)
                return
            errors = (data.get("inventorySetQuantities") or {}).get("userErrors") or []
            if not errors:
                for index, write in items:
                    outcomes[index] = WriteOutcome(write.sku, True)
                return
            refused: dict[int, dict] = {}
            for error in errors:
                position = _error_index(error, "quantities")
                if position is None or position >= len(items):
                    message = f"inventorySetQuantities refused: {error.get('code')}: {error.get('message')}"
                    for index, write in items:
                        outcomes[index] = WriteOutcome(write.sku, False, message=message, refused=True)
                    return
                refused.setdefault(position, error)
            for position, error in refused.items():
                index, write = items[position]
                stale = error.get("code") == STALE
                outcomes[index] = WriteOutcome(
                    write.sku,
                    False,
                    conflict=stale,
                    message=f"{error.get('code')}: {error.get('message')}",
                    refused=not stale,
                )
            items = [item for position, item in enumerate(items) if position not in refused]

    # --- prices -------------------------------------------------------------------------------------------

    @staticmethod
    def displayed_prices(write: PriceWrite) -> tuple[Decimal, Decimal | None]:
        """(price, compareAtPrice) as Shopify shows them: a sale is the sale price against the list price."""
        return PRICE_AND_COMPARE_AT.shown(write.price, write.sale_price)

    def write_prices(self, writes: list[PriceWrite]) -> list[WriteOutcome]:
        outcomes: dict[int, WriteOutcome] = {}
        by_market: dict[str | None, list[int]] = defaultdict(list)
        for index, write in enumerate(writes):
            by_market[write.market and write.market.lower()].append(index)
        for market, indexes in by_market.items():
            if market is None:
                self._write_variant_prices([(i, writes[i]) for i in indexes], outcomes)
            else:
                self._write_price_list([(i, writes[i]) for i in indexes], writes[indexes[0]].market, outcomes)
        return [outcomes[i] for i in range(len(writes))]

    def _write_variant_prices(
        self, items: list[tuple[int, PriceWrite]], outcomes: dict[int, WriteOutcome]
    ) -> None:
        groups: dict[str, list[tuple[int, PriceWrite]]] = defaultdict(list)
        for item in items:
            groups[item[1].product_id].append(item)
        entries = [
            (product_id, chunk)
            for product_id, group in groups.items()
            for chunk in _chunks(group, MAX_INPUT_ARRAY)
        ]
        for request in _chunks(entries, PRODUCTS_PER_PRICE_REQUEST):
            variables: dict[str, Any] = {}
            for number, (product_id, chunk) in enumerate(request):
                variables[f"product{number}"] = product_id
                variables[f"variants{number}"] = [
                    {
                        "id": w.variant_id,
                        "price": str(price),
                        "compareAtPrice": None if compare is None else str(compare),
                    }
                    for _, w in chunk
                    for price, compare in [self.displayed_prices(w)]
                ]
            try:
                data = self._call(
                    "ProductVariantsBulkUpdate",
                    variants_bulk_update_document(len(request)),
                    variables,
                    write=True,
                )
            except PlatformError as exc:
                if isinstance(exc, AuthError):
                    raise
                for _, chunk in request:
                    for index, write in chunk:
                        outcomes[index] = WriteOutcome(write.sku, False, message=exc.message)
                continue
            for number, (_, chunk) in enumerate(request):
                errors = (data.get(f"update{number}") or {}).get("userErrors") or []
                by_position: dict[int | None, str] = {}
                for error in errors:
                    by_position.setdefault(
                        _error_index(error, "variants"), f"{error.get('code')}: {error.get('message')}"
                    )
                for position, (index, write) in enumerate(chunk):
                    message = by_position.get(position) or by_position.get(None)
                    outcomes[index] = WriteOutcome(write.sku, message is None, message=message or "")

    def _write_price_list(
        self, items: list[tuple[int, PriceWrite]], market: str, outcomes: dict[int, WriteOutcome]
    ) -> None:
        found = self.price_list(market)
        if found is None:
            for index, write in items:
                outcomes[index] = WriteOutcome(
                    write.sku, False, message=f"market {market!r} has no price list"
                )
            return
        price_list_id, currency = found
        sendable = []
        for index, write in items:
            if write.currency != currency:
                message = (
                    f"price in {write.currency}, but the price list of market {market!r} is in {currency}"
                )
                outcomes[index] = WriteOutcome(write.sku, False, message=message)
            else:
                sendable.append((index, write))
        for chunk in _chunks(sendable, MAX_INPUT_ARRAY):
            self._add_fixed_prices(price_list_id, currency, chunk, outcomes)

    def _add_fixed_prices(
        self,
        price_list_id: str,
        currency: str,
        items: list[tuple[int, PriceWrite]],
        outcomes: dict[int, WriteOutcome],
    ) -> None:
        while items:
            prices = []
            for _, write in items:
                price, compare = self.displayed_prices(write)
                prices.append(
                    {
                        "variantId": write.variant_id,
                        "price": {"amount": str(price), "currencyCode": currency},
                        "compareAtPrice": None
                        if compare is None
                        else {"amount": str(compare), "currencyCode": currency},
                    }
                )
            try:
                data = self._call(
                    "PriceListFixedPricesAdd",
                    documents.PRICE_LIST_FIXED_PRICES_ADD,
                    {"priceListId": price_list_id, "prices": prices},
                    write=True,
                )
            except PlatformError as exc:
                if isinstance(exc, AuthError):
                    raise
                for index, write in items:
                    outcomes[index] = WriteOutcome(write.sku, False, message=exc.message)
                return
            errors = (data.get("priceListFixedPricesAdd") or {}).get("userErrors") or []
            refused: dict[int, str] = {}
            for error in errors:
                position = _error_index(error, "prices")
                message = f"{error.get('code')}: {error.get('message')}"
                if position is None or position >= len(items):
                    for index, write in items:
                        outcomes[index] = WriteOutcome(write.sku, False, message=message)
                    return
                refused.setdefault(position, message)
            for position, (index, write) in enumerate(items):
                if position in refused:
                    outcomes[index] = WriteOutcome(write.sku, False, message=refused[position])
                elif not refused:
                    outcomes[index] = WriteOutcome(write.sku, True)
            if not refused:
                return
            items = [item for position, item in enumerate(items) if position not in refused]

    def price_list(self, market: str) -> tuple[str, str] | None:
        """(price list id, currency) of a market named by id, name or handle; looked up once per adapter."""
        if self._price_lists is None:
            found: dict[str, tuple[str, str, str]] = {}
            for node in self._paginate(
                "MarketPriceLists", documents.MARKET_PRICE_LISTS, {"first": 25}, "priceLists"
            ):
                markets = ((node.get("catalog") or {}).get("markets") or {}).get("nodes") or []
                for entry in markets:
                    value = (node["id"], node["currency"], entry["id"])
                    for key in (entry.get("id"), entry.get("name"), entry.get("handle")):
                        if key:
                            found.setdefault(key.lower(), value)
            self._price_lists = found
        hit = self._price_lists.get(market.lower())
        return None if hit is None else (hit[0], hit[1])

    def current_prices(
        self, skus: Iterable[str] | None = None, market: str | None = None
    ) -> dict[str, tuple[Decimal, Decimal | None]]:
        """The prices now on the shop by SKU, as (price, compareAtPrice): the variants' own prices, or the fixed
        prices of the market's price list (a SKU without a fixed price there is absent)."""
        wanted = None if skus is None else set(skus)
        problems: list[DataProblem] = []
        found: dict[str, tuple[Decimal, Decimal | None]] = {}
        if market is None:
            for node in self._variant_price_nodes(wanted):
                sku = node.get("sku")
                price = normalise.money(node.get("price"), "price", node["id"], problems)
                if sku and price is not None and (wanted is None or sku in wanted):
                    found[sku] = (
                        price,
                        normalise.money(node.get("compareAtPrice"), "compareAtPrice", node["id"], problems),
                    )
            return found
        price_list = self.price_list(market)
        if price_list is None:
            raise BadRequestError(self.name, f"market {market!r} has no price list on this shop")
        for node in self._paginate(
            "PriceListPrices",
            documents.PRICE_LIST_PRICES,
            {"id": price_list[0], "first": PRICE_LIST_PRICES_PAGE},
            "priceList.prices",
        ):
            sku = (node.get("variant") or {}).get("sku")
            price = normalise.money(node.get("price"), "price", sku or "", problems)
            if sku and price is not None and (wanted is None or sku in wanted):
                found[sku] = (
                    price,
                    normalise.money(node.get("compareAtPrice"), "compareAtPrice", sku, problems),
                )
        return found

    def _variant_price_nodes(self, wanted: set[str] | None) -> Iterator[dict]:
        variables = {"first": PRICES_PAGE}
        if wanted is None:
            yield from self._paginate("VariantPrices", documents.VARIANT_PRICES, variables, "productVariants")
            return
        for chunk in _chunks(sorted(wanted), SKUS_PER_QUERY):
            yield from self._paginate(
                "VariantPrices",
                documents.VARIANT_PRICES,
                {**variables, "query": sku_query(chunk)},
                "productVariants",
            )

    # --- orders and translations --------------------------------------------------------------------------

    def tag_order(self, order_id: str, text: str) -> None:
        """Add a tag to an order (fraud flags); raises a PlatformError when Shopify refuses it."""
        data = self._call("TagsAdd", documents.TAGS_ADD, {"id": order_id, "tags": [text]}, write=True)
        errors = (data.get("tagsAdd") or {}).get("userErrors") or []
        if errors:
            messages = "; ".join(str(e.get("message")) for e in errors)
            raise BadRequestError(self.name, f"order {order_id}: tag refused: {messages}")

    def write_translations(self, writes: list[TranslationWrite]) -> list[WriteOutcome]:
        """Translated texts per product, locale and market (connector.platforms.shopify.translations)."""
        return write_translations(self.transport, writes)


def _child_order(child: dict) -> tuple[int, int]:
    number = _legacy_id(child.get("id"))
    return (int(child.get("position") or 0), int(number) if number else 0)


def _with_levels(variant: dict) -> dict:
    """A bulk variant line with its inventory levels (joined under the variant or its inventory item) put back
    where a paged read has them: `inventoryItem.inventoryLevels`."""
    item = dict(variant.get("inventoryItem") or {})
    levels = item.pop("__children", []) + variant.pop("__children", [])
    item["inventoryLevels"] = levels
    return {**variant, "inventoryItem": item}
