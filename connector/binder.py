"""The binder: for a store and a SKU, the one variant that carries it, or why there is none.

Products are matched across stores by SKU, here and nowhere else. For a store and a SKU the binder answers the
one variant, or an `Unbound`: `AMBIGUOUS` when several variants of the store carry the SKU (a duplicate; any
pick would be a guess, so the SKU is refused on that store until each variant has its own), or `MISSING` when
none does. Inventory, prices and translations refuse an unbound SKU the same way: they leave it alone on that
store and report the binder's kind and message.

A binder is built from the variants the pull holds in the state (`Binder.of_store`), or from a store's live
answer (the inventory job's stock read), which takes the duplicates the state knows of as well: a live read may
show one of two variants sharing a SKU.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from connector.state import State

AMBIGUOUS = "duplicate_sku"  # the kind the pull records for the same data problem
MISSING = "missing"

V = TypeVar("V")


@dataclass(frozen=True)
class VariantRow:
    """A variant as the pull holds it in the state; prices as stored (exact decimal strings)."""

    store: str
    id: str
    product_id: str
    sku: str
    price: str | None
    sale_price: str | None
    compare_at_price: str | None


@dataclass(frozen=True)
class Unbound:
    """Why a SKU has no one variant on a store: `kind` is AMBIGUOUS or MISSING."""

    store: str
    sku: str
    kind: str
    variants: tuple[str, ...] = ()  # the ids of the variants carrying the SKU, when ambiguous

    @property
    def message(self) -> str:
        if self.kind == AMBIGUOUS:
            return (
                f"SKU {self.sku!r} is on {len(self.variants) or 'several'} variants of store {self.store}"
                f"{' (' + ', '.join(self.variants) + ')' if self.variants else ''}; left alone there until"
                " each variant has its own SKU"
            )
        return f"no variant with SKU {self.sku!r} in store {self.store}"


class Binder(Generic[V]):
    """One store's SKUs and the variants carrying them."""

    def __init__(
        self,
        store: str,
        variants: Iterable[tuple[str, str, V]],
        *,
        ambiguous: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        """`variants`: (sku, variant id, variant) triples; `ambiguous`: SKUs known to be on several variants
        of the store (with their ids), refused even where `variants` shows one of them."""
        self.store = store
        self._carried: dict[str, list[tuple[str, V]]] = defaultdict(list)
        for sku, variant_id, variant in variants:
            if sku:
                self._carried[sku].append((variant_id, variant))
        self._known = dict(ambiguous or {})

    @staticmethod
    def of_store(state: State, store: str) -> Binder[VariantRow]:
        """The store's variants as last pulled."""
        rows = state.db.execute(
            """select id, product_id, sku, price, sale_price, compare_at_price from variants
               where store = ? and sku is not null and sku != '' order by sku, id""",
            [store],
        ).fetchall()
        return Binder(
            store,
            (
                (sku, variant_id, VariantRow(store, variant_id, product_id, sku, price, sale, compare_at))
                for variant_id, product_id, sku, price, sale, compare_at in rows
            ),
        )

    def bind(self, sku: str) -> V | Unbound:
        carried = self._carried.get(sku)
        if not carried:
            return Unbound(self.store, sku, MISSING)
        if len(carried) > 1 or sku in self._known:
            ids = {variant_id for variant_id, _ in carried} | set(self._known.get(sku, ()))
            return Unbound(self.store, sku, AMBIGUOUS, tuple(sorted(ids, key=_natural)))
        return carried[0][1]

    def skus(self) -> list[str]:
        """Every SKU some variant of the store carries, bound or ambiguous, in order."""
        return sorted(self._carried)

    def ambiguous(self) -> dict[str, tuple[str, ...]]:
        """SKU -> the ids of the variants sharing it, for every SKU carried by more than one."""
        found = {}
        for sku in self._carried:
            bound = self.bind(sku)
            if isinstance(bound, Unbound):
                found[sku] = bound.variants
        return found

    def __bool__(self) -> bool:
        return bool(self._carried)


def _natural(variant_id: str) -> tuple[int, str]:
    """Numeric ids in number order (9 before 10), others after in text order."""
    return (int(variant_id), "") if variant_id.isdigit() else (1 << 62, variant_id)
