"""What a channel shows for a pool: the per-channel rules of config `inventory.channels`.

In order: the buffer (safety stock) is held back, the channel gets its share of the rest (rounded down),
at most `max_quantity`, and a channel that would show fewer than `zero_below` shows 0 instead.
A pool below the buffer (or an oversold, negative pool) shows 0: a channel never shows a negative quantity.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from connector.config import ChannelRules

FULL_SHARE = Decimal(100)


def channel_quantity(pool: int, rules: ChannelRules) -> int:
    available = max(0, pool - rules.buffer)
    if rules.share != FULL_SHARE:
        available = int((Decimal(available) * rules.share / FULL_SHARE).to_integral_value(ROUND_FLOOR))
    if rules.max_quantity is not None:
        available = min(available, rules.max_quantity)
    if available < rules.zero_below:
        return 0
    return available
