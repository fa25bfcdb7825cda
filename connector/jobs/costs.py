"""Unit cost per SKU for the margin floor: the master store's cost meta field and/or a CSV file.

Costs are in the client's base currency, per unit, net of VAT. Two sources, both optional:

- the `cost` column of the master store's variants, which the pull job fills from the product meta field
  named by `pricing.cost_meta_key`;
- `pricing.cost_csv`, a CSV file with the columns `sku` and `cost` (relative to the config file). A cost in
  the file wins over the store's meta field: the file is the list the merchant keeps on purpose.

A SKU with neither has no cost, and so no floor; the price job reports it. Amounts are read digit for digit
into Decimal; a row that is not a usable amount is reported and skipped, never guessed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from connector.config import ClientConfig
from connector.state import State

REQUIRED_COLUMNS = ("sku", "cost")


class CostFileError(ValueError):
    """The cost file cannot be used at all (missing, unreadable, wrong columns); the message says what to do."""


@dataclass
class CostBook:
    """Cost per SKU and where each came from ("csv" or "meta"); `problems` lists rows that were skipped."""

    costs: dict[str, Decimal] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def cost(self, sku: str) -> Decimal | None:
        return self.costs.get(sku)

    def source(self, sku: str) -> str | None:
        return self.sources.get(sku)


def load_costs(config: ClientConfig, state: State, master_store: str) -> CostBook:
    """Costs from the master store's variants, then the CSV file's rows over them."""
    book = CostBook()
    for sku, raw in state.db.execute(
        "select sku, cost from variants where store = ? and sku is not null and cost is not null",
        [master_store],
    ).fetchall():
        amount = _amount(raw)
        if amount is None:
            book.problems.append(
                f"{master_store} SKU {sku}: cost {raw!r} in the {config.pricing.cost_meta_key} field is not"
                " an amount of zero or more; fix it in the store"
            )
            continue
        book.costs[sku] = amount
        book.sources[sku] = "meta"
    if config.pricing.cost_csv:
        path = config.resolve_path(config.pricing.cost_csv)
        for sku, amount in read_cost_csv(path, book.problems).items():
            book.costs[sku] = amount
            book.sources[sku] = "csv"
    return book


def read_cost_csv(path: Path, problems: list[str]) -> dict[str, Decimal]:
    """The `sku`,`cost` rows of a CSV file; bad rows go to `problems` (with their line number)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CostFileError(
            f"{path}: cost file not found; check pricing.cost_csv (it is relative to the config file)"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise CostFileError(f"{path}: cannot read the cost file ({error}); save it as UTF-8 CSV") from None
    reader = csv.DictReader(text.splitlines())
    columns = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise CostFileError(
            f"{path}: the first line must name the columns sku,cost; missing {', '.join(missing)}"
            f" (found {', '.join(columns) or 'no columns'})"
        )
    reader.fieldnames = columns
    costs: dict[str, Decimal] = {}
    for row in reader:
        line = reader.line_num
        sku = (row.get("sku") or "").strip()
        raw = (row.get("cost") or "").strip()
        if not sku and not raw:
            continue
        if not sku:
            problems.append(f"{path} line {line}: no SKU; give each cost its SKU")
            continue
        amount = _amount(raw)
        if amount is None:
            problems.append(
                f"{path} line {line}: cost {raw!r} of SKU {sku} is not an amount of zero or more"
                " (write it like 12.50, no currency sign)"
            )
            continue
        if sku in costs and costs[sku] != amount:
            problems.append(
                f"{path} line {line}: SKU {sku} appears again with another cost ({amount}, was {costs[sku]});"
                " the last one is used"
            )
        costs[sku] = amount
    return costs


def _amount(raw: object) -> Decimal | None:
    if raw is None:
        return None
    try:
        amount = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None
