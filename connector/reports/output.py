"""Reports as JSON-ready dicts, CSV text and terminal tables. Amounts are rounded here, once, to the
currency's minor unit; rates to four decimal places (0.3333 = 33.33 %)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from connector import terminal
from connector.reports.convert import round_money, round_ratio
from connector.reports.flags import FlaggedOrder
from connector.reports.kpis import KpiReport, MarketFigures, Money

MONEY_FIGURES = (
    "gross_revenue",
    "refunds",
    "revenue",
    "average_order_value",
    "lifetime_value_average",
    "ad_spend",
    "acquisition_cost",
)
RATIO_FIGURES = (
    "repeat_purchase_rate",
    "retention_rate",
    "refund_rate",
    "conversion_rate",
    "cart_abandonment_rate",
    "roas",
)
COUNT_FIGURES = (
    "orders",
    "customers",
    "new_customers",
    "returning_customers",
    "visitors",
    "abandoned_checkouts",
)


def _money(value: Money | None, base: str, currency: str | None) -> dict[str, str | None] | None:
    if value is None:
        return None
    market = None if value.market is None or currency is None else str(round_money(value.market, currency))
    return {"base": str(round_money(value.base, base)), "market": market}


def _ratio(value: Decimal | None) -> str | None:
    return None if value is None else str(round_ratio(value))


def market_as_dict(figures: MarketFigures, base: str) -> dict[str, Any]:
    currency = figures.currency
    result: dict[str, Any] = {"market": figures.market, "currency": currency}
    for name in COUNT_FIGURES:
        result[name] = getattr(figures, name)
    for name in MONEY_FIGURES:
        result[name] = _money(getattr(figures, name), base, currency)
    for name in RATIO_FIGURES:
        result[name] = _ratio(getattr(figures, name))
    result["lifetime_values"] = [
        {"customer": v.customer, "orders": v.orders, "revenue": _money(v.revenue, base, currency)}
        for v in figures.lifetime_values
    ]
    result["top_products"] = [
        {"sku": p.key, "name": p.name, "quantity": p.quantity, "revenue": _money(p.revenue, base, currency)}
        for p in figures.top_products
    ]
    result["weekly_revenue"] = {
        week.isoformat(): str(round_money(amount, base)) for week, amount in figures.weekly_revenue.items()
    }
    result["unavailable"] = dict(sorted(figures.unavailable.items()))
    return result


def kpis_as_dict(report: KpiReport) -> dict[str, Any]:
    base = report.base_currency
    return {
        "period": {"since": report.period.since.isoformat(), "until": report.period.until.isoformat()},
        "previous_period": {
            "since": report.previous.since.isoformat(),
            "until": report.previous.until.isoformat(),
        },
        "base_currency": base,
        "store": report.store,
        "excluded_orders": report.excluded_orders,
        "markets": [market_as_dict(m, base) for m in report.markets],
        "total": market_as_dict(report.total, base),
    }


def csv_columns() -> list[str]:
    columns = ["market", "base_currency", "market_currency"]
    for name in (*COUNT_FIGURES, *MONEY_FIGURES, *RATIO_FIGURES):
        columns += [f"{name}_base", f"{name}_market"] if name in MONEY_FIGURES else [name]
    return columns


def kpis_csv(report: KpiReport) -> str:
    """One row per market and a `total` row; lists (top products, lifetime values, weeks) are in --json."""
    data = kpis_as_dict(report)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=csv_columns(), lineterminator="\n")
    writer.writeheader()
    for market in [*data["markets"], data["total"]]:
        row: dict[str, Any] = {
            "market": market["market"],
            "base_currency": data["base_currency"],
            "market_currency": market["currency"] or "",
        }
        for name in COUNT_FIGURES + RATIO_FIGURES:
            row[name] = "" if market[name] is None else market[name]
        for name in MONEY_FIGURES:
            amount = market[name] or {}
            row[f"{name}_base"] = amount.get("base") or ""
            row[f"{name}_market"] = amount.get("market") or ""
        writer.writerow(row)
    return out.getvalue()


def flags_as_dict(flags: list[FlaggedOrder], base: str) -> list[dict[str, Any]]:
    return [
        {
            "store": f.order.store,
            "order_id": f.order.id,
            "number": f.order.number,
            "created_at": f.order.created_at.isoformat(),
            "day": f.order.day.isoformat(),
            "status": f.order.status,
            "market": f.order.market,
            "customer": f.order.customer,
            "total": str(round_money(f.order.total, f.order.currency)),
            "currency": f.order.currency,
            "total_base": str(round_money(f.total_base, base)),
            "flags": [{"kind": flag.kind, "reason": flag.reason} for flag in f.flags],
        }
        for f in flags
    ]


def flags_csv(flags: list[FlaggedOrder], base: str) -> str:
    """One row per flag."""
    out = io.StringIO()
    columns = [
        "store",
        "order_id",
        "number",
        "day",
        "market",
        "customer",
        "total",
        "currency",
        "kind",
        "reason",
    ]
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for order in flags_as_dict(flags, base):
        for flag in order["flags"]:
            writer.writerow({**order, **flag})
    return out.getvalue()


# --- terminal --------------------------------------------------------------------------------------------


def _show_money(amount: dict | None, key: str) -> str:
    return "-" if not amount or amount.get(key) is None else amount[key]


def _show_percent(value: str | None) -> str:
    return "-" if value is None else str((Decimal(value) * 100).quantize(Decimal("0.01")))


def _table(title: str, columns: list[str]) -> Table:
    """The first column names the row; the figures are right-aligned and never wrapped."""
    table = terminal.table(title)
    terminal.columns(table, columns, set(columns[1:]))
    return table


def print_kpis(report: KpiReport, console: Console, *, wide: bool = False) -> None:
    data = kpis_as_dict(report)
    base = data["base_currency"]
    rows = [*data["markets"], data["total"]]
    period = f"{data['period']['since']} to {data['period']['until']}"
    store = f", store {report.store}" if report.store else ""
    sales_columns = ["market", "orders", "revenue", "AOV", "refunds", "refund %"]
    if wide:
        sales_columns = ["market", "orders", "revenue", "rev. cur.", "AOV", "AOV cur.", "refunds", "refund %"]
    sales = _table(f"Sales {period}{store} ({base}{'; cur. = the market currency' if wide else ''})", sales_columns)
    for m in rows:
        cells = {
            "market": f"{m['market']} ({m['currency']})" if m["currency"] else m["market"],
            "orders": str(m["orders"]),
            "revenue": _show_money(m["revenue"], "base"),
            "rev. cur.": _show_money(m["revenue"], "market"),
            "AOV": _show_money(m["average_order_value"], "base"),
            "AOV cur.": _show_money(m["average_order_value"], "market"),
            "refunds": _show_money(m["refunds"], "base"),
            "refund %": _show_percent(m["refund_rate"]),
        }
        sales.add_row(*(cells[column] for column in sales_columns))
    console.print(sales)

    people_columns = ["market", "customers", "new", "repeat %", "avg CLV", "conv. %", "ROAS"]
    if wide:
        people_columns = ["market", "customers", "new", "returning", "repeat %", "retention %", "avg CLV",
                          "conv. %", "abandon. %", "CAC", "ROAS"]  # fmt: skip
    people = _table(f"Customers and marketing ({base})", people_columns)
    for m in rows:
        cells = {
            "market": m["market"],
            "customers": str(m["customers"]),
            "new": str(m["new_customers"]),
            "returning": str(m["returning_customers"]),
            "repeat %": _show_percent(m["repeat_purchase_rate"]),
            "retention %": _show_percent(m["retention_rate"]),
            "avg CLV": _show_money(m["lifetime_value_average"], "base"),
            "conv. %": _show_percent(m["conversion_rate"]),
            "abandon. %": _show_percent(m["cart_abandonment_rate"]),
            "CAC": _show_money(m["acquisition_cost"], "base"),
            "ROAS": m["roas"] or "-",
        }
        people.add_row(*(cells[column] for column in people_columns))
    console.print(people)

    products = terminal.table(f"Top products, all markets ({base})")
    terminal.columns(products, ["SKU", "name", "quantity", "revenue"], {"quantity", "revenue"})
    for p in data["total"]["top_products"]:
        products.add_row(escape(p["sku"]), escape(p["name"]), str(p["quantity"]), p["revenue"]["base"])
    console.print(products)

    unavailable: dict[tuple[str, str], list[str]] = {}
    for m in rows:
        for figure, reason in m["unavailable"].items():
            unavailable.setdefault((figure, reason), []).append(m["market"])
    for (figure, reason), markets in unavailable.items():
        where = "every market" if len(markets) == len(rows) else ", ".join(markets)
        console.print(escape(f"{figure} not available ({where}): {reason}"), style="dim")
    if data["excluded_orders"]:
        excluded = ", ".join(f"{n} {status}" for status, n in data["excluded_orders"].items())
        console.print(escape(f"orders not counted as sales: {excluded}"), style="dim")


def print_flags(flags: list[FlaggedOrder], base: str, console: Console, *, wide: bool = False) -> None:
    if not flags:
        console.print("no flagged orders in the period")
        return
    headers = ["store", "order", "day", "market", "customer", "total", "reasons"] if wide else [
        "store", "order", "day", "total", "flags"]  # fmt: skip
    table = terminal.table(f"{len(flags)} flagged orders")
    terminal.columns(table, headers, {"order", "day", "total"})
    reasons = []
    for order in flags_as_dict(flags, base):
        cells = {
            "store": order["store"],
            "order": order["number"],
            "day": order["day"],
            "market": order["market"],
            "customer": order["customer"],
            "total": f"{order['total']} {order['currency']}",
            "reasons": "\n".join(f"{flag['kind']}: {flag['reason']}" for flag in order["flags"]),
            "flags": ", ".join(flag["kind"] for flag in order["flags"]),
        }
        table.add_row(*(escape(str(cells[column] or "")) for column in headers))
        reasons += [f"{order['store']} {order['number']}: {flag['reason']}" for flag in order["flags"]]
    console.print(table)
    if not wide:
        for line in reasons:
            console.print(escape(line))
