"""Per-market prices as pure functions on Decimal (no I/O, no floats).

A market price is the base price (master store, base currency) taken through the market's rules, in
this order:

1. remove the base VAT when base prices include it: ``net = base / (1 + base_vat_rate)``;
2. convert with the exchange rate (a `Rate`, which carries its date and source);
3. the adjustments, in the order written (``percent``: x (1 + p); ``fixed``: + amount in market currency);
   the result is the goods value;
4. DDP markets: duty on the goods value, unless a de minimis threshold is set and the goods value is at
   or under it (no duty is due on a consignment that does not exceed the threshold);
5. the market's VAT when its prices are shown tax-inclusive, on goods value plus duty (import VAT is
   levied on the duty-paid value);
6. the margin floor;
7. rounding, once, at the end, to the rule's grid, which always lies on the currency's minor unit.

Decisions:

- The floor is a margin on net revenue. Cost is per unit in the base currency, net of VAT. The floor
  goods value is ``cost x (1 + min_margin)`` converted at the same rate; the floor price is that plus the
  duty it would attract (same de minimis test) plus VAT as the market shows it. Adjustments do not
  apply to the floor: they move the price, not the cost.
- Floor and rounding: the floor is a minimum the rounded price must respect. The price before rounding
  is raised to the floor when under it, then rounded by the market's rule; if that rounding (``nearest``)
  lands under the floor, the price becomes the first grid price at or above the floor. So
  ``price = max(round(max(p, floor)), first grid price >= floor)``, which is never under the floor and
  never decreases when the base price rises. `PriceResult.floor_applied` is true when the floor made
  the price higher than rounding alone would have.
- No cost, or no ``min_margin`` in the market, means no floor; `PriceResult.no_floor_reason` says which.
- Rounding grids, charm endings on 0- and 3-decimal currencies, and tie-breaking: see `rounding`.
- Sale and compare-at prices go through `compute_price` like regular prices, floor included (pass
  ``cost=None`` for a compare-at price to leave it unfloored). Keeping a sale price under the
  regular price is the push job's decision.
"""

from connector.pricing.compute import PriceResult, PriceStep, PricingError, compute_price
from connector.pricing.currency import Rate, minor_unit, minor_unit_digits, normalise_currency
from connector.pricing.rounding import Direction, Grid, Rounding, RoundingRule
from connector.pricing.rules import Adjustment, Duty, MarketPriceRules, PricingConfigError

__all__ = [
    "Adjustment",
    "Direction",
    "Duty",
    "Grid",
    "MarketPriceRules",
    "PriceResult",
    "PriceStep",
    "PricingConfigError",
    "PricingError",
    "Rate",
    "Rounding",
    "RoundingRule",
    "compute_price",
    "minor_unit",
    "minor_unit_digits",
    "normalise_currency",
]
