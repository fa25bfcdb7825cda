"""`connector report flags --tag` against the simulators: flagged orders get a WooCommerce order note or a
Shopify order tag, each once; a second run tags nothing again."""

from __future__ import annotations

import json

from connector.cli import main
from connector.jobs.pull import pull
from connector.platforms.registry import open_adapter
from connector.reports.data import TAGS_TABLE
from connector.reports.tagging import TAG_PREFIX
from connector.state import open_state

REPORTS = '[reports]\nhigh_risk_countries = ["NG"]\n'


def pull_orders(config) -> None:
    with open_state(config.state_path) as state:
        for name, store in config.stores.items():
            adapter = open_adapter(name, store)
            try:
                pull(state, adapter, "orders")
            finally:
                adapter.close()


def flags_then_tag(config, capsys) -> tuple[list[dict], str]:
    assert main(["report", "flags", "-c", str(config.path), "--json", "--tag"]) == 0
    out, err = capsys.readouterr()
    return json.loads(out), err


def woo_notes(sim, order_id: str) -> list[str]:
    with sim.lock:
        return [note["note"] for note in sim.store.orders.records[int(order_id)].notes]


def shop_tags(sim, order_gid: str) -> list[str]:
    with sim.lock:
        return list(sim.shop.orders[int(order_gid.rsplit("/", 1)[1])].tags)


def test_flagged_orders_are_tagged_on_both_platforms_once(simulators, client_config, capsys):
    woo = simulators("woocommerce", "fr")
    shop = simulators("shopify", "us")
    woo.seed(products=4, variants=0, customers=3, orders=6)
    shop.control("seed", {"products": 3, "variants": 2, "customers": 3, "orders": 6})
    config = client_config({"fr": woo, "us": shop}, REPORTS)
    woo_sku = woo.add_products(count=1, prefix="RISK", stock=20)[0]
    with shop.lock:
        shop.shop.add_product("Risky", variants=[{"sku": "RISK-US", "available": 20}])
    risky_woo = [str(woo.sell([{"sku": woo_sku}], f"ng{n}@example.com", "NG")["order_id"]) for n in range(2)]
    quiet_woo = str(woo.sell([{"sku": woo_sku}], "fr@example.com", "FR")["order_id"])
    risky_shop = shop.sell([{"sku": "RISK-US"}], "ng-us@example.com", "NG")["order_id"]
    cancelled_shop = shop.sell([{"sku": "RISK-US"}], "ng-gone@example.com", "NG")["order_id"]
    with shop.lock:  # cancelled in the admin: it will not ship, so it is not flagged
        order = shop.shop.orders[int(cancelled_shop.rsplit("/", 1)[1])]
        order.cancelled_at = order.updated_at = shop.shop.now()
        shop.shop.changed()
    pull_orders(config)

    flagged, err = flags_then_tag(config, capsys)
    texts = {
        (row["store"], row["order_id"]): f"{TAG_PREFIX}: {'; '.join(flag['kind'] for flag in row['flags'])}"
        for row in flagged
    }
    risky = {("fr", order_id) for order_id in risky_woo} | {("us", risky_shop)}
    assert all("high_risk_country" in texts.get(key, "") for key in risky)
    assert ("fr", quiet_woo) not in texts and ("us", cancelled_shop) not in texts
    assert f"tagged {len(flagged)} orders, 0 already tagged, 0 failed" in err
    for (store, order_id), text in texts.items():
        if store == "fr":
            assert woo_notes(woo, order_id) == [text]
        else:
            assert shop_tags(shop, order_id) == [text]
    assert woo_notes(woo, quiet_woo) == [] and shop_tags(shop, cancelled_shop) == []
    with open_state(config.state_path) as state:
        tagged = {(row["store"], row["order_id"]) for row in state.db[TAGS_TABLE].rows}
    assert tagged == {(row["store"], row["order_id"]) for row in flagged}

    woo.reset_stats()
    shop.reset_stats()
    again, err = flags_then_tag(config, capsys)
    assert again == flagged
    assert f"tagged 0 orders, {len(flagged)} already tagged, 0 failed" in err
    assert woo.stats()["requests"] == {} and shop.stats()["requests"] == {}  # not even a store opened
    for (store, order_id), text in texts.items():
        assert (woo_notes(woo, order_id) if store == "fr" else shop_tags(shop, order_id)) == [text]
