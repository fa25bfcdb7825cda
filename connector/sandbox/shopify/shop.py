"""The in-memory shop behind the Shopify simulator: products, variants, stock, customers, orders, abandoned
checkouts, markets.

Plain records with the indexes the API needs (by id, by SKU, by inventory item) and sorted views for
cursor paging that are rebuilt only after a change. Every change bumps `updated_at` of what it touches.
The caller holds the server lock around every read and write.
"""

from __future__ import annotations

import hashlib
import itertools
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

QUANTITY_NAMES = (
    "available",
    "committed",
    "damaged",
    "incoming",
    "on_hand",
    "quality_control",
    "reserved",
    "safety_stock",
)
TRANSLATABLE_PRODUCT_KEYS = ("title", "body_html", "handle", "product_type")


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def parse_gid(value: Any, kind: str) -> int | None:
    """The numeric id of a `gid://shopify/<kind>/<n>`, or None when it is not one."""
    prefix = f"gid://shopify/{kind}/"
    if not isinstance(value, str) or not value.startswith(prefix):
        return None
    tail = value[len(prefix) :].split("?", 1)[0]
    return int(tail) if tail.isdigit() else None


def digest(value: str | None) -> str | None:
    """Shopify's translatable content digest: the SHA-256 of the stored value."""
    return None if value is None else hashlib.sha256(value.encode("utf-8")).hexdigest()


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True, eq=False)
class Location:
    id: int
    name: str
    created_at: datetime
    updated_at: datetime
    is_active: bool = True


@dataclass(slots=True, eq=False)
class Product:
    id: int
    title: str
    handle: str
    description_html: str
    vendor: str
    product_type: str
    status: str
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    option_names: list[str]
    variants: list[Variant] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Variant:
    id: int
    product: Product
    sku: str | None
    title: str
    price: Decimal
    compare_at_price: Decimal | None
    position: int
    option_values: list[str]
    barcode: str | None
    weight_grams: int
    created_at: datetime
    updated_at: datetime
    inventory_item_id: int
    tracked: bool = True
    taxable: bool = True
    inventory_policy: str = "DENY"  # DENY: no sale past stock at checkout; CONTINUE: sells on (see sell)
    unit_cost: Decimal | None = None  # InventoryItem.unitCost, in the shop's currency
    # location id -> quantity name -> quantity ("on_hand" is derived, see Shop.quantity)
    levels: dict[int, dict[str, int]] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class Customer:
    id: int
    first_name: str
    last_name: str
    email: str
    country: str
    locale: str
    created_at: datetime
    updated_at: datetime
    number_of_orders: int = 0
    amount_spent: Decimal = Decimal("0")


@dataclass(slots=True, eq=False)
class OrderLine:
    id: int
    variant_id: int | None
    sku: str | None
    title: str
    quantity: int
    unit_price: Decimal


@dataclass(slots=True, eq=False)
class Refund:
    id: int
    created_at: datetime
    amount: Decimal
    lines: list[tuple[int, int]]  # (order line id, quantity)
    note: str | None = None


@dataclass(slots=True, eq=False)
class Order:
    id: int
    number: int
    email: str | None
    customer: Customer | None
    created_at: datetime
    updated_at: datetime
    currency: str
    presentment_currency: str
    financial_status: str
    fulfillment_status: str
    lines: list[OrderLine]
    subtotal: Decimal
    total_tax: Decimal
    total_shipping: Decimal
    billing_country: str | None
    shipping_country: str | None
    risk_level: str
    refunds: list[Refund] = field(default_factory=list)
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None  # OrderCancelReason: CUSTOMER, DECLINED, FRAUD, INVENTORY, OTHER, STAFF
    tags: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"#{self.number}"

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.total_tax + self.total_shipping

    @property
    def total_refunded(self) -> Decimal:
        return sum((refund.amount for refund in self.refunds), Decimal("0"))


@dataclass(slots=True, eq=False)
class AbandonedCheckout:
    """A checkout left unpaid after the shopper gave contact details; `completed_at` once it was recovered."""

    id: int
    email: str | None
    customer: Customer | None
    created_at: datetime
    updated_at: datetime
    currency: str
    lines: list[OrderLine]
    subtotal: Decimal
    total_tax: Decimal
    total_shipping: Decimal
    country: str | None  # shipping and billing country
    completed_at: datetime | None = None
    order_id: int | None = None  # the order it became once recovered

    @property
    def name(self) -> str:
        return f"#{self.id}"

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.total_tax + self.total_shipping


@dataclass(slots=True, eq=False)
class Market:
    id: int
    name: str
    handle: str
    countries: list[str]
    currency: str
    locales: list[str]
    primary: bool
    price_list_id: int | None = None
    enabled: bool = True


@dataclass(slots=True, eq=False)
class PriceList:
    id: int
    name: str
    currency: str
    market_id: int
    # variant id -> (price, compare-at price)
    fixed_prices: dict[int, tuple[Decimal, Decimal | None]] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class Translation:
    key: str
    locale: str
    market_id: int | None
    value: str
    source_digest: str | None
    updated_at: datetime


class SortedView:
    """Records of one resource in (sort value, id) order, for cursor paging in O(log n) a page."""

    def __init__(self, records: Iterable[Any], key: Callable[[Any], tuple]) -> None:
        self.records = sorted(records, key=key)
        self.keys = [key(record) for record in self.records]

    def index_after(self, position: tuple) -> int:
        return bisect_right(self.keys, position)


class ShopError(ValueError):
    """A control action that cannot be carried out (unknown SKU, bad quantity, ...)."""


class CheckoutRefused(ShopError):
    """A checkout asking for more than is available of a tracked variant whose inventory policy is DENY."""


INVENTORY_POLICIES = ("DENY", "CONTINUE")


def inventory_policy(value: object) -> str:
    if value not in INVENTORY_POLICIES:
        raise ShopError(f"inventory_policy must be DENY or CONTINUE, got {value!r}")
    return str(value)


class Shop:
    """All data of one simulated shop."""

    def __init__(
        self,
        name: str,
        *,
        currency: str = "EUR",
        locales: Iterable[str] = ("fr", "de", "en"),
        markets: Iterable[dict] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.name = name
        self.currency = currency
        self.locales = list(locales)
        self.primary_locale = self.locales[0] if self.locales else "en"
        self.timezone = "Europe/Paris"
        self._market_specs = list(markets) if markets is not None else default_markets(currency, self.locales)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._last_stamp = datetime(2000, 1, 1, tzinfo=UTC)
        # told of changes webhooks announce: ("inventory", variant), ("order_created", order), ("refund", (order, refund))
        self.listener: Callable[[str, Any], None] | None = None
        self.reset()

    # -- lifecycle ----------------------------------------------------------------------------

    def reset(self) -> None:
        self._ids = itertools.count(1)
        self.created_at = self.now()
        self.locations: dict[int, Location] = {}
        self.products: dict[int, Product] = {}
        self.variants: dict[int, Variant] = {}
        self.variants_by_sku: dict[str, Variant] = {}
        self.variants_by_item: dict[int, Variant] = {}
        self.customers: dict[int, Customer] = {}
        self.customers_by_email: dict[str, Customer] = {}
        self.orders: dict[int, Order] = {}
        self.abandoned_checkouts: dict[int, AbandonedCheckout] = {}
        self.markets: dict[int, Market] = {}
        self.price_lists: dict[int, PriceList] = {}
        # product id -> list of translations
        self.translations: dict[int, list[Translation]] = {}
        self._next_order_number = 1001
        self._views: dict[tuple[str, str], SortedView] = {}
        self.version = 0
        location = Location(self.next_id(), "Main warehouse", self.created_at, self.created_at)
        self.locations[location.id] = location
        self.primary_location = location
        for spec in self._market_specs:
            self._add_market(spec)

    def next_id(self) -> int:
        return next(self._ids)

    def now(self) -> datetime:
        """The current time at second resolution (as the API shows it), never running backwards."""
        moment = max(self._clock().replace(microsecond=0), self._last_stamp)
        self._last_stamp = moment
        return moment

    def changed(self) -> None:
        self.version += 1
        self._views.clear()

    def _add_market(self, spec: dict) -> Market:
        market = Market(
            id=self.next_id(),
            name=spec["name"],
            handle=spec.get("handle") or spec["name"].lower().replace(" ", "-"),
            countries=list(spec.get("countries", [])),
            currency=spec.get("currency", self.currency),
            locales=list(spec.get("locales", self.locales)),
            primary=bool(spec.get("primary", False)),
        )
        self.markets[market.id] = market
        if not market.primary:
            price_list = PriceList(
                self.next_id(), f"{market.name} ({market.currency})", market.currency, market.id
            )
            self.price_lists[price_list.id] = price_list
            market.price_list_id = price_list.id
        return market

    # -- sorted views -------------------------------------------------------------------------

    def view(self, resource: str, sort_key: str) -> SortedView:
        cache_key = (resource, sort_key)
        view = self._views.get(cache_key)
        if view is None:
            records = self.collection(resource).values()
            view = SortedView(records, sort_function(sort_key))
            self._views[cache_key] = view
        return view

    def collection(self, resource: str) -> dict[int, Any]:
        return {
            "products": self.products,
            "productVariants": self.variants,
            "orders": self.orders,
            "customers": self.customers,
            "abandonedCheckouts": self.abandoned_checkouts,
        }[resource]

    # -- creation -----------------------------------------------------------------------------

    def add_product(
        self,
        title: str,
        *,
        description_html: str = "",
        vendor: str = "Acme",
        product_type: str = "",
        option_names: list[str] | None = None,
        variants: list[dict],
        created_at: datetime | None = None,
    ) -> Product:
        created = created_at or self.now()
        product = Product(
            id=self.next_id(),
            title=title,
            handle=slug(title),
            description_html=description_html,
            vendor=vendor,
            product_type=product_type,
            status="ACTIVE",
            tags=[],
            created_at=created,
            updated_at=created,
            option_names=option_names or ["Title"],
        )
        self.products[product.id] = product
        for position, spec in enumerate(variants, start=1):
            variant = Variant(
                id=self.next_id(),
                product=product,
                sku=spec.get("sku"),
                title=spec.get("title") or "Default Title",
                price=Decimal(str(spec.get("price", "0"))),
                compare_at_price=(
                    Decimal(str(spec["compare_at_price"]))
                    if spec.get("compare_at_price") is not None
                    else None
                ),
                position=position,
                option_values=list(spec.get("option_values") or [spec.get("title") or "Default Title"]),
                barcode=spec.get("barcode"),
                weight_grams=int(spec.get("weight_grams", 0)),
                created_at=created,
                updated_at=created,
                inventory_item_id=self.next_id(),
                tracked=bool(spec.get("tracked", True)),
                inventory_policy=inventory_policy(spec.get("inventory_policy", "DENY")),
                unit_cost=Decimal(str(spec["unit_cost"])) if spec.get("unit_cost") is not None else None,
            )
            variant.levels[self.primary_location.id] = {
                "available": int(spec.get("available", 0)),
                "committed": 0,
            }
            product.variants.append(variant)
            self.variants[variant.id] = variant
            self.variants_by_item[variant.inventory_item_id] = variant
            if variant.sku:
                self.variants_by_sku[variant.sku] = variant
        self.changed()
        return product

    def add_customer(
        self, first_name: str, last_name: str, email: str, country: str, *, created_at: datetime | None = None
    ) -> Customer:
        created = created_at or self.now()
        customer = Customer(
            id=self.next_id(),
            first_name=first_name,
            last_name=last_name,
            email=email,
            country=country,
            locale=self.primary_locale,
            created_at=created,
            updated_at=created,
        )
        self.customers[customer.id] = customer
        self.customers_by_email[email.lower()] = customer
        self.changed()
        return customer

    # -- stock --------------------------------------------------------------------------------

    def quantity(self, variant: Variant, location_id: int, name: str) -> int:
        level = variant.levels.get(location_id)
        if level is None:
            return 0
        if name == "on_hand":
            return level.get("available", 0) + level.get("committed", 0) + level.get("reserved", 0)
        return level.get(name, 0)

    def set_quantity(self, variant: Variant, location_id: int, name: str, quantity: int) -> int:
        """Set `available` or `on_hand` (on_hand moves available by the same delta); returns the delta."""
        level = variant.levels.setdefault(location_id, {"available": 0, "committed": 0})
        before = self.quantity(variant, location_id, name)
        delta = quantity - before
        level["available"] = level.get("available", 0) + delta
        self.touch_variant(variant)
        return delta

    def touch_variant(self, variant: Variant) -> None:
        moment = self.now()
        variant.updated_at = moment
        variant.product.updated_at = moment
        self.changed()
        if self.listener is not None:
            self.listener("inventory", variant)

    def product_changed(self, product: Product) -> None:
        """A product or one of its variants was edited (not its stock): products/update is sent."""
        self.changed()
        if self.listener is not None:
            self.listener("product", product)

    def variant_for_sku(self, sku: str) -> Variant:
        variant = self.variants_by_sku.get(sku)
        if variant is None:
            raise ShopError(f"no variant with SKU {sku!r}")
        return variant

    # -- control actions ----------------------------------------------------------------------

    def sell(self, items: list[dict], email: str | None = None, country: str | None = None) -> Order:
        """A customer checkout: an order is created and `available` drops by each quantity. A tracked variant
        whose inventory policy is DENY (Shopify's default) cannot be bought past what is available: the
        checkout is refused whole and nothing changes; with CONTINUE it sells on and `available` goes below
        zero (https://shopify.dev/docs/api/admin-graphql/latest/enums/ProductVariantInventoryPolicy)."""
        lines = self._cart(items, "sale")
        location_id = self.primary_location.id
        wanted: dict[int, int] = {}
        for variant, quantity in lines:
            wanted[variant.id] = wanted.get(variant.id, 0) + quantity
        for variant, _ in lines:
            available = variant.levels.get(location_id, {}).get("available", 0)
            if variant.tracked and variant.inventory_policy == "DENY" and wanted[variant.id] > available:
                raise CheckoutRefused(
                    f"{variant.sku}: {wanted[variant.id]} asked, {max(available, 0)} available "
                    "(inventory policy DENY)"
                )
        customer = None
        if email:
            customer = self.customers_by_email.get(email.lower())
            if customer is None:
                local = email.split("@", 1)[0]
                customer = self.add_customer(local.title(), "Buyer", email, country or "FR")
        country = country or (customer.country if customer else "FR")
        order = self._create_order(lines, customer, email, country, financial_status="PAID")
        for variant, quantity in lines:
            level = variant.levels.setdefault(location_id, {"available": 0, "committed": 0})
            if variant.tracked:
                level["available"] = level.get("available", 0) - quantity
                level["committed"] = level.get("committed", 0) + quantity
            self.touch_variant(variant)
        return order

    def _create_order(
        self,
        lines: list[tuple[Variant, int]],
        customer: Customer | None,
        email: str | None,
        country: str,
        *,
        financial_status: str,
        created_at: datetime | None = None,
        risk_level: str = "LOW",
    ) -> Order:
        created = created_at or self.now()
        order_lines = self._lines(lines)
        subtotal, tax, shipping = _amounts(order_lines)
        order = Order(
            id=self.next_id(),
            number=self._next_order_number,
            email=email or (customer.email if customer else None),
            customer=customer,
            created_at=created,
            updated_at=created,
            currency=self.currency,
            presentment_currency=self.currency,
            financial_status=financial_status,
            fulfillment_status="UNFULFILLED",
            lines=order_lines,
            subtotal=subtotal,
            total_tax=tax,
            total_shipping=shipping,
            billing_country=country,
            shipping_country=country,
            risk_level=risk_level,
        )
        self._next_order_number += 1
        self.orders[order.id] = order
        if customer is not None:
            customer.number_of_orders += 1
            customer.amount_spent += order.total
            customer.updated_at = created
        self.changed()
        if self.listener is not None:
            self.listener("order_created", order)
        return order

    def _cart(self, items: list[dict], what: str) -> list[tuple[Variant, int]]:
        if not items:
            raise ShopError(f"a {what} needs at least one item")
        lines = []
        for item in items:
            variant = self.variant_for_sku(str(item["sku"]))
            quantity = int(item.get("quantity", 1))
            if quantity <= 0:
                raise ShopError(f"{what} quantity for {variant.sku} must be positive, got {quantity}")
            lines.append((variant, quantity))
        return lines

    def _lines(self, lines: list[tuple[Variant, int]]) -> list[OrderLine]:
        return [
            OrderLine(self.next_id(), v.id, v.sku, f"{v.product.title} - {v.title}", q, v.price)
            for v, q in lines
        ]

    def abandon_checkout(
        self,
        items: list[dict],
        email: str | None = None,
        country: str | None = None,
        *,
        created_at: datetime | None = None,
    ) -> AbandonedCheckout:
        """A shopper gave contact details at checkout and left without paying: no order, no stock change."""
        return self._create_checkout(self._cart(items, "checkout"), email, country, created_at=created_at)

    def _create_checkout(
        self,
        lines: list[tuple[Variant, int]],
        email: str | None,
        country: str | None,
        *,
        created_at: datetime | None = None,
    ) -> AbandonedCheckout:
        customer = self.customers_by_email.get(email.lower()) if email else None
        created = created_at or self.now()
        checkout_lines = self._lines(lines)
        subtotal, tax, shipping = _amounts(checkout_lines)
        checkout = AbandonedCheckout(
            id=self.next_id(),
            email=email,
            customer=customer,
            created_at=created,
            updated_at=created,
            currency=self.currency,
            lines=checkout_lines,
            subtotal=subtotal,
            total_tax=tax,
            total_shipping=shipping,
            country=country or (customer.country if customer else None),
        )
        self.abandoned_checkouts[checkout.id] = checkout
        self.changed()
        return checkout

    def recover_checkout(self, checkout_id: int) -> Order:
        """The shopper came back and paid: the checkout is completed and becomes a paid order."""
        checkout = self.abandoned_checkouts.get(checkout_id)
        if checkout is None:
            raise ShopError(f"no abandoned checkout {checkout_id}")
        if checkout.completed_at is not None:
            raise ShopError(f"abandoned checkout {checkout_id} is already completed")
        items = [{"sku": line.sku, "quantity": line.quantity} for line in checkout.lines]
        order = self.sell(items, checkout.email, checkout.country)
        checkout.completed_at = checkout.updated_at = order.created_at
        checkout.order_id = order.id
        self.changed()
        return order

    def refund(self, order: Order, amount: Decimal, lines: list[tuple[int, int]]) -> Refund:
        refund = Refund(self.next_id(), self.now(), amount, lines)
        order.refunds.append(refund)
        order.financial_status = "REFUNDED" if order.total_refunded >= order.total else "PARTIALLY_REFUNDED"
        order.updated_at = refund.created_at
        if order.customer is not None:
            order.customer.amount_spent -= amount
        self.changed()
        if self.listener is not None:
            self.listener("refund", (order, refund))
        return refund

    def cancel(self, order: Order, reason: str, *, restock: bool, refund: bool) -> Order:
        """Cancel an order: the stock it committed is released and, with `restock`, made available again;
        with `refund`, what is left to refund is refunded (refunds/create). Irreversible
        (https://shopify.dev/docs/api/admin-graphql/latest/mutations/orderCancel)."""
        if order.cancelled_at is not None:
            raise ShopError(f"order {order.name} is already cancelled")
        location_id = self.primary_location.id
        refunded: dict[int, int] = {}
        for past in order.refunds:
            for line_id, quantity in past.lines:
                refunded[line_id] = refunded.get(line_id, 0) + quantity
        for line in order.lines:
            variant = self.variants.get(line.variant_id) if line.variant_id is not None else None
            quantity = line.quantity - refunded.get(line.id, 0)
            if variant is None or quantity <= 0 or not variant.tracked:
                continue
            level = variant.levels.setdefault(location_id, {"available": 0, "committed": 0})
            level["committed"] = max(0, level.get("committed", 0) - quantity)
            if restock:
                level["available"] = level.get("available", 0) + quantity
            self.touch_variant(variant)
        remaining = order.total - order.total_refunded
        if refund and remaining > 0:
            lines = [(line.id, line.quantity - refunded.get(line.id, 0)) for line in order.lines]
            self.refund(
                order, remaining, [(line_id, quantity) for line_id, quantity in lines if quantity > 0]
            )
        order.cancelled_at = order.updated_at = self.now()
        order.cancel_reason = reason
        self.changed()
        if self.listener is not None:
            self.listener("order_cancelled", order)
        return order

    def restock(self, sku: str, quantity: int) -> int:
        variant = self.variant_for_sku(sku)
        if quantity <= 0:
            raise ShopError(f"restock quantity must be positive, got {quantity}")
        level = variant.levels.setdefault(self.primary_location.id, {"available": 0, "committed": 0})
        level["available"] = level.get("available", 0) + quantity
        self.touch_variant(variant)
        return level["available"]

    def set_stock(self, sku: str, quantity: int) -> int:
        variant = self.variant_for_sku(sku)
        self.set_quantity(variant, self.primary_location.id, "available", quantity)
        return quantity

    def stock(self, sku: str) -> dict[str, int]:
        variant = self.variant_for_sku(sku)
        location_id = self.primary_location.id
        return {
            name: self.quantity(variant, location_id, name) for name in ("available", "committed", "on_hand")
        }

    def touch(self, skus: Iterable[str]) -> int:
        """An edit of these variants in the admin: their `updatedAt` moves and products/update is sent."""
        products: dict[int, Product] = {}
        count = 0
        for sku in skus:
            variant = self.variant_for_sku(sku)
            self.touch_variant(variant)
            products[variant.product.id] = variant.product
            count += 1
        for product in products.values():
            self.product_changed(product)
        return count

    # -- translations -------------------------------------------------------------------------

    def translatable_values(self, product: Product) -> dict[str, str]:
        return {
            "title": product.title,
            "body_html": product.description_html,
            "handle": product.handle,
            "product_type": product.product_type,
        }

    def counts(self) -> dict[str, int]:
        return {
            "products": len(self.products),
            "variants": len(self.variants),
            "customers": len(self.customers),
            "orders": len(self.orders),
            "abandoned_checkouts": len(self.abandoned_checkouts),
        }


def _amounts(lines: list[OrderLine]) -> tuple[Decimal, Decimal, Decimal]:
    """(subtotal, tax, shipping) of an order or checkout: 20 % tax, free shipping from 100."""
    subtotal = sum((line.unit_price * line.quantity for line in lines), Decimal("0"))
    tax = (subtotal * Decimal("0.20")).quantize(Decimal("0.01"))
    shipping = Decimal("0.00") if subtotal >= 100 else Decimal("4.90")
    return subtotal, tax, shipping


def sort_function(sort_key: str) -> Callable[[Any], tuple]:
    if sort_key in ("ID", "CHECKOUT_ID"):
        return lambda record: (record.id,)
    if sort_key == "UPDATED_AT":
        return lambda record: (record.updated_at, record.id)
    if sort_key in ("CREATED_AT", "PROCESSED_AT"):
        return lambda record: (record.created_at, record.id)
    if sort_key in ("TITLE", "NAME"):
        return lambda record: (record.title.lower(), record.id)
    if sort_key == "SKU":
        return lambda record: (record.sku or "", record.id)
    if sort_key == "POSITION":
        return lambda record: (record.product.id, record.position, record.id)
    if sort_key == "ORDER_NUMBER":
        return lambda record: (record.number, record.id)
    raise KeyError(sort_key)


def slug(text: str) -> str:
    cleaned = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    return "-".join(part for part in cleaned.split("-") if part)


def default_markets(currency: str, locales: list[str]) -> list[dict]:
    """A cross-border setup: the home market in the shop currency and three markets with their own."""
    home = {"name": "Europe", "countries": ["FR", "DE", "BE", "AT", "NL"], "currency": currency}
    markets = [dict(home, primary=True, locales=locales)]
    for name, countries, market_currency in (
        ("Switzerland", ["CH"], "CHF"),
        ("United Kingdom", ["GB"], "GBP"),
        ("United States", ["US"], "USD"),
    ):
        if market_currency != currency:
            markets.append(
                {"name": name, "countries": countries, "currency": market_currency, "locales": ["en"]}
            )
    return markets
