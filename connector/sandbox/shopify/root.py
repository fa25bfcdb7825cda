"""The query and mutation roots of the simulated Admin API."""

from __future__ import annotations

import hashlib
import json
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, value_from_ast_untyped

from .search import count_matches
from .shop import TRANSLATABLE_PRODUCT_KEYS, Translation, digest, iso, parse_gid
from .views import (
    AbandonedCheckoutView,
    CustomerView,
    InventoryItemView,
    LocationView,
    MarketView,
    OrderView,
    PriceListView,
    ProductView,
    ShopView,
    TranslatableResourceView,
    VariantView,
    ctx,
    paged_list,
    searched,
)

MAX_INPUT_ARRAY = 250
COUNT_LIMIT = 10_000
INVENTORY_REASONS = frozenset(
    {
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_canceled",
        "movement_created",
        "movement_received",
        "movement_updated",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    }
)
STALE_CHANGE_FROM = "The changeFromQuantity value does not match persisted value."
STALE_DIGEST = "Translatable content hash is invalid"


def node_for(info: GraphQLResolveInfo, node_id: Any) -> Any:
    """The view of any object by its global id (the `Node` interface), or None."""
    shop = ctx(info).shop
    if not isinstance(node_id, str) or not node_id.startswith("gid://shopify/"):
        return None
    kind = node_id[len("gid://shopify/") :].split("/", 1)[0]
    number = parse_gid(node_id, kind)
    if number is None:
        return None
    if kind == "Product" and number in shop.products:
        return ProductView(shop.products[number])
    if kind == "ProductVariant" and number in shop.variants:
        return VariantView(shop.variants[number])
    if kind == "InventoryItem" and number in shop.variants_by_item:
        return InventoryItemView(shop.variants_by_item[number])
    if kind == "Order" and number in shop.orders:
        return OrderView(shop.orders[number])
    if kind == "AbandonedCheckout" and number in shop.abandoned_checkouts:
        return AbandonedCheckoutView(shop.abandoned_checkouts[number])
    if kind == "Customer" and number in shop.customers:
        return CustomerView(shop.customers[number], shop.currency)
    if kind == "Location" and number in shop.locations:
        return LocationView(shop.locations[number])
    if kind == "Market" and number in shop.markets:
        return MarketView(shop.markets[number])
    if kind == "PriceList" and number in shop.price_lists:
        return PriceListView(shop.price_lists[number])
    if kind == "BulkOperation":
        return ctx(info).sim.bulk.view(number)
    return None


def too_many(count: int) -> GraphQLError:
    return GraphQLError(
        f"The input array size of {count} is greater than the maximum allowed of {MAX_INPUT_ARRAY}.",
        extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
    )


class QueryRoot:
    def shop(self, info: GraphQLResolveInfo) -> ShopView:
        context = ctx(info)
        return ShopView(context.shop, context.sim.shop_domain)

    def shopLocales(self, info: GraphQLResolveInfo, published: bool = False) -> list[dict]:
        shop = ctx(info).shop
        return [
            {"locale": code, "name": code, "primary": code == shop.primary_locale, "published": True}
            for code in shop.locales
        ]

    def locations(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        locations = list(ctx(info).shop.locations.values())
        return paged_list(info, locations, lambda loc: (loc.id,), LocationView, args)

    def location(self, info: GraphQLResolveInfo, id: str | None = None) -> LocationView | None:
        shop = ctx(info).shop
        if id is None:
            return LocationView(shop.primary_location)
        location = shop.locations.get(parse_gid(id, "Location") or -1)
        return LocationView(location) if location is not None else None

    def products(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        return searched(info, "products", ProductView, args)

    def product(self, info: GraphQLResolveInfo, id: str) -> ProductView | None:
        product = ctx(info).shop.products.get(parse_gid(id, "Product") or -1)
        return ProductView(product) if product is not None else None

    def productsCount(self, info: GraphQLResolveInfo, query: str | None = None, **args: Any) -> dict:
        return _count(info, "products", query, args.get("limit", COUNT_LIMIT))

    def productVariantsCount(self, info: GraphQLResolveInfo, query: str | None = None, **args: Any) -> dict:
        return _count(info, "productVariants", query, args.get("limit", COUNT_LIMIT))

    def ordersCount(self, info: GraphQLResolveInfo, query: str | None = None, **args: Any) -> dict:
        return _count(info, "orders", query, args.get("limit", COUNT_LIMIT))

    def customersCount(self, info: GraphQLResolveInfo, query: str | None = None, **args: Any) -> dict:
        return _count(info, "customers", query, args.get("limit", COUNT_LIMIT))

    def productVariants(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        return searched(info, "productVariants", VariantView, args)

    def productVariant(self, info: GraphQLResolveInfo, id: str) -> VariantView | None:
        variant = ctx(info).shop.variants.get(parse_gid(id, "ProductVariant") or -1)
        return VariantView(variant) if variant is not None else None

    def inventoryItems(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        page = searched(info, "productVariants", InventoryItemView, {**args, "sortKey": "ID"})
        return page

    def inventoryItem(self, info: GraphQLResolveInfo, id: str) -> InventoryItemView | None:
        variant = ctx(info).shop.variants_by_item.get(parse_gid(id, "InventoryItem") or -1)
        return InventoryItemView(variant) if variant is not None else None

    def orders(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        return searched(info, "orders", OrderView, args, default_sort="PROCESSED_AT")

    def order(self, info: GraphQLResolveInfo, id: str) -> OrderView | None:
        order = ctx(info).shop.orders.get(parse_gid(id, "Order") or -1)
        return OrderView(order) if order is not None else None

    def customers(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        currency = ctx(info).shop.currency
        return searched(info, "customers", lambda c: CustomerView(c, currency), args)

    def customer(self, info: GraphQLResolveInfo, id: str) -> CustomerView | None:
        shop = ctx(info).shop
        customer = shop.customers.get(parse_gid(id, "Customer") or -1)
        return CustomerView(customer, shop.currency) if customer is not None else None

    def abandonedCheckouts(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        return searched(info, "abandonedCheckouts", AbandonedCheckoutView, args)

    def abandonedCheckoutsCount(
        self, info: GraphQLResolveInfo, query: str | None = None, **args: Any
    ) -> dict:
        return _count(info, "abandonedCheckouts", query, args.get("limit", COUNT_LIMIT))

    def markets(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        markets = list(ctx(info).shop.markets.values())
        return paged_list(info, markets, lambda m: (m.name, m.id), MarketView, args)

    def market(self, info: GraphQLResolveInfo, id: str) -> MarketView | None:
        market = ctx(info).shop.markets.get(parse_gid(id, "Market") or -1)
        return MarketView(market) if market is not None else None

    def priceLists(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        price_lists = list(ctx(info).shop.price_lists.values())
        return paged_list(info, price_lists, lambda p: (p.id,), PriceListView, args)

    def priceList(self, info: GraphQLResolveInfo, id: str) -> PriceListView | None:
        price_list = ctx(info).shop.price_lists.get(parse_gid(id, "PriceList") or -1)
        return PriceListView(price_list) if price_list is not None else None

    def translatableResource(
        self, info: GraphQLResolveInfo, resourceId: str
    ) -> TranslatableResourceView | None:
        product = ctx(info).shop.products.get(parse_gid(resourceId, "Product") or -1)
        return TranslatableResourceView(product) if product is not None else None

    def translatableResources(self, info: GraphQLResolveInfo, resourceType: str, **args: Any) -> dict:
        if resourceType != "PRODUCT":
            return paged_list(info, [], lambda r: (0,), lambda r: r, args)
        return searched(info, "products", TranslatableResourceView, {**args, "sortKey": "ID", "query": None})

    def translatableResourcesByIds(
        self, info: GraphQLResolveInfo, resourceIds: list[str], **args: Any
    ) -> dict:
        shop = ctx(info).shop
        products = [
            shop.products[n] for n in (parse_gid(r, "Product") for r in resourceIds) if n in shop.products
        ]
        return paged_list(info, products, lambda p: (p.id,), TranslatableResourceView, args)

    def node(self, info: GraphQLResolveInfo, id: str) -> Any:
        return node_for(info, id)

    def nodes(self, info: GraphQLResolveInfo, ids: list[str]) -> list[Any]:
        if len(ids) > MAX_INPUT_ARRAY:
            raise too_many(len(ids))
        return [node_for(info, node_id) for node_id in ids]

    def bulkOperations(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        listed = ctx(info).sim.bulk.listed(args.get("query"))
        args = {**args, "reverse": False}
        # listed() is already newest first: page it in that order.
        order = {view.id: position for position, view in enumerate(listed)}
        return paged_list(info, listed, lambda view: (order[view.id],), lambda view: view, args)

    def webhookSubscriptions(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        hooks = ctx(info).sim.webhooks
        listed = hooks.listed(args.get("topics"), args.get("uri") or args.get("callbackUrl"))
        return paged_list(info, listed, lambda s: (int(s["legacyResourceId"]),), lambda s: s, args)

    def webhookSubscription(self, info: GraphQLResolveInfo, id: str) -> dict | None:
        return next((s for s in ctx(info).sim.webhooks.listed() if s["id"] == id), None)

    def currentAppInstallation(self, info: GraphQLResolveInfo) -> dict:
        scopes = sorted(ctx(info).sim.auth.granted())
        return {
            "id": "gid://shopify/AppInstallation/1",
            "accessScopes": [{"handle": scope, "description": scope} for scope in scopes],
        }

    def currentBulkOperation(self, info: GraphQLResolveInfo, type: str = "QUERY") -> Any:
        return ctx(info).sim.bulk.current_view(type)

    def bulkOperation(self, info: GraphQLResolveInfo, id: str) -> Any:
        number = parse_gid(id, "BulkOperation")
        return ctx(info).sim.bulk.view(number) if number is not None else None


def _count(info: GraphQLResolveInfo, resource: str, query: str | None, limit: int | None) -> dict:
    """A `Count`: exact up to `limit` (Shopify's default 10,000; null for no limit), AT_LEAST above it."""
    count = count_matches(ctx(info).shop, resource, query)
    if limit is not None and count > limit:
        return {"count": limit, "precision": "AT_LEAST"}
    return {"count": count, "precision": "EXACT"}


def _idempotency_key(info: GraphQLResolveInfo) -> str | None:
    for directive in info.field_nodes[0].directives or ():
        if directive.name.value == "idempotent":
            for argument in directive.arguments:
                if argument.name.value == "key":
                    return value_from_ast_untyped(argument.value, info.variable_values)
    return None


def _decimal(text: Any) -> Decimal | None:
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


class MutationRoot:
    def webhookSubscriptionCreate(
        self, info: GraphQLResolveInfo, topic: str, webhookSubscription: dict
    ) -> dict:
        return ctx(info).sim.webhooks.create(
            topic, webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
        )

    def webhookSubscriptionDelete(self, info: GraphQLResolveInfo, id: str) -> dict:
        return ctx(info).sim.webhooks.delete(id)

    def inventorySetQuantities(self, info: GraphQLResolveInfo, input: dict) -> dict:
        context = ctx(info)
        key = _idempotency_key(info)
        if key is None or not str(key).strip():
            raise GraphQLError(
                "The @idempotent directive with a non-empty key is required for this mutation.",
                extensions={"code": "BAD_REQUEST"},
            )
        quantities = input.get("quantities") or []
        if len(quantities) > MAX_INPUT_ARRAY:
            raise too_many(len(quantities))
        fingerprint = hashlib.sha256(json.dumps(input, sort_keys=True, default=str).encode()).hexdigest()
        replay = context.sim.idempotency_replay(key, fingerprint)
        if replay is not None:
            return replay
        result = self._set_quantities(context, input, quantities)
        context.sim.idempotency_store(key, fingerprint, result)
        return result

    def _set_quantities(self, context: Any, input: dict, quantities: list[dict]) -> dict:
        shop = context.shop
        name = input.get("name")
        errors = []
        if name not in ("available", "on_hand"):
            errors.append(
                {
                    "field": ["input", "name"],
                    "message": "The quantity name must be either 'available' or 'on_hand'.",
                    "code": "INVALID_NAME",
                }
            )
        if input.get("reason") not in INVENTORY_REASONS:
            errors.append(
                {
                    "field": ["input", "reason"],
                    "message": "The specified reason is invalid.",
                    "code": "INVALID_REASON",
                }
            )
        resolved = []
        seen = set()
        for index, item in enumerate(quantities):
            path = ["input", "quantities", str(index)]
            variant = shop.variants_by_item.get(parse_gid(item.get("inventoryItemId"), "InventoryItem") or -1)
            location = shop.locations.get(parse_gid(item.get("locationId"), "Location") or -1)
            if variant is None:
                errors.append(
                    {
                        "field": [*path, "inventoryItemId"],
                        "message": "The specified inventory item could not be found.",
                        "code": "INVALID_INVENTORY_ITEM",
                    }
                )
                continue
            if location is None:
                errors.append(
                    {
                        "field": [*path, "locationId"],
                        "message": "The specified location could not be found.",
                        "code": "INVALID_LOCATION",
                    }
                )
                continue
            if (variant.id, location.id) in seen:
                errors.append(
                    {
                        "field": [*path],
                        "message": "The combination of inventoryItemId and locationId must be unique.",
                        "code": "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                    }
                )
                continue
            seen.add((variant.id, location.id))
            quantity = item.get("quantity")
            if quantity < 0:
                errors.append(
                    {
                        "field": [*path, "quantity"],
                        "message": "The quantity can't be negative.",
                        "code": "INVALID_QUANTITY_NEGATIVE",
                    }
                )
                continue
            if quantity > 1_000_000_000:
                errors.append(
                    {
                        "field": [*path, "quantity"],
                        "message": "The total quantity can't be higher than 1,000,000,000.",
                        "code": "INVALID_QUANTITY_TOO_HIGH",
                    }
                )
                continue
            if "changeFromQuantity" not in item:
                errors.append(
                    {
                        "field": [*path, "changeFromQuantity"],
                        "message": "The changeFromQuantity argument must be given to each quantity; "
                        "pass null to skip the check.",
                        "code": "COMPARE_QUANTITY_REQUIRED",
                    }
                )
                continue
            expected = item["changeFromQuantity"]
            if name in ("available", "on_hand"):
                current = shop.quantity(variant, location.id, name)
                if expected is not None and expected != current:
                    errors.append(
                        {
                            "field": [*path, "changeFromQuantity"],
                            "message": STALE_CHANGE_FROM,
                            "code": "CHANGE_FROM_QUANTITY_STALE",
                        }
                    )
                    continue
            resolved.append((variant, location, quantity))
        if errors:  # all or nothing, as Shopify applies the group
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        changes = []
        for variant, location, quantity in resolved:
            delta = shop.set_quantity(variant, location.id, name, quantity)
            context.changed_data = True
            changes.append(
                {
                    "name": name,
                    "delta": delta,
                    "quantityAfterChange": quantity,
                    "item": InventoryItemView(variant),
                    "location": LocationView(location),
                    "ledgerDocumentUri": None,
                }
            )
        group_id = shop.next_id()
        now = shop.now()
        group = {
            "id": f"gid://shopify/InventoryAdjustmentGroup/{group_id}",
            "createdAt": iso(now),
            "reason": input.get("reason"),
            "referenceDocumentUri": input.get("referenceDocumentUri"),
            "changes": lambda info, **_: changes,
        }
        return {"inventoryAdjustmentGroup": group, "userErrors": []}

    def productVariantsBulkUpdate(
        self,
        info: GraphQLResolveInfo,
        productId: str,
        variants: list[dict],
        allowPartialUpdates: bool = False,
        **_: Any,
    ) -> dict:
        context = ctx(info)
        shop = context.shop
        if len(variants) > MAX_INPUT_ARRAY:
            raise too_many(len(variants))
        product = shop.products.get(parse_gid(productId, "Product") or -1)
        if product is None:
            return {
                "product": None,
                "productVariants": None,
                "userErrors": [
                    {
                        "field": ["productId"],
                        "message": "Product does not exist",
                        "code": "PRODUCT_DOES_NOT_EXIST",
                    }
                ],
            }
        errors = []
        planned = []
        for index, spec in enumerate(variants):
            path = ["variants", str(index)]
            if not spec.get("id"):
                errors.append(
                    {
                        "field": [*path, "id"],
                        "message": "Product variant is missing ID attribute",
                        "code": "PRODUCT_VARIANT_ID_MISSING",
                    }
                )
                continue
            variant = shop.variants.get(parse_gid(spec["id"], "ProductVariant") or -1)
            if variant is None or variant.product is not product:
                errors.append(
                    {
                        "field": [*path, "id"],
                        "message": "Product variant does not exist",
                        "code": "PRODUCT_VARIANT_DOES_NOT_EXIST",
                    }
                )
                continue
            changes: dict[str, Any] = {}
            if "price" in spec:
                price = _decimal(spec["price"])
                if price is None or price < 0:
                    errors.append(
                        {
                            "field": [*path, "price"],
                            "message": "Price must be greater than or equal to 0",
                            "code": "NEGATIVE_PRICE_VALUE" if price is not None else "INVALID_INPUT",
                        }
                    )
                    continue
                changes["price"] = price
            if "compareAtPrice" in spec:
                compare_at = (
                    None if spec["compareAtPrice"] in (None, "") else _decimal(spec["compareAtPrice"])
                )
                if spec["compareAtPrice"] not in (None, "") and (compare_at is None or compare_at < 0):
                    errors.append(
                        {
                            "field": [*path, "compareAtPrice"],
                            "message": "Compare at price is invalid",
                            "code": "INVALID_INPUT",
                        }
                    )
                    continue
                changes["compare_at_price"] = compare_at
            if "barcode" in spec:
                changes["barcode"] = spec["barcode"]
            if "taxable" in spec and spec["taxable"] is not None:
                changes["taxable"] = bool(spec["taxable"])
            if spec.get("inventoryPolicy") is not None:  # an enum: the schema admits DENY or CONTINUE only
                changes["inventory_policy"] = spec["inventoryPolicy"]
            planned.append((variant, changes))
        if errors and not allowPartialUpdates:
            return {"product": None, "productVariants": None, "userErrors": errors}
        updated = []
        edited = False
        for variant, changes in planned:
            if any(getattr(variant, attr) != value for attr, value in changes.items()):
                for attr, value in changes.items():
                    setattr(variant, attr, value)
                shop.touch_variant(variant)
                context.changed_data = edited = True
            updated.append(VariantView(variant))
        if edited:
            shop.product_changed(product)
        return {"product": ProductView(product), "productVariants": updated, "userErrors": errors}

    def productUpdate(
        self, info: GraphQLResolveInfo, product: dict | None = None, input: dict | None = None, **_: Any
    ) -> dict:
        context = ctx(info)
        shop = context.shop
        spec = product or input or {}
        record = shop.products.get(parse_gid(spec.get("id"), "Product") or -1)
        if record is None:
            return {"product": None, "userErrors": [{"field": ["id"], "message": "Product does not exist"}]}
        fields = {
            "title": "title",
            "descriptionHtml": "description_html",
            "handle": "handle",
            "vendor": "vendor",
            "productType": "product_type",
            "status": "status",
            "tags": "tags",
        }
        if "title" in spec and not (spec["title"] or "").strip():
            return {"product": None, "userErrors": [{"field": ["title"], "message": "Title can't be blank"}]}
        changed = False
        for graphql_name, attribute in fields.items():
            if (
                graphql_name in spec
                and spec[graphql_name] is not None
                and getattr(record, attribute) != spec[graphql_name]
            ):
                setattr(
                    record, attribute, list(spec[graphql_name]) if attribute == "tags" else spec[graphql_name]
                )
                changed = True
        if changed:
            record.updated_at = shop.now()
            shop.product_changed(record)
            context.changed_data = True
        return {"product": ProductView(record), "userErrors": []}

    def orderCancel(
        self,
        info: GraphQLResolveInfo,
        orderId: str,
        reason: str,
        restock: bool,
        refund: bool | None = None,
        refundMethod: dict | None = None,
        **_: Any,
    ) -> dict:
        """Shopify cancels in a background job (https://shopify.dev/docs/api/admin-graphql/latest/mutations/orderCancel);
        here the job is done when the mutation answers. `refund` or `refundMethod.originalPaymentMethodsRefund`
        refunds what is left; both at once is refused. 2026-10 adds `jobResult`
        (https://shopify.dev/changelog/the-ordercancel-mutation-now-returns-a-structured-jobresult)."""
        context = ctx(info)
        shop = context.shop
        order = shop.orders.get(parse_gid(orderId, "Order") or -1)
        error = None
        if order is None:
            error = {"field": ["orderId"], "message": "Order does not exist", "code": "NOT_FOUND"}
        elif order.cancelled_at is not None:
            error = {"field": ["orderId"], "message": "Order has already been cancelled", "code": "INVALID"}
        elif refund is not None and refundMethod is not None:
            error = {
                "field": ["refund"],
                "message": "Either refund or refundMethod can be provided, not both",
                "code": "INVALID",
            }
        if error is not None:
            return {"job": None, "jobResult": None, "orderCancelUserErrors": [error], "userErrors": [error]}
        refunding = bool(refund) or bool((refundMethod or {}).get("originalPaymentMethodsRefund"))
        shop.cancel(order, reason, restock=restock, refund=refunding)
        context.changed_data = True
        job_id = f"gid://shopify/Job/{uuid.uuid4()}"
        return {
            "job": {"id": job_id, "done": True, "query": QueryRoot()},
            "jobResult": {
                "id": job_id,
                "done": True,
                "status": "SUCCEEDED",
                "errors": [],
                "order": OrderView(order),
            },
            "orderCancelUserErrors": [],
            "userErrors": [],
        }

    def priceListFixedPricesAdd(self, info: GraphQLResolveInfo, priceListId: str, prices: list[dict]) -> dict:
        context = ctx(info)
        shop = context.shop
        if len(prices) > MAX_INPUT_ARRAY:
            raise too_many(len(prices))
        price_list = shop.price_lists.get(parse_gid(priceListId, "PriceList") or -1)
        if price_list is None:
            return {
                "prices": None,
                "userErrors": [
                    {
                        "field": ["priceListId"],
                        "message": "Price list does not exist.",
                        "code": "PRICE_LIST_NOT_FOUND",
                    }
                ],
            }
        errors = []
        planned = []
        for index, entry in enumerate(prices):
            path = ["prices", str(index)]
            variant = shop.variants.get(parse_gid(entry.get("variantId"), "ProductVariant") or -1)
            if variant is None:
                errors.append(
                    {
                        "field": [*path, "variantId"],
                        "message": "Variant not found.",
                        "code": "VARIANT_NOT_FOUND",
                    }
                )
                continue
            price = entry["price"]
            compare_at = entry.get("compareAtPrice")
            mismatched = price["currencyCode"] != price_list.currency or (
                compare_at is not None and compare_at["currencyCode"] != price_list.currency
            )
            if mismatched:
                errors.append(
                    {
                        "field": [*path, "price", "currencyCode"],
                        "message": "The specified currency doesn't match the price list's currency.",
                        "code": "PRICE_LIST_CURRENCY_MISMATCH",
                    }
                )
                continue
            amount = _decimal(price["amount"])
            compare_amount = _decimal(compare_at["amount"]) if compare_at is not None else None
            if amount is None or amount < 0:
                errors.append(
                    {"field": [*path, "price", "amount"], "message": "Price is invalid.", "code": "BLANK"}
                )
                continue
            planned.append((variant, amount, compare_amount))
        if errors:
            return {"prices": None, "userErrors": errors}
        added = []
        for variant, amount, compare_amount in planned:
            if price_list.fixed_prices.get(variant.id) != (amount, compare_amount):
                price_list.fixed_prices[variant.id] = (amount, compare_amount)
                context.changed_data = True
            added.append(
                {
                    "variant": VariantView(variant),
                    "price": {"amount": str(amount), "currencyCode": price_list.currency},
                    "compareAtPrice": None
                    if compare_amount is None
                    else {"amount": str(compare_amount), "currencyCode": price_list.currency},
                    "originType": "FIXED",
                }
            )
        if context.changed_data:
            shop.changed()
        return {"prices": added, "userErrors": []}

    def translationsRegister(
        self, info: GraphQLResolveInfo, resourceId: str, translations: list[dict]
    ) -> dict:
        context = ctx(info)
        shop = context.shop
        if len(translations) > MAX_INPUT_ARRAY:
            raise too_many(len(translations))
        product = shop.products.get(parse_gid(resourceId, "Product") or -1)
        if product is None:
            return {
                "translations": None,
                "userErrors": [
                    {
                        "field": ["resourceId"],
                        "message": "Resource does not exist",
                        "code": "RESOURCE_NOT_FOUND",
                    }
                ],
            }
        current = shop.translatable_values(product)
        errors = []
        planned = []
        for index, entry in enumerate(translations):
            path = ["translations", str(index)]
            locale, key = entry["locale"], entry["key"]
            market_id = None
            if entry.get("marketId"):
                market_id = parse_gid(entry["marketId"], "Market")
                market = shop.markets.get(market_id or -1)
                if market is None:
                    errors.append(
                        {
                            "field": [*path, "marketId"],
                            "message": "Market does not exist",
                            "code": "MARKET_DOES_NOT_EXIST",
                        }
                    )
                    continue
            if locale not in shop.locales or locale == shop.primary_locale:
                errors.append(
                    {
                        "field": [*path, "locale"],
                        "message": "Locale is not enabled for the shop",
                        "code": "INVALID_LOCALE_FOR_SHOP",
                    }
                )
                continue
            if key not in TRANSLATABLE_PRODUCT_KEYS:
                errors.append(
                    {
                        "field": [*path, "key"],
                        "message": f"Key {key} is not a valid translatable field",
                        "code": "INVALID_KEY_FOR_MODEL",
                    }
                )
                continue
            if entry["translatableContentDigest"] != digest(current[key]):
                errors.append(
                    {
                        "field": [*path, "translatableContentDigest"],
                        "message": STALE_DIGEST,
                        "code": "INVALID_TRANSLATABLE_CONTENT",
                    }
                )
                continue
            if not (entry.get("value") or "").strip():
                errors.append({"field": [*path, "value"], "message": "Value can't be blank", "code": "BLANK"})
                continue
            planned.append((key, locale, market_id, entry["value"], entry["translatableContentDigest"]))
        if errors:
            return {"translations": None, "userErrors": errors}
        stored = shop.translations.setdefault(product.id, [])
        results = []
        now = shop.now()
        for key, locale, market_id, value, source_digest in planned:
            existing = next(
                (t for t in stored if (t.key, t.locale, t.market_id) == (key, locale, market_id)), None
            )
            if existing is None:
                existing = Translation(key, locale, market_id, value, source_digest, now)
                stored.append(existing)
                context.changed_data = True
            elif (existing.value, existing.source_digest) != (value, source_digest):
                existing.value, existing.source_digest, existing.updated_at = value, source_digest, now
                context.changed_data = True
            market = shop.markets.get(market_id or -1)
            results.append(
                {
                    "key": key,
                    "locale": locale,
                    "value": value,
                    "outdated": False,
                    "updatedAt": iso(now),
                    "market": MarketView(market) if market is not None else None,
                }
            )
        return {"translations": results, "userErrors": []}

    def tagsAdd(self, info: GraphQLResolveInfo, id: str, tags: list[str]) -> dict:
        context = ctx(info)
        shop = context.shop
        order = shop.orders.get(parse_gid(id, "Order") or -1)
        product = shop.products.get(parse_gid(id, "Product") or -1)
        record = order or product
        if record is None:
            return {"node": None, "userErrors": [{"field": ["id"], "message": "Resource does not exist"}]}
        cleaned = [tag.strip() for tag in tags if tag.strip()]
        added = [tag for tag in cleaned if tag not in record.tags]
        if added:
            record.tags.extend(added)
            record.updated_at = shop.now()
            if product is not None:
                shop.product_changed(product)
            else:
                shop.changed()
            context.changed_data = True
        return {"node": OrderView(order) if order is not None else ProductView(product), "userErrors": []}

    def bulkOperationRunQuery(self, info: GraphQLResolveInfo, query: str, groupObjects: bool = False) -> dict:
        return ctx(info).sim.bulk.start(query, group_objects=groupObjects)
