"""Orders as WooCommerce builds them: line totals and taxes in Decimal, stock reduced and
restored on the status changes WooCommerce hooks (wc_maybe_reduce/increase_stock_levels)."""

from __future__ import annotations

import hashlib
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .store import STOCK_HOLDING_STATUSES, OrderRecord, ProductRecord, Store

CENT = Decimal("0.01")
# (rate_id, rate code, label, percent) by shipping country; prices exclude tax
TAX_RATES: dict[str, tuple[int, str, str, str]] = {
    "FR": (1, "FR-TVA-1", "TVA", "20"),
    "DE": (2, "DE-MWST-1", "MwSt", "19"),
    "GB": (3, "GB-VAT-1", "VAT", "20"),
    "ES": (4, "ES-IVA-1", "IVA", "21"),
    "CH": (5, "CH-MWST-1", "MWST", "8.1"),
    "US": (6, "US-CA-CA SALES TAX-1", "CA Sales Tax", "7.25"),
    "IT": (7, "IT-IVA-1", "IVA", "22"),
    "BE": (8, "BE-TVA-1", "TVA", "21"),
    "NL": (9, "NL-BTW-1", "BTW", "21"),
    "AT": (10, "AT-UST-1", "USt", "20"),
    "CA": (11, "CA-GST-1", "GST", "5"),
}
FLAT_RATE = Decimal("5.90")
FREE_SHIPPING_FROM = Decimal("100")
PAYMENT_METHODS = {
    "bacs": "Direct bank transfer",
    "cheque": "Check payments",
    "cod": "Cash on delivery",
    "stripe": "Credit Card (Stripe)",
}


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def json_number(value: Decimal) -> int | float:
    """WooCommerce answers line item `price` and `rate_percent` as JSON numbers, not strings."""
    return int(value) if value == value.to_integral_value() else float(value)


def compose_order(
    store: Store,
    lines: list[tuple[ProductRecord, int]],
    *,
    billing: dict[str, str],
    shipping: dict[str, str],
    customer_id: int,
    currency: str,
    payment_method: str = "stripe",
    created_via: str = "checkout",
) -> dict[str, Any]:
    """The REST fields of a new order (everything but ids, dates and links)."""
    country = shipping.get("country") or billing.get("country") or "FR"
    rate_id, rate_code, rate_label, rate_percent = TAX_RATES.get(country, TAX_RATES["FR"])
    rate = Decimal(rate_percent) / 100
    line_items = []
    subtotal = Decimal("0")
    cart_tax = Decimal("0")
    for record, quantity in lines:
        unit = Decimal(record.price)
        total = (unit * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        tax = (total * rate).quantize(CENT, rounding=ROUND_HALF_UP)
        subtotal += total
        cart_tax += tax
        parent = store.posts.get(record.parent_id) if record.type == "variation" else None
        line_items.append(
            {
                "id": store.new_item_id(),
                "name": f"{parent.name} - {record.name}" if parent is not None else record.name,
                "product_id": parent.id if parent is not None else record.id,
                "variation_id": record.id if parent is not None else 0,
                "quantity": quantity,
                "tax_class": "",
                "subtotal": money(total),
                "subtotal_tax": money(tax),
                "total": money(total),
                "total_tax": money(tax),
                "taxes": [{"id": rate_id, "total": money(tax), "subtotal": money(tax)}],
                "meta_data": [],
                "sku": record.sku,
                "price": json_number(unit),
                "image": {"id": "", "src": ""},
                "parent_name": parent.name if parent is not None else None,
            }
        )
    free = subtotal >= FREE_SHIPPING_FROM
    shipping_total = Decimal("0") if free else FLAT_RATE
    shipping_tax = (shipping_total * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    total_tax = cart_tax + shipping_tax
    order_key = (
        "wc_order_" + hashlib.sha1(f"{store.new_item_id()}:{billing.get('email')}".encode()).hexdigest()[:13]
    )
    return {
        "currency": currency,
        "discount_total": "0.00",
        "discount_tax": "0.00",
        "shipping_total": money(shipping_total),
        "shipping_tax": money(shipping_tax),
        "cart_tax": money(cart_tax),
        "total": money(subtotal + shipping_total + total_tax),
        "total_tax": money(total_tax),
        "customer_id": customer_id,
        "order_key": order_key,
        "billing": billing,
        "shipping": shipping,
        "payment_method": payment_method,
        "payment_method_title": PAYMENT_METHODS.get(payment_method, payment_method),
        "transaction_id": "",
        "created_via": created_via,
        "customer_note": "",
        "meta_data": [],
        "line_items": line_items,
        "tax_lines": [
            {
                "id": store.new_item_id(),
                "rate_code": rate_code,
                "rate_id": rate_id,
                "label": rate_label,
                "compound": False,
                "tax_total": money(cart_tax),
                "shipping_tax_total": money(shipping_tax),
                "rate_percent": json_number(Decimal(rate_percent)),
                "meta_data": [],
            }
        ],
        "shipping_lines": [
            {
                "id": store.new_item_id(),
                "method_title": "Free shipping" if free else "Colissimo",
                "method_id": "free_shipping" if free else "flat_rate",
                "instance_id": "",
                "total": money(shipping_total),
                "total_tax": money(shipping_tax),
                "taxes": [{"id": rate_id, "total": money(shipping_tax), "subtotal": ""}],
                "tax_status": "taxable",
                "meta_data": [],
            }
        ],
        "coupon_lines": [],
        "refunds": [],
    }


def set_status(store: Store, order: OrderRecord, status: str, now: int) -> None:
    """Change an order's status with the stock side effects WooCommerce hooks on the transition."""
    previous, order.status = order.status, status
    if status == previous:
        return
    if status in STOCK_HOLDING_STATUSES and not order.stock_reduced:
        reduce_stock(store, order)
    elif status in ("cancelled", "pending") and order.stock_reduced:
        restore_stock(store, order)
    if status in ("processing", "completed") and order.paid is None:
        order.paid = now
    if status == "completed" and order.completed is None:
        order.completed = now


def reduce_stock(store: Store, order: OrderRecord) -> None:
    """wc_reduce_stock_levels: managed stock goes down, each item remembers it in `_reduced_stock`."""
    for item in order.data["line_items"]:
        record = store.posts.get(item["variation_id"] or item["product_id"])
        if record is None:
            continue
        record.total_sales += item["quantity"]
        if record.manage_stock:
            store.change_stock(record, -item["quantity"])
            item["meta_data"] = [
                meta for meta in item["meta_data"] if meta.get("key") != "_reduced_stock"
            ] + [
                {
                    "id": store.new_item_id(),
                    "key": "_reduced_stock",
                    "value": str(item["quantity"]),
                    "display_key": "_reduced_stock",
                    "display_value": str(item["quantity"]),
                }
            ]
    order.stock_reduced = True


def restore_stock(store: Store, order: OrderRecord) -> None:
    """wc_increase_stock_levels: what was reduced comes back."""
    for item in order.data["line_items"]:
        reduced = next((meta for meta in item["meta_data"] if meta.get("key") == "_reduced_stock"), None)
        if reduced is None:
            continue
        record = store.posts.get(item["variation_id"] or item["product_id"])
        if record is not None and record.manage_stock:
            store.change_stock(record, int(reduced["value"]))
        item["meta_data"] = [meta for meta in item["meta_data"] if meta is not reduced]
    order.stock_reduced = False
