"""Applying REST write payloads to records, with WooCommerce's rules (SKU uniqueness, stock props)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from .orders import compose_order, set_status
from .seed import slugify
from .store import CustomerRecord, OrderRecord, ProductRecord, Store
from .validation import coerce_batch_item

MODELLED_PRODUCT_FIELDS = {
    "name",
    "slug",
    "type",
    "status",
    "description",
    "short_description",
    "sku",
    "regular_price",
    "sale_price",
    "manage_stock",
    "stock_quantity",
    "stock_status",
    "backorders",
    "weight",
    "categories",
    "tags",
    "images",
    "image",
    "attributes",
    "default_attributes",
    "meta_data",
    "parent_id",
}


class WCError(Exception):
    """An error WooCommerce answers with {code, message, data: {status, ...}}."""

    def __init__(self, code: str, message: str, status: int, **data: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.data = {"status": status, **data}

    def as_item(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": self.data}


def format_decimal(value: str) -> str:
    """wc_format_decimal(): a clean decimal string, or "" when there is no number."""
    text = value.strip()
    if text == "":
        return ""
    try:
        number = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return ""
    return format(number, "f")


def check_sku(store: Store, record_id: int | None, sku: str) -> None:
    owner = store.sku_taken(sku, record_id) if sku else None
    if owner is not None:
        raise WCError(
            "product_invalid_sku",
            "Invalid or duplicated SKU.",
            400,
            resource_id=owner,
            unique_sku=store.unique_sku(sku),
        )


def apply_product_fields(store: Store, record: ProductRecord, fields: dict[str, Any]) -> None:
    """WC_REST_Products_Controller::prepare_object_for_database, for a product or a variation."""
    if "sku" in fields:
        sku = str(fields["sku"]).strip()
        check_sku(store, record.id, sku)
        store.set_sku(record, sku)
    for name in ("name", "description", "short_description", "weight"):
        if name in fields and fields[name] is not None:
            setattr(record, name, str(fields[name]))
    if "slug" in fields:
        record.slug = slugify(str(fields["slug"]))
    if "status" in fields:
        record.status = fields["status"]
    if "type" in fields and record.type != "variation":
        record.type = fields["type"]
    for name in ("regular_price", "sale_price"):
        if name in fields and fields[name] is not None:
            setattr(record, name, format_decimal(str(fields[name])))
    if "manage_stock" in fields:
        record.manage_stock = bool(fields["manage_stock"])
    if "stock_status" in fields:
        record.stock_status = fields["stock_status"]
    if "backorders" in fields:
        record.backorders = fields["backorders"]
    if record.manage_stock:
        if "stock_quantity" in fields and fields["stock_quantity"] is not None:
            record.stock_quantity = int(fields["stock_quantity"])
        elif "inventory_delta" in fields:
            delta = coerce_batch_item({"d": fields["inventory_delta"]}, {"d": "integer"})["d"]
            record.stock_quantity = (record.stock_quantity or 0) + delta
    if "categories" in fields:
        record.category_ids = _term_ids(fields["categories"], store.categories)
    if "tags" in fields:
        record.tag_ids = _term_ids(fields["tags"], store.tags)
    if "images" in fields and isinstance(fields["images"], list):
        record.images = [_image(store, image) for image in fields["images"] if isinstance(image, dict)]
    if "image" in fields:
        image = fields["image"]
        record.images = [_image(store, image)] if isinstance(image, dict) else []
    if "attributes" in fields and isinstance(fields["attributes"], list):
        record.attributes = [attribute for attribute in fields["attributes"] if isinstance(attribute, dict)]
        if record.type == "variation":
            record.name = ", ".join(str(attribute.get("option", "")) for attribute in record.attributes)
    if "default_attributes" in fields and isinstance(fields["default_attributes"], list):
        record.default_attributes = fields["default_attributes"]
    if "meta_data" in fields and isinstance(fields["meta_data"], list):
        record.meta_data = merge_meta(store, record.meta_data, fields["meta_data"])
    extra = {name: value for name, value in fields.items() if name not in MODELLED_PRODUCT_FIELDS}
    extra.pop("inventory_delta", None)
    extra.pop("id", None)
    if extra:
        record.extra = {**(record.extra or {}), **extra}


def merge_meta(store: Store, current: list[dict], incoming: list[Any]) -> list[dict]:
    merged = [dict(meta) for meta in current]
    for meta in incoming:
        if not isinstance(meta, dict) or "key" not in meta:
            continue
        existing = next(
            (m for m in merged if (meta.get("id") and m["id"] == meta.get("id")) or m["key"] == meta["key"]),
            None,
        )
        if existing is not None:
            existing["value"] = meta.get("value", "")
        else:
            merged.append(
                {"id": store.new_item_id(), "key": str(meta["key"]), "value": meta.get("value", "")}
            )
    return merged


def _term_ids(terms: Any, known: dict[int, tuple[str, str]]) -> list[int]:
    ids = []
    for term in terms if isinstance(terms, list) else []:
        term_id = term.get("id") if isinstance(term, dict) else term
        if isinstance(term_id, int) and term_id in known:
            ids.append(term_id)
    return ids


def _image(store: Store, image: dict[str, Any]) -> dict[str, Any]:
    now = store.clock()
    from .dates import format_gmt

    stamp = format_gmt(now)
    src = str(image.get("src", ""))
    return {
        "id": image.get("id") or store.new_item_id(),
        "date_created": stamp,
        "date_created_gmt": stamp,
        "date_modified": stamp,
        "date_modified_gmt": stamp,
        "src": src,
        "name": str(image.get("name") or src.rsplit("/", 1)[-1].rsplit(".", 1)[0]),
        "alt": str(image.get("alt", "")),
    }


def new_product(store: Store, kind: str, parent_id: int = 0) -> ProductRecord:
    now = store.clock()
    return ProductRecord(
        id=store.new_post_id(),
        type=kind,
        parent_id=parent_id,
        name="",
        slug="",
        sku="",
        status="publish",
        description="",
        short_description="",
        regular_price="",
        sale_price="",
        manage_stock=False,
        stock_quantity=None,
        stock_status="instock",
        backorders="no",
        weight="",
        created=now,
        modified=now,
    )


def create_product(store: Store, fields: dict[str, Any]) -> ProductRecord:
    record = new_product(store, fields.get("type") or "simple")
    if fields.get("sku"):
        check_sku(store, None, str(fields["sku"]).strip())
    apply_product_fields(store, record, fields)
    if not record.slug:
        record.slug = slugify(record.name) or str(record.id)
    store.add_product(record)
    store.saved(record)
    return record


def create_variation(store: Store, parent: ProductRecord, fields: dict[str, Any]) -> ProductRecord:
    record = new_product(store, "variation", parent.id)
    if fields.get("sku"):
        check_sku(store, None, str(fields["sku"]).strip())
    apply_product_fields(store, record, fields)
    store.add_product(record)
    store.saved(record)
    return record


def update_product(store: Store, record: ProductRecord, fields: dict[str, Any]) -> ProductRecord:
    apply_product_fields(store, record, fields)
    store.saved(record)
    return record


# -- orders ---------------------------------------------------------------------------------


def create_order(store: Store, fields: dict[str, Any], currency: str) -> OrderRecord:
    lines: list[tuple[ProductRecord, int]] = []
    for item in fields.get("line_items") or []:
        if not isinstance(item, dict):
            continue
        record = None
        if item.get("sku"):
            record = store.by_sku(str(item["sku"]))
        elif item.get("variation_id"):
            record = store.posts.get(int(item["variation_id"]))
        elif item.get("product_id"):
            record = store.posts.get(int(item["product_id"]))
        if record is None or record.type == "variable":
            raise WCError("woocommerce_rest_invalid_product_id", "Product ID provided is invalid.", 400)
        lines.append((record, max(1, int(item.get("quantity") or 1))))
    billing = order_address(fields.get("billing") or {}, with_email=True)
    shipping = order_address(fields.get("shipping") or {}, with_email=False)
    data = compose_order(
        store,
        lines,
        billing=billing,
        shipping=shipping,
        customer_id=int(fields.get("customer_id") or 0),
        currency=fields.get("currency") or currency,
        payment_method=fields.get("payment_method") or "bacs",
        created_via="rest-api",
    )
    now = store.clock()
    order = OrderRecord(id=store.new_post_id(), status="pending", created=now, modified=now, data=data)
    store.orders.add(order)
    store.events[("order.created", order.id)] = None
    update_order(store, order, {name: value for name, value in fields.items() if name not in ("line_items",)})
    return order


def update_order(store: Store, order: OrderRecord, fields: dict[str, Any]) -> OrderRecord:
    now = store.clock()
    for name in ("customer_note", "transaction_id", "payment_method", "payment_method_title"):
        if name in fields:
            order.data[name] = str(fields[name])
    for name in ("billing", "shipping"):
        if isinstance(fields.get(name), dict):
            order.data[name] = {**order.data[name], **{k: str(v) for k, v in fields[name].items()}}
    if isinstance(fields.get("meta_data"), list):
        order.data["meta_data"] = merge_meta(store, order.data.get("meta_data", []), fields["meta_data"])
    status = fields.get("status")
    if fields.get("set_paid"):
        order.paid = order.paid or now
        status = status or "processing"
    if status:
        set_status(store, order, status, now)
    store.orders.touch(order, now)
    store.events[("order.updated", order.id)] = None
    return order


def order_address(fields: dict[str, Any], *, with_email: bool) -> dict[str, str]:
    keys = [
        "first_name",
        "last_name",
        "company",
        "address_1",
        "address_2",
        "city",
        "state",
        "postcode",
        "country",
    ]
    keys += ["email", "phone"] if with_email else ["phone"]
    return {key: str(fields.get(key, "")) for key in keys}


# -- customers ------------------------------------------------------------------------------

CUSTOMER_ADDRESS_KEYS = [
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "postcode",
    "country",
    "state",
]


def create_customer(store: Store, fields: dict[str, Any]) -> CustomerRecord:
    email = str(fields.get("email") or "").strip()
    if not email or "@" not in email:
        raise WCError("registration-error-invalid-email", "Please provide a valid email address.", 400)
    if store.email_taken(email, None):
        raise WCError(
            "registration-error-email-exists",
            'An account is already registered with your email address. <a href="#" class="showlogin">Please log in.</a>',
            400,
        )
    now = store.clock()
    username = str(fields.get("username") or email.split("@")[0])
    record = CustomerRecord(
        id=store.new_user_id(),
        created=now,
        modified=now,
        email=email,
        first_name="",
        last_name="",
        username=username,
        role="customer",
        billing={**{key: "" for key in CUSTOMER_ADDRESS_KEYS}, "email": "", "phone": ""},
        shipping={**{key: "" for key in CUSTOMER_ADDRESS_KEYS}, "phone": ""},
    )
    apply_customer_fields(store, record, fields)
    store.customers.add(record)
    return record


def apply_customer_fields(store: Store, record: CustomerRecord, fields: dict[str, Any]) -> None:
    if "email" in fields:
        email = str(fields["email"]).strip()
        if store.email_taken(email, record.id):
            raise WCError("woocommerce_rest_customer_invalid_email", "Email address is invalid.", 400)
        record.email = email
    for name in ("first_name", "last_name"):
        if name in fields:
            setattr(record, name, str(fields[name]))
    for name in ("billing", "shipping"):
        if isinstance(fields.get(name), dict):
            current = getattr(record, name)
            setattr(record, name, {**current, **{k: str(v) for k, v in fields[name].items() if k in current}})
    if isinstance(fields.get("meta_data"), list):
        record.meta_data = merge_meta(store, record.meta_data, fields["meta_data"])
