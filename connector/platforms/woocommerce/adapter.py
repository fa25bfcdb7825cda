"""WooCommerce adapter: wc/v3 through the `woocommerce` package (Basic auth over https, OAuth 1.0a over http).

Reading: pages of 100 ordered by id inside a `modified_after` window with `dates_are_gmt=true`. Ordering by
date would duplicate and skip records that share a timestamp across a page boundary; ordering by id with a
fixed window only grows at the end while a pass runs. Variable products need one request per product for
their variations: wc/v3 has no endpoint listing variations across products.
Customers have no modification filter in wc/v3: every pass reads them all by id and keeps those modified
since the window start; unchanged ones cost no state write.
Abandoned checkouts: WooCommerce core has no abandoned-checkout API (wc/v3 knows only orders, and an unpaid
checkout leaves at most a `pending` or `checkout-draft` order, which is an order, not a checkout); carts live
in plugins with APIs of their own. `read("abandoned_checkouts", ...)` yields nothing and the resource is not
in `resources`, so the runner and the service never ask for it.

Writing: `products/batch` for simple products and `products/<id>/variations/batch` per parent, at most 100
objects a request; a batch answers per item. WooCommerce has no compare-and-set for stock.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import requests
import woocommerce

from connector.platforms.base import (
    LIST_AND_SALE,
    DataProblem,
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
)
from connector.platforms.retry import retrying
from connector.platforms.woocommerce import normalise
from connector.records import StockLevel

log = logging.getLogger(__name__)

_ID_SEGMENT = re.compile(r"/\d+")
PAGE_SIZE = 100
BATCH_LIMIT = 100
STOCK_MARK_KEY = "_connector_stock_write"  # product meta: mark of the last stock write
WRITING_JOBS = {
    "inventory": "stock",
    "prices": "prices",
    "translations": "translated texts",
    "tagging": "order notes",
}


# The connector's field names -> a WooCommerce product's fields.
TEXT_FIELDS = {"title": "name", "description": "description", "short_description": "short_description"}


class WooCommerceAdapter(StoreAdapter):
    platform = "woocommerce"
    # A store's own regular and sale prices; no markets.
    price_targets = (PriceTarget("woocommerce", "{store} (WooCommerce)", LIST_AND_SALE),)
    # Translations go into the products' own texts: a store holds one language.
    translations = TranslationSupport(frozenset(TEXT_FIELDS), per_locale=False)
    tags_orders = True  # as a private order note

    def __init__(self, name: str, config: Any, *, cost_meta_key: str = "_cost"):
        super().__init__(name, config)
        self.cost_meta_key = cost_meta_key
        self.api = woocommerce.API(
            url=config.url,
            consumer_key=config.consumer_key.get_secret_value(),
            consumer_secret=config.consumer_secret.get_secret_value(),
            version=config.api_version,
            timeout=config.timeout,
            verify_ssl=config.verify_tls,
        )

    # --- requests -----------------------------------------------------------------------------------------

    def call(self, method: str, endpoint: str, *, params: dict | None = None, data: Any = None):
        """One request with retries; returns (decoded body, headers). Raises PlatformError subclasses."""
        route = f"{method} {_ID_SEGMENT.sub('/<id>', endpoint)}"

        @retrying(self.attempts, store=self.name)
        def once():
            self.requests.count(route, write=method != "GET")
            try:
                if data is None:
                    response = getattr(self.api, method.lower())(endpoint, params=dict(params or {}))
                else:
                    response = getattr(self.api, method.lower())(endpoint, data, params=dict(params or {}))
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
                ConnectionError,
            ) as exc:
                raise TransientError(self.name, f"{route}: {type(exc).__name__}") from exc
            return self._decode(route, response)

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

    def _pages(self, endpoint: str, params: dict, first_page: int = 1) -> Iterator[tuple[int, list, bool]]:
        page = first_page
        while True:
            body, headers = self.call("GET", endpoint, params={**params, "per_page": PAGE_SIZE, "page": page})
            if not isinstance(body, list):
                raise BadResponseError(
                    self.name, f"GET {endpoint}: expected a list, got {type(body).__name__}"
                )
            total_pages = int(headers.get("X-WP-TotalPages") or 0)
            last = len(body) < PAGE_SIZE or page >= total_pages
            yield page, body, last
            if last:
                return
            page += 1

    # --- contract -----------------------------------------------------------------------------------------

    def probe(self) -> StoreInfo:
        body, _ = self.call("GET", "data/currencies/current")
        return StoreInfo(
            self.platform, self.config.api_version, body.get("code") if isinstance(body, dict) else None
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
        params: dict[str, Any] = {"orderby": "id", "order": "asc"}
        if since is not None and resource != "customers":
            params.update(modified_after=_wc_time(since), dates_are_gmt="true")
        if resource == "customers":
            params["role"] = "all"
        first = int(resume) + 1 if resume else 1
        for number, body, last in self._pages(resource, params, first):
            problems: list[DataProblem] = []
            if resource == "products":
                records = [self._product(item, problems) for item in body]
            elif resource == "orders":
                records = [normalise.order(item, problems) for item in body]
            else:
                records = [normalise.customer(item) for item in body]
                if since is not None:
                    records = [c for c in records if c.updated_at >= since]
            yield Page(records, problems, None if last else str(number))

    def _product(self, body: dict, problems: list[DataProblem]):
        variations: list[dict] = []
        if body.get("type") == "variable" and body.get("variations"):
            for _, page, _ in self._pages(
                f"products/{body['id']}/variations", {"orderby": "id", "order": "asc"}
            ):
                variations += page
        return normalise.product(body, variations, self.cost_meta_key, problems)

    def stock_levels(self, skus: Iterable[str] | None = None) -> Iterator[StockLevel]:
        """By SKU list (the `sku` filter takes a comma list and finds variations too), 100 a request; all
        products and variations when None. Each level carries the mark of the connector's last stock write."""
        if skus is None:
            for _, body, _ in self._pages("products", {"orderby": "id", "order": "asc"}):
                for item in body:
                    if item.get("type") != "variable":
                        if item.get("sku"):
                            yield _stock_level(item)
                        continue
                    if not item.get("variations"):
                        continue
                    endpoint = f"products/{item['id']}/variations"
                    for _, page, _ in self._pages(endpoint, {"orderby": "id", "order": "asc"}):
                        yield from (_stock_level(v, str(item["id"])) for v in page if v.get("sku"))
            return
        wanted = sorted(set(skus))
        for start in range(0, len(wanted), PAGE_SIZE):
            chunk = set(wanted[start : start + PAGE_SIZE])
            for _, body, _ in self._pages("products", {"sku": ",".join(sorted(chunk))}):
                for item in body:
                    if item.get("sku") in chunk and item.get("type") != "variable":
                        yield _stock_level(item)

    def write_stock(self, writes: list[StockWrite]) -> list[WriteOutcome]:
        """WooCommerce has no compare-and-set. Each write sends the change (`inventory_delta`, which the store
        adds to its current quantity inside its own save: a sale landing between our read and this write is
        kept, not overwritten) and, in the same save, the write's mark as product meta, so a later read
        tells whether a write whose answer was lost had been applied."""
        items = []
        for w in writes:
            fields: dict[str, Any] = {"inventory_delta": w.quantity - w.expected}
            if w.mark:
                fields["meta_data"] = [{"key": STOCK_MARK_KEY, "value": w.mark}]
            items.append((w.sku, w.level.product_id, w.level.variant_id, fields))
        return self._batched(items)

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
        wanted = sorted(set(skus))
        prices: dict[str, tuple[Decimal | None, Decimal | None]] = {}
        for start in range(0, len(wanted), PAGE_SIZE):
            chunk = wanted[start : start + PAGE_SIZE]
            for _, body, _ in self._pages("products", {"sku": ",".join(chunk)}):
                for item in body:
                    if item.get("sku") in chunk and item.get("type") != "variable":
                        prices[item["sku"]] = (
                            self._price_value(item.get("regular_price")),
                            self._price_value(item.get("sale_price")),
                        )
        return prices

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

    def _batched(self, items: list[tuple[str, str, str, dict]]) -> list[WriteOutcome]:
        """Group updates by endpoint (simple products together, variations per parent), 100 a request."""
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
