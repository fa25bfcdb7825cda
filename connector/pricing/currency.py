"""Currencies and exchange rates as plain values: codes, minor units, and the `Rate` a price was converted at.

Minor units come from Babel's CLDR currency data (`get_currency_precision`): JPY 0, EUR/GBP/CHF/USD 2,
KWD 3. CLDR gives the accounting digits shops display; for a few currencies it differs from ISO 4217
(RSD, IQD, ALL, LBP: CLDR 0 digits) and it records separate cash rules (CHF cash to 0.05, HUF/SEK/CZK cash
to whole units) which do not apply to card payments. A market that wants such steps says so with a
`step` rounding rule.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import get_currency_precision, is_currency


def normalise_currency(code: object) -> str:
    """Return the ISO 4217 code in upper case, or raise ValueError naming the code."""
    if not isinstance(code, str) or not code.strip():
        raise ValueError(f"currency code must be a three-letter ISO 4217 code such as 'EUR', got {code!r}")
    normalised = code.strip().upper()
    if len(normalised) != 3 or not is_currency(normalised):
        raise ValueError(
            f"unknown currency {code!r}: use a three-letter ISO 4217 code such as 'EUR' or 'JPY'"
        )
    return normalised


def minor_unit_digits(currency: str) -> int:
    """Number of decimal places of the currency's minor unit (JPY 0, EUR 2, KWD 3)."""
    return get_currency_precision(normalise_currency(currency))


def minor_unit(currency: str) -> Decimal:
    """The currency's smallest amount as a Decimal quantum: Decimal('1') for JPY, Decimal('0.01') for EUR."""
    return Decimal(1).scaleb(-minor_unit_digits(currency))


@dataclass(frozen=True)
class Rate:
    """One unit of `base` is worth `value` units of `quote`, as published on `date` by `source`."""

    base: str
    quote: str
    value: Decimal
    date: datetime.date
    source: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", normalise_currency(self.base))
        object.__setattr__(self, "quote", normalise_currency(self.quote))
        if not isinstance(self.value, Decimal) or not self.value.is_finite() or self.value <= 0:
            raise ValueError(f"rate {self.base}->{self.quote} must be a positive Decimal, got {self.value!r}")
        if isinstance(self.date, datetime.datetime) or not isinstance(self.date, datetime.date):
            raise ValueError(f"rate {self.base}->{self.quote} needs a datetime.date, got {self.date!r}")
