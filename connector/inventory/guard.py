"""Stock guardrails: which drops on a channel are too implausible to fold without a person looking.

A channel other than the source of truth whose quantity fell since its baseline is checked against the
orders pulled for that channel: the units of the SKU in its orders placed or changed since the baseline was
read explain that much of the drop. What no order explains is held when the channel now shows less than
zero, or when it is more than `max_drop_percent` of the pool (default 50 %) or, where set, more than
`max_drop_units`. Everything else folds as before: a sale, a restock, a small manual correction, and negative
stock from real overselling (backorders), which its orders explain.

The guard only decides when a change is folded, never how much: the fold always adds the channel's whole
difference from its baseline, so holding a change and releasing it later leaves the pool exactly where
folding it at once would have.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class DropLimits:
    percent: Decimal = Decimal(50)
    units: int | None = None


def hold_reason(pool: int, before: int, now: int, explained: int, limits: DropLimits) -> str | None:
    """Why a channel's drop from `before` to `now` is held, or None when it may be folded."""
    drop = before - now
    unexplained = drop - max(0, explained)
    if drop <= 0 or unexplained <= 0:
        return None
    unexplained_text = (
        f"{unexplained} of the {drop} units it lost" if explained > 0 else f"the {drop} units it lost"
    )
    if now < 0:
        return f"below zero, and no order pulled for it accounts for {unexplained_text}"
    if unexplained > Decimal(max(pool, 0)) * limits.percent / 100:
        return (
            f"no order pulled for it accounts for {unexplained_text}, more than "
            f"{limits.percent.normalize():f} % of the pool ({pool})"
        )
    if limits.units is not None and unexplained > limits.units:
        return (
            f"no order pulled for it accounts for {unexplained_text}, more than max_drop_units "
            f"({limits.units})"
        )
    return None
