"""A market's price rules: the values `compute_price` works from, and the one schema building them.

`BasePricing` and `MarketPricing` are pydantic models whose validators check a market's and the client's price
settings and build `MarketPriceRules` (with its `Rounding` and `Adjustment`s). The config's `[client]` and
`[markets.NAME]` sections are these models with their other keys added (`connector/config.py`), so a config
is checked here once, every problem at once; `MarketPriceRules.from_mapping` checks a plain mapping the same
way and names each problem with its key path and the fix. Settings that depend on each other are checked on
the key that is wrong: `vat_rate` against `prices_include_vat`, `duty_rate` and `de_minimis` against `duty`, a
rounding `step` against the currency's minor unit. `base_prices_include_vat` is required once markets are
priced (validation context `pricing`).

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
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass as pydantic_dataclass
from pydantic_core import InitErrorDetails, PydanticKnownError

from connector.pricing.rounding import Rounding
from connector.pricing.values import (
    HUNDRED,
    AdjustmentPercent,
    CurrencyCode,
    Flag,
    NonNegative,
    Number,
    Positive,
    VatRate,
    name_siblings,
    problem,
)

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
    (`MarketPricing.rules` below), from a config's market or from a mapping with `from_mapping`."""

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
        return rules_from_mapping(market, client, path=path)


# --- the schema ------------------------------------------------------------------------------------------

_VAT_FLAG_HINT = (
    "missing; set it to true when these prices are shown with VAT included (EU, UK, CH) or false when tax is"
    " added at checkout (US)"
)
_CURRENCY_HINT = 'missing; set it to a three-letter ISO 4217 code such as "EUR"'
# What to write for a required key that is missing, where a generic "missing" would not say.
MISSING_HINTS = {
    "currency": _CURRENCY_HINT,
    "base_currency": _CURRENCY_HINT,
    "prices_include_vat": _VAT_FLAG_HINT,
    "base_prices_include_vat": _VAT_FLAG_HINT,
}
UNKNOWN_KEY_TYPES = ("extra_forbidden", "unexpected_keyword_argument")


def _duty(value: Any) -> Duty:
    try:
        return Duty(value)
    except ValueError:
        raise problem(
            f'{value!r} is not a duty term; use "DDP" (duties in the price) or "DDU" (paid on delivery)'
        ) from None


def _adjustments(value: Any) -> Any:
    if not isinstance(value, list | tuple):
        raise problem("must be a list such as [ {percent = 10}, {fixed = 2.00} ]")
    return value


def _one_adjustment(value: Any) -> Any:
    """An adjustment table holds exactly one of `percent` and `fixed`."""
    if isinstance(value, Adjustment):
        return value
    entry = {k: v for k, v in value.items() if v is not None} if isinstance(value, Mapping) else value
    if not isinstance(entry, Mapping) or len(entry) != 1 or set(entry) - {"percent", "fixed"}:
        raise problem(f"each adjustment is one of {{percent = 10}} or {{fixed = 2.00}}, got {entry!r}")
    return entry


def _rounding_table(value: Any) -> Any:
    if isinstance(value, Rounding | Mapping):
        return value
    raise problem('must be a table such as { rule = "charm", ending = 0.99 }')


def _vat(value: Decimal | None, info: ValidationInfo, flag: str) -> Decimal | None:
    """A VAT rate is given exactly when the prices it belongs to include VAT."""
    if flag not in info.data or info.data[flag] is None:  # the flag is wrong or absent: reported on its own
        return value
    included = info.data[flag]
    if included and value is None:
        raise problem(f"missing; {{{flag}}} is true, so give the VAT rate in percent, e.g. 20")
    if not included and value:
        raise problem(
            f"set but {{{flag}}} is false, so it would not be used; remove it or set {{{flag}}} = true"
        )
    return value if included else Decimal(0)


class _Table(BaseModel):
    """A table of price settings; a key whose value is None counts as absent."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _absent_none(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {key: value for key, value in data.items() if value is not None}
        return data


class BasePricing(_Table):
    """The client's base prices: their currency, and whether (and at what rate) they include VAT."""

    base_currency: CurrencyCode
    base_prices_include_vat: Flag | None = Field(default=None, validate_default=True)
    base_vat_rate: VatRate | None = Field(default=None, validate_default=True)

    @field_validator("base_prices_include_vat")
    @classmethod
    def _needed_to_price(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        # A silent default would mean "0 % VAT": required as soon as a market is priced.
        if value is None and (info.context or {}).get("pricing"):
            raise PydanticKnownError("missing")
        return value

    @field_validator("base_vat_rate")
    @classmethod
    def _base_vat(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        return _vat(value, info, "base_prices_include_vat")


class MarketPricing(_Table):
    """A market's price settings (the keys of a `[markets.NAME]` table about prices)."""

    currency: CurrencyCode
    prices_include_vat: Flag
    vat_rate: VatRate | None = Field(default=None, validate_default=True)
    duty: Annotated[Duty, BeforeValidator(_duty)] = Duty.DDU
    duty_rate: NonNegative | None = Field(default=None, validate_default=True)
    de_minimis: NonNegative | None = Field(default=None, validate_default=True)
    exchange_rate: Positive | None = None
    adjustments: Annotated[
        tuple[Annotated[Adjustment, BeforeValidator(_one_adjustment)], ...], BeforeValidator(_adjustments)
    ] = ()
    rounding: Annotated[Rounding, BeforeValidator(_rounding_table)] = Field(default_factory=Rounding)
    min_margin: NonNegative | None = None
    max_price_change: Positive = DEFAULT_MAX_PRICE_CHANGE

    @field_validator("vat_rate")
    @classmethod
    def _market_vat(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        return _vat(value, info, "prices_include_vat")

    @field_validator("duty_rate", "de_minimis")
    @classmethod
    def _duties_paid(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        duty = info.data.get("duty")
        if duty is None:  # the duty term is wrong: reported on its own
            return value
        if duty is Duty.DDU:
            if value:
                raise problem('only used when duty = "DDP"; remove it or set {duty} = "DDP"')
            return Decimal(0)
        if value is None and info.field_name == "duty_rate":
            raise problem('missing; duty = "DDP" needs the duty rate in percent, e.g. 12')
        return value if value is not None else Decimal(0)

    @field_validator("rounding")
    @classmethod
    def _on_minor_unit(cls, value: Rounding, info: ValidationInfo) -> Rounding:
        currency = info.data.get("currency")
        why = value.step_problem(currency) if currency else None
        if why:
            error = InitErrorDetails(type=problem(why), loc=("step",), input=value.step)
            raise ValidationError.from_exception_data("rounding", [error])
        return value

    def rules(self, base: BasePricing) -> MarketPriceRules:
        """The rules `compute_price` works from, for prices based on `base`."""
        if base.base_prices_include_vat is None:
            raise PricingConfigError([f"client.base_prices_include_vat: {_VAT_FLAG_HINT}"])
        return MarketPriceRules(
            base_currency=base.base_currency,
            base_prices_include_vat=base.base_prices_include_vat,
            base_vat_rate=base.base_vat_rate or Decimal(0),
            currency=self.currency,
            prices_include_vat=self.prices_include_vat,
            vat_rate=self.vat_rate or Decimal(0),
            duty=self.duty,
            duty_rate=self.duty_rate or Decimal(0),
            de_minimis=self.de_minimis or Decimal(0),
            exchange_rate=self.exchange_rate,
            adjustments=tuple(self.adjustments),
            rounding=self.rounding,
            min_margin=self.min_margin,
            max_price_change=self.max_price_change,
        )


def rules_from_mapping(
    market: Mapping[str, Any], client: Mapping[str, Any], *, path: str
) -> MarketPriceRules:
    """Check a market's and the client's price settings; PricingConfigError lists every problem."""
    problems: list[str] = []
    base = _validated(BasePricing, client, "client", problems, context={"pricing": True})
    priced = _validated(MarketPricing, market, path, problems)
    if problems or base is None or priced is None:
        raise PricingConfigError(problems)
    return priced.rules(base)


def _validated(model, data: Any, prefix: str, problems: list[str], *, context: dict | None = None):
    try:
        return model.model_validate(data, context=context)
    except ValidationError as error:
        problems += describe(error, prefix)
        return None


def describe(error: ValidationError, prefix: str) -> list[str]:
    """One line per problem, `path: what is wrong; the fix`; unknown keys first within their table."""
    found = error.errors()
    tables = {tuple(e["loc"][:-1]): n for n, e in reversed(list(enumerate(found)))}
    found.sort(key=lambda e: (tables[tuple(e["loc"][:-1])], e["type"] not in UNKNOWN_KEY_TYPES))
    lines = []
    for err in found:
        loc = tuple(err["loc"])
        table = _path(prefix, loc[:-1])
        if err["type"] == "missing":
            message = MISSING_HINTS.get(str(loc[-1]), "missing; add it")
        elif err["type"] in UNKNOWN_KEY_TYPES:
            keys = _TABLE_KEYS.get(str(loc[-2])) if len(loc) > 1 else None
            message = (
                f"unknown key; the {loc[-2]} table takes {', '.join(sorted(keys))}" if keys else "unknown key"
            )
        elif err["type"] == "value_error":
            message = err["msg"]
        else:
            message = f"{err['msg']} (got {err.get('input')!r})"
        lines.append(f"{_path(prefix, loc)}: {name_siblings(message, table)}")
    return lines


def _path(prefix: str, loc: tuple) -> str:
    return prefix + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)


_TABLE_KEYS = {"rounding": ("rule", "ending", "step", "direction")}
