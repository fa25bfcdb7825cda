"""Shopify Admin GraphQL nodes -> platform-neutral records.

Quirks handled here: money arrives as JSON strings (`Money`, `MoneyV2.amount`) and becomes Decimal; weights
are a unit and a value (stored here in kilograms); `UnsignedInt64` counts arrive as strings; a product with
only the "Default Title" variant is a simple product; an order line whose product was deleted has neither
`variant` nor `product`; the risk level is the highest of the order's risk assessments; an order's status is
its financial status, or "cancelled" once it is cancelled (a cancelled order keeps its financial status, e.g.
PAID or REFUNDED); a variant's cost is its inventory item's `unitCost`; an abandoned checkout's country is
its shipping country, else its billing country. Orders, customers and abandoned checkouts keep no personal
data in `raw`: names, addresses, phones, notes and e-mail addresses are dropped (the e-mail
is in its own column, the shipping address only as a fingerprint).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connector.platforms.base import DataProblem
from connector.records import AbandonedCheckout, Customer, Order, OrderLine, Product, Variant

KILOGRAMS_PER_UNIT = {
    "KILOGRAMS": Decimal(1),
    "GRAMS": Decimal("0.001"),
    "POUNDS": Decimal("0.45359237"),
    "OUNCES": Decimal("0.028349523125"),
}
RISK_ORDER = ("NONE", "PENDING", "LOW", "MEDIUM", "HIGH")
# Fields of an order or customer node that identify a person; they never reach `raw`.
PERSONAL_FIELDS = frozenset(
    {
        "email",
        "phone",
        "note",
        "firstName",
        "lastName",
        "displayName",
        "defaultEmailAddress",
        "defaultPhoneNumber",
        "defaultAddress",
        "billingAddress",
        "shippingAddress",
        "clientIp",
        "customAttributes",
    }
)
ADDRESS_FIELDS = ("address1", "address2", "zip", "city", "countryCodeV2")


def timestamp(text: str | None) -> datetime | None:
    """An ISO 8601 DateTime from the API as an aware UTC datetime."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def money(value: Any, what: str, ref: str, problems: list[DataProblem]) -> Decimal | None:
    """A Money/Decimal string as Decimal; None when absent; a `bad_price` problem when it does not parse."""
    if isinstance(value, dict):
        value = value.get("amount")
    if value in (None, ""):
        return None
    if isinstance(value, float):  # never expected: the API sends money as strings
        value = repr(value)
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        problems.append(DataProblem("bad_price", ref, f"{what} {value!r} is not a number; fix it in Shopify"))
        return None
    return amount


def _shop_money(bag: dict | None, what: str, ref: str, problems: list[DataProblem]) -> Decimal:
    shop_money = (bag or {}).get("shopMoney") or {}
    return money(shop_money.get("amount"), what, ref, problems) or Decimal(0)


def weight_kg(measurement: dict | None) -> Decimal | None:
    weight = (measurement or {}).get("weight") or {}
    value, unit = weight.get("value"), weight.get("unit")
    if value is None or unit not in KILOGRAMS_PER_UNIT:
        return None
    return Decimal(str(value)) * KILOGRAMS_PER_UNIT[unit]


def available_at(item: dict) -> int | None:
    """The `available` quantity of an inventory item at the synced location; None when not stocked there."""
    for quantity in (item.get("inventoryLevel") or {}).get("quantities") or []:
        if quantity.get("name") == "available":
            return int(quantity["quantity"])
    return None


def level_at(variant_node: dict, location_id: str | None) -> dict:
    """A bulk result's variant (all `inventoryLevels`, joined from their own lines) in the shape a paged read
    gives (`inventoryLevel` at the synced location), so both reads keep the same raw JSON."""
    item = dict(variant_node.get("inventoryItem") or {})
    levels = item.pop("inventoryLevels", None) or []
    level = next((lv for lv in levels if (lv.get("location") or {}).get("id") == location_id), None)
    item["inventoryLevel"] = None if level is None else {"quantities": level.get("quantities") or []}
    return {**variant_node, "inventoryItem": item}


def variant(node: dict, product_id: str, problems: list[DataProblem]) -> Variant:
    ref = node["id"]
    sku = (node.get("sku") or "").strip() or None
    if sku is None:
        problems.append(
            DataProblem(
                "missing_sku", ref, f"product {product_id} variant {ref} has no SKU; give it one in Shopify"
            )
        )
    item = node.get("inventoryItem") or {}
    tracked = bool(item.get("tracked"))
    return Variant(
        id=ref,
        product_id=product_id,
        sku=sku,
        price=money(node.get("price"), "price", ref, problems),
        compare_at_price=money(node.get("compareAtPrice"), "compareAtPrice", ref, problems),
        stock=available_at(item) if tracked else None,
        manage_stock=tracked,
        weight=weight_kg(item.get("measurement")),
        options={o["name"]: o["value"] for o in node.get("selectedOptions") or []},
        cost=money(item.get("unitCost"), "unitCost", ref, problems),
        inventory_item_id=item.get("id"),
        updated_at=timestamp(node.get("updatedAt")),
        raw=node,
    )


def product(node: dict, variant_nodes: list[dict], problems: list[DataProblem]) -> Product:
    ref = node["id"]
    variants = tuple(variant(v, ref, problems) for v in variant_nodes)
    simple = len(variant_nodes) == 1 and all(
        o.get("value") == "Default Title" for o in variant_nodes[0].get("selectedOptions") or []
    )
    return Product(
        id=ref,
        title=node.get("title") or "",
        kind="simple" if simple else "variable",
        status=(node.get("status") or "").lower(),
        updated_at=timestamp(node.get("updatedAt")),
        description_html=node.get("descriptionHtml") or "",
        variants=variants,
        raw={k: v for k, v in node.items() if k != "variants"},
    )


def address_key(address: dict | None) -> str:
    """Fingerprint of a postal address (as WooCommerce's normaliser makes it): equal addresses compare
    equal, and the address itself is never kept."""
    parts = [(address or {}).get(k) or "" for k in ADDRESS_FIELDS]
    text = "|".join(" ".join(str(p).lower().split()) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:16] if text.strip("|") else ""


def risk_level(node: dict) -> str | None:
    levels = [a.get("riskLevel") for a in ((node.get("risk") or {}).get("assessments") or [])]
    known = [level for level in levels if level in RISK_ORDER]
    return max(known, key=RISK_ORDER.index).lower() if known else None


def order_status(node: dict) -> str:
    """The order's financial status lower-cased ("paid", "refunded"), or "cancelled" once it is cancelled."""
    if node.get("cancelledAt"):
        return "cancelled"
    return (node.get("displayFinancialStatus") or "").lower()


def order_line(node: dict, order_ref: str, order_name: str, problems: list[DataProblem]) -> OrderLine:
    ref = node.get("id") or order_ref
    variant_id = (node.get("variant") or {}).get("id")
    product_id = (node.get("product") or {}).get("id")
    if variant_id is None and product_id is None:
        problems.append(
            DataProblem(
                "unknown_line_product",
                f"{order_ref}/{ref}",
                f"order {order_name} line {node.get('name')!r} refers to a deleted product; the order is "
                "kept, the line counts for revenue only",
            )
        )
    return OrderLine(
        sku=(node.get("sku") or "").strip() or None,
        product_id=product_id,
        variant_id=variant_id,
        quantity=int(node.get("quantity") or 0),
        unit_price=_shop_money(node.get("discountedUnitPriceSet"), "line unit price", order_ref, problems),
        total=_shop_money(node.get("discountedTotalSet"), "line total", order_ref, problems),
        name=node.get("name") or "",
    )


def order(node: dict, line_nodes: list[dict], problems: list[DataProblem]) -> Order:
    ref = node["id"]
    name = node.get("name") or ref
    billing, shipping = node.get("billingAddress") or {}, node.get("shippingAddress") or {}
    customer_node = node.get("customer") or {}
    raw = {k: v for k, v in node.items() if k not in PERSONAL_FIELDS and k != "lineItems"}
    raw["billingCountry"] = billing.get("countryCodeV2")
    raw["shippingCountry"] = shipping.get("countryCodeV2")
    return Order(
        id=ref,
        number=str(node.get("number") or name),
        status=order_status(node),
        currency=node.get("currencyCode") or "",
        total=_shop_money(node.get("totalPriceSet"), "total", ref, problems),
        subtotal=_shop_money(node.get("subtotalPriceSet"), "subtotal", ref, problems),
        tax_total=_shop_money(node.get("totalTaxSet"), "total tax", ref, problems),
        shipping_total=_shop_money(node.get("totalShippingPriceSet"), "shipping", ref, problems),
        discount_total=_shop_money(node.get("totalDiscountsSet"), "discounts", ref, problems),
        refunded_total=_shop_money(node.get("totalRefundedSet"), "refunded", ref, problems),
        created_at=timestamp(node.get("createdAt")),
        updated_at=timestamp(node.get("updatedAt")) or timestamp(node.get("createdAt")),
        customer_id=customer_node.get("id"),
        customer_email=(node.get("email") or "").strip().lower() or None,
        billing_country=billing.get("countryCodeV2") or None,
        shipping_country=shipping.get("countryCodeV2") or billing.get("countryCodeV2") or None,
        shipping_address=address_key(shipping),
        risk_level=risk_level(node),
        lines=tuple(order_line(line, ref, name, problems) for line in line_nodes),
        raw=raw,
    )


def customer(node: dict, problems: list[DataProblem]) -> Customer:
    ref = node["id"]
    email = ((node.get("defaultEmailAddress") or {}).get("emailAddress") or "").strip().lower() or None
    orders = node.get("numberOfOrders")
    return Customer(
        id=ref,
        email=email,
        country=(node.get("defaultAddress") or {}).get("countryCodeV2") or None,
        created_at=timestamp(node.get("createdAt")),
        updated_at=timestamp(node.get("updatedAt")) or timestamp(node.get("createdAt")),
        orders_count=int(orders) if orders is not None else None,
        total_spent=money(node.get("amountSpent"), "amountSpent", ref, problems),
        raw={k: v for k, v in node.items() if k not in PERSONAL_FIELDS},
    )


def abandoned_checkout(node: dict, problems: list[DataProblem]) -> AbandonedCheckout:
    ref = node["id"]
    shipping, billing = node.get("shippingAddress") or {}, node.get("billingAddress") or {}
    shop_money = (node.get("totalPriceSet") or {}).get("shopMoney") or {}
    raw = {k: v for k, v in node.items() if k not in PERSONAL_FIELDS}
    raw["shippingCountry"] = shipping.get("countryCodeV2")
    raw["billingCountry"] = billing.get("countryCodeV2")
    created_at = timestamp(node.get("createdAt"))
    return AbandonedCheckout(
        id=ref,
        created_at=created_at,
        updated_at=timestamp(node.get("updatedAt")) or created_at,
        country=shipping.get("countryCodeV2") or billing.get("countryCodeV2") or None,
        total=_shop_money(node.get("totalPriceSet"), "abandoned checkout total", ref, problems),
        currency=shop_money.get("currencyCode") or "",
        completed_at=timestamp(node.get("completedAt")),
        raw=raw,
    )
