"""The plain records reports compute from, and the two rules that place an order: its market and its customer.

- Market: the order's shipping country, else its billing country, looked up in the markets' `countries`;
  an order whose country is in no market (or that has none) belongs to the market "other".
- Customer: the lower-cased e-mail address, the same person across all stores. An order without e-mail is
  its store's customer id (`store/customer/ID`), and a guest order with neither is a customer of its own
  (`store/order/ID`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

OTHER_MARKET = "other"


@dataclass(frozen=True)
class Period:
    """Whole days, both ends included, in the client's time zone."""

    since: date
    until: date

    def __post_init__(self) -> None:
        if self.until < self.since:
            raise ValueError(f"the period ends ({self.until}) before it starts ({self.since})")

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def previous(self) -> Period:
        """The period of the same length that ends the day before this one starts."""
        return Period(self.since - timedelta(days=self.days), self.since - timedelta(days=1))

    def __contains__(self, day: date) -> bool:
        return self.since <= day <= self.until


@dataclass(frozen=True)
class LineFact:
    sku: str | None
    name: str
    quantity: int
    total: Decimal  # in the order's currency

    @property
    def product_key(self) -> str:
        return self.sku or f"(no SKU) {self.name}".strip()


@dataclass(frozen=True)
class OrderFact:
    store: str
    id: str
    number: str
    status: str  # lower case
    currency: str
    total: Decimal
    refunded: Decimal
    created_at: datetime  # UTC
    day: date  # created_at's date in the client's time zone: the report day and the exchange-rate day
    customer: str
    email: str | None
    billing_country: str | None
    shipping_country: str | None
    shipping_address: str
    risk_level: str | None
    market: str
    lines: tuple[LineFact, ...] = ()

    @property
    def net(self) -> Decimal:
        return self.total - self.refunded

    @property
    def country(self) -> str | None:
        return self.shipping_country or self.billing_country


@dataclass(frozen=True)
class TrafficRow:
    day: date
    market: str
    visitors: int | None
    ad_spend: Decimal | None
    currency: str  # of ad_spend


@dataclass(frozen=True)
class AbandonedCheckout:
    store: str
    id: str
    day: date
    country: str | None
    market: str
    total: Decimal | None
    currency: str | None


def market_of(shipping_country: str | None, billing_country: str | None, countries: Mapping[str, str]) -> str:
    """`countries` maps a country code to its market's name."""
    country = (shipping_country or billing_country or "").upper()
    return countries.get(country, OTHER_MARKET)


def customer_key(store: str, order_id: str, email: str | None, customer_id: str | None) -> str:
    if email and email.strip():
        return email.strip().lower()
    if customer_id and customer_id not in ("0", ""):
        return f"{store}/customer/{customer_id}"
    return f"{store}/order/{order_id}"
