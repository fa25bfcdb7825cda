"""The simulated store's data: products and variations (one id space, as WordPress posts),
orders, customers, with the indexes list endpoints page over and WooCommerce's stock rules.

Records hold only what varies; `render.py` turns them into the REST shapes. Times are UTC
epoch seconds (WordPress keeps whole seconds). Callers hold the server lock.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..server import ControlError

IN_STOCK, OUT_OF_STOCK, ON_BACKORDER = "instock", "outofstock", "onbackorder"
ORDER_STATUSES = (
    "auto-draft",
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "checkout-draft",
)
# statuses whose orders hold reduced stock (wc_maybe_reduce_stock_levels runs on these)
STOCK_HOLDING_STATUSES = ("processing", "on-hold", "completed")


class CheckoutRefused(ControlError, ValueError):
    """A sale the store would not accept (unknown SKU, not enough stock, not purchasable)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 409)


@dataclass(slots=True)
class ProductRecord:
    id: int
    type: str  # simple | variable | variation
    parent_id: int
    name: str
    slug: str
    sku: str
    status: str
    description: str
    short_description: str
    regular_price: str
    sale_price: str
    manage_stock: bool
    stock_quantity: int | None
    stock_status: str
    backorders: str  # no | notify | yes
    weight: str
    created: int
    modified: int
    total_sales: int = 0
    category_ids: list[int] = field(default_factory=list)
    tag_ids: list[int] = field(default_factory=list)
    attributes: list[dict] = field(default_factory=list)
    default_attributes: list[dict] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    meta_data: list[dict] = field(default_factory=list)
    variation_ids: list[int] = field(default_factory=list)
    extra: dict[str, Any] | None = None  # other writable fields, rendered as stored

    @property
    def price(self) -> str:
        return self.sale_price if self.sale_price != "" else self.regular_price

    @property
    def backorders_allowed(self) -> bool:
        return self.backorders in ("yes", "notify")


@dataclass(slots=True)
class OrderRecord:
    id: int
    status: str
    created: int
    modified: int
    data: dict[str, Any]  # the REST fields that are not dates, ids or links
    paid: int | None = None
    completed: int | None = None
    stock_reduced: bool = False
    notes: list[dict] = field(default_factory=list)


@dataclass(slots=True)
class CustomerRecord:
    id: int
    created: int
    modified: int
    email: str
    first_name: str
    last_name: str
    username: str
    role: str
    billing: dict[str, str]
    shipping: dict[str, str]
    is_paying_customer: bool = False
    meta_data: list[dict] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.username


class SortedIndex:
    """(key, id) pairs kept sorted; bisect for range reads, memmove for updates."""

    def __init__(self) -> None:
        self._pairs: list[tuple[Any, int]] = []

    def __len__(self) -> int:
        return len(self._pairs)

    def add(self, key: Any, record_id: int) -> None:
        bisect.insort(self._pairs, (key, record_id))

    def remove(self, key: Any, record_id: int) -> None:
        position = bisect.bisect_left(self._pairs, (key, record_id))
        if position < len(self._pairs) and self._pairs[position] == (key, record_id):
            del self._pairs[position]

    def move(self, old_key: Any, new_key: Any, record_id: int) -> None:
        if old_key != new_key:
            self.remove(old_key, record_id)
            self.add(new_key, record_id)

    def ids(self, *, after: float | None = None, before: float | None = None) -> list[int]:
        """Ids in key order, keys strictly after/before the bounds (WP_Date_Query is exclusive)."""
        start = 0 if after is None else bisect.bisect_right(self._pairs, (after, float("inf")))
        stop = len(self._pairs) if before is None else bisect.bisect_left(self._pairs, (before, -1))
        return [record_id for _, record_id in self._pairs[start:stop]]


class Collection:
    """Records of one kind with created/modified indexes and a per-query result cache."""

    def __init__(self) -> None:
        self.records: dict[int, Any] = {}
        self.by_created = SortedIndex()
        self.by_modified = SortedIndex()
        self.version = 0
        self._cache: dict[tuple, tuple[int, list[int]]] = {}

    def __len__(self) -> int:
        return len(self.records)

    def add(self, record: Any) -> None:
        self.records[record.id] = record
        self.by_created.add(record.created, record.id)
        self.by_modified.add(record.modified, record.id)
        self.changed()

    def remove(self, record: Any) -> None:
        del self.records[record.id]
        self.by_created.remove(record.created, record.id)
        self.by_modified.remove(record.modified, record.id)
        self.changed()

    def touch(self, record: Any, now: int) -> None:
        self.by_modified.move(record.modified, now, record.id)
        record.modified = now
        self.changed()

    def changed(self) -> None:
        self.version += 1
        if len(self._cache) > 64:
            self._cache.clear()

    def cached(self, signature: tuple, compute: Callable[[], list[int]]) -> list[int]:
        hit = self._cache.get(signature)
        if hit is not None and hit[0] == self.version:
            return hit[1]
        ids = compute()
        self._cache[signature] = (self.version, ids)
        return ids


class Store:
    """Everything one simulated WooCommerce site holds."""

    def __init__(self, clock: Callable[[], int]) -> None:
        self.clock = clock
        self.products = Collection()  # top-level products only (simple, variable)
        self.variations = Collection()  # every variation, for GET /wc/v3/variations (WooCommerce 10.3)
        self.posts: dict[int, ProductRecord] = {}  # products and variations by id
        self.sku_owner: dict[str, int] = {}
        self.orders = Collection()
        self.customers = Collection()
        self.categories: dict[int, tuple[str, str]] = {}  # id -> (name as WordPress escapes it, slug)
        self.tags: dict[int, tuple[str, str]] = {}
        self._next_post_id = 10
        self._next_user_id = 2  # user 1 is the shop admin
        self._next_item_id = 1  # order items, meta rows, notes
        self._next_category_id = 15
        self._related: dict[int, list[int]] = {}
        self._related_version = -1
        # what the current request changed, for its webhook deliveries: (topic, id), in order (a dict as a set)
        self.events: dict[tuple[str, int], None] = {}

    # -- ids -----------------------------------------------------------------------------

    def new_post_id(self) -> int:
        self._next_post_id += 1
        return self._next_post_id

    def new_user_id(self) -> int:
        user_id = self._next_user_id
        self._next_user_id += 1
        return user_id

    def new_item_id(self) -> int:
        item_id = self._next_item_id
        self._next_item_id += 1
        return item_id

    def category(self, name: str, slug: str) -> int:
        for category_id, (_, existing_slug) in self.categories.items():
            if existing_slug == slug:
                return category_id
        self._next_category_id += 1
        self.categories[self._next_category_id] = (name.replace("&", "&amp;"), slug)
        return self._next_category_id

    # -- products and variations -----------------------------------------------------------

    def add_product(self, record: ProductRecord) -> ProductRecord:
        self.posts[record.id] = record
        if record.sku:
            self.sku_owner[record.sku] = record.id
        if record.type == "variation":
            parent = self.posts[record.parent_id]
            parent.variation_ids.append(record.id)
            self.variations.add(record)
            self.sync_variable(parent, bump=True)
        else:
            self.products.add(record)
        return record

    def delete_product(self, record: ProductRecord) -> None:
        self.events.pop(("product.updated", record.id), None)
        self.events[("product.deleted", record.id)] = None
        if record.sku and self.sku_owner.get(record.sku) == record.id:
            del self.sku_owner[record.sku]
        # Order lines keep their product_id, but their REST `sku` is read from the live product: gone, it is "".
        for order in self.orders.records.values():
            for item in order.data["line_items"]:
                if record.id in (item["product_id"], item["variation_id"]):
                    item["sku"] = ""
        if record.type == "variation":
            parent = self.posts.get(record.parent_id)
            del self.posts[record.id]
            self.variations.remove(record)
            if parent is not None:
                parent.variation_ids.remove(record.id)
                self.sync_variable(parent, bump=True)
            return
        for variation_id in list(record.variation_ids):
            self.delete_product(self.posts[variation_id])
        del self.posts[record.id]
        self.products.remove(record)

    def product(self, product_id: int) -> ProductRecord | None:
        record = self.posts.get(product_id)
        return record if record is not None and record.type != "variation" else None

    def variation(self, parent_id: int, variation_id: int) -> ProductRecord | None:
        record = self.posts.get(variation_id)
        if record is None or record.type != "variation" or record.parent_id != parent_id:
            return None
        return record

    def by_sku(self, sku: str) -> ProductRecord | None:
        record_id = self.sku_owner.get(sku)
        return self.posts.get(record_id) if record_id is not None else None

    def sku_taken(self, sku: str, record_id: int | None) -> int | None:
        """The id of another product or variation holding this SKU, if any."""
        owner = self.sku_owner.get(sku)
        return owner if owner is not None and owner != record_id else None

    def unique_sku(self, sku: str) -> str:
        suffix = 1
        while f"{sku}-{suffix}" in self.sku_owner:
            suffix += 1
        return f"{sku}-{suffix}"

    def set_sku(self, record: ProductRecord, sku: str) -> None:
        if record.sku and self.sku_owner.get(record.sku) == record.id:
            del self.sku_owner[record.sku]
        record.sku = sku
        if sku:
            self.sku_owner[sku] = record.id

    def saved(self, record: ProductRecord) -> None:
        """A product or variation was saved: WooCommerce validates stock props and bumps post_modified."""
        settle_stock(record)
        self.events[("product.updated", record.id)] = None
        now = self.clock()
        if record.type == "variation":
            self.variations.touch(record, now)
            parent = self.posts.get(record.parent_id)
            if parent is not None:
                self.sync_variable(parent, bump=True)
        else:
            if record.type == "variable":
                self.sync_variable(record, bump=False)
            self.products.touch(record, now)

    def trash(self, record: ProductRecord) -> None:
        """wp_trash_post: status `trash` (the default listings leave it out, GET by id still answers); a
        variable product's variations are trashed with it (WC_Post_Data::trash_post)."""
        record.status = "trash"
        for variation_id in record.variation_ids:
            variation = self.posts.get(variation_id)
            if variation is not None:
                variation.status = "trash"
                self.variations.touch(variation, self.clock())
        self.saved(record)

    def related_ids(self, record: ProductRecord, rng) -> list[int]:
        """wc_get_related_products: up to 5 published products sharing a category, shuffled on every call
        (filter woocommerce_product_related_posts_shuffle; recorded in 51/51b)."""
        if self._related_version != self.products.version:
            by_category: dict[int, list[int]] = {}
            for other in self.products.records.values():
                if other.status == "publish":
                    for category_id in other.category_ids:
                        by_category.setdefault(category_id, []).append(other.id)
            self._related, self._related_version = by_category, self.products.version
        pool = {i for c in record.category_ids for i in self._related.get(c, ())[:12]} - {record.id}
        chosen = sorted(pool)[:5]
        rng.shuffle(chosen)
        return chosen

    def sync_variable(self, parent: ProductRecord, *, bump: bool) -> None:
        """WC_Product_Variable::sync: the parent's stock status follows its variations."""
        statuses = [self.posts[v].stock_status for v in parent.variation_ids if v in self.posts]
        if not parent.manage_stock:
            if IN_STOCK in statuses:
                parent.stock_status = IN_STOCK
            elif ON_BACKORDER in statuses:
                parent.stock_status = ON_BACKORDER
            else:
                parent.stock_status = OUT_OF_STOCK
        if bump and parent.id in self.products.records:
            self.products.touch(parent, self.clock())

    def variable_price_range(self, parent: ProductRecord) -> tuple[str, str]:
        prices = [
            self.posts[v].price for v in parent.variation_ids if v in self.posts and self.posts[v].price != ""
        ]
        if not prices:
            return "", ""
        ordered = sorted(prices, key=_price_key)
        return ordered[0], ordered[-1]

    def change_stock(self, record: ProductRecord, delta: int) -> int:
        """wc_update_product_stock(increase/decrease): only where stock is managed."""
        if not record.manage_stock:
            raise ValueError(f"{record.sku or record.id} does not manage stock")
        record.stock_quantity = (record.stock_quantity or 0) + delta
        self.saved(record)
        return record.stock_quantity

    # -- orders and customers --------------------------------------------------------------

    def customer_by_email(self, email: str) -> CustomerRecord | None:
        wanted = email.lower()
        for customer in self.customers.records.values():
            if customer.email.lower() == wanted:
                return customer
        return None

    def email_taken(self, email: str, customer_id: int | None) -> bool:
        existing = self.customer_by_email(email)
        return existing is not None and existing.id != customer_id

    def check_purchasable(self, lines: Iterable[tuple[str, int]]) -> list[tuple[ProductRecord, int]]:
        """The checkout's cart validation: raises CheckoutRefused like the storefront would."""
        wanted: dict[int, int] = {}
        records: dict[int, ProductRecord] = {}
        for sku, quantity in lines:
            record = self.by_sku(sku)
            if record is None:
                raise CheckoutRefused(f"no product or variation has SKU {sku!r}")
            if record.type == "variable":
                raise CheckoutRefused(f"{sku!r} is a variable product; sell one of its variations")
            if quantity < 1:
                raise CheckoutRefused(f"quantity for {sku!r} must be at least 1")
            if record.status != "publish" or record.price == "":
                raise CheckoutRefused(f"{sku!r} is not purchasable")
            wanted[record.id] = wanted.get(record.id, 0) + quantity
            records[record.id] = record
        for record_id, quantity in wanted.items():
            record = records[record_id]
            if record.stock_status == OUT_OF_STOCK:
                raise CheckoutRefused(f"{record.sku!r} is out of stock")
            if (
                record.manage_stock
                and not record.backorders_allowed
                and quantity > (record.stock_quantity or 0)
            ):
                raise CheckoutRefused(
                    f"not enough stock for {record.sku!r}: {record.stock_quantity} left, {quantity} wanted"
                )
        return [(records[record_id], quantity) for record_id, quantity in wanted.items()]


def settle_stock(record: ProductRecord) -> None:
    """WC_Product::validate_props: stock status follows the quantity where stock is managed."""
    if record.type == "variable" and not record.manage_stock:
        record.stock_quantity = None
        return
    if not record.manage_stock:
        record.stock_quantity = None
        record.backorders = "no"
        return
    quantity = record.stock_quantity or 0
    record.stock_quantity = quantity
    if quantity > 0:
        record.stock_status = IN_STOCK
    elif record.backorders_allowed:
        record.stock_status = ON_BACKORDER
    else:
        record.stock_status = OUT_OF_STOCK


def _price_key(price: str) -> tuple[int, str]:
    whole, _, fraction = price.partition(".")
    return (int(whole or 0), fraction.ljust(6, "0"))
