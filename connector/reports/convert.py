"""Amounts from one currency into another at the rate of a given day, exact, and rounding for display.

Conversions multiply by the `RateBook` rate of the day (the ECB reference rate published on or before it),
keep every digit, and are rounded once, when a figure is shown, to the currency's minor unit.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from connector.pricing.currency import minor_unit
from connector.rates import RateBook, RateError

RATIO_PLACES = Decimal("0.0001")


class ConversionError(Exception):
    pass


class Converter:
    def __init__(self, rates: RateBook):
        self.rates = rates
        self._cache: dict[tuple[str, str, date], Decimal] = {}

    def rate(self, source: str, target: str, day: date) -> Decimal:
        if source == target:
            return Decimal(1)
        key = (source, target, day)
        if key not in self._cache:
            try:
                self._cache[key] = self.rates.rate(source, target, on=day).value
            except RateError as error:
                raise ConversionError(f"cannot convert {source} to {target} for {day}: {error}") from None
        return self._cache[key]

    def __call__(self, amount: Decimal, source: str, target: str, day: date) -> Decimal:
        return amount if source == target else amount * self.rate(source, target, day)


def round_money(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def round_ratio(value: Decimal) -> Decimal:
    return value.quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)
