"""The adapter contract: what every platform offers the jobs.

Jobs speak records and SKUs; an adapter turns them into the platform's requests (paging, batching,
compare-and-set, cost pacing) and the platform's answers back into records. Every adapter counts the requests
it sends, so benchmarks and the "no change, no write" invariant can be checked from outside.

What a platform can do is data on its adapter class, so a job, a report or the service asks the capability
and never which platform it talks to: the resources it reads, whether it replays stock writes, the price
targets it offers (`price_targets`), how it holds translations (`translations`), whether it tags orders
(`tags_orders`), what its order statuses mean (`order_statuses`). Every call they make is declared here; an
adapter without a capability answers its call with `Unsupported`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from connector.platforms.errors import PlatformError
from connector.records import AbandonedCheckout, Customer, Order, Product, StockLevel

Resource = Literal["products", "orders", "customers", "abandoned_checkouts"]
# What every adapter reads; an adapter lists what it reads in `StoreAdapter.resources`.
RESOURCES: tuple[Resource, ...] = ("products", "orders", "customers")
# Everything some adapter reads: the core three, and abandoned checkouts (Shopify only).
ALL_RESOURCES: tuple[Resource, ...] = (*RESOURCES, "abandoned_checkouts")
T = TypeVar("T", Product, Order, Customer, AbandonedCheckout)


@dataclass(frozen=True)
class StoreInfo:
    """What a cheap authenticated read tells about a store."""

    platform: str
    api_version: str
    currency: str | None
    name: str = ""
    detail: str = ""  # what else `connector check` should say about how the store is read


@dataclass(frozen=True)
class DataProblem:
    """Bad data found while reading: reported and skipped, never fatal."""

    kind: str  # missing_sku, duplicate_sku, bad_price, unknown_line_product, bad_record
    ref: str  # the platform's id of the record at fault
    message: str


@dataclass
class Page(Generic[T]):
    """One page of records, and where to resume after it within the same pass."""

    records: list[T]
    problems: list[DataProblem] = field(default_factory=list)
    resume: str | None = None  # adapter-defined position after this page; None on the last page


@dataclass(frozen=True)
class StockWrite:
    """Set a channel's quantity for one SKU; `expected` is the quantity just read (compare-and-set).

    `mark` identifies the inventory job's intent behind the write: WooCommerce keeps it beside the quantity;
    Shopify derives the call's idempotency key from the marks, so a resent call replays its first answer.
    """

    sku: str
    quantity: int
    expected: int
    level: StockLevel
    mark: str = ""


@dataclass(frozen=True)
class PriceShape:
    """How a store shows a list price and a sale price under it in its two price fields (main, second).

    The one place of the sale rule: either the main field is the list price and the second the sale price
    (`LIST_AND_SALE`), or the main field is what the customer pays and the second the list price struck
    through while on sale (`PRICE_AND_COMPARE_AT`)."""

    second: str  # what tables call the second field: "sale" or "compare-at"
    record_field: str  # the Variant field that holds the second price: "sale_price" or "compare_at_price"
    sale_in_main: bool

    def shown(self, list_price: Decimal, sale_price: Decimal | None) -> tuple[Decimal, Decimal | None]:
        """(main, second) as the store shows a list price and an optional sale price."""
        if self.sale_in_main and sale_price is not None:
            return sale_price, list_price
        return list_price, sale_price

    def neutral(self, main: Decimal | None, second: Decimal | None) -> tuple[Decimal | None, Decimal | None]:
        """(list price, sale price) of what the store shows; a compare-at price not above the price is no sale."""
        if not self.sale_in_main:
            return main, second
        if main is not None and second is not None and second > main:
            return second, main
        return main, None


LIST_AND_SALE = PriceShape("sale", "sale_price", sale_in_main=False)
PRICE_AND_COMPARE_AT = PriceShape("compare-at", "compare_at_price", sale_in_main=True)


@dataclass(frozen=True)
class PriceTarget:
    """Where a store takes a market's prices.

    `per_market` targets are the prices of one market of the store (named by the market's `shopify_market`),
    read live with `current_prices`; the others are the store's own variant prices, read from the pull."""

    kind: str  # names the target in results (`target_kind`)
    where: str  # how tables name it; formatted with store and market
    shape: PriceShape
    per_market: bool = False


@dataclass(frozen=True)
class OrderStatuses:
    """What the `status` of a platform's order records (lower case) means to the reports."""

    sales: frozenset[str] = frozenset()  # orders that count as sales; a refunded sale counts, paid back
    refunded: frozenset[str] = frozenset()  # sales paid back in full: they will not ship
    awaiting_payment: frozenset[str] = frozenset()  # not sales yet; they ship once paid

    def __or__(self, other: OrderStatuses) -> OrderStatuses:
        return OrderStatuses(
            self.sales | other.sales,
            self.refunded | other.refunded,
            self.awaiting_payment | other.awaiting_payment,
        )

    def may_ship(self, status: str) -> bool:
        """A sale not refunded in full, or an order awaiting its payment."""
        return (status in self.sales and status not in self.refunded) or status in self.awaiting_payment


@dataclass(frozen=True)
class TranslationSupport:
    """How a store holds translated texts.

    `per_locale`: beside the source texts, per locale (and per market where `per_market`); the store knows what
    it holds, so the job need not compare with the pulled texts. Otherwise the translation is written into the
    product's own texts: the store holds one language, and its pulled texts are what it shows."""

    fields: frozenset[str]  # the connector's field names it can hold: title, description, short_description
    per_locale: bool
    per_market: bool = False


@dataclass(frozen=True)
class PriceWrite:
    """Set one variant's prices in a currency: its list price, and a sale price under it while on sale.

    Platform-neutral: each adapter maps the pair to its own fields (its price target's `shape`). `market` names
    a market of the store for a per-market price target, if any."""

    sku: str
    variant_id: str
    product_id: str
    currency: str
    price: Decimal
    sale_price: Decimal | None = None
    market: str | None = None


@dataclass(frozen=True)
class TranslationWrite:
    """Translated texts of one product in one language; `market` names a Shopify market, if any.

    `fields` maps the connector's field names (title, description, short_description) to the text to publish.
    """

    product_id: str
    sku: str
    language: str
    market: str | None
    fields: dict[str, str]


@dataclass(frozen=True)
class WriteOutcome:
    sku: str
    ok: bool
    conflict: bool = False  # compare-and-set refused: the quantity changed since it was read
    message: str = ""
    # The store answered that it did not apply the write (a refusal, not a lost answer): certainly not applied.
    # False where the outcome is unknown (no answer, retries exhausted): the next read must tell.
    refused: bool = False


@dataclass
class RequestCounter:
    reads: int = 0
    writes: int = 0
    by_route: dict[str, int] = field(default_factory=dict)

    def count(self, route: str, *, write: bool) -> None:
        self.by_route[route] = self.by_route.get(route, 0) + 1
        if write:
            self.writes += 1
        else:
            self.reads += 1


class Unsupported(PlatformError):
    """The store's platform does not offer this call (its adapter's capabilities say so beforehand)."""


class StoreAdapter(ABC):
    platform: str
    attempts: int = 8  # per request, for transient failures; `connector check` wants 1: fail fast, say why
    # True where write_stock answers a resent call (same writes, same marks) with the first call's outcome
    # instead of applying it again: the inventory job then resends writes whose answer it never recorded.
    replays_stock_writes: bool = False
    # The resources `read` serves; the sync runner and the service pull only these from the store.
    resources: tuple[Resource, ...] = RESOURCES
    # Where the store takes prices: its own variant prices, and/or per-market prices.
    price_targets: tuple[PriceTarget, ...] = ()
    # How it holds translated texts; None when it takes none.
    translations: TranslationSupport | None = None
    # Whether `tag_order` marks an order on the store (fraud flags).
    tags_orders: bool = False
    # Which statuses of its order records count as sales, and which orders may still ship.
    order_statuses: OrderStatuses = OrderStatuses()

    def __init__(self, name: str, config: Any):
        self.name = name
        self.config = config
        self.requests = RequestCounter()

    @abstractmethod
    def address(self) -> str:
        """Where the store is, as messages name it (its address or shop domain)."""

    def credential_summary(self) -> list[str]:
        """What `connector check` says of the credential beyond "authenticated" (its form, scopes granted)."""
        return []

    @abstractmethod
    def probe(self) -> StoreInfo:
        """A cheap authenticated read; raises a PlatformError subclass with the precise reason."""

    @abstractmethod
    def read(self, resource: Resource, since: datetime | None, resume: str | None = None) -> Iterator[Page]:
        """Records modified at or after `since` (all when None), page by page, resuming after `resume`.
        Records may repeat across pages (the job de-duplicates by id and update time); none may be skipped."""

    @abstractmethod
    def stock_levels(self, skus: Iterable[str] | None = None) -> Iterator[StockLevel]:
        """Current sellable quantity of the given SKUs (all when None)."""

    @abstractmethod
    def write_stock(self, writes: list[StockWrite]) -> list[WriteOutcome]:
        """Apply quantities in as few requests as the platform allows; compare-and-set where it has one."""

    @abstractmethod
    def write_prices(self, writes: list[PriceWrite]) -> list[WriteOutcome]:
        """Apply prices in as few requests as the platform allows, each in its target's shape."""

    @classmethod
    def price_target(cls, *, per_market: bool) -> PriceTarget | None:
        """The store's own prices (per_market False), or one market's (True); None when it offers none."""
        return next((t for t in cls.price_targets if t.per_market == per_market), None)

    def current_prices(
        self, skus: Iterable[str], market: str | None = None
    ) -> dict[str, tuple[Decimal | None, Decimal | None]]:
        """The prices the store shows now by SKU, as (main, second) in its price target's shape; with `market`,
        those of that market (a SKU without a price there is absent)."""
        raise Unsupported(self.name, "this store cannot read its current prices")

    def write_translations(self, writes: list[TranslationWrite]) -> list[WriteOutcome]:
        """Publish translated texts (see `translations`); one outcome per write."""
        raise Unsupported(self.name, "this store takes no translations")

    def tag_order(self, order_id: str, text: str) -> None:
        """Mark an order with a short text (see `tags_orders`); raises a PlatformError when refused."""
        raise Unsupported(self.name, "this store cannot tag orders")

    @property
    def throttle_wait_seconds(self) -> float:
        """Seconds spent pacing for the platform's rate limits so far."""
        return 0.0

    def missing_write_access(self, jobs: Collection[str]) -> list[str]:
        """What the credential cannot write of what the configured `jobs` ("inventory", "prices",
        "translations", "tagging") write, one sentence each naming the key or scope to replace; [] when
        nothing is missing. Never changes anything on the store."""
        raise NotImplementedError(f"{self.platform}: missing_write_access is not implemented")

    def trashed_ids(self, resource: Resource, since: datetime | None) -> set[str] | None:
        """Ids of records moved to the store's trash at or after `since` (all when None); None when the
        platform cannot tell. A trashed record leaves the listings `read` pages through."""
        return None

    def listed_ids(self, resource: Resource) -> set[str] | None:
        """Every id the store lists now for `resource` (what `read` would bring on a full pass); None when
        the platform cannot tell cheaply. Compared with the held ids, it finds records removed from the store."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        pass
