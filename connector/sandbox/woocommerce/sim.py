"""`WooCommerceSim`: a WooCommerce 10 store (REST wc/v3) on 127.0.0.1 with store actions for tests."""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from ..server import Request, Response, SandboxServer
from . import api, save_window
from .auth import Authenticator, AuthFailure, is_ssl, make_key_pair
from .dates import format_gmt
from .orders import compose_order, set_status
from .render import Site
from .seed import seed_store
from .store import CheckoutRefused, OrderRecord, Store
from .validation import wp_error
from .webhooks import SiteWebhooks
from .writes import order_address

__all__ = ["CheckoutRefused", "WooCommerceSim"]


def _announced(action):
    """A store action whose changes queue their webhook deliveries when it ends, as a request's do."""

    @functools.wraps(action)
    def run(self, *args, **kwargs):
        with self.lock:
            try:
                return action(self, *args, **kwargs)
            finally:
                self.webhooks.flush(self.site_for_home(), self.store.events)

    return run


class WooCommerceSim(SandboxServer):
    """A simulated WooCommerce site. Platform API under /wp-json/wc/v3/, store actions as methods
    and under POST /__sandbox/<action>: seed, sell, restock, set_stock, stock, add_products,
    add_user, touch, reset, version, save_window.

    It presents WooCommerce 10.3 (with GET /wc/v3/variations) unless told otherwise:
    `POST /__sandbox/version {"woocommerce": "10.0.2"}` makes it an older store without that route."""

    def __init__(
        self, name: str, *, currency: str = "EUR", timezone: str = "Europe/Paris", port: int = 0
    ) -> None:
        super().__init__(name, port=port)
        self.currency = currency
        self.zone = ZoneInfo(timezone)
        self.clock: Callable[[], float] = time.time  # tests may pin or advance it
        read_write = make_key_pair(name, "read_write")
        read_only = make_key_pair(name, "read")
        self.consumer_key, self.consumer_secret = read_write.consumer_key, read_write.consumer_secret
        self.read_only_key, self.read_only_secret = read_only.consumer_key, read_only.consumer_secret
        self.auth = Authenticator([read_write, read_only], lambda: self.clock())
        self.store = Store(self._now)
        self.api = api.RestAPI(self.store, currency)
        self.save_window_ms = 0.0  # WooCommerce's load-to-save window for stock changes: save_window.py
        self.save_window_entered = threading.Event()  # set when a write has loaded and waits to save
        self.webhooks = SiteWebhooks(self)
        self.api.webhooks = self.webhooks

    @property
    def woocommerce_version(self) -> str:
        return self.api.version

    def _now(self) -> int:
        return int(self.clock())

    # -- the platform API ------------------------------------------------------------------

    def site_for(self, request: Request) -> Site:
        scheme = "https" if is_ssl(request) else "http"
        return Site(f"{scheme}://127.0.0.1:{self.port}", self.zone, self.currency)

    def handle(self, request: Request) -> Response:
        site = self.site_for(request)
        if not request.path.startswith("/wp-json/"):
            return Response(
                404,
                "<!DOCTYPE html><html><body><h1>Page not found</h1></body></html>",
                {"Content-Type": "text/html; charset=UTF-8"},
            )
        outcome = self.auth.authenticate(request, site.home)
        if isinstance(outcome, AuthFailure):
            return wp_error(outcome.code, outcome.message, 401, site.home)
        if self.save_window_ms and outcome is not None and request.method in ("POST", "PUT", "PATCH"):
            request = self._through_save_window(request)
        with self.lock:
            try:
                return self.api.dispatch(request, site, authenticated=outcome is not None)
            finally:
                self.webhooks.flush(site, self.store.events)

    def site_for_home(self) -> Site:
        return Site(f"http://127.0.0.1:{self.port}", self.zone, self.currency)

    def stop(self) -> None:
        self.webhooks.stop()
        super().stop()

    def _through_save_window(self, request: Request) -> Request:
        """Stock changes saved onto the quantities loaded `save_window_ms` earlier (save_window.py)."""
        matched = api.match(request.path, request.method)
        items = save_window.stock_items(request, matched[1]) if matched is not None else []
        if not items:
            return request
        with self.lock:
            quantities = save_window.load(self.store, items)
        self.save_window_entered.set()
        self._stopping.wait(self.save_window_ms / 1000)
        return save_window.saved(request, matched[1], quantities) if quantities else request

    def route_key(self, request: Request) -> str:
        matched = api.match(request.path, request.method)
        if matched is None:
            return f"{request.method} <no route>"
        return f"{request.method} {api.API_PREFIX}{matched[0].template}"

    def is_write(self, request: Request) -> bool:
        return request.method in ("POST", "PUT", "PATCH", "DELETE")

    # -- store actions ---------------------------------------------------------------------

    def control(self, action: str, payload: dict) -> Any:
        actions: dict[str, Callable[..., Any]] = {
            "seed": self.seed,
            "sell": self.sell,
            "restock": self.restock,
            "set_stock": self.set_stock,
            "stock": self.stock,
            "add_products": self.add_products,
            "touch": self.touch,
            "reset": self.reset,
            "keys": self.keys,
            "version": self.version,
            "add_user": self.add_user,
            "save_window": self.save_window,
        }
        if action == "webhooks":  # delivery settings: delay_ms, duplicate_rate, reorder, run_every_ms
            return self.webhooks.queue.configure(**payload)
        if action not in actions:
            raise KeyError(action)
        return actions[action](**payload)

    def keys(self) -> dict[str, str]:
        return {
            "consumer_key": self.consumer_key,
            "consumer_secret": self.consumer_secret,
            "read_only_key": self.read_only_key,
            "read_only_secret": self.read_only_secret,
        }

    def reset(self) -> dict[str, int]:
        """An empty store (keys, faults and statistics are kept apart: see /__sandbox/reset)."""
        with self.lock:
            self.store = Store(self._now)
            self.api = api.RestAPI(self.store, self.currency, self.api.version)
            self.api.webhooks = self.webhooks
        return {"products": 0}

    def save_window(self, ms: float) -> dict[str, float]:
        """Stock changes (`inventory_delta`) saved `ms` after their product was loaded, as WooCommerce's REST
        controller does: a checkout in between is overwritten (save_window.py). 0 saves at once."""
        if isinstance(ms, bool) or not isinstance(ms, int | float) or ms < 0:
            raise ValueError(f"save_window ms must be a number of milliseconds, 0 or more; got {ms!r}")
        self.save_window_ms = float(ms)
        return {"ms": self.save_window_ms}

    def version(self, woocommerce: str) -> dict[str, Any]:
        """Present another WooCommerce version (before 10.3 there is no GET /wc/v3/variations)."""
        if not re.fullmatch(r"\d+\.\d+(\.\d+)?", str(woocommerce)):
            raise ValueError(f"woocommerce version {woocommerce!r} is not like 10.0.2")
        with self.lock:
            self.api.version = str(woocommerce)
        return {"woocommerce": self.api.version, "variations_endpoint": self.api.serves_variations()}

    def add_user(self, email: str, role: str = "customer", paying: bool = False) -> int:
        """A WordPress user (an administrator, a shop manager, a subscriber ...) as wp-admin creates one."""
        from .writes import create_customer

        with self.lock:
            user = create_customer(self.store, {"email": email})
            user.role = str(role)
            user.is_paying_customer = bool(paying)
            return user.id

    def seed(
        self, products: int = 20, variants: int = 30, customers: int = 10, orders: int = 20, seed: int = 1
    ) -> dict[str, int]:
        """Replace the store with deterministic demo data; answers the counts."""
        with self.lock:
            self.reset()
            return seed_store(
                self.store,
                products=int(products),
                variants=int(variants),
                customers=int(customers),
                orders=int(orders),
                seed=int(seed),
                currency=self.currency,
            )

    @_announced
    def sell(self, items: list[dict], email: str | None = None, country: str | None = None) -> dict[str, Any]:
        """A storefront checkout: a processing order, stock reduced where managed.

        Raises CheckoutRefused (HTTP 409 over the control API) when the cart would be refused.
        """
        lines = [(str(item["sku"]), int(item.get("quantity", 1))) for item in items]
        with self.lock:
            store = self.store
            purchase = store.check_purchasable(lines)
            customer = store.customer_by_email(email) if email else None
            if customer is not None:
                billing = order_address({**customer.billing, "email": customer.email}, with_email=True)
            else:
                billing = order_address(
                    {
                        "first_name": "Client",
                        "last_name": "Invité",
                        "country": country or "FR",
                        "email": email or "client@example.fr",
                    },
                    with_email=True,
                )
            if country:
                billing["country"] = country
            shipping = order_address(billing, with_email=False)
            data = compose_order(
                store,
                purchase,
                billing=billing,
                shipping=shipping,
                customer_id=customer.id if customer else 0,
                currency=self.currency,
            )
            now = self._now()
            order = OrderRecord(
                id=store.new_post_id(), status="pending", created=now, modified=now, data=data
            )
            store.orders.add(order)
            store.events[("order.created", order.id)] = None
            set_status(store, order, "processing", now)
            store.orders.touch(order, now)
            if customer is not None:
                customer.is_paying_customer = True
            return {
                "order_id": order.id,
                "total": data["total"],
                "stock": {record.sku: self._stock_of(record) for record, _ in purchase},
            }

    @_announced
    def restock(self, sku: str, quantity: int) -> int | None:
        """Goods received: managed stock goes up by quantity; answers the new quantity."""
        with self.lock:
            record = self._record(sku)
            self.store.change_stock(record, int(quantity))
            return record.stock_quantity

    @_announced
    def set_stock(self, sku: str, quantity: int) -> int:
        """A shop manager types a new quantity in wp-admin (stock becomes managed)."""
        with self.lock:
            record = self._record(sku)
            record.manage_stock = True
            record.stock_quantity = int(quantity)
            self.store.saved(record)
            return int(quantity)

    def stock(self, sku: str) -> dict[str, Any]:
        with self.lock:
            return self._stock_of(self._record(sku))

    @_announced
    def add_products(
        self, count: int = 1, prefix: str = "NEW", price: str = "19.90", stock: int | None = 10
    ) -> list[str]:
        """New simple products (as a shop manager adds them); answers their SKUs."""
        from .writes import create_product

        skus = []
        with self.lock:
            for number in range(1, int(count) + 1):
                sku = f"{prefix}-{number:05d}"
                while self.store.sku_taken(sku, None) is not None:
                    number += int(count)
                    sku = f"{prefix}-{number:05d}"
                fields: dict[str, Any] = {
                    "name": f"Nouveauté {prefix} n°{number}",
                    "sku": sku,
                    "regular_price": str(price),
                    "description": f"<p>Nouveauté &laquo;&nbsp;{prefix}&nbsp;&raquo; n°{number}.</p>\n",
                }
                if stock is not None:
                    fields.update(manage_stock=True, stock_quantity=int(stock))
                create_product(self.store, fields)
                skus.append(sku)
        return skus

    @_announced
    def touch(self, skus: list[str], field: str = "name") -> int:
        """Edit products (a word appended to the name, or the description) so incremental pulls see them."""
        with self.lock:
            for sku in skus:
                record = self._record(sku)
                if field == "description":
                    record.description += "<p>Mis à jour.</p>\n"
                elif record.type == "variation":
                    record.description += " "
                else:
                    record.name = record.name.rstrip(" *") + " *"
                self.store.saved(record)
        return len(skus)

    def _record(self, sku: str):
        record = self.store.by_sku(sku)
        if record is None:
            raise KeyError(f"no product or variation has SKU {sku!r}")
        return record

    def _stock_of(self, record) -> dict[str, Any]:
        return {
            "id": record.id,
            "sku": record.sku,
            "manage_stock": record.manage_stock,
            "stock_quantity": record.stock_quantity if record.manage_stock else None,
            "stock_status": record.stock_status,
            "backorders": record.backorders,
            "date_modified_gmt": format_gmt(record.modified),
        }
