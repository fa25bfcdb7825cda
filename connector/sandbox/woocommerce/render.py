"""Records to the JSON WooCommerce 10 answers, key for key (see the recorded samples)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from .dates import format_gmt, format_local
from .store import CustomerRecord, OrderRecord, ProductRecord, Store
from .texts import autop, short_description, texturize

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF", "JPY": "¥", "SEK": "kr", "PLN": "zł"}
ITEM_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@dataclass(frozen=True)
class Site:
    """How the answer is addressed: the home URL (http or https as the request came) and the zone."""

    home: str  # "http://127.0.0.1:8080" (no trailing slash)
    zone: ZoneInfo
    currency: str

    @property
    def api(self) -> str:
        return f"{self.home}/wp-json/wc/v3"

    def dates(self, name: str, epoch: int | None) -> dict[str, str | None]:
        if epoch is None:
            return {name: None, f"{name}_gmt": None}
        return {name: format_local(epoch, self.zone), f"{name}_gmt": format_gmt(epoch)}


def _self_links(href: str, collection: str) -> dict[str, Any]:
    return {
        "self": [{"href": href, "targetHints": {"allow": ITEM_METHODS}}],
        "collection": [{"href": collection}],
    }


def _price_html(site: Site, low: str, high: str | None = None, regular: str | None = None) -> str:
    def amount(value: str) -> str:
        shown = value.replace(".", ",")
        symbol = CURRENCY_SYMBOLS.get(site.currency, site.currency).replace("€", "&euro;")
        return (
            '<span class="woocommerce-Price-amount amount"><bdi>'
            f'{shown}&nbsp;<span class="woocommerce-Price-currencySymbol">{symbol}</span></bdi></span>'
        )

    if low == "":
        return ""
    if high is not None and high != low:
        return f'{amount(low)} <span aria-hidden="true">&ndash;</span> {amount(high)}'
    if regular is not None and regular != low:
        return f'<del aria-hidden="true">{amount(regular)}</del> <ins aria-hidden="true">{amount(low)}</ins>'
    return amount(low)


def product(
    site: Site, store: Store, record: ProductRecord, *, edit: bool = False, rng: Any = None
) -> dict[str, Any]:
    """A product in the `view` context (texts rendered), or in `edit` (what is stored; write answers use it,
    with the raw rating, permalink template and generated slug). `rng` shuffles related_ids."""
    is_variable = record.type == "variable"
    if is_variable:
        low, high = store.variable_price_range(record)
        price, regular_price, sale_price = low, "", ""
        price_html = _price_html(site, low, high)
    else:
        price, regular_price, sale_price = record.price, record.regular_price, record.sale_price
        price_html = _price_html(site, price, regular=regular_price)
    on_sale = not is_variable and sale_price != "" and sale_price != regular_price
    extra = record.extra or {}
    body: dict[str, Any] = {
        "id": record.id,
        "name": record.name,
        "slug": record.slug,
        "permalink": f"{site.home}/product/{record.slug}/",
        **site.dates("date_created", record.created),
        **site.dates("date_modified", record.modified),
        "type": record.type,
        "status": record.status,
        "featured": False,
        "catalog_visibility": "visible",
        "description": record.description if edit else autop(record.description),
        "short_description": (
            record.short_description if edit else short_description(record.short_description)
        ),
        "sku": record.sku,
        "price": price,
        "regular_price": regular_price,
        "sale_price": sale_price,
        "date_on_sale_from": None,
        "date_on_sale_from_gmt": None,
        "date_on_sale_to": None,
        "date_on_sale_to_gmt": None,
        "on_sale": on_sale,
        "purchasable": record.status == "publish" and price != "",
        "total_sales": record.total_sales,
        "virtual": False,
        "downloadable": False,
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "external_url": "",
        "button_text": "",
        "tax_status": "taxable",
        "tax_class": "",
        "manage_stock": record.manage_stock,
        "stock_quantity": record.stock_quantity if record.manage_stock else None,
        "backorders": record.backorders,
        "backorders_allowed": record.backorders_allowed,
        "backordered": record.stock_status == "onbackorder",
        "low_stock_amount": None,
        "sold_individually": False,
        "weight": record.weight,
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_required": True,
        "shipping_taxable": True,
        "shipping_class": "",
        "shipping_class_id": 0,
        "reviews_allowed": True,
        "average_rating": "0.00",
        "rating_count": 0,
        "upsell_ids": [],
        "cross_sell_ids": [],
        "parent_id": record.parent_id,
        "purchase_note": "",
        "categories": [_term(store.categories, term_id) for term_id in record.category_ids],
        "brands": [],
        "tags": [_term(store.tags, term_id) for term_id in record.tag_ids],
        "images": record.images,
        "attributes": record.attributes,
        "default_attributes": record.default_attributes,
        "variations": list(record.variation_ids),
        "grouped_products": [],
        "menu_order": 0,
        "price_html": price_html,
        "related_ids": store.related_ids(record, rng) if rng is not None else [],
        "meta_data": record.meta_data,
        "stock_status": record.stock_status,
        "has_options": is_variable,
        "post_password": "",
        "global_unique_id": "",
        "_links": _self_links(f"{site.api}/products/{record.id}", f"{site.api}/products"),
    }
    for key, value in extra.items():
        if key in body:
            body[key] = value
    if edit:
        links = body.pop("_links")
        body["average_rating"] = "0"
        body["permalink_template"] = f"{site.home}/product/%pagename%/"
        body["generated_slug"] = record.slug
        body["_links"] = links
    return body


def variation(
    site: Site, store: Store, record: ProductRecord, *, listed_alone: bool = False
) -> dict[str, Any]:
    """A variation; `listed_alone` for GET /wc/v3/variations (10.3), whose controller links each item to
    variations/<id> and up to products/0 (it reads the parent from a route argument it does not have)."""
    parent = store.posts.get(record.parent_id)
    parent_slug = parent.slug if parent is not None else ""
    options = "&".join(
        f"attribute_{attribute.get('slug') or attribute['name'].lower()}={attribute['option'].lower()}"
        for attribute in record.attributes
    )
    collection = f"{site.api}/products/{record.parent_id}/variations"
    extra = record.extra or {}
    body: dict[str, Any] = {
        "id": record.id,
        "type": "variation",
        **site.dates("date_created", record.created),
        **site.dates("date_modified", record.modified),
        "description": autop(texturize(record.description)),  # wc_format_content, in every context
        "permalink": f"{site.home}/product/{parent_slug}/?{options}",
        "sku": record.sku,
        "global_unique_id": "",
        "price": record.price,
        "regular_price": record.regular_price,
        "sale_price": record.sale_price,
        "date_on_sale_from": None,
        "date_on_sale_from_gmt": None,
        "date_on_sale_to": None,
        "date_on_sale_to_gmt": None,
        "on_sale": record.sale_price != "" and record.sale_price != record.regular_price,
        "status": record.status,
        "purchasable": record.status == "publish" and record.price != "",
        "virtual": False,
        "downloadable": False,
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "tax_status": "taxable",
        "tax_class": "",
        "manage_stock": record.manage_stock,
        "stock_quantity": record.stock_quantity if record.manage_stock else None,
        "stock_status": record.stock_status,
        "backorders": record.backorders,
        "backorders_allowed": record.backorders_allowed,
        "backordered": record.stock_status == "onbackorder",
        "low_stock_amount": None,
        "weight": record.weight,
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_class": "",
        "shipping_class_id": 0,
        "image": record.images[0] if record.images else None,
        "attributes": record.attributes,
        "menu_order": 0,
        "meta_data": record.meta_data,
        "name": record.name,
        "parent_id": record.parent_id,
        "_links": {
            **_self_links(f"{collection}/{record.id}", collection),
            "up": [{"href": f"{site.api}/products/{record.parent_id}"}],
        },
    }
    if listed_alone:
        body["_links"] = {
            "self": [{"href": f"{site.api}/variations/{record.id}"}],
            "collection": [{"href": f"{site.api}/variations"}],
            "up": [{"href": f"{site.api}/products/0"}],
        }
    for key, value in extra.items():
        if key in body:
            body[key] = value
    return body


def order(site: Site, record: OrderRecord) -> dict[str, Any]:
    data = record.data
    links: dict[str, Any] = {
        **_self_links(f"{site.api}/orders/{record.id}", f"{site.api}/orders"),
        "email_templates": [
            {"embeddable": True, "href": f"{site.api}/orders/{record.id}/actions/email_templates"}
        ],
    }
    if data["customer_id"]:
        links["customer"] = [{"href": f"{site.api}/customers/{data['customer_id']}"}]
    needs_payment = record.status in ("pending", "failed") and data["total"] not in ("0.00", "0")
    created = site.dates("date_created", record.created)
    modified = site.dates("date_modified", record.modified)
    completed = site.dates("date_completed", record.completed)
    paid = site.dates("date_paid", record.paid)
    return {
        "id": record.id,
        "parent_id": 0,
        "status": record.status,
        "currency": data["currency"],
        "version": "10.0.2",
        "prices_include_tax": False,
        "date_created": created["date_created"],
        "date_modified": modified["date_modified"],
        "discount_total": data["discount_total"],
        "discount_tax": data["discount_tax"],
        "shipping_total": data["shipping_total"],
        "shipping_tax": data["shipping_tax"],
        "cart_tax": data["cart_tax"],
        "total": data["total"],
        "total_tax": data["total_tax"],
        "customer_id": data["customer_id"],
        "order_key": data["order_key"],
        "billing": data["billing"],
        "shipping": data["shipping"],
        "payment_method": data["payment_method"],
        "payment_method_title": data["payment_method_title"],
        "transaction_id": data.get("transaction_id", ""),
        "customer_ip_address": "",
        "customer_user_agent": "",
        "created_via": data.get("created_via", "checkout"),
        "customer_note": data.get("customer_note", ""),
        "date_completed": completed["date_completed"],
        "date_paid": paid["date_paid"],
        "cart_hash": "",
        "number": str(record.id),
        "meta_data": data.get("meta_data", []),
        "line_items": data["line_items"],
        "tax_lines": data["tax_lines"],
        "shipping_lines": data["shipping_lines"],
        "fee_lines": [],
        "coupon_lines": data.get("coupon_lines", []),
        "refunds": data.get("refunds", []),
        "payment_url": (
            f"{site.home}/checkout/order-pay/{record.id}/?pay_for_order=true&key={data['order_key']}"
        ),
        "is_editable": record.status in ("pending", "on-hold", "auto-draft", "checkout-draft"),
        "needs_payment": needs_payment,
        "needs_processing": True,
        "date_created_gmt": created["date_created_gmt"],
        "date_modified_gmt": modified["date_modified_gmt"],
        "date_completed_gmt": completed["date_completed_gmt"],
        "date_paid_gmt": paid["date_paid_gmt"],
        "currency_symbol": CURRENCY_SYMBOLS.get(data["currency"], data["currency"]),
        "_links": links,
    }


def order_note(site: Site, order_id: int, note: dict[str, Any]) -> dict[str, Any]:
    collection = f"{site.api}/orders/{order_id}/notes"
    return {
        "id": note["id"],
        "author": note["author"],
        **site.dates("date_created", note["created"]),
        "note": note["note"],
        "customer_note": note["customer_note"],
        "_links": {
            "self": [{"href": f"{collection}/{note['id']}", "targetHints": {"allow": ["GET", "DELETE"]}}],
            "collection": [{"href": collection}],
            "up": [{"href": f"{site.api}/orders/{order_id}"}],
        },
    }


def customer(site: Site, record: CustomerRecord) -> dict[str, Any]:
    avatar = hashlib.sha256(record.email.strip().lower().encode()).hexdigest()
    return {
        "id": record.id,
        **site.dates("date_created", record.created),
        **site.dates("date_modified", record.modified),
        "email": record.email,
        "first_name": record.first_name,
        "last_name": record.last_name,
        "role": record.role,
        "username": record.username,
        "billing": record.billing,
        "shipping": record.shipping,
        "is_paying_customer": record.is_paying_customer,
        "avatar_url": f"https://secure.gravatar.com/avatar/{avatar}?s=96&d=mm&r=g",
        "meta_data": record.meta_data,
        "_links": _self_links(f"{site.api}/customers/{record.id}", f"{site.api}/customers"),
    }


def _term(terms: dict[int, tuple[str, str]], term_id: int) -> dict[str, Any]:
    name, slug = terms.get(term_id, ("", ""))
    return {"id": term_id, "name": name, "slug": slug}
