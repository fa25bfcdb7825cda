"""A third platform, held in memory, registered the way a platform package registers itself.

It proves that the jobs speak the adapter contract and nothing else: `MemoryAdapter` implements every call of
`connector.platforms.base.StoreAdapter` on a `MemoryStore` (a catalogue, orders and customers in dicts, no
HTTP), and declares capabilities neither real platform has in that combination: its own prices and per-market
prices both as list and sale price, translations per locale and market for every field, compare-and-set stock
writes that are not replayed.

`register()` adds it to the registry (a `[stores.NAME]` table with `platform = "memory"` and the `store` it
holds) and returns a function that takes it out again.
"""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

from connector.config import Section
from connector.platforms import registry
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
from connector.platforms.errors import NotFoundError
from connector.records import Customer, Order, OrderLine, Product, StockLevel, Variant

PAGE_SIZE = 3
STORES: dict[str, MemoryStore] = {}


class MemoryStoreConfig(Section):
    platform: Literal["memory"]
    store: str  # the name of a MemoryStore in STORES


@dataclass
class Item:
    sku: str
    id: str
    product_id: str
    price: Decimal
    sale_price: Decimal | None = None
    quantity: int = 0


@dataclass
class Listing:
    id: str
    title: str
    description: str
    short_description: str
    items: list[Item]
    updated_at: datetime


class MemoryStore:
    """A store's data, changed by the test (as a merchant or a customer would) and by the adapter."""

    def __init__(self, name: str, currency: str = "EUR", markets: Iterable[str] = ()) -> None:
        self.name = name
        self.currency = currency
        self.markets = set(markets)
        self.lock = threading.Lock()
        self.listings: dict[str, Listing] = {}
        self.orders: dict[str, Order] = {}
        self.customers: dict[str, Customer] = {}
        self.market_prices: dict[str, dict[str, tuple[Decimal, Decimal | None]]] = defaultdict(dict)
        self.translations: dict[tuple[str, str, str | None], dict[str, str]] = defaultdict(dict)
        self.tags: dict[str, list[str]] = defaultdict(list)
        self.writes = 0
        self._ids = itertools.count(1)
        self._clock = datetime(2026, 10, 1, tzinfo=UTC)
        STORES[name] = self

    def now(self) -> datetime:
        self._clock += timedelta(seconds=1)
        return self._clock

    def add_product(
        self, title: str, variants: list[dict], description: str = "", short_description: str = ""
    ) -> Listing:
        with self.lock:
            product_id = str(next(self._ids))
            items = [
                Item(
                    v["sku"],
                    str(next(self._ids)),
                    product_id,
                    Decimal(v.get("price", "10.00")),
                    None if v.get("sale_price") is None else Decimal(v["sale_price"]),
                    int(v.get("quantity", 0)),
                )
                for v in variants
            ]
            listing = Listing(product_id, title, description, short_description, items, self.now())
            self.listings[product_id] = listing
            return listing

    def item(self, sku: str) -> Item:
        return next(i for listing in self.listings.values() for i in listing.items if i.sku == sku)

    def sell(self, sku: str, quantity: int = 1) -> Order:
        """A customer buys: the stock goes down and an order records the line."""
        with self.lock:
            item = self.item(sku)
            item.quantity -= quantity
            self.listings[item.product_id].updated_at = moment = self.now()
            order_id = str(next(self._ids))
            total = item.price * quantity
            line = OrderLine(sku, item.product_id, item.id, quantity, item.price, total, name=sku)
            zero = Decimal(0)
            order = Order(
                order_id, order_id, "completed", self.currency, total, total, zero, zero, zero, zero,
                moment, moment, None, None, None, None, lines=(line,),
            )  # fmt: skip
            self.orders[order_id] = order
            return order

    def add_customer(self, email: str, country: str = "FR") -> Customer:
        with self.lock:
            customer_id = str(next(self._ids))
            moment = self.now()
            customer = Customer(customer_id, email, country, moment, moment, 0, Decimal(0))
            self.customers[customer_id] = customer
            return customer

    def records(self, resource: Resource) -> list[Product | Order | Customer]:
        with self.lock:
            if resource == "products":
                found: list = [_product(listing) for listing in self.listings.values()]
            elif resource == "orders":
                found = list(self.orders.values())
            elif resource == "customers":
                found = list(self.customers.values())
            else:
                found = []
        return sorted(found, key=lambda r: (r.updated_at, int(r.id)))


def _product(listing: Listing) -> Product:
    return Product(
        id=listing.id,
        title=listing.title,
        kind="simple" if len(listing.items) == 1 else "variable",
        status="publish",
        updated_at=listing.updated_at,
        description_html=listing.description,
        short_description_html=listing.short_description,
        variants=tuple(
            Variant(
                item.id,
                listing.id,
                item.sku,
                item.price,
                sale_price=item.sale_price,
                stock=item.quantity,
                manage_stock=True,
                updated_at=listing.updated_at,
            )
            for item in listing.items
        ),  # fmt: skip
    )


class MemoryAdapter(StoreAdapter):
    platform = "memory"
    price_targets = (
        PriceTarget("memory_prices", "{store} (memory store)", LIST_AND_SALE),
        PriceTarget("memory_market_prices", "{store}, market {market} (memory market)", LIST_AND_SALE, True),
    )
    translations = TranslationSupport(
        frozenset({"title", "description", "short_description"}), per_locale=True, per_market=True
    )
    tags_orders = True
    order_statuses = OrderStatuses(sales=frozenset({"completed"}))

    def __init__(self, name: str, config: MemoryStoreConfig) -> None:
        super().__init__(name, config)
        self.store = STORES[config.store]

    def address(self) -> str:
        return f"memory:{self.store.name}"

    def _count(self, route: str, *, write: bool) -> None:
        self.requests.count(route, write=write)
        if write:
            self.store.writes += 1

    def probe(self) -> StoreInfo:
        self._count("probe", write=False)
        return StoreInfo(self.platform, "1", self.store.currency, self.store.name)

    def read(self, resource: Resource, since: datetime | None, resume: str | None = None) -> Iterator[Page]:
        records = [r for r in self.store.records(resource) if since is None or r.updated_at >= since]
        start = int(resume) if resume else 0
        while True:
            self._count(f"read {resource}", write=False)
            chunk = records[start : start + PAGE_SIZE]
            start += PAGE_SIZE
            more = start < len(records)
            problems: list[DataProblem] = []
            yield Page(chunk, problems, str(start) if more else None)
            if not more:
                return

    def stock_levels(self, skus: Iterable[str] | None = None) -> Iterator[StockLevel]:
        self._count("stock", write=False)
        wanted = None if skus is None else set(skus)
        with self.store.lock:
            items = [i for listing in self.store.listings.values() for i in listing.items]
        for item in items:
            if wanted is None or item.sku in wanted:
                yield StockLevel(item.sku, item.quantity, True, item.id, item.product_id)

    def write_stock(self, writes: list[StockWrite]) -> list[WriteOutcome]:
        """Compare-and-set: a quantity that moved since it was read is refused as a conflict."""
        self._count("stock write", write=True)
        outcomes = []
        with self.store.lock:
            for write in writes:
                item = self.store.item(write.sku)
                if item.quantity != write.expected:
                    outcomes.append(WriteOutcome(write.sku, False, conflict=True, message="quantity moved"))
                    continue
                item.quantity = write.quantity
                outcomes.append(WriteOutcome(write.sku, True))
        return outcomes

    def write_prices(self, writes: list[PriceWrite]) -> list[WriteOutcome]:
        self._count("price write", write=True)
        outcomes = []
        with self.store.lock:
            for write in writes:
                shown = LIST_AND_SALE.shown(write.price, write.sale_price)
                if write.market is None:
                    item = self.store.item(write.sku)
                    item.price, item.sale_price = shown
                elif write.market in self.store.markets:
                    self.store.market_prices[write.market][write.sku] = shown
                else:
                    outcomes.append(WriteOutcome(write.sku, False, message=f"no market {write.market!r}"))
                    continue
                outcomes.append(WriteOutcome(write.sku, True))
        return outcomes

    def current_prices(
        self, skus: Iterable[str], market: str | None = None
    ) -> dict[str, tuple[Decimal | None, Decimal | None]]:
        self._count("prices", write=False)
        wanted = set(skus)
        with self.store.lock:
            if market is None:
                items = [i for listing in self.store.listings.values() for i in listing.items]
                return {i.sku: (i.price, i.sale_price) for i in items if i.sku in wanted}
            if market not in self.store.markets:
                raise NotFoundError(self.name, f"no market {market!r}")
            return {sku: pair for sku, pair in self.store.market_prices[market].items() if sku in wanted}

    def write_translations(self, writes: list[TranslationWrite]) -> list[WriteOutcome]:
        self._count("translation write", write=True)
        outcomes = []
        with self.store.lock:
            for write in writes:
                if write.product_id not in self.store.listings:
                    outcomes.append(WriteOutcome(write.sku, False, message="no such product"))
                    continue
                self.store.translations[(write.product_id, write.language, write.market)].update(write.fields)
                outcomes.append(WriteOutcome(write.sku, True))
        return outcomes

    def tag_order(self, order_id: str, text: str) -> None:
        self._count("tag", write=True)
        with self.store.lock:
            if order_id not in self.store.orders:
                raise NotFoundError(self.name, f"no order {order_id}")
            self.store.tags[order_id].append(text)


def _sandbox_store(
    name: str, store: MemoryStore, env_prefix: str, timeout: int
) -> tuple[str, dict[str, str]]:
    return f'[stores.{name}]\nplatform = "memory"\nstore = "{store.name}"\n', {}


def register() -> Callable[[], None]:
    """Register the memory platform; the answer unregisters it (and forgets its stores)."""
    registry.register(
        registry.Platform(
            name="memory",
            title="Memory",
            store_config=MemoryStoreConfig,
            adapter=lambda: MemoryAdapter,
            open=lambda name, config, *, cost_meta_key="_cost": MemoryAdapter(name, config),
            simulator=lambda: MemoryStore,
            sandbox_store=_sandbox_store,
            rank=90,
        )
    )

    def unregister() -> None:
        registry.unregister("memory")
        STORES.clear()

    return unregister
