"""Webhooks of the simulated site, as WooCommerce 10 sends them (recordings 56-58 of tests/reference/woocommerce/).

- `POST /wc/v3/webhooks` creates one (status active, `hooks` listed) and sends the creation ping synchronously:
  form-encoded `webhook_id=N`, the Hookshot user agent, no X-WC-Webhook-* header (56b). Until a ping succeeds,
  every failed delivery re-sends it (58b).
- A change queues a delivery (Action Scheduler's `woocommerce_deliver_webhook_async`); the queue sends it at its
  next run (`delay_ms`, and `run_every_ms` for a queue run every N ms; WP-Cron's default is every minute). One
  delivery per webhook and resource per request. A sale queues order.created and a product.updated for each
  product whose stock it reduced (57c, 57d); a variation's change sends the variation as the body (56f).
- The body is the wc/v3 resource as JSON with `/` escaped as `\\/` and non-ASCII as \\uXXXX (PHP's json_encode),
  signed in X-WC-Webhook-Signature: base64(HMAC-SHA256(raw body, secret)). X-WC-Webhook-Delivery-ID is a hash of
  the webhook id and the second: two deliveries of one webhook in one second share it (56f, 57d).
- Each delivery is sent once (no retry). A failure adds one to failure_count; the 7th consecutive failure
  (failure_count 6 > woocommerce_max_webhook_delivery_failures 5) disables the webhook; deliveries already queued
  are still sent (58b). A success sets failure_count back to 0.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import requests

from ..webhooks import Delivery, WebhookQueue
from .dates import format_gmt, format_local
from .render import Site

MAX_FAILURES = 5  # woocommerce_max_webhook_delivery_failures
HOOKS = {
    "product.created": [
        "woocommerce_process_product_meta",
        "woocommerce_new_product",
        "woocommerce_new_product_variation",
    ],
    "product.updated": [
        "woocommerce_process_product_meta",
        "woocommerce_update_product",
        "woocommerce_update_product_variation",
    ],
    "product.deleted": ["wp_trash_post"],
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
    "order.deleted": ["wp_trash_post"],
}
USER_AGENT = "WooCommerce/{version} Hookshot (WordPress/6.8.3)"


class SiteWebhooks:
    def __init__(self, sim: Any) -> None:
        self.sim = sim
        self.hooks: dict[int, dict[str, Any]] = {}
        self._next_id = 1
        self.queue = WebhookQueue(sim.name, self._result)

    def stop(self) -> None:
        self.queue.stop()

    # -- REST wc/v3/webhooks ---------------------------------------------------------------------

    def create(self, site: Site, fields: dict[str, Any]) -> dict[str, Any]:
        topic = str(fields.get("topic") or "")
        if topic not in HOOKS:
            raise ValueError(topic)
        number = self._next_id
        self._next_id += 1
        now = self.sim._now()
        hook = {
            "id": number,
            "name": str(fields.get("name") or f"Webhook created on {format_local(now, site.zone)}"),
            "status": str(fields.get("status") or "active"),
            "topic": topic,
            "delivery_url": str(fields.get("delivery_url") or ""),
            "secret": str(fields.get("secret") or ""),
            "created": now,
            "modified": None,
            "failure_count": 0,
            "pending_delivery": True,
        }
        self.hooks[number] = hook
        self._ping(site, hook)
        return hook

    def update(self, hook: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
        for name in ("name", "status", "delivery_url", "secret"):
            if name in fields:
                hook[name] = str(fields[name])
        if fields.get("status") == "active":
            hook["failure_count"] = 0
        hook["modified"] = self.sim._now()
        return hook

    def render(self, site: Site, hook: dict[str, Any], *, with_secret: bool = False) -> dict[str, Any]:
        body = {
            "id": hook["id"],
            "name": hook["name"],
            "status": hook["status"],
            "topic": hook["topic"],
            "resource": hook["topic"].split(".")[0],
            "event": hook["topic"].split(".")[1],
            "hooks": HOOKS[hook["topic"]],
            "delivery_url": hook["delivery_url"],
            **site.dates("date_created", hook["created"]),
            **site.dates("date_modified", hook["modified"]),
            "_links": {
                "self": [
                    {
                        "href": f"{site.api}/webhooks/{hook['id']}",
                        "targetHints": {"allow": ["GET", "POST", "PUT"]},
                    }
                ],
                "collection": [{"href": f"{site.api}/webhooks"}],
            },
        }
        if with_secret:
            body["secret"] = hook["secret"]
        return body

    # -- deliveries ------------------------------------------------------------------------------

    def flush(self, site: Site, events: dict[tuple[str, int], None]) -> None:
        """The changes of one request: one delivery per webhook and resource (WC_Webhook::is_already_processed)."""
        if not events:
            return
        items = list(events)
        events.clear()
        if not self.hooks:
            return
        created_orders = {number for topic, number in items if topic == "order.created"}
        for topic, number in items:
            if topic == "order.updated" and number in created_orders:
                continue
            payload = self._payload(site, topic, number)
            if payload is None:
                continue
            for hook in list(self.hooks.values()):
                if hook["topic"] == topic and hook["status"] == "active":
                    self._queue(site, hook, payload)

    def _payload(self, site: Site, topic: str, number: int) -> dict[str, Any] | None:
        from . import render

        store = self.sim.store
        if topic.endswith(".deleted"):
            return {"id": number}
        if topic.startswith("product."):
            record = store.posts.get(number)
            if record is None:
                return None
            body = render.product(site, store, record, rng=self.sim.api.rng)
            if record.type == "variation":
                # a variation goes through the products controller: the product shape, type variation, its
                # attributes as a variation has them and total_sales the raw meta string (56f)
                body.update(
                    total_sales=str(body["total_sales"]),
                    attributes=render.variation(site, store, record)["attributes"],
                    related_ids=[],
                )
            return body
        order = store.orders.records.get(number)
        return render.order(site, order) if order is not None else None

    def _queue(self, site: Site, hook: dict[str, Any], payload: dict[str, Any]) -> None:
        body = php_json(payload)
        second = int(self.sim._now())
        resource, event = hook["topic"].split(".")
        headers = {
            "User-Agent": USER_AGENT.format(version=self.sim.woocommerce_version),
            "Accept": "*/*",
            "Content-Type": "application/json",
            "X-WC-Webhook-Source": f"{site.home}/",
            "X-WC-Webhook-Topic": hook["topic"],
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": sign(body, hook["secret"]),
            "X-WC-Webhook-ID": str(hook["id"]),
            # wp_hash( $this->get_id() . strtotime( 'now' ) ): not unique within a second
            "X-WC-Webhook-Delivery-ID": hashlib.md5(
                f"{self.sim.name}{hook['id']}{second}".encode()
            ).hexdigest(),
        }
        self.queue.enqueue(Delivery(str(hook["id"]), hook["delivery_url"], headers, body, retries=0))

    def _ping(self, site: Site, hook: dict[str, Any]) -> bool:
        """WC_Webhook::deliver_ping, sent during the request that created the webhook (56b)."""
        body = f"webhook_id={hook['id']}".encode()
        headers = {
            "User-Agent": USER_AGENT.format(version=self.sim.woocommerce_version),
            "Accept": "*/*",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        try:
            answer = requests.post(hook["delivery_url"], data=body, headers=headers, timeout=(1, 5))
            ok = 200 <= answer.status_code < 300
        except requests.RequestException:
            ok = False
        if ok:
            hook["pending_delivery"] = False
        return ok

    def _result(self, delivery: Delivery, ok: bool) -> bool:
        with self.sim.lock:
            hook = self.hooks.get(int(delivery.subscription))
            if hook is None:
                return False
            if ok:
                hook["failure_count"] = 0
                return False
            if hook["failure_count"] > MAX_FAILURES:
                hook["status"] = "disabled"
            else:
                hook["failure_count"] += 1
            hook["modified"] = self.sim._now()
            pending = hook["pending_delivery"]
        if pending:
            self._ping(self.sim.site_for_home(), hook)
        return False  # WooCommerce does not re-send a failed delivery


def php_json(payload: Any) -> bytes:
    """json_encode as WordPress calls it: no spaces, `/` escaped, non-ASCII as \\uXXXX."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/").encode("ascii")


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode("ascii")


__all__ = ["SiteWebhooks", "format_gmt", "php_json", "sign"]
