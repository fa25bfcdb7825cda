"""What the price job decides, per market and SKU: the lines of a market's plan and their statuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connector.platforms.base import PriceTarget, PriceWrite
from connector.pricing import PriceResult, Rate

Shown = tuple[Decimal | None, Decimal | None]  # a target's (main price, second price) in its own shape

# Statuses of a line, in the order tables list them.
UNCHANGED, TO_PUSH, PUSHED, HELD, FAILED, NOT_ON_TARGET, DUPLICATE_SKU, NO_BASE_PRICE, ERROR = (
    "unchanged",
    "to push",
    "pushed",
    "held",
    "failed",
    "not on target",
    "duplicate SKU",
    "no base price",
    "error",
)


class PriceJobError(ValueError):
    """A market cannot be priced at all (settings, rates, costs, missing data); the message says what to do."""


@dataclass(frozen=True)
class Target:
    """The store a market's prices go to, the price target it offers, and the store's market, if any."""

    store: str
    offer: PriceTarget
    store_market: str | None = None

    @property
    def kind(self) -> str:
        return self.offer.kind

    @property
    def where(self) -> str:
        return self.offer.where.format(store=self.store, market=self.store_market)


@dataclass
class PriceLine:
    """One SKU of one market: what the rules give, what the target shows, and what the job does about it."""

    sku: str
    base_price: Decimal | None
    regular: PriceResult | None = None
    sale: PriceResult | None = None
    compare_at: PriceResult | None = None
    list_price: Decimal | None = None
    sale_price: Decimal | None = None
    write: PriceWrite | None = None
    shown: Shown | None = None  # the write as the target shows it (main, second)
    current: Shown | None = None  # the target's prices as the job takes them to be now
    read: Shown | None = None  # the target's prices as its pulled variants (or its live prices) give them
    change: Decimal | None = None  # percent, list price against the guardrail reference
    status: str = ""  # set once the line is decided
    notes: list[str] = field(default_factory=list)

    @property
    def floor_applied(self) -> bool:
        return any(r is not None and r.floor_applied for r in (self.regular, self.sale))


@dataclass
class MarketPlan:
    market: str
    target: Target
    currency: str
    max_change: Decimal
    rate: Rate
    lines: list[PriceLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        statuses = [line.status for line in self.lines]
        return {
            "market": self.market,
            "currency": self.currency,
            "target_kind": self.target.kind,
            "skus": len(self.lines),
            "unchanged": statuses.count(UNCHANGED),
            "to_push": statuses.count(TO_PUSH),
            "pushed": statuses.count(PUSHED),
            "held": statuses.count(HELD),
            "failed": statuses.count(FAILED),
            "not_on_target": statuses.count(NOT_ON_TARGET),
            "duplicate_sku": statuses.count(DUPLICATE_SKU),
            "no_base_price": statuses.count(NO_BASE_PRICE),
            "errors": statuses.count(ERROR),
            "floor_applied": sum(line.floor_applied for line in self.lines),
            "no_cost": sum(any(n.startswith("no cost") for n in line.notes) for line in self.lines),
            "sale_dropped": sum(any(n.startswith("sale dropped") for n in line.notes) for line in self.lines),
            "rate": text(self.rate.value),
            "rate_date": self.rate.date.isoformat(),
            "rate_source": self.rate.source,
            "warnings": list(self.warnings),
        }


def text(amount: Decimal | None) -> str | None:
    """Exact digits, never an exponent, never a float."""
    return None if amount is None else f"{amount:f}"


def decimal(value: Any) -> Decimal | None:
    """A price as the state stores it (exact text) back as a Decimal; None for no price."""
    if value is None or value == "":
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))
