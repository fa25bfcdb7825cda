"""WordPress REST argument validation and WooCommerce error bodies, as the recorded samples show them."""

from __future__ import annotations

from typing import Any

from ..server import Response

API_ROOT_LINK = '<{home}/wp-json/>; rel="https://api.w.org/"'

STRING, INTEGER, BOOLEAN, ARRAY, OBJECT, NUMBER = "string", "integer", "boolean", "array", "object", "number"

PRODUCT_STATUSES = ["draft", "pending", "private", "publish", "future"]
STOCK_STATUSES = ["instock", "outofstock", "onbackorder"]
BACKORDERS = ["no", "notify", "yes"]
TAX_STATUSES = ["taxable", "shipping", "none"]

# writable fields of POST/PUT products (WC_REST_Products_Controller::get_item_schema)
PRODUCT_SCHEMA: dict[str, Any] = {
    "name": STRING,
    "slug": STRING,
    "type": ["simple", "grouped", "external", "variable"],
    "status": PRODUCT_STATUSES,
    "featured": BOOLEAN,
    "catalog_visibility": ["visible", "catalog", "search", "hidden"],
    "description": STRING,
    "short_description": STRING,
    "sku": STRING,
    "global_unique_id": STRING,
    "regular_price": STRING,
    "sale_price": STRING,
    "date_on_sale_from": (STRING, "null"),
    "date_on_sale_to": (STRING, "null"),
    "virtual": BOOLEAN,
    "downloadable": BOOLEAN,
    "external_url": STRING,
    "button_text": STRING,
    "tax_status": TAX_STATUSES,
    "tax_class": STRING,
    "manage_stock": BOOLEAN,
    "stock_quantity": INTEGER,
    "stock_status": STOCK_STATUSES,
    "backorders": BACKORDERS,
    "low_stock_amount": (INTEGER, "null"),
    "sold_individually": BOOLEAN,
    "weight": STRING,
    "dimensions": OBJECT,
    "shipping_class": STRING,
    "reviews_allowed": BOOLEAN,
    "upsell_ids": ARRAY,
    "cross_sell_ids": ARRAY,
    "parent_id": INTEGER,
    "purchase_note": STRING,
    "categories": ARRAY,
    "tags": ARRAY,
    "images": ARRAY,
    "attributes": ARRAY,
    "default_attributes": ARRAY,
    "menu_order": INTEGER,
    "meta_data": ARRAY,
}

VARIATION_SCHEMA: dict[str, Any] = {
    "description": STRING,
    "sku": STRING,
    "global_unique_id": STRING,
    "regular_price": STRING,
    "sale_price": STRING,
    "date_on_sale_from": (STRING, "null"),
    "date_on_sale_to": (STRING, "null"),
    "status": ["draft", "pending", "private", "publish"],
    "virtual": BOOLEAN,
    "downloadable": BOOLEAN,
    "tax_status": TAX_STATUSES,
    "tax_class": STRING,
    "manage_stock": BOOLEAN,
    "stock_quantity": INTEGER,
    "stock_status": STOCK_STATUSES,
    "backorders": BACKORDERS,
    "low_stock_amount": (INTEGER, "null"),
    "weight": STRING,
    "dimensions": OBJECT,
    "shipping_class": STRING,
    "image": (OBJECT, "null"),
    "attributes": ARRAY,
    "menu_order": INTEGER,
    "meta_data": ARRAY,
}

ORDER_SCHEMA: dict[str, Any] = {
    "status": [
        "auto-draft",
        "pending",
        "processing",
        "on-hold",
        "completed",
        "cancelled",
        "refunded",
        "failed",
        "checkout-draft",
    ],
    "currency": STRING,
    "customer_id": INTEGER,
    "customer_note": STRING,
    "billing": OBJECT,
    "shipping": OBJECT,
    "payment_method": STRING,
    "payment_method_title": STRING,
    "transaction_id": STRING,
    "meta_data": ARRAY,
    "line_items": ARRAY,
    "shipping_lines": ARRAY,
    "set_paid": BOOLEAN,
}

CUSTOMER_SCHEMA: dict[str, Any] = {
    "email": STRING,
    "first_name": STRING,
    "last_name": STRING,
    "username": STRING,
    "password": STRING,
    "billing": OBJECT,
    "shipping": OBJECT,
    "meta_data": ARRAY,
}

NOTE_SCHEMA: dict[str, Any] = {"note": STRING, "customer_note": BOOLEAN, "added_by_user": BOOLEAN}


def wp_error(code: str, message: str, status: int, home: str, **extra: Any) -> Response:
    return Response(
        status,
        {"code": code, "message": message, "data": {"status": status, **extra}},
        {"Link": API_ROOT_LINK.format(home=home)},
    )


def item_error(code: str, message: str, status: int) -> dict[str, Any]:
    """The error object a batch answers in place of a failed item."""
    return {"code": code, "message": message, "data": {"status": status}}


class ParamError(Exception):
    """One or more invalid parameters: WordPress answers 400 rest_invalid_param listing each."""

    def __init__(self, details: dict[str, tuple[str, str, Any]]) -> None:
        super().__init__(", ".join(details))
        self.details = details

    def response(self, home: str) -> Response:
        names = ", ".join(self.details)
        return wp_error(
            "rest_invalid_param",
            f"Invalid parameter(s): {names}",
            400,
            home,
            params={name: message for name, (_, message, _) in self.details.items()},
            details={
                name: {"code": code, "message": message, "data": data}
                for name, (code, message, data) in self.details.items()
            },
        )


def english_list(items: list[str]) -> str:
    """wp_sprintf('%l'): "a", "a and b", "a, b, and c"."""
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + ", and " + items[-1]


def is_rest_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, str):
        try:
            return float(value.strip()).is_integer()
        except ValueError:
            return False
    return False


def is_rest_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, str):
        return value.lower() in ("", "0", "1", "false", "true")
    return isinstance(value, int) and value in (0, 1)


def to_boolean(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true")
    return bool(value)


def _check_type(name: str, value: Any, kind: Any) -> tuple[str, str, Any] | None:
    if isinstance(kind, list):
        if value not in kind:
            return ("rest_not_in_enum", f"{name} is not one of {english_list(kind)}.", None)
        return None
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for one in kinds:
        if one == "null" and value is None:
            return None
        if one == STRING and isinstance(value, str):
            return None
        if one == INTEGER and is_rest_integer(value):
            return None
        if one == BOOLEAN and is_rest_boolean(value):
            return None
        if one == NUMBER and not isinstance(value, bool) and isinstance(value, int | float):
            return None
        if one == ARRAY and isinstance(value, list):
            return None
        if one == OBJECT and isinstance(value, dict | list) and (isinstance(value, dict) or value == []):
            return None
    return ("rest_invalid_type", f"{name} is not of type {','.join(kinds)}.", {"param": name})


def validate_body(fields: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Validate and sanitise the known fields of a JSON body; unknown fields are ignored, as by WordPress."""
    errors: dict[str, tuple[str, str, Any]] = {}
    clean: dict[str, Any] = {}
    for name, value in fields.items():
        kind = schema.get(name)
        if kind is None:
            continue
        problem = _check_type(name, value, kind)
        if problem:
            errors[name] = problem
            continue
        clean[name] = _sanitise(value, kind)
    if errors:
        raise ParamError(errors)
    return clean


def coerce_batch_item(fields: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Batch items skip schema validation; WooCommerce's setters cast what they get instead."""
    clean: dict[str, Any] = {}
    for name, value in fields.items():
        kind = schema.get(name)
        if kind is None:
            continue
        if kind == STRING and isinstance(value, int | float) and not isinstance(value, bool):
            clean[name] = (
                format(value, "f").rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
            )
        elif kind == INTEGER:
            clean[name] = _intval(value)
        elif kind == BOOLEAN:
            clean[name] = to_boolean(value)
        else:
            clean[name] = value
    return clean


def _intval(value: Any) -> int:
    """PHP intval(): a leading number, else 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return int(value)
    text = str(value).strip()
    digits = ""
    for position, char in enumerate(text):
        if char.isdigit() or (position == 0 and char in "+-"):
            digits += char
        else:
            break
    try:
        return int(digits)
    except ValueError:
        return 0


def _sanitise(value: Any, kind: Any) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if value is None:
        return None
    if INTEGER in kinds and is_rest_integer(value):
        return value if isinstance(value, int) else int(float(value))
    if BOOLEAN in kinds:
        return to_boolean(value)
    return value
