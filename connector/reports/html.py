"""The HTML report: one self-contained page (no network: inline CSS, inline SVG charts, an inline script),
with revenue per market per week, the average order value per market, and new vs returning customers.

Charts are drawn here as SVG; the script only lets a click on a legend entry hide or show its series and
marks the page `data-charts-ready` once it has wired the charts.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any

from connector.reports.flags import FlaggedOrder
from connector.reports.kpis import KpiReport
from connector.reports.output import flags_as_dict, kpis_as_dict

PALETTE = ("#2563eb", "#db2777", "#16a34a", "#ea580c", "#7c3aed", "#0891b2", "#ca8a04", "#4b5563")
WIDTH, HEIGHT = Decimal(760), Decimal(300)
LEFT, RIGHT, TOP, BOTTOM = Decimal(70), Decimal(20), Decimal(20), Decimal(60)
TICKS = 5
COORD = Decimal("0.1")

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #1f2937; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid #e5e7eb; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
.muted { color: #6b7280; }
svg.chart { display: block; margin: .5rem 0 1.5rem; background: #fff; }
svg.chart text { font: 12px system-ui, sans-serif; fill: #374151; }
svg.chart .grid { stroke: #e5e7eb; } svg.chart .axis { stroke: #9ca3af; }
svg.chart .legend-item { cursor: pointer; } svg.chart .legend-item.off { opacity: .35; }
svg.chart .bar.hidden { display: none; }
"""

SCRIPT = """
(function () {
  var charts = document.querySelectorAll('svg.chart');
  charts.forEach(function (svg) {
    svg.querySelectorAll('.legend-item').forEach(function (item) {
      item.addEventListener('click', function () {
        var series = item.getAttribute('data-series');
        svg.querySelectorAll('.bar').forEach(function (bar) {
          if (bar.getAttribute('data-series') === series) { bar.classList.toggle('hidden'); }
        });
        item.classList.toggle('off');
      });
    });
  });
  document.documentElement.setAttribute('data-charts-ready', String(charts.length));
})();
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


def _nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2, 5 or 10 x 10^n at or above `value` (1 when there is nothing to show)."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()  # 10^exponent <= value < 10^(exponent + 1)
    return next(
        Decimal(step).scaleb(exponent) for step in (1, 2, 5, 10) if Decimal(step).scaleb(exponent) >= value
    )


def _c(value: Decimal) -> str:
    return str(value.quantize(COORD))


def bar_chart(
    chart_id: str,
    title: str,
    categories: list[str],
    series: list[tuple[str, list[Decimal]]],
    *,
    stacked: bool = False,
    unit: str = "",
) -> str:
    """Grouped (or stacked) bars: one group per category, one bar per series; values as Decimal."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    if stacked:
        peak = max(
            (sum((values[i] for _, values in series), Decimal(0)) for i in range(len(categories))), default=0
        )
    else:
        peak = max((v for _, values in series for v in values), default=Decimal(0))
    top = _nice_ceiling(Decimal(peak))
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in range(TICKS + 1):
        value = top * tick / TICKS
        y = TOP + plot_h - plot_h * tick / TICKS
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_c(y)}" y2="{_c(y)}"/>')
        label = value.normalize() if value == value.to_integral_value() else value.quantize(Decimal("0.01"))
        parts.append(f'<text x="{LEFT - 6}" y="{_c(y + 4)}" text-anchor="end">{escape(f"{label:f}")}</text>')
    parts.append(f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}"/>')
    band = plot_w / max(len(categories), 1)
    inner = band * Decimal("0.8")
    bar_w = inner if stacked else inner / max(len(series), 1)
    for index, category in enumerate(categories):
        x0 = LEFT + band * index + (band - inner) / 2
        base_y = TOP + plot_h
        for number, (name, values) in enumerate(series):
            value = values[index]
            colour = PALETTE[number % len(PALETTE)]
            height = plot_h * value / top
            x = x0 if stacked else x0 + bar_w * number
            y = base_y - height
            parts.append(
                f'<rect class="bar" data-series="{escape(name)}" data-category="{escape(category)}" '
                f'data-value="{value}" x="{_c(x)}" y="{_c(y)}" width="{_c(bar_w)}" height="{_c(height)}" '
                f'fill="{colour}"><title>{escape(f"{name}, {category}: {value} {unit}")}</title></rect>'
            )
            if stacked:
                base_y = y
        parts.append(
            f'<text x="{_c(LEFT + band * index + band / 2)}" y="{_c(TOP + plot_h + 16)}" '
            f'text-anchor="middle">{escape(category)}</text>'
        )
    legend_y = HEIGHT - 18
    for number, (name, _) in enumerate(series):
        x = LEFT + Decimal(130) * number
        parts.append(
            f'<g class="legend-item" data-series="{escape(name)}">'
            f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" '
            f'fill="{PALETTE[number % len(PALETTE)]}"/>'
            f'<text x="{x + 18}" y="{legend_y}">{escape(name)}</text></g>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n"
        f"<body>\n{body}\n<script>{SCRIPT}</script>\n</body></html>\n"
    )


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _amount(money: dict | None, key: str, currency: str | None) -> str:
    if not money or money.get(key) is None or currency is None:
        return "-"
    return f"{money[key]} {currency}"


def _percent(value: str | None) -> str:
    return "-" if value is None else f"{(Decimal(value) * 100).quantize(Decimal('0.01'))}%"


def render_kpis_html(report: KpiReport, client_name: str) -> str:
    data: dict[str, Any] = kpis_as_dict(report)
    base = data["base_currency"]
    markets = data["markets"]
    names = [m["market"] for m in markets]
    weeks = list(data["total"]["weekly_revenue"])
    period = f"{data['period']['since']} to {data['period']['until']}"

    weekly = bar_chart(
        "chart-weekly-revenue",
        f"Revenue per market per week ({base})",
        [f"week of {w}" for w in weeks],
        [(m["market"], [Decimal(m["weekly_revenue"][w]) for w in weeks]) for m in markets],
        unit=base,
    )
    aov = bar_chart(
        "chart-aov",
        f"Average order value per market ({base})",
        names,
        [
            (
                "average order value",
                [
                    Decimal(m["average_order_value"]["base"]) if m["average_order_value"] else Decimal(0)
                    for m in markets
                ],
            )
        ],
        unit=base,
    )
    customers = bar_chart(
        "chart-new-returning",
        "New and returning customers per market",
        names,
        [
            ("new", [Decimal(m["new_customers"]) for m in markets]),
            ("returning", [Decimal(m["returning_customers"]) for m in markets]),
        ],
        stacked=True,
        unit="customers",
    )
    everything = [*markets, data["total"]]
    sales = _table(
        ["market", "orders", f"revenue {base}", "revenue (market)", f"AOV {base}", "AOV (market)",
         f"refunds {base}", "refund rate"],
        [
            [m["market"], m["orders"], _amount(m["revenue"], "base", base),
             _amount(m["revenue"], "market", m["currency"]), _amount(m["average_order_value"], "base", base),
             _amount(m["average_order_value"], "market", m["currency"]), _amount(m["refunds"], "base", base),
             _percent(m["refund_rate"])]
            for m in everything
        ],
    )  # fmt: skip
    people = _table(
        ["market", "customers", "new", "returning", "repeat", "retention", f"avg CLV {base}", "conversion",
         "abandonment", f"CAC {base}", "ROAS"],
        [
            [m["market"], m["customers"], m["new_customers"], m["returning_customers"],
             _percent(m["repeat_purchase_rate"]), _percent(m["retention_rate"]),
             _amount(m["lifetime_value_average"], "base", base), _percent(m["conversion_rate"]),
             _percent(m["cart_abandonment_rate"]), _amount(m["acquisition_cost"], "base", base),
             m["roas"] or "-"]
            for m in everything
        ],
    )  # fmt: skip
    products = "".join(
        f"<h3>{escape(m['market'])}</h3>"
        + _table(
            ["SKU", "name", "quantity", f"revenue {base}"],
            [[p["sku"], p["name"], p["quantity"], p["revenue"]["base"]] for p in m["top_products"]],
        )
        for m in everything
        if m["top_products"]
    )
    notes = "".join(
        f"<li>{escape(m['market'])}: {escape(figure)} not available: {escape(reason)}</li>"
        for m in everything
        for figure, reason in m["unavailable"].items()
    )
    store = f" · store {escape(report.store)}" if report.store else ""
    body = (
        f"<h1>{escape(client_name)}: KPIs per market</h1>"
        f'<p class="muted">{escape(period)} · amounts in {escape(base)} '
        "at the ECB rate of each order's day, "
        f"and in each market's currency{store}</p>"
        f"<h2>Sales</h2>{sales}<h2>Customers and marketing</h2>{people}"
        f"<h2>Revenue per market per week</h2>{weekly}"
        f"<h2>Average order value per market</h2>{aov}"
        f"<h2>New and returning customers</h2>{customers}"
        f"<h2>Top products</h2>{products or '<p>no order lines in the period</p>'}"
        + (f'<h2>Not available</h2><ul class="muted">{notes}</ul>' if notes else "")
    )
    return _page(f"{client_name}: KPIs {period}", body)


def render_flags_html(flags: list[FlaggedOrder], base: str, client_name: str, period: str) -> str:
    rows = [
        [
            o["store"],
            o["number"],
            o["day"],
            o["market"],
            o["customer"],
            f"{o['total']} {o['currency']}",
            "; ".join(f"{f['kind']}: {f['reason']}" for f in o["flags"]),
        ]
        for o in flags_as_dict(flags, base)
    ]
    table = _table(["store", "order", "day", "market", "customer", "total", "reasons"], rows)
    body = f'<h1>{escape(client_name)}: flagged orders</h1><p class="muted">{escape(period)}</p>{table}'
    return _page(f"{client_name}: flagged orders {period}", body)
