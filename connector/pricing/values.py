"""Checked values of the price rules: exact numbers (never a float), rates and limits, currency codes, flags.

Each check fails with `problem(message)`, a pydantic error whose message says what is wrong and how to fix it.
A message names a key of the same table as `{key}`; `name_siblings` writes that key's full path (as in
"set but markets.us.prices_include_vat is false").
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from connector.pricing.currency import normalise_currency

HUNDRED = Decimal(100)
_SIBLING = re.compile(r"\{([a-z_]+)\}")


def problem(message: str) -> PydanticCustomError:
    """A price-rule check that failed; `value_error` so config messages print it as it is."""
    return PydanticCustomError("value_error", message)


def name_siblings(message: str, table_path: str) -> str:
    """`{key}` in a message -> the path of that key in the same table ("markets.us" + "duty")."""
    return _SIBLING.sub(
        lambda match: f"{table_path}.{match.group(1)}" if table_path else match.group(1), message
    )


def _exact(value: Any) -> Any:
    if isinstance(value, float):
        raise problem(
            f"{value!r} arrived as a float; parse the TOML with parse_float=Decimal so money stays exact"
        )
    if isinstance(value, bool):
        raise problem(f"must be a number, got {value!r}")
    return value


def _at_least(minimum: Decimal):
    def check(value: Decimal) -> Decimal:
        if value < minimum:
            raise problem(f"must be at least {minimum}, got {value}")
        return value

    return check


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise problem(f"must be greater than zero, got {value}")
    return value


def _below_hundred(value: Decimal) -> Decimal:
    if value >= HUNDRED:
        raise problem(f"must be below {HUNDRED}, got {value}")
    return value


def _above_minus_hundred(value: Decimal) -> Decimal:
    if value <= -HUNDRED:
        raise problem(f"must be above {-HUNDRED}, got {value}")
    return value


def _currency(code: Any) -> str:
    if not isinstance(code, str) or not code.strip():
        raise problem(f"must be a three-letter ISO 4217 code such as EUR, got {code!r}")
    try:
        return normalise_currency(code)
    except ValueError:
        raise problem(
            f"unknown currency {code!r}; use an ISO 4217 code in capitals such as EUR, USD, GBP, JPY"
        ) from None


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise problem(f"must be true or false, got {value!r}")
    return value


Number = Annotated[Decimal, BeforeValidator(_exact)]  # exact, finite (pydantic refuses NaN and infinity)
NonNegative = Annotated[Number, AfterValidator(_at_least(Decimal(0)))]
Positive = Annotated[Number, AfterValidator(_positive)]
VatRate = Annotated[NonNegative, AfterValidator(_below_hundred)]
AdjustmentPercent = Annotated[Number, AfterValidator(_above_minus_hundred)]
CurrencyCode = Annotated[str, BeforeValidator(_currency)]
Flag = Annotated[bool, BeforeValidator(_flag)]
