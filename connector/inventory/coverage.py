"""Stores that sell pooled SKUs without being part of the pool.

Where `[inventory.channels]` lists the channels, a store missing from it is never read nor written: its sales
never reach the pool, and the pool's stock is sold there too. Every store that sells a pooled SKU must
therefore be a channel or be listed in `inventory.excluded` (it keeps its own stock). What a store sells is
known from its products pulled into the state.
"""

from __future__ import annotations

from dataclasses import dataclass

from connector.config import ClientConfig
from connector.state import State


@dataclass(frozen=True)
class Uncovered:
    store: str
    pooled_skus: int | None  # None: its products were never pulled, so nobody can tell

    @property
    def problem(self) -> str:
        fix = f"add [inventory.channels.{self.store}] or list it in inventory.excluded"
        if self.pooled_skus is None:
            return (
                "neither an inventory channel nor in inventory.excluded, and its products were never pulled "
                f"to tell whether it sells pooled SKUs; pull them (connector sync products) or {fix}"
            )
        return (
            f"sells {self.pooled_skus} pooled SKU(s) but is neither an inventory channel nor in "
            f"inventory.excluded, so its sales never reach the pool; {fix}"
        )

    def line(self) -> str:
        return f"{self.store}: {self.problem}"


def uncovered_stores(config: ClientConfig, state: State) -> list[Uncovered]:
    channels = list(config.inventory.channels)
    if not channels:  # every store not excluded is a channel
        return []
    others = [s for s in config.stores if s not in channels and s not in config.inventory.excluded]
    found = []
    marks = ",".join("?" * len(channels))
    for name in others:
        pulled = state.db.execute(
            "select count(*) from variants where store = ? and sku is not null", [name]
        ).fetchone()[0]
        if not pulled:
            found.append(Uncovered(name, None))
            continue
        pooled = state.db.execute(
            f"""select count(distinct sku) from variants where store = ? and sku is not null
                and (sku in (select sku from stock_pool)
                     or sku in (select sku from variants where store in ({marks})))""",
            [name, *channels],
        ).fetchone()[0]
        if pooled:
            found.append(Uncovered(name, pooled))
    return found
