"""A market's price rules, built and checked from the client config.

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

Keys of the market table that are not about prices (language, target store, ...) are left to the
config schema and ignored here. A key whose value is None counts as absent, and a zero duty_rate,
de_minimis or vat_rate where it has no use is accepted, so a schema's dump with its defaults
(`model_dump()`) reads the same as the file it came from.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from connector.pricing.currency import normalise_currency
from connector.pricing.rounding import Rounding, rounding_from_mapping

DEFAULT_MAX_PRICE_CHANGE = Decimal(20)
HUNDRED = Decimal(100)


class PricingConfigError(ValueError):
    """Every problem found in one market's price settings; `problems` lists them one by one."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class Duty(StrEnum):
    DDP = "DDP"  # delivered duty paid: the shop pays duties, so they are in the price
    DDU = "DDU"  # delivered duty unpaid: the customer pays them on delivery


@dataclass(frozen=True)
class Adjustment:
    """One step of the adjustment list: `percent` (10 = +10 %) or `fixed` (an amount in market currency)."""

    percent: Decimal | None = None
    fixed: Decimal | None = None

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
    """How one market's prices follow from the base price. Build it with `from_mapping`."""

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
    ) -> "MarketPriceRules":
        """Check and build the rules; raise PricingConfigError (a ValueError) listing every problem.

        `path` prefixes the key names in messages, e.g. "markets.de".
        """
        problems: list[str] = []
        reader = _Reader(problems)
        market, client = _without_none(market), _without_none(client)

        base_currency = reader.currency(client, "base_currency", "base_currency")
        base_incl = reader.boolean(client, "base_prices_include_vat", "client.base_prices_include_vat")
        base_vat = reader.vat_rate(
            client, "base_vat_rate", "client.base_vat_rate", base_incl, "client.base_prices_include_vat"
        )

        currency = reader.currency(market, "currency", f"{path}.currency")
        incl = reader.boolean(market, "prices_include_vat", f"{path}.prices_include_vat")
        vat = reader.vat_rate(market, "vat_rate", f"{path}.vat_rate", incl, f"{path}.prices_include_vat")

        duty, duty_rate, de_minimis = reader.duty(market, path)
        exchange_rate = reader.number(market, "exchange_rate", f"{path}.exchange_rate", positive=True)
        adjustments = reader.adjustments(market.get("adjustments"), f"{path}.adjustments")
        rounding = (
            rounding_from_mapping(market.get("rounding"), currency, f"{path}.rounding", problems)
            if currency
            else Rounding()
        )
        min_margin = reader.number(market, "min_margin", f"{path}.min_margin", minimum=Decimal(0))
        max_change = reader.number(market, "max_price_change", f"{path}.max_price_change", positive=True)

        if problems:
            raise PricingConfigError(problems)
        return cls(
            base_currency=base_currency,
            base_prices_include_vat=base_incl,
            base_vat_rate=base_vat,
            currency=currency,
            prices_include_vat=incl,
            vat_rate=vat,
            duty=duty,
            duty_rate=duty_rate,
            de_minimis=de_minimis,
            exchange_rate=exchange_rate,
            adjustments=adjustments,
            rounding=rounding,
            min_margin=min_margin,
            max_price_change=DEFAULT_MAX_PRICE_CHANGE if max_change is None else max_change,
        )


class _Reader:
    """Reads typed values out of a config table, collecting a message per problem instead of stopping."""

    def __init__(self, problems: list[str]):
        self.problems = problems

    def currency(self, table: Mapping[str, Any], key: str, path: str) -> str:
        if key not in table:
            self.problems.append(f'{path}: missing; set it to a three-letter ISO 4217 code such as "EUR"')
            return ""
        try:
            return normalise_currency(table[key])
        except ValueError as error:
            self.problems.append(f"{path}: {error}")
            return ""

    def boolean(self, table: Mapping[str, Any], key: str, path: str) -> bool:
        if key not in table:
            self.problems.append(
                f"{path}: missing; set it to true when these prices are shown with VAT included"
                " (EU, UK, CH) or false when tax is added at checkout (US)"
            )
            return False
        value = table[key]
        if not isinstance(value, bool):
            self.problems.append(f"{path}: must be true or false, got {value!r}")
            return False
        return value

    def number(
        self,
        table: Mapping[str, Any],
        key: str,
        path: str,
        *,
        positive: bool = False,
        minimum: Decimal | None = None,
        below: Decimal | None = None,
    ) -> Decimal | None:
        if key not in table:
            return None
        value = table[key]
        if isinstance(value, float):
            self.problems.append(
                f"{path}: {value!r} arrived as a float; parse the TOML with parse_float=Decimal so money"
                " stays exact"
            )
            return None
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            self.problems.append(f"{path}: must be a number, got {value!r}")
            return None
        number = Decimal(value)
        if not number.is_finite():
            self.problems.append(f"{path}: must be a finite number, got {value}")
        elif positive and number <= 0:
            self.problems.append(f"{path}: must be greater than zero, got {value}")
        elif minimum is not None and number < minimum:
            self.problems.append(f"{path}: must be at least {minimum}, got {value}")
        elif below is not None and number >= below:
            self.problems.append(f"{path}: must be below {below}, got {value}")
        else:
            return number
        return None

    def vat_rate(
        self, table: Mapping[str, Any], key: str, path: str, included: bool, flag_path: str
    ) -> Decimal:
        rate = self.number(table, key, path, minimum=Decimal(0), below=HUNDRED)
        if included and key not in table:
            self.problems.append(
                f"{path}: missing; {flag_path} is true, so give the VAT rate in percent, e.g. 20"
            )
        if not included and rate:
            self.problems.append(
                f"{path}: set but {flag_path} is false, so it would not be used;"
                f" remove it or set {flag_path} = true"
            )
        return rate if rate is not None and included else Decimal(0)

    def duty(self, market: Mapping[str, Any], path: str) -> tuple[Duty, Decimal, Decimal]:
        raw = market.get("duty", Duty.DDU.value)
        try:
            duty = Duty(raw)
        except ValueError:
            self.problems.append(
                f'{path}.duty: {raw!r} is not a duty term; use "DDP" (duties in the price) or "DDU"'
            )
            return Duty.DDU, Decimal(0), Decimal(0)
        rate = self.number(market, "duty_rate", f"{path}.duty_rate", minimum=Decimal(0))
        de_minimis = self.number(market, "de_minimis", f"{path}.de_minimis", minimum=Decimal(0))
        if duty is Duty.DDU:
            for key in ("duty_rate", "de_minimis"):
                if market.get(key):
                    self.problems.append(
                        f'{path}.{key}: only used when duty = "DDP"; remove it or set {path}.duty = "DDP"'
                    )
            return duty, Decimal(0), Decimal(0)
        if "duty_rate" not in market:
            self.problems.append(
                f'{path}.duty_rate: missing; duty = "DDP" needs the duty rate in percent, e.g. 12'
            )
        return duty, rate or Decimal(0), de_minimis or Decimal(0)

    def adjustments(self, raw: object, path: str) -> tuple[Adjustment, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list | tuple):
            self.problems.append(f"{path}: must be a list such as [ {{percent = 10}}, {{fixed = 2.00}} ]")
            return ()
        result = []
        for index, entry in enumerate(raw):
            entry_path = f"{path}[{index}]"
            entry = _without_none(entry) if isinstance(entry, Mapping) else entry
            if not isinstance(entry, Mapping) or len(entry) != 1 or set(entry) - {"percent", "fixed"}:
                self.problems.append(
                    f"{entry_path}: each adjustment is one of {{percent = 10}} or {{fixed = 2.00}}, got {entry!r}"
                )
                continue
            if "percent" in entry:
                percent = self.number(entry, "percent", f"{entry_path}.percent")
                if percent is not None and percent <= -HUNDRED:
                    self.problems.append(f"{entry_path}.percent: must be above -100, got {percent}")
                elif percent is not None:
                    result.append(Adjustment(percent=percent))
            else:
                fixed = self.number(entry, "fixed", f"{entry_path}.fixed")
                if fixed is not None:
                    result.append(Adjustment(fixed=fixed))
        return tuple(result)


def _without_none(table: Mapping[str, Any]) -> Mapping[str, Any]:
    if not isinstance(table, Mapping):
        return table
    return {key: value for key, value in table.items() if value is not None}
