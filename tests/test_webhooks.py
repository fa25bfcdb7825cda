"""Webhooks end to end on the simulators: subscriptions installed through the platforms' APIs, deliveries signed
and sent as the platforms send them, the receiver of the service keeping them in the inbox, processing as a hint.
Polling is set to 10 minutes, so only webhooks can explain a sale reaching the other channels."""

from __future__ import annotations

import json
import logging
import random
import socket
import time
from contextlib import contextmanager

import pytest
import requests
from test_inventory import BUFFERS, World
from test_operations_service import AlertInbox

from connector.jobs.runner import adapters
from connector.scheduler import Service
from connector.state import open_state
from connector.webhooks import inbox, subscriptions
from connector.webhooks.service import Realtime

SLOW_POLLING = """
[schedules]
orders = "every 10m"
products = "every 10m"
customers = "every 1h"
inventory = "every 10m"
jitter_seconds = 0
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check, timeout: float = 30.0, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return check()


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def alert_inbox():
    box = AlertInbox()
    yield box
    box.close()


@pytest.fixture
def world(simulators, client_config, port):
    service = f'\n[service]\npublic_url = "http://127.0.0.1:{port}"\nwebhook_check = "every 1s"\n'
    world = World(simulators, client_config, more_config=SLOW_POLLING + service)
    world.sync()  # the pools start (the first full cycle)
    return world


def install(world: World) -> list:
    with open_state(world.config.state_path) as state, adapters(world.config) as opened:
        return subscriptions.install(world.config, state, opened)


class Running:
    def __init__(self, service: Service):
        self.service = service
        self.jobs: list[tuple[str, str]] = []  # (job as scheduled, store) of every result accounted
        service.observers.append(lambda _client, store, job, _result: self.jobs.append((job, store)))

    def polls(self) -> int:
        return sum(1 for job, _ in self.jobs if job == "pull:orders")

    def polls_of(self, store: str, since: int = 0) -> int:
        return sum(1 for job, where in self.jobs[since:] if job == "pull:orders" and where == store)

    def settled(self, quiet: bool = True) -> bool:
        """Every job scheduled at start has run once (and, `quiet`, the next runs are minutes away)."""
        ran = {job for job, _ in self.jobs}
        if not {"pull:orders", "inventory"} <= ran:
            return False
        return not quiet or all(
            job.next_run_time is None or (job.next_run_time.timestamp() - time.time()) > 60
            for job in self.service.scheduler.get_jobs()
            if "webhooks:check" not in job.id
        )


@contextmanager
def service_running(world: World, port: int, quiet: bool = True):
    service = Service([world.config.path])
    service.realtime = Realtime(service, "127.0.0.1", port)
    running = Running(service)
    service.realtime.start_receiver()
    service.start([world.config])
    service.realtime.start_processor()
    try:
        assert wait_for(lambda: running.settled(quiet)), "the jobs of the start did not finish"
        time.sleep(0.5)
        yield running
    finally:
        service.realtime.stop()
        service.stop()


def expected_shown(world: World, pool: dict[str, int]) -> dict[tuple[str, str], int]:
    return {(c, s): max(0, pool[s] - BUFFERS[c]) for c in world.sims for s in world.skus}


def shown(world: World) -> dict[tuple[str, str], int]:
    return {(c, s): world.quantity(c, s) for c in world.sims for s in world.skus}


def test_a_sale_on_each_platform_reaches_every_other_channel_by_webhook(world, port):
    outcomes = install(world)
    assert {o.store for o in outcomes} == {"fr", "de", "us"} and all(o.created for o in outcomes)
    assert not any(o.changed() for o in install(world))  # idempotent
    pool = dict.fromkeys(world.skus, 12)
    with service_running(world, port) as running:
        polls = running.polls()
        sku = world.skus[0]
        world.fr.sell([{"sku": sku, "quantity": 2}])  # WooCommerce
        pool[sku] -= 2
        assert wait_for(lambda: shown(world) == expected_shown(world, pool)), shown(world)
        other = world.skus[1]
        world.us.sell([{"sku": other, "quantity": 3}])  # Shopify
        pool[other] -= 3
        assert wait_for(lambda: shown(world) == expected_shown(world, pool)), shown(world)
        assert running.polls() == polls  # no scheduled orders pull ran: the deliveries did it
        assert wait_for(lambda: pending(world) == 0)  # the echoes of our own writes are processed too
    with open_state(world.config.state_path) as state:
        assert {"fr", "us"} <= set(inbox.last_deliveries(state))
        assert state.db.execute("select count(*) from webhook_inbox").fetchone()[0] >= 4


def test_an_order_cancelled_on_shopify_with_restock_reaches_every_other_channel_by_webhook(world, port):
    install(world)
    pool = dict.fromkeys(world.skus, 12)
    sku = world.skus[2]
    with service_running(world, port) as running:
        polls = running.polls()
        order_id = world.us.sell([{"sku": sku, "quantity": 3}])["order_id"]
        pool[sku] -= 3
        assert wait_for(lambda: shown(world) == expected_shown(world, pool)), shown(world)
        world.us.cancel(order_id, "CUSTOMER", restock=True)
        pool[sku] += 3
        assert wait_for(lambda: shown(world) == expected_shown(world, pool)), shown(world)
        assert running.polls() == polls  # only the deliveries can explain it
        assert wait_for(lambda: pending(world) == 0)
    topics = {s.topic for s in world.us.webhooks.queue.sent if s.status == 200}
    assert {"orders/cancelled", "orders/updated"} <= topics


def test_a_product_edit_on_shopify_is_delivered_signed_and_kept_in_the_inbox(world, port):
    install(world)
    sku = world.skus[1]
    product = world.us.shop.variant_for_sku(sku).product
    with service_running(world, port) as running:
        receiver = running.service.realtime.receiver
        refused = receiver.counts["refused"]
        world.us.answer(
            """mutation($p: ProductUpdateInput!) { productUpdate(product: $p) { userErrors { message } } }""",
            {"p": {"id": f"gid://shopify/Product/{product.id}", "title": "Renamed"}},
        )
        assert wait_for(lambda: products_updated(world) == 1)
        assert receiver.counts["refused"] == refused
        assert wait_for(lambda: pending(world) == 0)
    with open_state(world.config.state_path) as state:
        query = "select hint from webhook_inbox where topic = 'products/update'"
        hint = state.db.execute(query).fetchone()[0]
    assert json.loads(hint) == {"product_id": f"gid://shopify/Product/{product.id}", "skus": [sku]}


def products_updated(world: World) -> int:
    with open_state(world.config.state_path) as state:
        query = "select count(*) from webhook_inbox where topic = 'products/update'"
        return state.db.execute(query).fetchone()[0]


def pending(world: World) -> int:
    with open_state(world.config.state_path) as state:
        return state.db.execute("select count(*) from webhook_inbox where processed_at is null").fetchone()[0]


def test_duplicated_reordered_delayed_and_retried_deliveries_give_exact_stock(world, port):
    install(world)
    for sim in world.sims.values():
        sim.control("webhooks", {"delay_ms": 300, "duplicate_rate": 1.0, "reorder": True, "retry_ms": 200})
    pool = dict.fromkeys(world.skus, 12)
    chooser = random.Random(4)
    # a sale while nothing listens: Shopify retries with the original payload until the receiver answers
    world.us.sell([{"sku": world.skus[3], "quantity": 1}])
    pool[world.skus[3]] -= 1
    assert wait_for(lambda: any(s.status is None for s in world.us.webhooks.queue.sent))
    with service_running(world, port) as running:
        for _ in range(12):
            channel, sku, quantity = (
                chooser.choice(("fr", "de", "us")),
                chooser.choice(world.skus),
                chooser.randint(1, 2),
            )
            try:
                world.sims[channel].sell([{"sku": sku, "quantity": quantity}])
            except ValueError:  # refused past what the channel shows (both platforms' checkouts)
                continue
            pool[sku] -= quantity
            time.sleep(chooser.uniform(0, 0.2))
        assert wait_for(lambda: shown(world) == expected_shown(world, pool), timeout=40), shown(world)
        assert world.pools() == pool
        sent = [s for sim in world.sims.values() for s in sim.webhooks.queue.sent]
        assert sum(1 for s in sent if s.kind == "delivery" and s.status == 200) > 12  # duplicates were sent
        assert running.service.realtime.receiver.counts["duplicates"] > 0  # and kept once: the inbox's event key
    assert any(s.attempt > 0 and s.status == 200 for s in world.us.webhooks.queue.sent)  # a retry succeeded


def signed_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    return requests.post(url, data=body, headers=headers, timeout=5).status_code


def test_forged_replayed_foreign_and_oversized_deliveries_are_refused_and_change_nothing(world, port):
    install(world)
    with service_running(world, port) as running:
        receiver = running.service.realtime.receiver
        world.us.sell([{"sku": world.skus[0], "quantity": 1}])  # one real delivery: the inbox is not empty
        assert wait_for(lambda: receiver.counts["accepted"] >= 2)
        with open_state(world.config.state_path) as state:
            kept = state.db.execute("select count(*) from webhook_inbox").fetchone()[0]
        real = next(s for s in world.us.webhooks.queue.sent if s.topic == "orders/create")
        assert real.status == 200
        body = json.dumps({"id": 999, "line_items": [{"sku": world.skus[1], "quantity": 5}]}).encode()
        base = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Shop-Domain": world.us.shop_domain,
            "X-Shopify-Event-Id": "forged-1",
        }
        url = f"http://127.0.0.1:{port}/webhooks/acme/us"
        from connector.webhooks.verify import signature

        assert (
            signed_post(url, body, {**base, "X-Shopify-Hmac-SHA256": signature(body, "not-the-secret")})
            == 401
        )
        assert signed_post(url, body, base) == 401  # no signature
        replayed = signature(b'{"id": 1}', world.us.client_secret)  # a real signature of another body
        assert signed_post(url, body, {**base, "X-Shopify-Hmac-SHA256": replayed}) == 401
        good = signature(body, world.us.client_secret)
        foreign = {
            **base,
            "X-Shopify-Shop-Domain": "someone-else.myshopify.com",
            "X-Shopify-Hmac-SHA256": good,
        }
        assert signed_post(url, body, foreign) == 404
        big = b'{"id": 1, "pad": "' + b"x" * (1024 * 1024) + b'"}'
        assert (
            signed_post(url, big, {**base, "X-Shopify-Hmac-SHA256": signature(big, world.us.client_secret)})
            == 413
        )
        assert signed_post(f"http://127.0.0.1:{port}/webhooks/nobody/us", body, base) == 404
        wc = {
            "Content-Type": "application/json",
            "X-WC-Webhook-Topic": "order.created",
            "X-WC-Webhook-ID": "1",
        }
        assert (
            signed_post(
                f"http://127.0.0.1:{port}/webhooks/acme/fr", body, {**wc, "X-WC-Webhook-Signature": good}
            )
            == 401
        )
        assert receiver.counts["refused"] == 7
        with open_state(world.config.state_path) as state:
            assert state.db.execute("select count(*) from webhook_inbox").fetchone()[0] == kept
        assert world.quantity("fr", world.skus[1]) == 12  # untouched by the forged sale of 5


def test_subscriptions_the_platforms_removed_or_disabled_are_repaired_and_said_once(world, port, caplog):
    caplog.set_level(logging.WARNING, logger="connector.scheduler")
    install(world)
    with world.us.lock:
        world.us.webhooks.subscriptions.clear()  # Shopify deleted them (8 failed deliveries)
    with world.de.lock:
        for hook in world.de.webhooks.hooks.values():
            hook["status"] = "disabled"  # WooCommerce disabled them (7th consecutive failure)
    with service_running(world, port):
        assert wait_for(lambda: len(world.us.webhooks.subscriptions) == 7)
        assert wait_for(lambda: all(h["status"] == "active" for h in world.de.webhooks.hooks.values()))
        pool = dict.fromkeys(world.skus, 12)
        world.us.sell([{"sku": world.skus[2], "quantity": 1}])
        pool[world.skus[2]] -= 1
        assert wait_for(lambda: shown(world) == expected_shown(world, pool)), shown(world)
        time.sleep(1.5)  # further checks find nothing to repair
    repaired = [
        r.getMessage() for r in caplog.records if "removed or disabled by the platform" in r.getMessage()
    ]
    assert sorted(line.split(":")[0] for line in repaired) == ["acme/de", "acme/us"]


def test_polling_slows_while_webhooks_deliver_and_returns_when_they_stop(
    simulators, client_config, port, caplog, monkeypatch, alert_inbox
):
    caplog.set_level(logging.WARNING, logger="connector.webhooks.service")
    monkeypatch.setattr(
        "connector.webhooks.service.ANNOUNCE_GRACE_SECONDS", 0.0
    )  # deliveries here take < 1 s
    fast = SLOW_POLLING.replace('orders = "every 10m"', 'orders = "every 1s"')
    service = f'\n[service]\npublic_url = "http://127.0.0.1:{port}"\norders_with_webhooks = "every 3s"\n'
    monkeypatch.setenv("WEBHOOK_TEST_ALERTS", alert_inbox.url)
    alerts = '\n[alerts]\nurls = ["env:WEBHOOK_TEST_ALERTS"]\n'
    world = World(simulators, client_config, more_config=fast + service + alerts)
    world.sync()
    install(world)
    pool = dict.fromkeys(world.skus, 12)
    with service_running(world, port, quiet=False) as running:
        realtime = running.service.realtime
        world.fr.sell([{"sku": world.skus[0], "quantity": 1}])
        pool[world.skus[0]] -= 1
        assert wait_for(lambda: shown(world) == expected_shown(world, pool)), shown(world)
        runtime = next(iter(running.service.clients.values()))
        assert realtime.store_health(runtime)["fr"]["healthy"]
        health = running.service.health_report()["acme"]
        assert health["fr"]["webhooks"]["healthy"] and health["fr"]["webhooks"]["last_delivery"]
        assert health["fr"]["status"] == "ok"  # polled at the longer interval: not late
        assert wait_for(lambda: realtime.skipped_polls["fr"] > 0)  # polled at the longer interval now
        with world.fr.lock:
            world.fr.webhooks.hooks.clear()  # deliveries stop (removed on the site, unnoticed until the check)
        world.fr.sell([{"sku": world.skus[1], "quantity": 2}])
        pool[world.skus[1]] -= 2
        assert wait_for(lambda: not realtime.store_health(runtime)["fr"]["healthy"], timeout=20)
        assert not running.service.health_report()["acme"]["fr"]["webhooks"]["healthy"]
        assert wait_for(lambda: shown(world) == expected_shown(world, pool)), shown(world)  # polling did it
        skipped, mark = realtime.skipped_polls["fr"], len(running.jobs)
        assert wait_for(lambda: running.polls_of("fr", mark) >= 2, timeout=10)  # the short interval again
        assert realtime.skipped_polls["fr"] == skipped
        runtime.alerts.flush()
        assert alert_inbox.titles() == ["connector acme/fr: webhooks stopped"]  # once, however many polls
        install(world)  # the merchant (or the service's check) subscribes again: deliveries resume
        world.fr.sell([{"sku": world.skus[2], "quantity": 1}])
        pool[world.skus[2]] -= 1
        assert wait_for(lambda: realtime.store_health(runtime)["fr"]["healthy"])
        assert wait_for(lambda: shown(world) == expected_shown(world, pool)), shown(world)
        runtime.alerts.flush()
        assert wait_for(lambda: len(alert_inbox.titles()) == 2)
        assert alert_inbox.titles()[1] == "connector acme/fr: recovered (webhooks stopped)"
    said = [r for r in caplog.records if "no webhook announced" in r.getMessage()]
    assert len(said) == 1 and said[0].getMessage().startswith("acme/fr:")
