"""The wc/v3 REST routes: matching, body decoding, permissions and the handlers.

WordPress's order of checks is kept: authentication errors first (by the caller), then the
route, then the JSON body and the parameters, then the permission callback, then the handler.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..server import InvalidJSONBody, Request, Response
from . import render, writes
from .fields import trim_fields
from .listing import (
    CUSTOMER_ORDERBY,
    ORDER_LIST_STATUS,
    ORDER_ORDERBY,
    PRODUCT_ORDERBY,
    PRODUCT_STATUS,
    ROLES,
    VARIATION_ORDERBY,
    ListQuery,
    id_list,
    page_of,
    paging_headers,
    parse_list_query,
    price_key,
    select,
)
from .orders import set_status
from .render import Site
from .store import OrderRecord, ProductRecord, Store
from .validation import (
    API_ROOT_LINK,
    CUSTOMER_SCHEMA,
    NOTE_SCHEMA,
    ORDER_SCHEMA,
    PRODUCT_SCHEMA,
    VARIATION_SCHEMA,
    ParamError,
    coerce_batch_item,
    english_list,
    to_boolean,
    validate_body,
    wp_error,
)
from .writes import WCError

API_PREFIX = "/wp-json/wc/v3"
BATCH_LIMIT = 100
COLLECTION_METHODS = "GET, POST"
ITEM_METHODS = "GET, POST, PUT, PATCH, DELETE"
BATCH_METHODS = "POST, PUT, PATCH"
EDIT = ("POST", "PUT", "PATCH")

DENIED = {
    "list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    "read": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
    "create": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
    "delete": ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."),
    "batch": (
        "woocommerce_rest_cannot_batch",
        "Sorry, you are not allowed to batch manipulate this resource.",
    ),
}


@dataclass(frozen=True)
class Route:
    template: str  # "/products/<id>", as counted in stats
    pattern: re.Pattern[str]
    methods: dict[str, tuple[str, str]]  # method -> (handler name, permission kind)
    allow: str


def _route(template: str, allow: str, **methods: tuple[str, str]) -> Route:
    regex = re.sub(r"<(\w+)>", r"(?P<\1>\\d+)", template)
    return Route(template, re.compile(f"^{regex}/?$"), {m.upper(): v for m, v in methods.items()}, allow)


def _item(prefix: str) -> dict[str, tuple[str, str]]:
    return {
        "get": (f"get_{prefix}", "read"),
        "post": (f"update_{prefix}", "edit"),
        "put": (f"update_{prefix}", "edit"),
        "patch": (f"update_{prefix}", "edit"),
        "delete": (f"delete_{prefix}", "delete"),
    }


def _batch(prefix: str) -> dict[str, tuple[str, str]]:
    return {method: (f"batch_{prefix}", "batch") for method in ("post", "put", "patch")}


# The version a simulated store presents; GET /wc/v3/variations exists from 10.3 on (woocommerce PR #60727).
DEFAULT_VERSION = "10.3.0"
VARIATIONS_SINCE = (10, 3)

ROUTES = [
    _route("", "GET", get=("index", "public")),
    _route("/variations", "GET", get=("list_all_variations", "list")),
    _route("/products", COLLECTION_METHODS, get=("list_products", "list"), post=("create_product", "create")),
    _route("/products/batch", BATCH_METHODS, **_batch("products")),
    _route("/products/<id>", ITEM_METHODS, **_item("product")),
    _route(
        "/products/<product_id>/variations",
        COLLECTION_METHODS,
        get=("list_variations", "list"),
        post=("create_variation", "create"),
    ),
    _route("/products/<product_id>/variations/batch", BATCH_METHODS, **_batch("variations")),
    _route("/products/<product_id>/variations/<id>", ITEM_METHODS, **_item("variation")),
    _route("/orders", COLLECTION_METHODS, get=("list_orders", "list"), post=("create_order", "create")),
    _route("/orders/batch", BATCH_METHODS, **_batch("orders")),
    _route("/orders/<id>", ITEM_METHODS, **_item("order")),
    _route(
        "/orders/<order_id>/notes",
        COLLECTION_METHODS,
        get=("list_notes", "list"),
        post=("create_note", "create"),
    ),
    _route(
        "/orders/<order_id>/notes/<id>",
        "GET, DELETE",
        get=("get_note", "read"),
        delete=("delete_note", "delete"),
    ),
    _route(
        "/customers", COLLECTION_METHODS, get=("list_customers", "list"), post=("create_customer", "create")
    ),
    _route("/customers/<id>", ITEM_METHODS, **_item("customer")),
    _route("/data/currencies/current", "GET", get=("current_currency", "read")),
    _route("/webhooks", COLLECTION_METHODS, get=("list_webhooks", "list"), post=("create_webhook", "create")),
    _route("/webhooks/<id>", ITEM_METHODS, **_item("webhook")),
]


def match(path: str, method: str) -> tuple[Route, dict[str, int]] | None:
    if not path.startswith(API_PREFIX):
        return None
    rest = path[len(API_PREFIX) :]
    for route in ROUTES:
        found = route.pattern.match(rest)
        if found and method in route.methods:
            return route, {name: int(value) for name, value in found.groupdict().items()}
    return None


@dataclass
class Call:
    request: Request
    site: Site
    args: dict[str, int]
    body: Any
    route: Route

    def header(self) -> dict[str, str]:
        return {"Allow": self.route.allow, "Link": API_ROOT_LINK.format(home=self.site.home)}

    def ok(self, body: Any, status: int = 200, **headers: str) -> Response:
        return Response(status, body, {**self.header(), **headers})

    def error(self, error: WCError) -> Response:
        return Response(
            error.status, {"code": error.code, "message": error.message, "data": error.data}, self.header()
        )


class RestAPI:
    def __init__(self, store: Store, currency: str, version: str = DEFAULT_VERSION) -> None:
        self.store = store
        self.currency = currency
        self.version = version
        self.rng = random.Random()  # related_ids come back in a new order on every request

    def serves_variations(self) -> bool:
        parts = tuple(int(p) for p in re.findall(r"\d+", self.version)[:2])
        return parts >= VARIATIONS_SINCE

    def dispatch(self, request: Request, site: Site, authenticated: bool) -> Response:
        matched = match(request.path, request.method)
        if matched is None:
            return wp_error(
                "rest_no_route", "No route was found matching the URL and request method.", 404, site.home
            )
        route, args = matched
        if route.template == "/variations" and not self.serves_variations():
            return wp_error(
                "rest_no_route", "No route was found matching the URL and request method.", 404, site.home
            )
        body: Any = {}
        content_type = (request.headers.get("Content-Type") or "").lower()
        if request.body.strip() and "json" in content_type:
            try:
                body = request.json()
            except InvalidJSONBody:
                invalid = wp_error(
                    "rest_invalid_json",
                    "Invalid JSON body passed.",
                    400,
                    site.home,
                    json_error_code=4,
                    json_error_message="Syntax error",
                )
                invalid.headers["Allow"] = route.allow
                return invalid
        call = Call(request, site, args, body if isinstance(body, dict) else {}, route)
        handler_name, permission = route.methods[request.method]
        handler: Callable[[Call], Response] = getattr(self, handler_name)
        try:
            if request.method == "GET":
                self._context(call)
            if permission == "list":
                # collection parameters are validated before the permission callback runs
                self._validate_list_params(call, handler_name)
            if permission == "public":  # the namespace index has no permission callback
                return self._trimmed(call, handler(call))
            if not authenticated:
                code, message = DENIED[permission]
                return Response(
                    401, {"code": code, "message": message, "data": {"status": 401}}, call.header()
                )
            return self._trimmed(call, handler(call))
        except ParamError as invalid:
            response = invalid.response(site.home)
            response.headers["Allow"] = route.allow
            return response
        except WCError as error:
            return call.error(error)

    @staticmethod
    def _context(call: Call) -> str:
        context = call.request.param("context") or "view"
        if context not in ("view", "edit"):
            raise ParamError({"context": ("rest_not_in_enum", "context is not one of view and edit.", None)})
        return context

    @staticmethod
    def _trimmed(call: Call, response: Response) -> Response:
        """`_fields=a,b` keeps only those keys of each item (rest_filter_response_fields, on every answer;
        `_links` only when named): recorded in 54/54b."""
        fields = call.request.param("_fields")
        if fields and response.status < 300:
            response.body = trim_fields(response.body, fields)
        return response

    def _validate_list_params(self, call: Call, handler_name: str) -> None:
        parser = {
            "list_products": self._product_query,
            "list_variations": self._product_query,
            "list_all_variations": self._variations_query,
            "list_orders": self._order_query,
            "list_customers": self._customer_query,
        }.get(handler_name)
        if parser is not None:
            parser(call)

    # -- queries -------------------------------------------------------------------------

    def _product_query(self, call: Call) -> ListQuery:
        return parse_list_query(
            call.request,
            zone=call.site.zone,
            orderby=PRODUCT_ORDERBY,
            default_orderby="date",
            statuses=PRODUCT_STATUS,
        )

    def _variations_query(self, call: Call) -> ListQuery:
        """GET /wc/v3/variations: the variations controller's parameters (orderby date, id, include, title,
        slug, modified, menu_order; `parent` and `parent_exclude` id lists), recorded in 59c."""

        def parents(request: Request, filters: dict, errors: dict) -> None:
            for name in ("parent", "parent_exclude"):
                ids = id_list(request, name, errors)
                if ids:
                    filters[name] = tuple(ids)

        return parse_list_query(
            call.request,
            zone=call.site.zone,
            orderby=VARIATION_ORDERBY,
            default_orderby="date",
            statuses=PRODUCT_STATUS,
            extra=parents,
        )

    def _order_query(self, call: Call) -> ListQuery:
        def customer_filter(request: Request, filters: dict, errors: dict) -> None:
            for name in ("customer", "product"):
                raw = request.param(name)
                if raw not in (None, ""):
                    if raw.isdigit():
                        filters[name] = int(raw)
                    else:
                        errors[name] = (
                            "rest_invalid_type",
                            f"{name} is not of type integer.",
                            {"param": name},
                        )

        return parse_list_query(
            call.request,
            zone=call.site.zone,
            orderby=ORDER_ORDERBY,
            default_orderby="date",
            statuses=ORDER_LIST_STATUS,
            status_is_list=True,
            extra=customer_filter,
        )

    def _customer_query(self, call: Call) -> ListQuery:
        def role_filter(request: Request, filters: dict, errors: dict) -> None:
            role = request.param("role", "customer")
            if role not in ROLES:
                errors["role"] = ("rest_not_in_enum", f"role is not one of {english_list(ROLES)}.", None)
            filters["role"] = role

        return parse_list_query(
            call.request,
            zone=call.site.zone,
            orderby=CUSTOMER_ORDERBY,
            default_orderby="name",
            default_order="asc",
            dated=False,
            extra=role_filter,
        )

    def _paged(
        self, call: Call, query: ListQuery, ids: list[int], render_one: Callable[[int], dict], defaults=None
    ) -> Response:
        page_ids, total, pages = page_of(ids, query)
        route_url = f"{call.site.home}{call.request.path}"
        headers = paging_headers(call.request, route_url, query, total, pages, defaults)
        if "Link" not in headers:
            headers["Link"] = API_ROOT_LINK.format(home=call.site.home)
        headers["Allow"] = call.route.allow
        return Response(200, [render_one(record_id) for record_id in page_ids], headers)

    # -- products --------------------------------------------------------------------------

    def list_products(self, call: Call) -> Response:
        query = self._product_query(call)
        store = self.store
        filters = query.filters
        statuses = filters.get("status", ("any",))
        skus = [sku.strip() for sku in filters["sku"].split(",")] if "sku" in filters else None
        search = filters.get("search", "").lower()

        def matches(record: ProductRecord) -> bool:
            if statuses == ("any",):
                if record.status == "trash":
                    return False
            elif record.status not in statuses:
                return False
            if "type" in filters and record.type != filters["type"]:
                return False
            if "stock_status" in filters and record.stock_status != filters["stock_status"]:
                return False
            if "slug" in filters and record.slug != filters["slug"]:
                return False
            if search and search not in record.name.lower():
                return False
            return True

        if skus is not None:
            # WooCommerce queries products and variations alike when `sku` is given (post_type product and
            # product_variation), so a variation's SKU finds the variation, in the product shape.
            ids = select(
                None,
                query,
                matches=matches,
                sort_key=self._product_sort(query.orderby),
                narrowed=[store.sku_owner[sku] for sku in skus if sku in store.sku_owner],
                records=store.posts,
            )
        else:
            ids = select(store.products, query, matches=matches, sort_key=self._product_sort(query.orderby))
        edit = self._context(call) == "edit"
        return self._paged(
            call,
            query,
            ids,
            lambda i: render.product(call.site, store, store.posts[i], edit=edit, rng=self.rng),
        )

    def _product_sort(self, orderby: str) -> Callable[[ProductRecord], Any]:
        return {
            "date": lambda r: r.created,
            "modified": lambda r: r.modified,
            "id": lambda r: r.id,
            "title": lambda r: r.name.lower(),
            "slug": lambda r: r.slug,
            "price": lambda r: price_key(r.price),
            "popularity": lambda r: r.total_sales,
            "rating": lambda r: 0,
            "menu_order": lambda r: 0,
        }.get(orderby, lambda r: r.created)

    def _product_or_error(self, call: Call, status: int) -> ProductRecord:
        record = self.store.product(call.args["id"])
        if record is None:
            raise WCError("woocommerce_rest_product_invalid_id", "Invalid ID.", status)
        return record

    def get_product(self, call: Call) -> Response:
        record = self._product_or_error(call, 404)
        edit = self._context(call) == "edit"
        return call.ok(render.product(call.site, self.store, record, edit=edit, rng=self.rng))

    def create_product(self, call: Call) -> Response:
        if call.body.get("id"):
            raise WCError("woocommerce_rest_product_exists", f"Cannot create existing {'product'}.", 400)
        fields = validate_body(call.body, PRODUCT_SCHEMA)
        record = writes.create_product(self.store, fields)
        return call.ok(
            render.product(call.site, self.store, record, edit=True),
            201,
            Location=f"{call.site.api}/products/{record.id}",
        )

    def update_product(self, call: Call) -> Response:
        fields = validate_body(call.body, PRODUCT_SCHEMA)
        fields.update({k: v for k, v in call.body.items() if k == "inventory_delta"})
        record = self._product_or_error(call, 400)
        writes.update_product(self.store, record, fields)
        return call.ok(render.product(call.site, self.store, record, edit=True))

    def delete_product(self, call: Call) -> Response:
        record = self._product_or_error(call, 404)
        # WC_REST_CRUD_Controller::delete_item renders the product, in the edit context, before it deletes or
        # trashes it: the answer shows it as it was (recorded in 55b).
        body = render.product(call.site, self.store, record, edit=True, rng=self.rng)
        if to_boolean(call.request.param("force", "false")):
            self.store.delete_product(record)
        else:
            if record.status == "trash":
                raise WCError(
                    "woocommerce_rest_already_trashed", "The product has already been deleted.", 410
                )
            self.store.trash(record)
        return call.ok(body)

    def batch_products(self, call: Call) -> Response:
        def create(item: dict) -> dict:
            record = writes.create_product(self.store, coerce_batch_item(item, PRODUCT_SCHEMA))
            return render.product(call.site, self.store, record, edit=True)

        def update(item: dict) -> dict:
            record = self.store.product(_item_id(item))
            if record is None and _item_id(item) in self.store.posts:  # a variation: recorded in 53-53f
                raise WCError(
                    "woocommerce_rest_invalid_product_id",
                    "To manipulate product variations you should use the "
                    "/products/&lt;product_id&gt;/variations/&lt;id&gt; endpoint.",
                    404,
                )
            if record is None:
                raise WCError("woocommerce_rest_product_invalid_id", "Invalid ID.", 400)
            fields = coerce_batch_item(item, PRODUCT_SCHEMA)
            if "inventory_delta" in item:
                fields["inventory_delta"] = item["inventory_delta"]
            writes.update_product(self.store, record, fields)
            return render.product(call.site, self.store, record, edit=True)

        def delete(record_id: int) -> dict:
            record = self.store.product(record_id)
            if record is None:
                raise WCError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
            body = render.product(call.site, self.store, record)
            self.store.delete_product(record)
            return body

        return self._batch(call, create, update, delete)

    def _batch(
        self,
        call: Call,
        create: Callable[[dict], dict],
        update: Callable[[dict], dict],
        delete: Callable[[int], dict],
    ) -> Response:
        parts = {name: call.body.get(name) for name in ("create", "update", "delete")}
        parts = {name: value for name, value in parts.items() if isinstance(value, list) and value}
        if sum(len(value) for value in parts.values()) > BATCH_LIMIT:
            raise WCError(
                "woocommerce_rest_request_entity_too_large",
                f"Unable to accept more than {BATCH_LIMIT} items for this request.",
                413,
            )
        answer: dict[str, list] = {}
        for item in parts.get("create", []):
            try:
                answer.setdefault("create", []).append(create(item if isinstance(item, dict) else {}))
            except WCError as error:
                answer.setdefault("create", []).append({"id": 0, "error": error.as_item()})
        for item in parts.get("update", []):
            item = item if isinstance(item, dict) else {}
            try:
                answer.setdefault("update", []).append(update(item))
            except WCError as error:
                answer.setdefault("update", []).append({"id": _item_id(item), "error": error.as_item()})
        for item in parts.get("delete", []):
            record_id = _item_id(item) if isinstance(item, dict) else _to_int(item)
            try:
                answer.setdefault("delete", []).append(delete(record_id))
            except WCError as error:
                answer.setdefault("delete", []).append({"id": record_id, "error": error.as_item()})
        # Empty lists are filtered out before dispatch and an empty PHP array is a JSON list: `{}` and
        # `{"update": []}` answer `[]` and change nothing (recorded in 52c/52d).
        return call.ok(answer if answer else [])

    # -- variations ------------------------------------------------------------------------

    def _parent(self, call: Call) -> ProductRecord:
        parent = self.store.product(call.args["product_id"])
        if parent is None:
            raise WCError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
        return parent

    def _variation_or_error(self, call: Call, status: int) -> ProductRecord:
        record = self.store.variation(call.args["product_id"], call.args["id"])
        if record is None:
            raise WCError("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", status)
        return record

    def list_variations(self, call: Call) -> Response:
        query = self._product_query(call)
        parent = self.store.product(call.args["product_id"])
        variation_ids = parent.variation_ids if parent is not None else []
        records = {vid: self.store.posts[vid] for vid in variation_ids if vid in self.store.posts}
        filters = query.filters
        statuses = filters.get("status", ("any",))

        def matches(record: ProductRecord) -> bool:
            if statuses != ("any",) and record.status not in statuses:
                return False
            if "sku" in filters and record.sku not in filters["sku"].split(","):
                return False
            if "stock_status" in filters and record.stock_status != filters["stock_status"]:
                return False
            return True

        ids = select(
            None,
            query,
            matches=matches,
            sort_key=self._product_sort(query.orderby),
            narrowed=list(records),
            records=records,
        )
        return self._paged(call, query, ids, lambda i: render.variation(call.site, self.store, records[i]))

    def list_all_variations(self, call: Call) -> Response:
        """GET /wc/v3/variations (WooCommerce 10.3, PR #60727): every variation of the store, with parent_id.

        Its controller extends the per-product one with no product_id, so `post_parent` is unset and
        `parent` (post_parent__in) filters; `status` defaults to any, which leaves trash out; with `sku` the
        query covers products and variations alike, as on products/<id>/variations:
        https://github.com/woocommerce/woocommerce/blob/trunk/plugins/woocommerce/includes/rest-api/Controllers/Version3/class-wc-rest-variations-controller.php
        """
        query = self._variations_query(call)
        store = self.store
        filters = query.filters
        statuses = filters.get("status", ("any",))
        parents, excluded_parents = set(filters.get("parent", ())), set(filters.get("parent_exclude", ()))
        skus = [sku.strip() for sku in filters["sku"].split(",")] if "sku" in filters else None

        def matches(record: ProductRecord) -> bool:
            if statuses == ("any",):
                if record.status == "trash":
                    return False
            elif record.status not in statuses:
                return False
            if parents and record.parent_id not in parents:
                return False
            if record.parent_id in excluded_parents:
                return False
            if "stock_status" in filters and record.stock_status != filters["stock_status"]:
                return False
            return True

        sort = self._product_sort(query.orderby)
        if skus is not None:
            ids = select(
                None,
                query,
                matches=matches,
                sort_key=sort,
                narrowed=[store.sku_owner[sku] for sku in skus if sku in store.sku_owner],
                records=store.posts,
            )
        elif parents:
            narrowed = [v for p in sorted(parents) for v in getattr(store.posts.get(p), "variation_ids", ())]
            ids = select(None, query, matches=matches, sort_key=sort, narrowed=narrowed, records=store.posts)
        else:
            ids = select(store.variations, query, matches=matches, sort_key=sort)

        def one(record_id: int) -> dict:
            record = store.posts[record_id]
            if record.type != "variation":
                return render.product(
                    call.site, store, record, edit=self._context(call) == "edit", rng=self.rng
                )
            return render.variation(call.site, store, record, listed_alone=True)

        return self._paged(call, query, ids, one)

    def index(self, call: Call) -> Response:
        """GET /wp-json/wc/v3: the namespace's routes, each with its methods (recorded in 59c, trimmed there)."""
        routes: dict[str, Any] = {}
        for route in ROUTES:
            if route.template == "/variations" and not self.serves_variations():
                continue
            path = "/wc/v3" + re.sub(r"<(\w+)>", r"(?P<\1>[\\d]+)", route.template)
            methods = [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m in route.methods]
            entry: dict[str, Any] = {
                "namespace": "wc/v3",
                "methods": methods,
                "endpoints": [{"methods": [m], "args": {}} for m in methods],
            }
            if "<" not in route.template:
                entry["_links"] = {"self": [{"href": f"{call.site.api}{route.template}"}]}
            routes[path] = entry
        return call.ok({"namespace": "wc/v3", "routes": routes})

    def get_variation(self, call: Call) -> Response:
        return call.ok(render.variation(call.site, self.store, self._variation_or_error(call, 404)))

    def create_variation(self, call: Call) -> Response:
        parent = self._parent(call)
        fields = validate_body(call.body, VARIATION_SCHEMA)
        record = writes.create_variation(self.store, parent, fields)
        return call.ok(
            render.variation(call.site, self.store, record),
            201,
            Location=f"{call.site.api}/products/{parent.id}/variations/{record.id}",
        )

    def update_variation(self, call: Call) -> Response:
        fields = validate_body(call.body, VARIATION_SCHEMA)
        fields.update({k: v for k, v in call.body.items() if k == "inventory_delta"})
        record = self._variation_or_error(call, 404)
        writes.update_product(self.store, record, fields)
        return call.ok(render.variation(call.site, self.store, record))

    def delete_variation(self, call: Call) -> Response:
        record = self._variation_or_error(call, 404)
        body = render.variation(call.site, self.store, record)
        self.store.delete_product(record)
        return call.ok(body)

    def batch_variations(self, call: Call) -> Response:
        parent = self._parent(call)

        def create(item: dict) -> dict:
            record = writes.create_variation(self.store, parent, coerce_batch_item(item, VARIATION_SCHEMA))
            return render.variation(call.site, self.store, record)

        def update(item: dict) -> dict:
            record = self.store.variation(parent.id, _item_id(item))
            if record is None:
                raise WCError("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", 404)
            fields = coerce_batch_item(item, VARIATION_SCHEMA)
            if "inventory_delta" in item:
                fields["inventory_delta"] = item["inventory_delta"]
            writes.update_product(self.store, record, fields)
            return render.variation(call.site, self.store, record)

        def delete(record_id: int) -> dict:
            record = self.store.variation(parent.id, record_id)
            if record is None:
                raise WCError("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", 404)
            body = render.variation(call.site, self.store, record)
            self.store.delete_product(record)
            return body

        return self._batch(call, create, update, delete)

    # -- orders ----------------------------------------------------------------------------

    def list_orders(self, call: Call) -> Response:
        query = self._order_query(call)
        filters = query.filters
        statuses = filters.get("status", ("any",))
        search = filters.get("search", "").lower()

        def matches(order: OrderRecord) -> bool:
            if "any" in statuses:
                if order.status == "trash":
                    return False
            elif order.status not in statuses:
                return False
            if "customer" in filters and order.data["customer_id"] != filters["customer"]:
                return False
            if "product" in filters and not any(
                filters["product"] in (item["product_id"], item["variation_id"])
                for item in order.data["line_items"]
            ):
                return False
            if search and search not in order.data["billing"].get("email", "").lower():
                return False
            return True

        sort = {"modified": lambda o: o.modified, "id": lambda o: o.id}.get(
            query.orderby, lambda o: o.created
        )
        ids = select(self.store.orders, query, matches=matches, sort_key=sort)
        defaults = {"dp": "2", "context": "view"}
        if "status" not in call.request.query:
            defaults = {"status[0]": "any", **defaults}
        return self._paged(
            call,
            query,
            ids,
            lambda i: render.order(call.site, self.store.orders.records[i]),
            defaults,
        )

    def _order_or_error(self, call: Call, status: int, arg: str = "id") -> OrderRecord:
        order = self.store.orders.records.get(call.args[arg])
        if order is None:
            raise WCError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", status)
        return order

    def get_order(self, call: Call) -> Response:
        return call.ok(render.order(call.site, self._order_or_error(call, 404)))

    def create_order(self, call: Call) -> Response:
        fields = validate_body(call.body, ORDER_SCHEMA)
        order = writes.create_order(self.store, fields, self.currency)
        return call.ok(render.order(call.site, order), 201, Location=f"{call.site.api}/orders/{order.id}")

    def update_order(self, call: Call) -> Response:
        fields = validate_body(call.body, ORDER_SCHEMA)
        order = self._order_or_error(call, 400)
        writes.update_order(self.store, order, fields)
        return call.ok(render.order(call.site, order))

    def delete_order(self, call: Call) -> Response:
        order = self._order_or_error(call, 404)
        if to_boolean(call.request.param("force", "false")):
            body = render.order(call.site, order)
            self.store.orders.remove(order)
            return call.ok(body)
        set_status(self.store, order, "trash", self.store.clock())
        self.store.orders.touch(order, self.store.clock())
        return call.ok(render.order(call.site, order))

    def batch_orders(self, call: Call) -> Response:
        def create(item: dict) -> dict:
            order = writes.create_order(self.store, coerce_batch_item(item, ORDER_SCHEMA), self.currency)
            return render.order(call.site, order)

        def update(item: dict) -> dict:
            order = self.store.orders.records.get(_item_id(item))
            if order is None:
                raise WCError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 400)
            writes.update_order(self.store, order, coerce_batch_item(item, ORDER_SCHEMA))
            return render.order(call.site, order)

        def delete(record_id: int) -> dict:
            order = self.store.orders.records.get(record_id)
            if order is None:
                raise WCError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
            body = render.order(call.site, order)
            self.store.orders.remove(order)
            return body

        return self._batch(call, create, update, delete)

    # -- order notes -----------------------------------------------------------------------

    def list_notes(self, call: Call) -> Response:
        order = self._order_or_error(call, 404, "order_id")
        notes = sorted(order.notes, key=lambda note: (note["created"], note["id"]), reverse=True)
        return call.ok([render.order_note(call.site, order.id, note) for note in notes])

    def create_note(self, call: Call) -> Response:
        order = self._order_or_error(call, 404, "order_id")
        fields = validate_body(call.body, NOTE_SCHEMA)
        if not fields.get("note"):
            raise ParamError({"note": ("rest_missing_callback_param", "note is a required property.", None)})
        note = {
            "id": self.store.new_item_id(),
            "author": "WooCommerce" if not fields.get("added_by_user") else "admin",
            "created": self.store.clock(),
            "note": fields["note"],
            "customer_note": bool(fields.get("customer_note", False)),
        }
        order.notes.append(note)
        return call.ok(
            render.order_note(call.site, order.id, note),
            201,
            Location=f"{call.site.api}/orders/{order.id}/notes/{note['id']}",
        )

    def _note(self, call: Call) -> tuple[OrderRecord, dict]:
        order = self._order_or_error(call, 404, "order_id")
        note = next((n for n in order.notes if n["id"] == call.args["id"]), None)
        if note is None:
            raise WCError("woocommerce_rest_order_invalid_id", "Invalid resource ID.", 404)
        return order, note

    def get_note(self, call: Call) -> Response:
        order, note = self._note(call)
        return call.ok(render.order_note(call.site, order.id, note))

    def delete_note(self, call: Call) -> Response:
        if not to_boolean(call.request.param("force", "false")):
            raise WCError("woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501)
        order, note = self._note(call)
        order.notes.remove(note)
        return call.ok(render.order_note(call.site, order.id, note))

    # -- customers -------------------------------------------------------------------------

    def list_customers(self, call: Call) -> Response:
        query = self._customer_query(call)
        filters = query.filters
        role = filters.get("role", "customer")
        email = filters.get("email", "").lower()
        search = filters.get("search", "").lower()

        def matches(customer) -> bool:
            if role != "all" and customer.role != role:
                return False
            if email and customer.email.lower() != email:
                return False
            if search and search not in f"{customer.email} {customer.display_name}".lower():
                return False
            return True

        sort = {
            "id": lambda c: c.id,
            "registered_date": lambda c: c.created,
            "name": lambda c: c.display_name.lower(),
        }.get(query.orderby, lambda c: c.display_name.lower())
        ids = select(self.store.customers, query, matches=matches, sort_key=sort)
        return self._paged(
            call, query, ids, lambda i: render.customer(call.site, self.store.customers.records[i])
        )

    def _customer_or_error(self, call: Call, status: int):
        customer = self.store.customers.records.get(call.args["id"])
        if customer is None:
            raise WCError("woocommerce_rest_invalid_id", "Invalid resource ID.", status)
        return customer

    def get_customer(self, call: Call) -> Response:
        return call.ok(render.customer(call.site, self._customer_or_error(call, 404)))

    def create_customer(self, call: Call) -> Response:
        fields = validate_body(call.body, CUSTOMER_SCHEMA)
        if "email" not in fields:
            raise ParamError(
                {"email": ("rest_missing_callback_param", "email is a required property.", None)}
            )
        customer = writes.create_customer(self.store, fields)
        return call.ok(
            render.customer(call.site, customer), 201, Location=f"{call.site.api}/customers/{customer.id}"
        )

    def update_customer(self, call: Call) -> Response:
        fields = validate_body(call.body, CUSTOMER_SCHEMA)
        customer = self._customer_or_error(call, 400)
        writes.apply_customer_fields(self.store, customer, fields)
        self.store.customers.touch(customer, self.store.clock())
        return call.ok(render.customer(call.site, customer))

    def delete_customer(self, call: Call) -> Response:
        if not to_boolean(call.request.param("force", "false")):
            raise WCError("woocommerce_rest_trash_not_supported", "Customers do not support trashing.", 501)
        customer = self._customer_or_error(call, 404)
        body = render.customer(call.site, customer)
        self.store.customers.remove(customer)
        return call.ok(body)

    # -- store data ------------------------------------------------------------------------

    # -- webhooks (connector/sandbox/woocommerce/webhooks.py) ----------------------------------------------

    def list_webhooks(self, call: Call) -> Response:
        wanted = call.request.param("status", "all")
        hooks = [h for h in self.webhooks.hooks.values() if wanted in ("all", h["status"])]
        page, per_page = (
            _to_int(call.request.param("page", "1") or 1),
            _to_int(call.request.param("per_page", "10") or 10),
        )
        shown = hooks[(page - 1) * per_page : page * per_page]
        pages = max(1, -(-len(hooks) // per_page)) if hooks else 0
        return call.ok(
            [self.webhooks.render(call.site, h) for h in shown],
            **{"X-WP-Total": str(len(hooks)), "X-WP-TotalPages": str(pages)},
        )

    def _webhook_or_error(self, call: Call) -> dict:
        hook = self.webhooks.hooks.get(call.args["id"])
        if hook is None:
            raise WCError("woocommerce_rest_webhook_invalid_id", "Invalid ID.", 404)
        return hook

    def create_webhook(self, call: Call) -> Response:
        topic = str(call.body.get("topic") or "")
        if not call.body.get("delivery_url"):
            raise ParamError(
                {"delivery_url": ("rest_missing_callback_param", "Missing parameter(s): delivery_url", None)}
            )
        try:
            hook = self.webhooks.create(call.site, call.body)
        except ValueError:
            raise WCError(
                "woocommerce_rest_webhook_invalid_topic", f"Webhook topic {topic!r} is invalid.", 400
            ) from None
        return call.ok(
            self.webhooks.render(call.site, hook),
            201,
            Location=f"{call.site.api}/webhooks/{hook['id']}",
        )

    def get_webhook(self, call: Call) -> Response:
        return call.ok(self.webhooks.render(call.site, self._webhook_or_error(call), with_secret=True))

    def update_webhook(self, call: Call) -> Response:
        hook = self.webhooks.update(self._webhook_or_error(call), call.body)
        return call.ok(self.webhooks.render(call.site, hook, with_secret=True))

    def delete_webhook(self, call: Call) -> Response:
        hook = self._webhook_or_error(call)
        if not to_boolean(call.request.param("force", "false")):
            raise WCError("woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501)
        body = self.webhooks.render(call.site, hook)
        del self.webhooks.hooks[hook["id"]]
        return call.ok(body)

    def current_currency(self, call: Call) -> Response:
        names = {
            "EUR": "Euro",
            "USD": "United States (US) dollar",
            "GBP": "Pound sterling",
            "CHF": "Swiss franc",
        }
        symbol = render.CURRENCY_SYMBOLS.get(self.currency, self.currency)
        return call.ok(
            {"code": self.currency, "name": names.get(self.currency, self.currency), "symbol": symbol}
        )


def _to_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _item_id(item: dict) -> int:
    return _to_int(item.get("id"))
