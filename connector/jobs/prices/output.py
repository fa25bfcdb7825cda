"""Print: a table per market (or CSV rows), with the rate, the floor and the status of every SKU."""

from __future__ import annotations

import csv
from typing import Any

from connector import terminal
from connector.jobs.costs import CostBook
from connector.jobs.prices.lines import DUPLICATE_SKU, MarketPlan, PriceLine, text

COLUMNS = (
    "sku",
    "base price",
    "computed",
    "current",
    "change %",
    "rate",
    "rate date",
    "floor",
    "status",
    "notes",
)
NARROW_COLUMNS = ("sku", "base price", "computed", "current", "change %", "status")  # without --wide


def line_dict(line: PriceLine, plan: MarketPlan) -> dict[str, Any]:
    return {
        "market": plan.market,
        "sku": line.sku,
        "currency": plan.currency,
        "base_price": text(line.base_price),
        "price": text(line.list_price),
        "sale_price": text(line.sale_price),
        "compare_at_price": text(line.compare_at.price) if line.compare_at else None,
        "current": [text(v) for v in line.current] if line.current is not None else None,
        "change_percent": text(line.change),
        "rate": text(plan.rate.value),
        "rate_date": plan.rate.date.isoformat(),
        "floor_applied": line.floor_applied,
        "status": line.status,
        "notes": list(line.notes),
    }


def _row(line: PriceLine, plan: MarketPlan) -> list[str]:
    computed = text(line.list_price) or "-"
    if line.sale_price is not None:
        computed += f" (sale {text(line.sale_price)})"
    current = "-"
    if line.current is not None and line.current[0] is not None:
        current = text(line.current[0]) or "-"
        if line.current[1] is not None:
            current += f" ({plan.target.offer.shape.second} {text(line.current[1])})"
    return [
        line.sku,
        text(line.base_price) or "-",
        computed,
        current,
        f"{line.change:+}" if line.change is not None else "-",
        text(plan.rate.value) or "",
        plan.rate.date.isoformat(),
        "yes" if line.floor_applied else "",
        line.status,
        "; ".join(line.notes),
    ]


def print_tables(
    plans: list[MarketPlan], results: list[dict[str, Any]], costs: CostBook, *, dry_run: bool
) -> None:
    console = terminal.stdout_console()
    shown = COLUMNS if terminal.is_wide() else NARROW_COLUMNS
    for plan in plans:
        dry = " (dry run: nothing sent)" if dry_run else ""
        title = f"prices {plan.market} in {plan.currency} -> {plan.target.where}{dry}"
        table = terminal.table(title)
        terminal.columns(table, shown, {"base price", "change %"})
        for line in plan.lines:
            cells = dict(zip(COLUMNS, _row(line, plan), strict=True))
            table.add_row(*(cells[column] for column in shown))
        console.print(table)
        if not terminal.is_wide():
            console.print(f"rate {text(plan.rate.value)} of {plan.rate.date.isoformat()}; --wide shows floors and notes")
        for warning in plan.warnings:
            console.print(f"warning: {warning}")
        counts = plan.counts()
        console.print(
            ", ".join(
                f"{counts[key]} {key.replace('_', ' ')}"
                for key in (
                    "to_push",
                    "pushed",
                    "unchanged",
                    "held",
                    "failed",
                    "not_on_target",
                    "duplicate_sku",
                    "no_cost",
                )
                if counts[key]
            )
            or "nothing to price"
        )
        if not terminal.is_wide():  # the notes column is hidden, and with it how to fix a duplicate SKU
            for line in plan.lines:
                if line.status == DUPLICATE_SKU:
                    console.print(line.notes[-1])  # the binder's message, the last note of the line
    for result in results:
        if result["outcome"] != "ok":
            console.print(f"prices {result.get('market')}: failed: {result.get('error')}")
    for problem in costs.problems:
        console.print(f"cost: {problem}")


CSV_COLUMNS = (
    "market",
    "currency",
    "sku",
    "base_price",
    "price",
    "sale_price",
    "current_price",
    "current_second",
    "change_percent",
    "rate",
    "rate_date",
    "rate_source",
    "floor_applied",
    "status",
    "notes",
)


def print_csv(plans: list[MarketPlan], out: Any) -> None:
    """One row per market and SKU; amounts as exact digits, `current_second` is the target's second price in
    its shape: a sale price, or a compare-at price."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for plan in plans:
        for line in plan.lines:
            current = line.current or (None, None)
            writer.writerow(
                [
                    plan.market,
                    plan.currency,
                    line.sku,
                    text(line.base_price),
                    text(line.list_price),
                    text(line.sale_price),
                    text(current[0]),
                    text(current[1]),
                    text(line.change),
                    text(plan.rate.value),
                    plan.rate.date.isoformat(),
                    plan.rate.source,
                    "yes" if line.floor_applied else "no",
                    line.status,
                    "; ".join(line.notes),
                ]
            )
