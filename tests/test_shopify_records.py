"""What the Shopify adapter puts in the records, read from the simulator (paged and bulk) and pulled into the
state: order status (cancelled orders), the platform's risk assessment, and variant cost (unitCost)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import SecretStr

from connector.jobs.pull import pull
from connector.platforms.shopify.adapter import ShopifyAdapter
from connector.platforms.shopify.config import ShopifyStore
from connector.sandbox.shopify import ShopifySim
from connector.state import open_state


@pytest.fixture
def sim():
    with ShopifySim("Maison Records", bulk_delay=0.01, bucket_max=2000, restore_rate=50_000) as shop:
        with shop.lock:
            shop.shop.add_product(
                "Costed Tee",
                option_names=["Size"],
                variants=[
                    {"sku": "COST-S", "title": "S", "price": "24.90", "unit_cost": "8.125", "available": 9},
                    {"sku": "COST-M", "title": "M", "price": "24.90", "available": 9},  # no cost entered
                ],
            )
        yield shop


@pytest.fixture
def adapter(sim):
    store = ShopifyStore(platform="shopify", shop=sim.base_url, access_token=SecretStr(sim.access_token))
    shop_adapter = ShopifyAdapter("records", store)
    shop_adapter.bulk_poll_interval = 0.02
    yield shop_adapter
    shop_adapter.close()


def read_all(adapter, resource, *, bulk: bool):
    adapter.bulk_thresholds[resource] = -1 if bulk else 10**6
    records = [record for page in adapter.read(resource, None) for record in page.records]
    assert ("BulkOperationRunQuery" in adapter.requests.by_route) is bulk
    return records


@pytest.mark.parametrize("bulk", [False, True], ids=["paged", "bulk"])
def test_variant_cost_is_the_inventory_items_unit_cost(adapter, bulk):
    (product,) = read_all(adapter, "products", bulk=bulk)
    costs = {variant.sku: variant.cost for variant in product.variants}
    assert costs == {"COST-S": Decimal("8.125"), "COST-M": None}
    assert isinstance(costs["COST-S"], Decimal)


@pytest.mark.parametrize("bulk", [False, True], ids=["paged", "bulk"])
def test_order_status_is_the_financial_status_or_cancelled_and_risk_is_the_assessment(sim, adapter, bulk):
    paid = sim.sell([{"sku": "COST-S"}], "paid@example.com", "DE")["order_id"]
    cancelled = sim.sell([{"sku": "COST-S"}], "gone@example.com", "DE")["order_id"]
    with sim.lock:
        shop = sim.shop
        shop.orders[int(paid.rsplit("/", 1)[1])].risk_level = "MEDIUM"
        order = shop.orders[int(cancelled.rsplit("/", 1)[1])]
        order.cancelled_at = order.updated_at = shop.now()
        order.risk_level = "HIGH"
        shop.changed()
    orders = {order.id: order for order in read_all(adapter, "orders", bulk=bulk)}
    assert (orders[paid].status, orders[paid].risk_level) == ("paid", "medium")
    assert (orders[cancelled].status, orders[cancelled].risk_level) == ("cancelled", "high")


def test_the_pull_stores_cost_and_cancelled_status_for_the_jobs(sim, adapter, tmp_path):
    cancelled = sim.sell([{"sku": "COST-M"}], "gone@example.com", "FR")["order_id"]
    with sim.lock:
        order = sim.shop.orders[int(cancelled.rsplit("/", 1)[1])]
        order.cancelled_at = order.updated_at = sim.shop.now()
        sim.shop.changed()
    with open_state(tmp_path / "state.sqlite") as state:
        pull(state, adapter, "products")
        pull(state, adapter, "orders")
        costs = {row["sku"]: row["cost"] for row in state.db.query("select sku, cost from variants")}
        statuses = {row["id"]: row["status"] for row in state.db.query("select id, status from orders")}
    assert costs == {"COST-S": "8.125", "COST-M": None}
    assert statuses == {cancelled: "cancelled"}
