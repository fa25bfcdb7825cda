"""Compare: what the target shows now, so that only prices that change are sent.

The target's current prices come from its own pulled variants, or, for a per-market price target, from the
store itself (`current_prices`). Until the next pull the pulled variants still show what a push replaced, so
the job keeps what it pushed, and what that replaced, in `pushed_prices`: a target still showing exactly the
replaced prices is taken to show the pushed ones. A second run with nothing changed upstream sends no write.
Prices compare in the target's own shape (main, second), numerically (49.9 == 49.90).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from connector.binder import Binder, VariantRow
from connector.jobs.prices.lines import PriceLine, Shown, Target, decimal
from connector.platforms.base import StoreAdapter
from connector.state import State


@dataclass(frozen=True)
class Pushed:
    """The last push of one SKU to one market: what was sent, and what the target showed before."""

    shown: Shown
    replaced: Shown


def pushed(state: State, store: str, market: str) -> dict[str, Pushed]:
    rows = state.db.execute(
        """select sku, price, compare_at, sale, replaced_price, replaced_second from pushed_prices
           where store = ? and market = ?""",
        [store, market],
    ).fetchall()
    return {
        sku: Pushed(
            (decimal(price), decimal(sale) if compare_at is None else decimal(compare_at)),
            (decimal(replaced_price), decimal(replaced_second)),
        )
        for sku, price, compare_at, sale, replaced_price, replaced_second in rows
    }


def live_prices(
    adapter: StoreAdapter, target: Target, base: Binder, on_target: Binder
) -> Mapping[str, Shown] | None:
    """A per-market target's prices as the store shows them now, for the SKUs both stores carry; None for a
    target whose current prices are its pulled variants."""
    if not target.offer.per_market:
        return None
    carried = set(on_target.skus())
    skus = [sku for sku in base.skus() if sku in carried]
    answer = adapter.current_prices(skus, market=target.store_market)
    return {sku: (pair[0], pair[1]) for sku, pair in answer.items() if pair is not None}


def shown_by_variant(variant: VariantRow, target: Target) -> Shown:
    """A pulled target variant's (main, second) prices, the second from the field its shape uses."""
    return decimal(variant.price), decimal(getattr(variant, target.offer.shape.record_field))


def settle_current(
    line: PriceLine,
    variant: VariantRow,
    target: Target,
    record: Pushed | None,
    live: Mapping[str, Shown] | None,
) -> None:
    """Set what the target shows (`read`) and what the job takes it to show (`current`)."""
    if live is not None:
        line.read = line.current = live.get(line.sku, (None, None))
        return
    line.read = line.current = shown_by_variant(variant, target)
    if record is not None and same(line.read, record.replaced):
        line.current = record.shown  # not pulled since the push: the target shows what was pushed


def same(a: Shown | None, b: Shown | None) -> bool:
    """Numerically equal prices (49.9 == 49.90); None only equals None."""
    if a is None or b is None:
        return a is b
    return all(
        (x is None and y is None) or (x is not None and y is not None and x == y)
        for x, y in zip(a, b, strict=True)
    )
