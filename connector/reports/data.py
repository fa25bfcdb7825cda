"""Reading what reports need: orders and their lines from the state, the traffic CSV, abandoned checkouts,
and the table that remembers which flagged orders were tagged on their store.

Traffic CSV (`reports.traffic_csv`, relative to the config file): a header line, then one row per market and
day: `date,market,visitors,ad_spend[,currency]`. `date` is YYYY-MM-DD in the client's time zone, `market` a
market of the config (or "other"), `visitors` a whole number, `ad_spend` a decimal amount in `currency`
(the client's base currency when the column is absent or empty). Either figure may be left empty.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlite_utils

from connector.config import ClientConfig
from connector.reports.model import (
    OTHER_MARKET,
    AbandonedCheckout,
    LineFact,
    OrderFact,
    TrafficRow,
    customer_key,
    market_of,
)
from connector.state import State, iso, parse_iso

TRAFFIC_COLUMNS = ("date", "market", "visitors", "ad_spend")
TAGS_TABLE = "report_tags"
ABANDONED_TABLE = "abandoned_checkouts"


class ReportError(Exception):
    """Input a report cannot use; the message names the thing and what to do."""


def market_countries(config: ClientConfig) -> dict[str, str]:
    return {country: name for name, market in config.markets.items() for country in market.countries}


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def load_orders(
    state: State,
    config: ClientConfig,
    *,
    store: str | None = None,
    with_lines: bool = True,
    lines_since: datetime | None = None,
) -> list[OrderFact]:
    """Every order held (of one store when `store` is given), oldest first; with lines for the orders created
    at or after `lines_since` (all when None), as only those are broken down by product."""
    zone = ZoneInfo(config.client.timezone)
    countries = market_countries(config)
    where, params = ("where store = ?", [store]) if store else ("", [])
    lines = _load_lines(state, store, lines_since) if with_lines else {}
    orders = []
    rows = state.db.execute(
        f"""select store, id, number, status, currency, total, refunded_total, created_at, customer_id,
                   customer_email, billing_country, shipping_country, shipping_address, risk_level
            from orders {where} order by created_at, store, id""",
        params,
    )
    for (
        store_name, order_id, number, status, currency, total, refunded, created, customer_id, email,
        billing, shipping, address, risk,
    ) in rows:  # fmt: skip
        ref = f"order {order_id} of store {store_name}"
        created_at = parse_iso(created)
        orders.append(
            OrderFact(
                store=store_name,
                id=order_id,
                number=number or order_id,
                status=(status or "").lower(),
                currency=(currency or config.client.base_currency).upper(),
                total=_decimal(total, f"{ref}: total"),
                refunded=abs(_decimal(refunded, f"{ref}: refunded_total")),
                created_at=created_at,
                day=local_day(created_at, zone),
                customer=customer_key(store_name, order_id, email, customer_id),
                email=(email or "").strip().lower() or None,
                billing_country=(billing or "").upper() or None,
                shipping_country=(shipping or "").upper() or None,
                shipping_address=address or "",
                risk_level=(risk or "").lower() or None,
                market=market_of(shipping, billing, countries),
                lines=tuple(lines.get((store_name, order_id), ())),
            )
        )
    return orders


def _load_lines(
    state: State, store: str | None, since: datetime | None
) -> dict[tuple[str, str], list[LineFact]]:
    conditions, params = [], []
    if store:
        conditions.append("o.store = ?")
        params.append(store)
    if since:
        conditions.append("o.created_at >= ?")
        params.append(iso(since))
    where = f"where {' and '.join(conditions)}" if conditions else ""
    lines: dict[tuple[str, str], list[LineFact]] = defaultdict(list)
    rows = state.db.execute(
        f"""select l.store, l.order_id, l.sku, l.name, l.quantity, l.total from order_lines l
            join orders o on o.store = l.store and o.id = l.order_id {where}
            order by l.store, l.order_id, l.line_no""",
        params,
    )
    for store, order_id, sku, name, quantity, total in rows:
        lines[(store, order_id)].append(
            LineFact(
                sku=(sku or "").strip() or None,
                name=name or "",
                quantity=quantity or 0,
                total=_decimal(total, f"order {order_id} of store {store}: line total"),
            )
        )
    return lines


def load_abandoned_checkouts(
    state: State, config: ClientConfig, *, store: str | None = None
) -> list[AbandonedCheckout] | None:
    """None until a store's abandoned checkouts have been pulled (from the stores whose adapters read them). A
    checkout that later became an order is left out: its sale is already among the orders."""
    pulled = state.db.execute(
        "select count(*) from cursors where resource = 'abandoned_checkouts'"
    ).fetchone()[0]
    if not pulled:
        return None
    where, params = ("and store = ?", [store]) if store else ("", [])
    zone = ZoneInfo(config.client.timezone)
    countries = market_countries(config)
    checkouts = []
    for row in state.db.query(
        f"select store, id, created_at, country, total, currency from {ABANDONED_TABLE} "
        f"where completed_at is null {where}",
        params,
    ):
        country = (row["country"] or "").upper() or None
        checkouts.append(
            AbandonedCheckout(
                store=row["store"],
                id=str(row["id"]),
                day=local_day(parse_iso(row["created_at"]), zone),
                country=country,
                market=market_of(country, None, countries),
                total=None if row["total"] in (None, "") else _decimal(row["total"], "abandoned checkout"),
                currency=row["currency"],
            )
        )
    return checkouts


def traffic_path(config: ClientConfig) -> Path | None:
    return config.resolve_path(config.reports.traffic_csv) if config.reports.traffic_csv else None


def load_traffic(config: ClientConfig) -> list[TrafficRow] | None:
    """None when no traffic CSV is configured."""
    path = traffic_path(config)
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ReportError(
            f"reports.traffic_csv: {path} not found; "
            "create it (date,market,visitors,ad_spend) or remove the key"
        ) from None
    except OSError as error:
        raise ReportError(f"reports.traffic_csv: cannot read {path} ({error.strerror})") from None
    return parse_traffic(
        text,
        str(path),
        known_markets={*config.markets, OTHER_MARKET},
        base_currency=config.client.base_currency,
    )


def parse_traffic(text: str, source: str, *, known_markets: set[str], base_currency: str) -> list[TrafficRow]:
    reader = csv.DictReader(text.splitlines())
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in TRAFFIC_COLUMNS if name not in header]
    if missing:
        raise ReportError(
            f"{source}: the header lacks {', '.join(missing)}; the first line must be "
            "date,market,visitors,ad_spend (and optionally currency)"
        )
    rows = []
    for number, raw in enumerate(reader, start=2):
        row = {(key or "").strip(): (value or "").strip() for key, value in raw.items()}
        if not any(row.values()):
            continue
        where = f"{source} line {number}"
        try:
            day = date.fromisoformat(row["date"])
        except ValueError:
            raise ReportError(f"{where}: date {row['date']!r} is not YYYY-MM-DD") from None
        if row["market"] not in known_markets:
            raise ReportError(
                f"{where}: market {row['market']!r} is not in the config; use one of "
                f"{', '.join(sorted(known_markets))}"
            )
        visitors = None
        if row["visitors"]:
            if not row["visitors"].isdigit():
                raise ReportError(f"{where}: visitors {row['visitors']!r} is not a whole number")
            visitors = int(row["visitors"])
        ad_spend = _decimal(row["ad_spend"], f"{where}: ad_spend") if row["ad_spend"] else None
        if ad_spend is not None and ad_spend < 0:
            raise ReportError(f"{where}: ad_spend {row['ad_spend']} is negative")
        currency = (row.get("currency") or base_currency).upper()
        rows.append(TrafficRow(day, row["market"], visitors, ad_spend, currency))
    return rows


def _decimal(text: str | None, what: str) -> Decimal:
    if text is None or text == "":
        return Decimal(0)
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise ReportError(f"{what}: {text!r} is not a decimal amount") from None
    if not value.is_finite():
        raise ReportError(f"{what}: {text!r} is not a decimal amount")
    return value


# --- tagged orders ---------------------------------------------------------------------------------------


def tagged_orders(db: sqlite_utils.Database) -> set[tuple[str, str]]:
    """Flagged orders already tagged on their store (table report_tags, defined in connector/state.py)."""
    return {(row[0], row[1]) for row in db.execute(f"select store, order_id from {TAGS_TABLE}").fetchall()}


def remember_tagged(db: sqlite_utils.Database, store: str, order_id: str, text: str, at: datetime) -> None:
    db[TAGS_TABLE].insert({"store": store, "order_id": order_id, "text": text, "tagged_at": iso(at)})
