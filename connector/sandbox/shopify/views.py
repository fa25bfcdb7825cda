"""GraphQL views of the in-memory shop: one class per Admin API object type.

graphql-core's default resolver reads an attribute named like the field and calls it with
`(info, **arguments)` when it is callable, so a field without arguments is a property and a field with
arguments is a method. Abstract types (Node, Catalog, MarketRegion) resolve from `__typename`.
Fields the simulator does not model resolve to null (an error for non-null fields), never to made-up data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from .search import Page, SearchError, page_of_records, search_page
from .shop import (
    AbandonedCheckout,
    Customer,
    Location,
    Market,
    Order,
    OrderLine,
    PriceList,
    Product,
    Refund,
    Shop,
    Variant,
    digest,
    gid,
    iso,
    parse_gid,
)

CONTENT_TYPES = {
    "title": "SINGLE_LINE_TEXT_FIELD",
    "body_html": "HTML",
    "handle": "URI",
    "product_type": "SINGLE_LINE_TEXT_FIELD",
}
RISK_RECOMMENDATIONS = {"LOW": "ACCEPT", "MEDIUM": "INVESTIGATE", "HIGH": "CANCEL", "NONE": "NONE"}
PROTECTED_DATA_DOCS = "https://shopify.dev/docs/apps/launch/protected-customer-data"


def personal(info: GraphQLResolveInfo, value: Any) -> Any:
    """A protected customer data field (name, email, phone, address): an app not approved for it gets an
    ACCESS_DENIED error on the field, which is null, while the rest of `data` is answered
    (https://shopify.dev/docs/apps/launch/protected-customer-data)."""
    if getattr(ctx(info).sim, "protected_customer_data", True):
        return value
    raise GraphQLError(
        f"This app is not approved to use the {info.field_name} field of the {info.parent_type.name} object. "
        f"See {PROTECTED_DATA_DOCS} for more details.",
        extensions={"code": "ACCESS_DENIED", "documentation": PROTECTED_DATA_DOCS},
    )


@dataclass
class RequestContext:
    """What resolvers need besides the shop: the simulator (bulk operations, URLs) and request flags."""

    shop: Shop
    sim: Any
    unlimited: bool = False  # bulk operations read whole connections
    changed_data: bool = False
    notes: list[str] = field(default_factory=list)


def ctx(info: GraphQLResolveInfo) -> RequestContext:
    return info.context


def money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount), "currencyCode": currency}


def money_bag(amount: Decimal, currency: str, presentment_currency: str | None = None) -> dict:
    return {
        "shopMoney": money(amount, currency),
        "presentmentMoney": money(amount, presentment_currency or currency),
    }


def connection(page: Page, wrap: Callable[[Any], Any]) -> dict:
    nodes = [wrap(record) for record in page.records]
    return {
        "nodes": nodes,
        "edges": [{"cursor": cursor, "node": node} for cursor, node in zip(page.cursors, nodes, strict=True)],
        "pageInfo": {
            "hasNextPage": page.has_next_page,
            "hasPreviousPage": page.has_previous_page,
            "startCursor": page.cursors[0] if page.cursors else None,
            "endCursor": page.cursors[-1] if page.cursors else None,
        },
    }


def paged_list(info: GraphQLResolveInfo, records: list, key: Callable, wrap: Callable, args: dict) -> dict:
    try:
        page = page_of_records(
            records,
            key,
            first=args.get("first"),
            after=args.get("after"),
            last=args.get("last"),
            before=args.get("before"),
            reverse=bool(args.get("reverse")),
            unlimited=ctx(info).unlimited,
        )
    except SearchError as exc:
        raise GraphQLError(str(exc)) from None
    return connection(page, wrap)


def searched(
    info: GraphQLResolveInfo, resource: str, wrap: Callable, args: dict, default_sort: str = "ID"
) -> dict:
    try:
        page = search_page(
            ctx(info).shop,
            resource,
            first=args.get("first"),
            after=args.get("after"),
            last=args.get("last"),
            before=args.get("before"),
            query=args.get("query"),
            sort_key=args.get("sortKey") or default_sort,
            reverse=bool(args.get("reverse")),
            unlimited=ctx(info).unlimited,
        )
    except SearchError as exc:
        raise GraphQLError(str(exc)) from None
    return connection(page, wrap)


class ShopView:
    def __init__(self, shop: Shop, domain: str) -> None:
        self._shop = shop
        self.id = gid("Shop", 1)
        self.name = shop.name
        self.currencyCode = shop.currency
        self.ianaTimezone = shop.timezone
        self.myshopifyDomain = domain
        self.createdAt = iso(shop.created_at)
        self.updatedAt = iso(shop.created_at)
        self.enabledPresentmentCurrencies = sorted(
            {m.currency for m in shop.markets.values()} | {shop.currency}
        )


class LocationView:
    __typename = "Location"

    def __init__(self, location: Location) -> None:
        self._location = location
        self.id = gid("Location", location.id)
        self.legacyResourceId = str(location.id)
        self.name = location.name
        self.isActive = location.is_active
        self.createdAt = iso(location.created_at)
        self.updatedAt = iso(location.updated_at)

    def inventoryLevel(
        self, info: GraphQLResolveInfo, inventoryItemId: str, **_: Any
    ) -> InventoryLevelView | None:
        shop = ctx(info).shop
        variant = shop.variants_by_item.get(parse_gid(inventoryItemId, "InventoryItem") or -1)
        if variant is None or self._location.id not in variant.levels:
            return None
        return InventoryLevelView(shop, variant, self._location)


class ProductView:
    __typename = "Product"

    def __init__(self, product: Product) -> None:
        self._product = product

    id = property(lambda self: gid("Product", self._product.id))
    legacyResourceId = property(lambda self: str(self._product.id))
    title = property(lambda self: self._product.title)
    handle = property(lambda self: self._product.handle)
    descriptionHtml = property(lambda self: self._product.description_html)
    bodyHtml = descriptionHtml
    vendor = property(lambda self: self._product.vendor)
    productType = property(lambda self: self._product.product_type)
    status = property(lambda self: self._product.status)
    tags = property(lambda self: list(self._product.tags))
    createdAt = property(lambda self: iso(self._product.created_at))
    updatedAt = property(lambda self: iso(self._product.updated_at))
    publishedAt = createdAt
    totalVariants = property(lambda self: len(self._product.variants))
    variantsCount = property(lambda self: {"count": len(self._product.variants), "precision": "EXACT"})
    tracksInventory = property(lambda self: any(v.tracked for v in self._product.variants))
    hasOnlyDefaultVariant = property(
        lambda self: len(self._product.variants) == 1 and self._product.variants[0].title == "Default Title"
    )

    def description(self, info: GraphQLResolveInfo, truncateAt: int | None = None) -> str:
        text = re.sub(r"<[^>]+>", "", self._product.description_html)
        return text[:truncateAt] if truncateAt else text

    def totalInventory(self, info: GraphQLResolveInfo) -> int:
        shop = ctx(info).shop
        return sum(
            shop.quantity(v, loc, "available")
            for v in self._product.variants
            for loc in v.levels
            if v.tracked
        )

    def options(self, info: GraphQLResolveInfo, first: int | None = None) -> list[dict]:
        options = []
        for position, name in enumerate(self._product.option_names, start=1):
            values = []
            for variant in self._product.variants:
                if (
                    position <= len(variant.option_values)
                    and variant.option_values[position - 1] not in values
                ):
                    values.append(variant.option_values[position - 1])
            options.append(
                {
                    "id": gid("ProductOption", self._product.id * 10 + position),
                    "name": name,
                    "position": position,
                    "values": values,
                }
            )
        return options[:first] if first else options

    def variants(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        sort_key = args.get("sortKey") or "POSITION"
        if sort_key == "ID":
            key = lambda v: (v.id,)  # noqa: E731
        elif sort_key == "SKU":
            key = lambda v: (v.sku or "", v.id)  # noqa: E731
        else:
            key = lambda v: (v.position, v.id)  # noqa: E731
        return paged_list(info, self._product.variants, key, VariantView, args)

    def translations(self, info: GraphQLResolveInfo, locale: str, marketId: str | None = None) -> list[dict]:
        return translation_dicts(ctx(info).shop, self._product, locale, marketId, None)


class VariantView:
    __typename = "ProductVariant"

    def __init__(self, variant: Variant) -> None:
        self._variant = variant

    id = property(lambda self: gid("ProductVariant", self._variant.id))
    legacyResourceId = property(lambda self: str(self._variant.id))
    sku = property(lambda self: self._variant.sku)
    title = property(lambda self: self._variant.title)
    displayName = property(lambda self: f"{self._variant.product.title} - {self._variant.title}")
    price = property(lambda self: str(self._variant.price))
    compareAtPrice = property(
        lambda self: None if self._variant.compare_at_price is None else str(self._variant.compare_at_price)
    )
    position = property(lambda self: self._variant.position)
    barcode = property(lambda self: self._variant.barcode)
    taxable = property(lambda self: self._variant.taxable)
    inventoryPolicy = property(lambda self: self._variant.inventory_policy)
    createdAt = property(lambda self: iso(self._variant.created_at))
    updatedAt = property(lambda self: iso(self._variant.updated_at))
    product = property(lambda self: ProductView(self._variant.product))
    inventoryItem = property(lambda self: InventoryItemView(self._variant))
    selectedOptions = property(
        lambda self: [
            {"name": name, "value": value}
            for name, value in zip(
                self._variant.product.option_names, self._variant.option_values, strict=False
            )
        ]
    )

    def inventoryQuantity(self, info: GraphQLResolveInfo) -> int | None:
        shop = ctx(info).shop
        if not self._variant.tracked:
            return None
        return sum(shop.quantity(self._variant, loc, "available") for loc in self._variant.levels)

    def availableForSale(self, info: GraphQLResolveInfo) -> bool:
        quantity = self.inventoryQuantity(info)
        return quantity is None or quantity > 0

    def translations(self, info: GraphQLResolveInfo, locale: str, marketId: str | None = None) -> list[dict]:
        return []


class InventoryItemView:
    __typename = "InventoryItem"

    def __init__(self, variant: Variant) -> None:
        self._variant = variant

    id = property(lambda self: gid("InventoryItem", self._variant.inventory_item_id))
    legacyResourceId = property(lambda self: str(self._variant.inventory_item_id))
    sku = property(lambda self: self._variant.sku)
    tracked = property(lambda self: self._variant.tracked)
    requiresShipping = property(lambda self: True)
    createdAt = property(lambda self: iso(self._variant.created_at))
    updatedAt = property(lambda self: iso(self._variant.updated_at))
    variant = property(lambda self: VariantView(self._variant))
    measurement = property(
        lambda self: {
            "id": gid("InventoryItemMeasurement", self._variant.inventory_item_id),
            "weight": {"unit": "GRAMS", "value": float(self._variant.weight_grams)},
        }
    )

    def unitCost(self, info: GraphQLResolveInfo) -> dict[str, str] | None:
        cost = self._variant.unit_cost
        return None if cost is None else money(cost, ctx(info).shop.currency)

    def inventoryLevel(
        self, info: GraphQLResolveInfo, locationId: str, **_: Any
    ) -> InventoryLevelView | None:
        shop = ctx(info).shop
        location = shop.locations.get(parse_gid(locationId, "Location") or -1)
        if location is None or location.id not in self._variant.levels:
            return None
        return InventoryLevelView(shop, self._variant, location)

    def inventoryLevels(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        shop = ctx(info).shop
        locations = [shop.locations[loc] for loc in self._variant.levels if loc in shop.locations]
        return paged_list(
            info,
            locations,
            lambda loc: (loc.id,),
            lambda loc: InventoryLevelView(shop, self._variant, loc),
            args,
        )


class InventoryLevelView:
    __typename = "InventoryLevel"

    def __init__(self, shop: Shop, variant: Variant, location: Location) -> None:
        self._shop = shop
        self._variant = variant
        self._location = location

    id = property(
        lambda self: f"gid://shopify/InventoryLevel/{self._location.id}?inventory_item_id="
        f"{self._variant.inventory_item_id}"
    )
    isActive = property(lambda self: True)
    item = property(lambda self: InventoryItemView(self._variant))
    location = property(lambda self: LocationView(self._location))
    createdAt = property(lambda self: iso(self._variant.created_at))
    updatedAt = property(lambda self: iso(self._variant.updated_at))

    def quantities(self, info: GraphQLResolveInfo, names: list[str]) -> list[dict]:
        return [
            {
                "id": f"gid://shopify/InventoryQuantity/{self._location.id}?inventory_item_id="
                f"{self._variant.inventory_item_id}&name={name}",
                "name": name,
                "quantity": self._shop.quantity(self._variant, self._location.id, name),
                "updatedAt": iso(self._variant.updated_at),
            }
            for name in names
        ]


class CustomerView:
    __typename = "Customer"

    def __init__(self, customer: Customer, currency: str) -> None:
        self._customer = customer
        self._currency = currency

    id = property(lambda self: gid("Customer", self._customer.id))
    legacyResourceId = property(lambda self: str(self._customer.id))
    def firstName(self, info: GraphQLResolveInfo) -> str:
        return personal(info, self._customer.first_name)

    def lastName(self, info: GraphQLResolveInfo) -> str:
        return personal(info, self._customer.last_name)

    def displayName(self, info: GraphQLResolveInfo) -> str:
        return personal(info, f"{self._customer.first_name} {self._customer.last_name}")

    def email(self, info: GraphQLResolveInfo) -> str | None:
        return personal(info, self._customer.email)

    def defaultEmailAddress(self, info: GraphQLResolveInfo) -> dict:
        return personal(
            info,
            {
                "emailAddress": self._customer.email,
                "marketingState": "NOT_SUBSCRIBED",
                "marketingOptInLevel": None,
                "validFormat": True,
            },
        )

    def defaultAddress(self, info: GraphQLResolveInfo) -> dict | None:
        return personal(info, address(self._customer.country, self._customer.id, "Customer"))

    locale = property(lambda self: self._customer.locale)
    state = property(lambda self: "ENABLED")
    tags = property(lambda self: [])
    verifiedEmail = property(lambda self: True)
    createdAt = property(lambda self: iso(self._customer.created_at))
    updatedAt = property(lambda self: iso(self._customer.updated_at))
    numberOfOrders = property(lambda self: str(self._customer.number_of_orders))
    amountSpent = property(lambda self: money(self._customer.amount_spent, self._currency))


_STREETS = ("Rue du Commerce", "Hauptstrasse", "Kerkstraat", "High Street", "Main Street", "Via Roma")
_CITIES = ("Lyon", "Berlin", "Gent", "Wien", "Utrecht", "Basel", "York", "Boston")


def address(country: str | None, owner_id: int, kind: str) -> dict | None:
    """A mailing address made up from the owner's id: the same owner always has the same address."""
    if not country:
        return None
    return {
        "id": gid("MailingAddress", owner_id),
        "countryCodeV2": country,
        "countryCode": country,
        "country": country,
        "address1": f"{owner_id % 97 + 1} {_STREETS[owner_id % len(_STREETS)]}",
        "address2": f"Apt {owner_id % 7}" if owner_id % 3 == 0 else None,
        "zip": f"{10000 + owner_id * 37 % 89999:05d}",
        "city": _CITIES[owner_id % len(_CITIES)],
    }


def _address_owner(order: Order) -> int:
    return order.customer.id if order.customer is not None else order.id


class OrderView:
    __typename = "Order"

    def __init__(self, order: Order) -> None:
        self._order = order

    def _bag(self, amount: Decimal) -> dict:
        return money_bag(amount, self._order.currency, self._order.presentment_currency)

    id = property(lambda self: gid("Order", self._order.id))
    legacyResourceId = property(lambda self: str(self._order.id))
    name = property(lambda self: self._order.name)
    number = property(lambda self: self._order.number)
    test = property(lambda self: False)

    def email(self, info: GraphQLResolveInfo) -> str | None:
        return personal(info, self._order.email)

    def billingAddress(self, info: GraphQLResolveInfo) -> dict | None:
        return personal(info, address(self._order.billing_country, self._order.id, "Order"))

    def shippingAddress(self, info: GraphQLResolveInfo) -> dict | None:
        return personal(info, address(self._order.shipping_country, _address_owner(self._order), "Order"))

    createdAt = property(lambda self: iso(self._order.created_at))
    processedAt = createdAt
    updatedAt = property(lambda self: iso(self._order.updated_at))
    cancelledAt = property(lambda self: iso(self._order.cancelled_at))
    currencyCode = property(lambda self: self._order.currency)
    presentmentCurrencyCode = property(lambda self: self._order.presentment_currency)
    displayFinancialStatus = property(lambda self: self._order.financial_status)
    displayFulfillmentStatus = property(lambda self: self._order.fulfillment_status)
    taxesIncluded = property(lambda self: False)
    tags = property(lambda self: list(self._order.tags))
    sourceName = property(lambda self: "web")
    subtotalLineItemsQuantity = property(lambda self: sum(line.quantity for line in self._order.lines))
    subtotalPriceSet = property(lambda self: self._bag(self._order.subtotal))
    currentSubtotalPriceSet = subtotalPriceSet
    totalTaxSet = property(lambda self: self._bag(self._order.total_tax))
    currentTotalTaxSet = totalTaxSet
    totalShippingPriceSet = property(lambda self: self._bag(self._order.total_shipping))
    currentShippingPriceSet = totalShippingPriceSet
    totalPriceSet = property(lambda self: self._bag(self._order.total))
    currentTotalPriceSet = property(lambda self: self._bag(self._order.total - self._order.total_refunded))
    totalRefundedSet = property(lambda self: self._bag(self._order.total_refunded))
    totalDiscountsSet = property(lambda self: self._bag(Decimal("0.00")))
    risk = property(
        lambda self: {
            "recommendation": RISK_RECOMMENDATIONS[self._order.risk_level],
            "assessments": [{"riskLevel": self._order.risk_level, "facts": []}],
        }
    )

    def customer(self, info: GraphQLResolveInfo) -> CustomerView | None:
        if self._order.customer is None:
            return None
        return CustomerView(self._order.customer, ctx(info).shop.currency)

    def lineItems(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        refunded = self._refunded_quantities()
        return paged_list(
            info,
            self._order.lines,
            lambda line: (line.id,),
            lambda line: LineItemView(self._order, line, refunded.get(line.id, 0)),
            args,
        )

    def _refunded_quantities(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for refund in self._order.refunds:
            for line_id, quantity in refund.lines:
                counts[line_id] = counts.get(line_id, 0) + quantity
        return counts

    def refunds(self, info: GraphQLResolveInfo, first: int | None = None) -> list[RefundView]:
        views = [RefundView(self._order, refund) for refund in self._order.refunds]
        return views[:first] if first else views


class _SoldVariant:
    """The variant and product of a line (an order's or a checkout's), from its `_line.variant_id`."""

    _line: Any

    def variant(self, info: GraphQLResolveInfo) -> VariantView | None:
        variant = ctx(info).shop.variants.get(self._line.variant_id or -1)
        return VariantView(variant) if variant is not None else None

    def product(self, info: GraphQLResolveInfo) -> ProductView | None:
        variant = ctx(info).shop.variants.get(self._line.variant_id or -1)
        return ProductView(variant.product) if variant is not None else None


class LineItemView(_SoldVariant):
    __typename = "LineItem"

    def __init__(self, order: Order, line: OrderLine, refunded: int) -> None:
        self._order = order
        self._line = line
        self._refunded = refunded

    def _bag(self, amount: Decimal) -> dict:
        return money_bag(amount, self._order.currency, self._order.presentment_currency)

    id = property(lambda self: gid("LineItem", self._line.id))
    sku = property(lambda self: self._line.sku)
    title = property(lambda self: self._line.title.split(" - ")[0])
    name = property(lambda self: self._line.title)
    variantTitle = property(lambda self: self._line.title.split(" - ")[-1])
    quantity = property(lambda self: self._line.quantity)
    currentQuantity = property(lambda self: self._line.quantity - self._refunded)
    refundableQuantity = currentQuantity
    requiresShipping = property(lambda self: True)
    taxable = property(lambda self: True)
    originalUnitPriceSet = property(lambda self: self._bag(self._line.unit_price))
    discountedUnitPriceSet = originalUnitPriceSet
    originalTotalSet = property(lambda self: self._bag(self._line.unit_price * self._line.quantity))
    discountedTotalSet = originalTotalSet


class AbandonedCheckoutView:
    __typename = "AbandonedCheckout"

    def __init__(self, checkout: AbandonedCheckout) -> None:
        self._checkout = checkout

    def _bag(self, amount: Decimal) -> dict:
        return money_bag(amount, self._checkout.currency)

    id = property(lambda self: gid("AbandonedCheckout", self._checkout.id))
    name = property(lambda self: self._checkout.name)
    note = property(lambda self: "")
    createdAt = property(lambda self: iso(self._checkout.created_at))
    updatedAt = property(lambda self: iso(self._checkout.updated_at))
    completedAt = property(lambda self: iso(self._checkout.completed_at))
    taxesIncluded = property(lambda self: False)
    discountCodes = property(lambda self: [])
    customAttributes = property(lambda self: [])
    taxLines = property(lambda self: [])
    lineItemsQuantity = property(lambda self: sum(line.quantity for line in self._checkout.lines))

    def billingAddress(self, info: GraphQLResolveInfo) -> dict | None:
        return personal(info, address(self._checkout.country, self._checkout.id, "AbandonedCheckout"))

    shippingAddress = billingAddress
    subtotalPriceSet = property(lambda self: self._bag(self._checkout.subtotal))
    totalLineItemsPriceSet = subtotalPriceSet
    totalTaxSet = property(lambda self: self._bag(self._checkout.total_tax))
    totalDiscountSet = property(lambda self: self._bag(Decimal("0.00")))
    totalPriceSet = property(lambda self: self._bag(self._checkout.total))

    def abandonedCheckoutUrl(self, info: GraphQLResolveInfo) -> str:
        return f"https://{ctx(info).sim.shop_domain}/checkouts/{self._checkout.id}/recover"

    def customer(self, info: GraphQLResolveInfo) -> CustomerView | None:
        if self._checkout.customer is None:
            return None
        return CustomerView(self._checkout.customer, ctx(info).shop.currency)

    def lineItems(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        return paged_list(
            info,
            self._checkout.lines,
            lambda line: (line.id,),
            lambda line: AbandonedCheckoutLineItemView(self._checkout, line),
            args,
        )


class AbandonedCheckoutLineItemView(_SoldVariant):
    __typename = "AbandonedCheckoutLineItem"

    def __init__(self, checkout: AbandonedCheckout, line: OrderLine) -> None:
        self._checkout = checkout
        self._line = line

    def _bag(self, amount: Decimal) -> dict:
        return money_bag(amount, self._checkout.currency)

    id = property(lambda self: gid("AbandonedCheckoutLineItem", self._line.id))
    sku = property(lambda self: self._line.sku)
    title = property(lambda self: self._line.title.split(" - ")[0])
    variantTitle = property(lambda self: self._line.title.split(" - ")[-1])
    quantity = property(lambda self: self._line.quantity)
    customAttributes = property(lambda self: [])
    originalUnitPriceSet = property(lambda self: self._bag(self._line.unit_price))
    discountedUnitPriceSet = originalUnitPriceSet
    originalTotalPriceSet = property(lambda self: self._bag(self._line.unit_price * self._line.quantity))
    discountedTotalPriceSet = originalTotalPriceSet


class RefundView:
    __typename = "Refund"

    def __init__(self, order: Order, refund: Refund) -> None:
        self._order = order
        self._refund = refund

    id = property(lambda self: gid("Refund", self._refund.id))
    legacyResourceId = property(lambda self: str(self._refund.id))
    note = property(lambda self: self._refund.note)
    createdAt = property(lambda self: iso(self._refund.created_at))
    processedAt = createdAt
    updatedAt = createdAt
    totalRefundedSet = property(
        lambda self: money_bag(self._refund.amount, self._order.currency, self._order.presentment_currency)
    )
    order = property(lambda self: OrderView(self._order))

    def refundLineItems(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        lines = {line.id: line for line in self._order.lines}
        items = [(lines[line_id], quantity) for line_id, quantity in self._refund.lines if line_id in lines]

        def wrap(item: tuple[OrderLine, int]) -> dict:
            line, quantity = item
            subtotal = line.unit_price * quantity
            bag = money_bag(subtotal, self._order.currency, self._order.presentment_currency)
            return {
                "id": gid("RefundLineItem", self._refund.id * 1000 + line.id),
                "lineItem": LineItemView(self._order, line, 0),
                "quantity": quantity,
                "restocked": False,
                "restockType": "NO_RESTOCK",
                "subtotalSet": bag,
                "priceSet": money_bag(
                    line.unit_price, self._order.currency, self._order.presentment_currency
                ),
            }

        return paged_list(info, items, lambda item: (item[0].id,), wrap, args)


class MarketView:
    __typename = "Market"

    def __init__(self, market: Market) -> None:
        self._market = market

    id = property(lambda self: gid("Market", self._market.id))
    name = property(lambda self: self._market.name)
    handle = property(lambda self: self._market.handle)
    enabled = property(lambda self: self._market.enabled)
    primary = property(lambda self: self._market.primary)
    status = property(lambda self: "ACTIVE" if self._market.enabled else "DRAFT")
    type = property(lambda self: "REGION")
    currencySettings = property(
        lambda self: {
            "baseCurrency": {
                "currencyCode": self._market.currency,
                "currencyName": self._market.currency,
                "enabled": True,
            },
            "localCurrencies": False,
            "roundingEnabled": True,
        }
    )

    def priceList(self, info: GraphQLResolveInfo) -> PriceListView | None:
        price_list = ctx(info).shop.price_lists.get(self._market.price_list_id or -1)
        return PriceListView(price_list) if price_list is not None else None

    def regions(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        def wrap(code: str) -> dict:
            return {
                "__typename": "MarketRegionCountry",
                "id": gid("MarketRegionCountry", self._market.id * 1000 + sum(map(ord, code))),
                "name": code,
                "code": code,
                "currency": {
                    "currencyCode": self._market.currency,
                    "currencyName": self._market.currency,
                    "enabled": True,
                },
            }

        return paged_list(info, self._market.countries, lambda code: (code,), wrap, args)

    def conditions(self, info: GraphQLResolveInfo) -> dict:
        return {"conditionTypes": ["REGION"], "regionsCondition": {"regions": self.regions}}

    def webPresences(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        locales = self._market.locales or [ctx(info).shop.primary_locale]

        def shop_locale(code: str, primary: bool) -> dict:
            return {
                "locale": code,
                "name": code,
                "primary": primary,
                "published": True,
                "marketWebPresences": [],
            }

        presence = {
            "id": gid("MarketWebPresence", self._market.id),
            "subfolderSuffix": None if self._market.primary else self._market.handle,
            "defaultLocale": shop_locale(locales[0], True),
            "alternateLocales": [shop_locale(code, False) for code in locales[1:]],
            "rootUrls": [],
        }
        return paged_list(info, [presence], lambda p: (p["id"],), lambda p: p, args)


class PriceListView:
    __typename = "PriceList"

    def __init__(self, price_list: PriceList) -> None:
        self._price_list = price_list

    id = property(lambda self: gid("PriceList", self._price_list.id))
    name = property(lambda self: self._price_list.name)
    currency = property(lambda self: self._price_list.currency)
    fixedPricesCount = property(lambda self: len(self._price_list.fixed_prices))

    def catalog(self, info: GraphQLResolveInfo) -> dict:
        shop = ctx(info).shop
        market = shop.markets.get(self._price_list.market_id)
        markets = [market] if market is not None else []
        return {
            "__typename": "MarketCatalog",
            "id": gid("MarketCatalog", self._price_list.id),
            "title": self._price_list.name,
            "status": "ACTIVE",
            "operations": [],
            "priceList": self,
            "markets": lambda info, **args: paged_list(info, markets, lambda m: (m.id,), MarketView, args),
        }

    def prices(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        shop = ctx(info).shop
        origin = args.get("originType")
        if origin == "RELATIVE":
            entries: list = []
        else:
            entries = [
                (vid, value) for vid, value in self._price_list.fixed_prices.items() if vid in shop.variants
            ]

        def wrap(entry: tuple) -> dict:
            variant_id, (price, compare_at) = entry
            currency = self._price_list.currency
            return {
                "variant": VariantView(shop.variants[variant_id]),
                "price": money(price, currency),
                "compareAtPrice": None if compare_at is None else money(compare_at, currency),
                "originType": "FIXED",
            }

        return paged_list(info, entries, lambda entry: (entry[0],), wrap, args)


class TranslatableResourceView:
    __typename = "TranslatableResource"

    def __init__(self, product: Product) -> None:
        self._product = product

    resourceId = property(lambda self: gid("Product", self._product.id))

    def translatableContent(self, info: GraphQLResolveInfo, marketId: str | None = None) -> list[dict]:
        shop = ctx(info).shop
        return [
            {
                "key": key,
                "value": value,
                "digest": digest(value),
                "locale": shop.primary_locale,
                "type": CONTENT_TYPES[key],
            }
            for key, value in shop.translatable_values(self._product).items()
        ]

    def translations(
        self, info: GraphQLResolveInfo, locale: str, marketId: str | None = None, outdated: bool | None = None
    ) -> list[dict]:
        return translation_dicts(ctx(info).shop, self._product, locale, marketId, outdated)

    def nestedTranslatableResources(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        return paged_list(info, [], lambda r: (0,), lambda r: r, args)


def translation_dicts(
    shop: Shop, product: Product, locale: str, market_gid: str | None, outdated: bool | None
) -> list[dict]:
    market_id = parse_gid(market_gid, "Market") if market_gid else None
    current = {key: digest(value) for key, value in shop.translatable_values(product).items()}
    found = []
    for translation in shop.translations.get(product.id, []):
        if translation.locale != locale or translation.market_id != market_id:
            continue
        is_outdated = translation.source_digest != current.get(translation.key)
        if outdated is not None and is_outdated != outdated:
            continue
        market = shop.markets.get(translation.market_id or -1)
        found.append(
            {
                "key": translation.key,
                "locale": translation.locale,
                "value": translation.value,
                "outdated": is_outdated,
                "updatedAt": iso(translation.updated_at),
                "market": MarketView(market) if market is not None else None,
            }
        )
    return found
