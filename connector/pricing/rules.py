"""A market's price rules: the values `compute_price` works from, built and checked by `schema.py`.

Config shape (TOML parsed with ``parse_float=Decimal``; percentages are written as percent)::

    base_currency = "EUR"                 # client level
    base_prices_include_vat = true
    base_vat_rate = 20                    # required when base_prices_include_vat is true

    [markets.de]
    currency = "EUR"
    prices_include_vat = true
    vat_rate = 19                         # required when prices_include_vat is true, else not allowed
    duty = "DDP"                          # or "DDU" (default): the customer pays duties on delivery
    duty_rate = 12                        # DDP only
    de_minimis = 150                      # DDP only; goods value in market currency; 0/absent = none
    exchange_rate = 0.91                  # optional fixed base->market rate, overrides ECB
    adjustments = [ {percent = 10}, {fixed = 2.00} ]
    rounding = { rule = "charm", ending = 0.99, direction = "up" }
    min_margin = 30                       # percent over cost; absent = no floor
    max_price_change = 20                 # percent; the push job holds larger moves (default 20)

Keys of the market table that are not about prices (language, target store, ...) belong to the config
schema and are ignored by `from_mapping`. A key whose value is None counts as absent, and a zero duty_rate,
de_minimis or vat_rate where it has no use is accepted, so a schema's dump with its defaults
(`model_dump()`) reads the same as the file it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict
from pydantic.dataclasses import dataclass as pydantic_dataclass

from connector.pricing.rounding import Rounding
from connector.pricing.values import HUNDRED, AdjustmentPercent, Number

DEFAULT_MAX_PRICE_CHANGE = Decimal(20)


class PricingConfigError(ValueError):
    """Every problem found in one market's price settings; `problems` lists them one by one."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class Duty(StrEnum):
    DDP = "DDP"  # delivered duty paid: the shop pays duties, so they are in the price
    DDU = "DDU"  # delivered duty unpaid: the customer pays them on delivery


@pydantic_dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class Adjustment:
    """One step of the adjustment list: `percent` (10 = +10 %) or `fixed` (an amount in market currency)."""

    percent: AdjustmentPercent | None = None
    fixed: Number | None = None

    def apply(self, amount: Decimal) -> Decimal:
        if self.percent is not None:
            return amount * (1 + self.percent / HUNDRED)
        assert self.fixed is not None
        return amount + self.fixed

    def describe(self) -> str:
        if self.percent is not None:
            return f"{self.percent:+}%"
        return f"{self.fixed:+}"


@dataclass(frozen=True)
class MarketPriceRules:
    """How one market's prices follow from the base price; built by the price-rule schema
    (`connector.pricing.schema`), from a config's market or from a mapping with `from_mapping`."""

    base_currency: str
    base_prices_include_vat: bool
    base_vat_rate: Decimal
    currency: str
    prices_include_vat: bool
    vat_rate: Decimal
    duty: Duty = Duty.DDU
    duty_rate: Decimal = Decimal(0)
    de_minimis: Decimal = Decimal(0)
    exchange_rate: Decimal | None = None
    adjustments: tuple[Adjustment, ...] = ()
    rounding: Rounding = field(default_factory=Rounding)
    min_margin: Decimal | None = None
    max_price_change: Decimal = DEFAULT_MAX_PRICE_CHANGE

    @classmethod
    def from_mapping(
        cls, market: Mapping[str, Any], client: Mapping[str, Any], *, path: str = "market"
    ) -> MarketPriceRules:
        """Check and build the rules; raise PricingConfigError (a ValueError) listing every problem.

        `path` prefixes the key names in messages, e.g. "markets.de".
        """
        from connector.pricing.schema import rules_from_mapping

        return rules_from_mapping(market, client, path=path)
