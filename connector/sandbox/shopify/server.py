"""`ShopifySim`: the Admin GraphQL API of one shop on 127.0.0.1, on the shared sandbox core."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from connector.platforms.shopify.schema import API_VERSION, SUPPORTED_VERSIONS

from ..server import InvalidJSONBody, Request, Response, SandboxServer
from .auth import ShopAuth
from .bulk import BulkRunner
from .cost import DEFAULT_BUCKET_MAX, DEFAULT_RESTORE_RATE, MAX_QUERY_COST, LeakyBucket
from .engine import DocumentCache, changes_data, cost_calculator, pick_operation, run
from .seed import seed_shop
from .shop import CheckoutRefused, Shop, ShopError, gid, iso, parse_gid
from .views import RequestContext
from .webhooks import ShopWebhooks

GRAPHQL_PATH = re.compile(r"^/admin/api/(?P<version>[0-9]{4}-[0-9]{2}|unstable)/graphql\.json$")
BULK_PATH = re.compile(r"^/bulk/(?P<id>[0-9]+)\.jsonl$")
TOKEN_PATH = "/admin/oauth/access_token"
AUTHORIZE_PATH = "/admin/oauth/authorize"
ACCESS_SCOPES_DOCS = "https://shopify.dev/api/usage/access-scopes"
# The scope each root field the connector uses needs (https://shopify.dev/docs/api/usage/access-scopes).
REQUIRED_SCOPES = {
    "products": "read_products",
    "product": "read_products",
    "productsCount": "read_products",
    "productVariants": "read_products",
    "orders": "read_orders",
    "order": "read_orders",
    "ordersCount": "read_orders",
    "abandonedCheckouts": "read_orders",
    "customers": "read_customers",
    "customersCount": "read_customers",
    "inventorySetQuantities": "write_inventory",
    "productVariantsBulkUpdate": "write_products",
    "priceListFixedPricesAdd": "write_products",
    "translationsRegister": "write_translations",
    "translatableResource": "read_translations",
    "translatableResourcesByIds": "read_translations",
    "tagsAdd": "write_orders",
    "orderCancel": "write_orders",
}
CANCEL_REASONS = ("CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF")  # OrderCancelReason
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
RATE_LIMIT_DOCS = "https://shopify.dev/api/usage/rate-limits"


def _moment(text: str) -> datetime:
    """An ISO 8601 time from a control payload as an aware UTC datetime at whole seconds."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise ShopError(f"created_at {text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ShopError(f"created_at {text!r} has no time zone; add Z or an offset")
    return moment.astimezone(UTC).replace(microsecond=0)


class ShopifySim(SandboxServer):
    """One simulated Shopify shop. Start it, then point a transport at `shop_domain`/`base_url`."""

    def __init__(
        self,
        name: str,
        *,
        currency: str = "EUR",
        locales: Iterable[str] = ("fr", "de", "en"),
        markets: Iterable[dict] | None = None,
        bucket_max: float = DEFAULT_BUCKET_MAX,
        restore_rate: float = DEFAULT_RESTORE_RATE,
        throttling: bool = True,
        access_token: str | None = None,
        bulk_delay: float = 0.2,
        port: int = 0,
    ) -> None:
        super().__init__(name, port=port)
        self.shop = Shop(name, currency=currency, locales=locales, markets=markets)
        self.shop_domain = f"{re.sub(r'[^a-z0-9-]+', '-', name.lower()).strip('-') or 'shop'}.myshopify.com"
        self.access_token = access_token or f"shpat_{secrets.token_hex(16)}"
        self.auth = ShopAuth(self.shop_domain, static_token=self.access_token)
        self.protected_customer_data = True  # False: the app is not approved for protected customer data
        self.bucket = LeakyBucket(bucket_max, restore_rate, enabled=throttling)
        self.documents = DocumentCache()
        self.bulk = BulkRunner(self, delay=bulk_delay)
        self._idempotency: dict[str, tuple[str, dict]] = {}
        self._request_state = threading.local()
        self.webhooks = ShopWebhooks(self)
        self.shop.listener = self.webhooks.on_shop_event

    def stop(self) -> None:
        self.bulk.stop()
        self.webhooks.stop()
        super().stop()

    @property
    def client_id(self) -> str:
        return self.auth.client_id

    @property
    def client_secret(self) -> str:
        return self.auth.client_secret

    def set_faults(self, **spec: Any) -> dict:
        """Besides the core faults: `protected_customer_data: false` denies personal fields, as Shopify does for
        an app not approved for protected customer data."""
        approved = spec.pop("protected_customer_data", True)
        if not isinstance(approved, bool):
            raise ValueError("fault protected_customer_data must be true or false")
        answer = super().set_faults(**spec)
        self.protected_customer_data = approved
        return {**answer, "protected_customer_data": approved}

    def stats(self) -> dict:
        return {**super().stats(), "tokens_issued": self.auth.tokens_issued, "tokens_refused": self.auth.tokens_refused}

    @property
    def graphql_url(self) -> str:
        return f"{self.base_url}/admin/api/{API_VERSION}/graphql.json"

    # -- routing ------------------------------------------------------------------------------

    def route_key(self, request: Request) -> str:
        if GRAPHQL_PATH.match(request.path):
            return f"{request.method} /admin/api/<version>/graphql.json"
        if request.path == AUTHORIZE_PATH:
            return f"{request.method} {AUTHORIZE_PATH}"
        if BULK_PATH.match(request.path):
            return f"{request.method} /bulk/<id>.jsonl"
        return f"{request.method} {request.path}"

    def is_write(self, request: Request) -> bool:
        return bool(getattr(self._request_state, "wrote", False))

    def handle(self, request: Request) -> Response:
        self._request_state.wrote = False
        bulk = BULK_PATH.match(request.path)
        if bulk and request.method == "GET":
            with self.lock:
                body = self.bulk.result(int(bulk.group("id")))
            if body is None:
                return Response(404, "NoSuchKey", {"Content-Type": "application/xml"})
            return Response(200, body, {"Content-Type": "application/jsonl"})
        if request.path == TOKEN_PATH and request.method == "POST":
            return self.auth.access_token(request)
        if request.path == AUTHORIZE_PATH and request.method == "GET":
            return self.auth.authorize(request)
        match = GRAPHQL_PATH.match(request.path)
        if match is None:
            return Response(404, {"errors": "Not Found"})
        if request.method != "POST":
            return Response(405, {"errors": "Method Not Allowed"}, {"Allow": "POST"})
        if match.group("version") not in SUPPORTED_VERSIONS:
            return Response(404, {"errors": "Not Found"})
        if not self.auth.valid(request.headers.get("X-Shopify-Access-Token")):
            self.auth.count_refused()
            return Response(401, {"errors": INVALID_TOKEN})
        try:
            payload = request.json()
        except InvalidJSONBody:
            return Response(400, {"errors": {"query": "Required parameter missing or invalid"}})
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return Response(400, {"errors": {"query": "Required parameter missing or invalid"}})
        variables = payload.get("variables") or {}
        if not isinstance(variables, dict):
            return Response(400, {"errors": {"variables": "must be a JSON object"}})
        debug = request.headers.get("Shopify-GraphQL-Cost-Debug") == "1"
        return Response(200, self.answer(payload["query"], variables, payload.get("operationName"), debug=debug))

    # -- GraphQL --------------------------------------------------------------------------------

    def answer(
        self, query: str, variables: dict, operation_name: str | None = None, *, debug: bool = False
    ) -> dict:
        """The JSON body Shopify answers for one GraphQL request (after authentication). `debug` adds the
        per-field breakdown Shopify gives with the `Shopify-GraphQL-Cost-Debug: 1` header."""
        prepared = self.documents.get(query)
        if prepared.errors:
            return {"errors": prepared.errors}
        operation = pick_operation(prepared.document, operation_name)
        if operation is None:
            message = (
                f'No operation named "{operation_name}"'
                if operation_name
                else "An operation name is required when the document holds several operations"
            )
            return {"errors": [{"message": message}]}
        calculator = cost_calculator(prepared, operation, variables)
        requested = calculator.requested()
        denied = self._missing_scopes(operation)
        if denied:
            return {
                "errors": [
                    {
                        "message": f"Access denied for {field} field. Required access: `{scope}` access scope.",
                        "locations": [],
                        "path": [field],
                        "extensions": {"code": "ACCESS_DENIED", "documentation": ACCESS_SCOPES_DOCS},
                    }
                    for field, scope in denied
                ],
                "data": None,
                "extensions": {"cost": self._cost(requested, 0)},
            }
        if requested > MAX_QUERY_COST:
            return {
                "errors": [
                    {
                        "message": f"Query cost is {requested}, which exceeds the single query max cost limit "
                        f"({MAX_QUERY_COST}).\n\nSee {RATE_LIMIT_DOCS} for more information on how the\n"
                        "cost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, "
                        "bulk operations should be used instead.\nSee "
                        "https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n",
                        "extensions": {
                            "code": "MAX_COST_EXCEEDED",
                            "cost": requested,
                            "maxCost": MAX_QUERY_COST,
                            "documentation": RATE_LIMIT_DOCS,
                        },
                    }
                ]
            }
        if not self.bucket.take(requested):
            self.record_throttled()
            return {
                "errors": [
                    {
                        "message": "Throttled",
                        "extensions": {"code": "THROTTLED", "documentation": RATE_LIMIT_DOCS},
                    }
                ],
                "extensions": {"cost": self._cost(requested, None)},
            }
        with self.lock:
            context = RequestContext(self.shop, self)
            result = run(prepared, context, variables, operation_name)
        actual = calculator.actual(result.data)
        self.bucket.refund(requested - actual)
        self._request_state.wrote = changes_data(operation) and result.data is not None
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        body["data"] = result.data
        body["extensions"] = {"cost": self._cost(requested, actual)}
        if debug:
            body["extensions"]["cost"]["fields"] = calculator.breakdown()
        return body

    def _missing_scopes(self, operation) -> list[tuple[str, str]]:
        granted = self.auth.granted()
        missing = []
        for selection in operation.selection_set.selections:
            name = getattr(getattr(selection, "name", None), "value", None)
            scope = REQUIRED_SCOPES.get(name or "")
            # A write scope implies its read scope (https://shopify.dev/docs/api/usage/access-scopes).
            if scope and scope not in granted and scope.replace("read_", "write_") not in granted:
                missing.append((name, scope))
        return missing

    def _cost(self, requested: int, actual: int | None) -> dict:
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": self.bucket.status(),
        }

    # -- idempotency (inventorySetQuantities requires @idempotent from 2026-04) -----------------

    def idempotency_replay(self, key: str, fingerprint: str) -> dict | None:
        stored = self._idempotency.get(key)
        if stored is None:
            return None
        if stored[0] != fingerprint:
            return {
                "inventoryAdjustmentGroup": None,
                "userErrors": [
                    {
                        "field": None,
                        "message": "The same idempotency key cannot be used with different operation parameters.",
                        "code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                    }
                ],
            }
        return stored[1]

    def idempotency_store(self, key: str, fingerprint: str, result: dict) -> None:
        self._idempotency[key] = (fingerprint, result)

    # -- control actions ----------------------------------------------------------------------

    def control(self, action: str, payload: dict) -> Any:
        with self.lock:
            try:
                return self._control(action, payload)
            except CheckoutRefused:
                raise  # a ValueError too, for whoever sells in-process: told apart from a wrong request
            except ShopError as exc:
                raise ValueError(str(exc)) from None

    def _control(self, action: str, payload: dict) -> Any:
        shop = self.shop
        if action == "seed":
            counts = seed_shop(
                shop,
                products=int(payload.get("products", 20)),
                variants=int(payload.get("variants", 3)),
                customers=int(payload.get("customers", 10)),
                orders=int(payload.get("orders", 10)),
                abandoned_checkouts=int(payload.get("abandoned_checkouts", 0)),
                seed=int(payload.get("seed", 1)),
            )
            self._idempotency.clear()
            self.bulk.reset()
            return counts
        if action == "reset":
            shop.reset()
            self._idempotency.clear()
            self.bulk.reset()
            self.bucket.configure(self.bucket.maximum, self.bucket.restore_rate, enabled=self.bucket.enabled)
            return shop.counts()
        if action == "sell":
            order = shop.sell(list(payload.get("items") or []), payload.get("email"), payload.get("country"))
            return {
                "order_id": f"gid://shopify/Order/{order.id}",
                "name": order.name,
                "total": str(order.total),
            }
        if action == "abandon_checkout":
            created_at = payload.get("created_at")
            checkout = shop.abandon_checkout(
                list(payload.get("items") or []),
                payload.get("email"),
                payload.get("country"),
                created_at=_moment(created_at) if created_at else None,
            )
            return {
                "checkout_id": f"gid://shopify/AbandonedCheckout/{checkout.id}",
                "created_at": iso(checkout.created_at),
                "total": str(checkout.total),
            }
        if action == "recover_checkout":
            order = shop.recover_checkout(parse_gid(payload.get("checkout_id"), "AbandonedCheckout") or -1)
            return {
                "order_id": f"gid://shopify/Order/{order.id}",
                "name": order.name,
                "total": str(order.total),
            }
        if action == "cancel":  # what orderCancel does: {"order_id", "reason", "restock", "refund"}
            order = shop.orders.get(parse_gid(payload.get("order_id"), "Order") or -1)
            if order is None:
                raise ShopError(f"no order {payload.get('order_id')!r}")
            reason = str(payload.get("reason") or "OTHER").upper()
            if reason not in CANCEL_REASONS:
                raise ShopError(f"cancel reason {reason!r} is not one of {', '.join(CANCEL_REASONS)}")
            shop.cancel(
                order, reason, restock=bool(payload.get("restock")), refund=bool(payload.get("refund"))
            )
            return {"order_id": gid("Order", order.id), "cancelled_at": iso(order.cancelled_at)}
        if action == "restock":
            return {"available": shop.restock(str(payload["sku"]), int(payload["quantity"]))}
        if action == "set_stock":
            return {"available": shop.set_stock(str(payload["sku"]), int(payload["quantity"]))}
        if action == "stock":
            return shop.stock(str(payload["sku"]))
        if action == "touch":
            return {"touched": shop.touch(payload.get("skus") or [])}
        if action == "counts":
            return shop.counts()
        if action == "webhooks":  # delivery settings: delay_ms, duplicate_rate, reorder, retry_ms
            return self.webhooks.queue.configure(**payload)
        if action == "auth":
            return self.auth.configure(payload)
        if action == "bucket":
            self.bucket.configure(
                float(payload.get("maximum", self.bucket.maximum)),
                float(payload.get("restore_rate", self.bucket.restore_rate)),
                enabled=bool(payload.get("enabled", True)),
            )
            return self.bucket.status()
        raise KeyError(action)

    # -- conveniences for in-process use ------------------------------------------------------

    def seed(self, **payload: Any) -> dict:
        return self.control("seed", payload)

    def sell(self, items: list[dict], email: str | None = None, country: str | None = None) -> dict:
        return self.control("sell", {"items": items, "email": email, "country": country})

    def stock(self, sku: str) -> dict:
        return self.control("stock", {"sku": sku})

    def cancel(self, order_id: str, reason: str = "OTHER", *, restock: bool = True, refund: bool = False) -> dict:
        return self.control(
            "cancel", {"order_id": order_id, "reason": reason, "restock": restock, "refund": refund}
        )

    def abandon_checkout(
        self,
        items: list[dict],
        email: str | None = None,
        country: str | None = None,
        created_at: str | None = None,
    ) -> dict:
        """A checkout left unpaid; `created_at` (ISO 8601) backdates it, as a seeded record is."""
        return self.control(
            "abandon_checkout", {"items": items, "email": email, "country": country, "created_at": created_at}
        )
