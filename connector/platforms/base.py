"""The adapter contract: what every platform offers the jobs.

Jobs speak records and SKUs; an adapter turns them into the platform's requests (paging, batching,
compare-and-set, cost pacing) and the platform's answers back into records. Every adapter counts the requests
it sends, so benchmarks and the "no change, no write" invariant can be checked from outside.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

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
class PriceWrite:
    """Set one variant's prices in a currency; `market` names a Shopify market's price list, if any."""

    sku: str
    variant_id: str
    product_id: str
    currency: str
    price: Decimal
    compare_at_price: Decimal | None = None
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


class StoreAdapter(ABC):
    platform: str
    attempts: int = 8  # per request, for transient failures; `connector check` wants 1: fail fast, say why
    # True where write_stock answers a resent call (same writes, same marks) with the first call's outcome
    # instead of applying it again: the inventory job then resends writes whose answer it never recorded.
    replays_stock_writes: bool = False
    # The resources `read` serves; the sync runner and the service pull only these from the store.
    resources: tuple[Resource, ...] = RESOURCES

    def __init__(self, name: str, config: Any):
        self.name = name
        self.config = config
        self.requests = RequestCounter()

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
        """Apply prices in as few requests as the platform allows."""

    def close(self) -> None:  # noqa: B027 - optional hook
        pass
