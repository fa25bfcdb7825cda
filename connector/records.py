"""Platform-neutral records: what adapters yield and jobs consume.

Money is Decimal in the currency named beside it; times are UTC-aware. `raw` keeps the platform's own JSON so
nothing the platform said is lost. A WooCommerce simple product is a Product with one Variant whose id is the
product's own id; variable products and Shopify products carry their variants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Variant:
    id: str
    product_id: str
    sku: str | None
    price: Decimal | None
    compare_at_price: Decimal | None = None
    sale_price: Decimal | None = None
    stock: int | None = None
    manage_stock: bool = False
    weight: Decimal | None = None
    options: dict[str, str] = field(default_factory=dict)
    cost: Decimal | None = None
    inventory_item_id: str | None = None  # Shopify's stock handle; None on WooCommerce
    updated_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Product:
    id: str
    title: str
    kind: str  # "simple" or "variable"
    status: str
    updated_at: datetime
    description_html: str = ""
    short_description_html: str = ""
    variants: tuple[Variant, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class OrderLine:
    sku: str | None
    product_id: str | None
    variant_id: str | None
    quantity: int
    unit_price: Decimal
    total: Decimal
    name: str = ""


@dataclass(frozen=True)
class Order:
    id: str
    number: str
    status: str
    currency: str
    total: Decimal
    subtotal: Decimal
    tax_total: Decimal
    shipping_total: Decimal
    discount_total: Decimal
    refunded_total: Decimal
    created_at: datetime
    updated_at: datetime
    customer_id: str | None
    customer_email: str | None
    billing_country: str | None
    shipping_country: str | None
    shipping_address: str = ""  # normalised one-line address, for "several addresses" flags
    risk_level: str | None = None  # the platform's own assessment where it gives one
    lines: tuple[OrderLine, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Customer:
    id: str
    email: str | None
    country: str | None
    created_at: datetime
    updated_at: datetime
    orders_count: int | None  # None where the platform does not say (WooCommerce wc/v3)
    total_spent: Decimal | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class AbandonedCheckout:
    """A checkout the shopper left unpaid after giving contact details (Shopify's abandoned checkouts).

    `country` is the shipping country (else the billing country); `total` is what the cart would have cost,
    tax and shipping included, in `currency`; `completed_at` is set once the checkout was recovered and paid.
    """

    id: str
    created_at: datetime
    updated_at: datetime
    country: str | None
    total: Decimal
    currency: str
    completed_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class StockLevel:
    """One SKU's sellable quantity on one channel, as read."""

    sku: str
    quantity: int
    managed: bool
    variant_id: str
    product_id: str
    inventory_item_id: str | None = None
    # The mark of the connector's last stock write, where the platform keeps one beside the quantity
    # (WooCommerce product meta): "" when none is recorded there; None where the platform keeps none.
    write_mark: str | None = None
