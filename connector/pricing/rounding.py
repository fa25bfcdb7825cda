"""Price rounding rules and the grid of prices each rule allows.

Every rule defines a grid of allowed prices `offset + k * spacing` (k an integer, price > 0), and every
grid lies on the currency's minor unit:

- ``minor``: the minor unit itself (EUR 0.01, JPY 1, KWD 0.001). Default direction: nearest.
- ``charm`` with ``ending`` (.99, the default, .95, .90, .00 or any two-digit ending): the price ends in that fraction
  of a "charm block". The block is one major unit when the currency has two or more decimals
  (EUR 47.99, KWD 14.990) and 100 minor units when it has fewer, so that a .99 rule on JPY ends in
  99 yen (1,299) and .90 ends in 90 yen (1,290); .00 on JPY rounds to whole hundreds. Default: up.
- ``end_in_9``: whole prices whose last digit is 9 (9, 19, ..., 49, 59) with zero minor digits
  (EUR 49.00, JPY 1,289, KWD 19.000). Default: up.
- ``step`` with ``step`` (0.05, 5, 10, ...): multiples of the step, which must itself be a multiple of
  the currency's minor unit. Default: up.

Directions: ``up`` takes the smallest grid price at or above the value (an exact hit stays put);
``nearest`` takes the closest grid price and breaks ties upwards (12.345 EUR -> 12.35); ``down`` takes
the largest grid price at or below the value. None gives a price of zero or less: a value under the
first positive grid price gets that price.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, ValidationInfo, field_validator
from pydantic.dataclasses import dataclass as pydantic_dataclass

from connector.pricing.currency import minor_unit, minor_unit_digits
from connector.pricing.values import Number, problem

CHARM_ENDING_PLACES = 2
HALF = Decimal("0.5")


class RoundingRule(StrEnum):
    MINOR = "minor"
    CHARM = "charm"
    END_IN_9 = "end_in_9"
    STEP = "step"


class Direction(StrEnum):
    UP = "up"
    NEAREST = "nearest"
    DOWN = "down"


def _rule(value: Any) -> RoundingRule:
    try:
        return RoundingRule(value)
    except ValueError:
        choices = ", ".join(f'"{r.value}"' for r in RoundingRule)
        raise problem(f"{value!r} is not a rounding rule; use one of {choices}") from None


def _direction(value: Any) -> Direction | None:
    if value is None:
        return None
    try:
        return Direction(value)
    except ValueError:
        raise problem(f'{value!r} is not a direction; use "up", "nearest" or "down"') from None


DEFAULT_DIRECTION = {
    RoundingRule.MINOR: Direction.NEAREST,
    RoundingRule.CHARM: Direction.UP,
    RoundingRule.END_IN_9: Direction.UP,
    RoundingRule.STEP: Direction.UP,
}


@dataclass(frozen=True)
class Grid:
    """The prices `offset + k * spacing` for integer k that are greater than zero."""

    spacing: Decimal
    offset: Decimal

    def _point(self, k: Decimal) -> Decimal:
        point = self.offset + k * self.spacing
        if point <= 0:
            return self.first_positive()
        return point

    def first_positive(self) -> Decimal:
        k = (-self.offset / self.spacing).to_integral_value(rounding=ROUND_FLOOR) + 1
        return self.offset + k * self.spacing

    def up(self, value: Decimal) -> Decimal:
        """Smallest grid price at or above `value`."""
        k = ((value - self.offset) / self.spacing).to_integral_value(rounding=ROUND_CEILING)
        return self._point(k)

    def down(self, value: Decimal) -> Decimal:
        """Largest grid price at or below `value` (the first positive one when there is none)."""
        k = ((value - self.offset) / self.spacing).to_integral_value(rounding=ROUND_FLOOR)
        return self._point(k)

    def nearest(self, value: Decimal) -> Decimal:
        """Closest grid price to `value`; a value exactly between two grid prices takes the higher."""
        k = ((value - self.offset) / self.spacing + HALF).to_integral_value(rounding=ROUND_FLOOR)
        return self._point(k)

    def contains(self, value: Decimal) -> bool:
        return value > 0 and (value - self.offset) % self.spacing == 0


@pydantic_dataclass(frozen=True, config=ConfigDict(extra="forbid", validate_default=True))
class Rounding:
    """A market's rounding rule, checked as it is built (from a config table or in code): the grid it rounds
    to, and the direction. Messages name sibling keys as `{key}` (see `connector.pricing.values`)."""

    rule: Annotated[RoundingRule, BeforeValidator(_rule)] = RoundingRule.MINOR
    direction: Annotated[Direction | None, BeforeValidator(_direction)] = None
    ending: Number | None = None
    step: Number | None = None

    @field_validator("direction")
    @classmethod
    def _default_direction(cls, value: Direction | None, info: ValidationInfo) -> Direction:
        if value is not None:
            return value
        return DEFAULT_DIRECTION.get(info.data.get("rule", RoundingRule.MINOR), Direction.NEAREST)

    @field_validator("ending")
    @classmethod
    def _charm_ending(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        rule = info.data.get("rule")
        if rule is None:  # the rule is wrong: reported on its own
            return value
        if rule is not RoundingRule.CHARM:
            if value is not None:
                raise problem('only used with rule = "charm"; remove it or change the rule')
            return None
        ending = Decimal("0.99") if value is None else value
        if not (0 <= ending < 1) or ending != ending.quantize(Decimal(1).scaleb(-CHARM_ENDING_PLACES)):
            raise problem(f"{ending} is not a price ending; use a fraction from 0.00 to 0.99 such as 0.99")
        return ending

    @field_validator("step")
    @classmethod
    def _grid_step(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        rule = info.data.get("rule")
        if rule is None:
            return value
        if rule is not RoundingRule.STEP:
            if value is not None:
                raise problem('only used with rule = "step"; remove it or change the rule')
            return None
        if value is None:
            raise problem('missing; rule = "step" needs a step such as 0.05, 5 or 10')
        if value <= 0:
            raise problem(f"{value} must be greater than zero, such as 0.05, 5 or 10")
        return value

    def step_problem(self, currency: str) -> str | None:
        """Why the step does not fit the currency's minor unit, if it does not (checked with the market)."""
        unit = minor_unit(currency)
        if self.step is None or self.step % unit == 0:
            return None
        return (
            f"{self.step} is not a multiple of {currency}'s minor unit {unit}"
            f" ({minor_unit_digits(currency)} decimals); use a multiple of {unit}"
        )

    def grid(self, currency: str) -> Grid:
        unit = minor_unit(currency)
        if self.rule is RoundingRule.MINOR:
            return Grid(spacing=unit, offset=Decimal(0))
        if self.rule is RoundingRule.STEP:
            assert self.step is not None
            return Grid(spacing=self.step, offset=Decimal(0))
        if self.rule is RoundingRule.END_IN_9:
            return Grid(spacing=Decimal(10), offset=Decimal(9))
        assert self.ending is not None
        block = max(Decimal(1), unit * 100)
        return Grid(spacing=block, offset=self.ending * block)

    def apply(self, value: Decimal, currency: str) -> Decimal:
        """Round `value` to this rule's grid, expressed with exactly the currency's minor digits."""
        grid = self.grid(currency)
        by_direction = {Direction.UP: grid.up, Direction.NEAREST: grid.nearest, Direction.DOWN: grid.down}
        rounded = by_direction[self.direction](value)
        return rounded.quantize(minor_unit(currency))

    def describe(self) -> str:
        if self.rule is RoundingRule.CHARM:
            return f"charm ending {self.ending}, {self.direction}"
        if self.rule is RoundingRule.STEP:
            return f"step {self.step}, {self.direction}"
        return f"{self.rule}, {self.direction}"
