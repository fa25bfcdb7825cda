"""WooCommerce JSON -> platform-neutral records.

Quirks handled here: prices are strings, line-item `price` is a JSON number (bodies are parsed with
Decimal for floats, and the unit price is derived from the line subtotal), `*_gmt` dates carry no offset,
`manage_stock` on a variation may be "parent", a deleted product leaves `product_id` 0 on order lines,
and wc/v3 customers carry no order totals (reports compute them from orders).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connector.platforms.base import DataProblem
from connector.records import Customer, Order, OrderLine, Product, Variant

# Order fields that identify a person; they never reach the state's raw JSON.
PERSONAL_ORDER_FIELDS = (
    "billing",
    "shipping",
    "customer_ip_address",
    "customer_user_agent",
    "customer_note",
    "payment_url",
    "order_key",
    "_links",
)


def gmt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None


def money(value: Any, what: str, ref: str, problems: list[DataProblem]) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        problems.append(
            DataProblem("bad_price", ref, f"{what} {value!r} is not a number; fix it in the store")
        )
        return None
    return amount


def product(body: dict, variations: list[dict], cost_key: str, problems: list[DataProblem]) -> Product:
    ref = str(body["id"])
    if body.get("type") == "variable":
        variants = tuple(variant(v, ref, cost_key, problems) for v in variations)
    else:
        variants = (variant(body, ref, cost_key, problems),)
    return Product(
        id=ref,
        title=body.get("name", ""),
        kind="variable" if body.get("type") == "variable" else "simple",
        status=body.get("status", ""),
        updated_at=gmt(body.get("date_modified_gmt")) or gmt(body.get("date_created_gmt")),
        description_html=body.get("description") or "",
        short_description_html=body.get("short_description") or "",
        variants=variants,
        raw={k: v for k, v in body.items() if k != "_links"},
    )


def variant(body: dict, product_id: str, cost_key: str, problems: list[DataProblem]) -> Variant:
    ref = str(body["id"])
    sku = (body.get("sku") or "").strip() or None
    if sku is None:
        problems.append(
            DataProblem(
                "missing_sku", ref, f"product {product_id} variant {ref} has no SKU; give it one in the store"
            )
        )
    managed = body.get("manage_stock") is True  # "parent" means the parent product holds the stock
    meta = {m.get("key"): m.get("value") for m in body.get("meta_data", []) if isinstance(m, dict)}
    options = {a.get("name", ""): a.get("option", "") for a in body.get("attributes", []) if "option" in a}
    return Variant(
        id=ref,
        product_id=product_id,
        sku=sku,
        price=money(body.get("regular_price"), "regular_price", ref, problems),
        sale_price=money(body.get("sale_price"), "sale_price", ref, problems),
        stock=int(body["stock_quantity"]) if managed and body.get("stock_quantity") is not None else None,
        manage_stock=managed,
        weight=money(body.get("weight"), "weight", ref, problems),
        options=options,
        cost=money(meta.get(cost_key), cost_key, ref, problems),
        updated_at=gmt(body.get("date_modified_gmt")),
        raw={k: v for k, v in body.items() if k != "_links"},
    )


def order(body: dict, problems: list[DataProblem]) -> Order:
    ref = str(body["id"])
    billing, shipping = body.get("billing") or {}, body.get("shipping") or {}
    lines = []
    for item in body.get("line_items", []):
        quantity = int(item.get("quantity") or 0)
        subtotal = money(item.get("subtotal"), "line subtotal", ref, problems) or Decimal(0)
        if not (item.get("sku") or "").strip():
            problems.append(
                DataProblem(
                    "unknown_line_product",
                    f"{ref}/{item.get('id')}",
                    f"order {body.get('number', ref)} line {item.get('name')!r} has no SKU (its product was deleted "
                    "or has none); the order is kept, the line counts for revenue only",
                )
            )
        lines.append(
            OrderLine(
                sku=(item.get("sku") or "").strip() or None,
                product_id=str(item["product_id"]) if item.get("product_id") else None,
                variant_id=str(item.get("variation_id") or item.get("product_id") or "") or None,
                quantity=quantity,
                unit_price=(subtotal / quantity) if quantity else subtotal,
                total=money(item.get("total"), "line total", ref, problems) or Decimal(0),
                name=item.get("name", ""),
            )
        )
    refunded = sum(
        (-(money(r.get("total"), "refund", ref, problems) or 0) for r in body.get("refunds", [])), Decimal(0)
    )
    return Order(
        id=ref,
        number=str(body.get("number") or ref),
        status=body.get("status", ""),
        currency=body.get("currency", ""),
        total=money(body.get("total"), "total", ref, problems) or Decimal(0),
        subtotal=sum(
            (money(i.get("subtotal"), "subtotal", ref, []) or 0 for i in body.get("line_items", [])),
            Decimal(0),
        ),
        tax_total=money(body.get("total_tax"), "total_tax", ref, problems) or Decimal(0),
        shipping_total=money(body.get("shipping_total"), "shipping_total", ref, problems) or Decimal(0),
        discount_total=money(body.get("discount_total"), "discount_total", ref, problems) or Decimal(0),
        refunded_total=abs(refunded),
        created_at=gmt(body.get("date_created_gmt")),
        updated_at=gmt(body.get("date_modified_gmt")) or gmt(body.get("date_created_gmt")),
        customer_id=str(body["customer_id"]) if body.get("customer_id") else None,
        customer_email=(billing.get("email") or "").strip().lower() or None,
        billing_country=billing.get("country") or None,
        shipping_country=shipping.get("country") or billing.get("country") or None,
        shipping_address=address_key(shipping or billing),
        lines=tuple(lines),
        raw={k: v for k, v in body.items() if k not in PERSONAL_ORDER_FIELDS},
    )


def address_key(address: dict) -> str:
    """A stable fingerprint of a postal address: equal addresses compare equal, the address itself is not kept."""
    parts = [address.get(k, "") for k in ("address_1", "address_2", "postcode", "city", "country")]
    text = "|".join(" ".join(str(p).lower().split()) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:16] if text.strip("|") else ""


def customer(body: dict) -> Customer:
    billing, shipping = body.get("billing") or {}, body.get("shipping") or {}
    return Customer(
        id=str(body["id"]),
        email=(body.get("email") or "").strip().lower() or None,
        country=billing.get("country") or shipping.get("country") or None,
        created_at=gmt(body.get("date_created_gmt")),
        updated_at=gmt(body.get("date_modified_gmt")) or gmt(body.get("date_created_gmt")),
        orders_count=None,
        total_spent=None,
    )
