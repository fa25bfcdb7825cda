"""Guard: a price that would move too far is held, not pushed.

A list price (or a sale price that stays on sale) that would move more than the market's `max_price_change`
percent from the last pushed price (else the target's current price) is held and listed;
`--accept-large-changes` pushes it. List prices compare with list prices, sale prices with sale prices, read
from the target's shape; a sale that starts or ends is not a move.
"""

from __future__ import annotations

from decimal import Decimal

from connector.jobs.prices.lines import PriceLine, Shown, Target, text

HUNDRED = Decimal(100)
CHANGE_PLACES = Decimal("0.1")


def check(
    line: PriceLine, reference: Shown | None, target: Target, max_change: Decimal
) -> tuple[Decimal | None, str | None]:
    """The list price's move in percent, and why the line is held (None when it is not)."""
    if reference is None:
        return None, None
    old_list, old_sale = target.offer.shape.neutral(*reference)
    change = _change(old_list, line.list_price)
    reasons = []
    if change is not None and abs(change) > max_change:
        reasons.append(f"list price {text(old_list)} -> {text(line.list_price)} ({change:+}%)")
    sale_change = _change(old_sale, line.sale_price)
    if sale_change is not None and abs(sale_change) > max_change:
        reasons.append(f"sale price {text(old_sale)} -> {text(line.sale_price)} ({sale_change:+}%)")
    if not reasons:
        return change, None
    return (
        change,
        f"held: {'; '.join(reasons)} moves more than {max_change}%; push with --accept-large-changes",
    )


def _change(old: Decimal | None, new: Decimal | None) -> Decimal | None:
    if old is None or new is None or old <= 0:
        return None
    return ((new - old) / old * HUNDRED).quantize(CHANGE_PLACES)
