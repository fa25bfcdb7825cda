"""The WooCommerce simulator, driven through the real `woocommerce` client and compared with the
responses recorded from a real WooCommerce 10 store (tests/reference/woocommerce/, copied from the shared recordings)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from requests.auth import HTTPBasicAuth
from woocommerce import API
from woocommerce.oauth import OAuth

from connector.sandbox.woocommerce import WooCommerceSim

REFERENCE = Path(__file__).resolve().parent / "reference" / "woocommerce"
HTTPS = {"X-Forwarded-Proto": "https"}


def client(sim: WooCommerceSim, key: str | None = None, secret: str | None = None, timeout: float = 5) -> API:
    return API(
        url=sim.base_url,
        consumer_key=key or sim.consumer_key,
        consumer_secret=secret or sim.consumer_secret,
        version="wc/v3",
        timeout=timeout,
    )


def signed_url(sim: WooCommerceSim, method: str, endpoint: str, *, timestamp: int | None = None) -> str:
    oauth = OAuth(
        url=f"{sim.base_url}/wp-json/wc/v3/{endpoint}",
        consumer_key=sim.consumer_key,
        consumer_secret=sim.consumer_secret,
        version="wc/v3",
        method=method,
        oauth_timestamp=timestamp if timestamp is not None else int(time.time()),
    )
    return oauth.get_oauth_url()


@pytest.fixture
def sim():
    with WooCommerceSim("shop-test") as running:
        running.seed(products=30, variants=40, customers=12, orders=25, seed=7)
        yield running


@pytest.fixture
def wc(sim):
    return client(sim)


def first_of_type(wc: API, kind: str) -> dict:
    products = wc.get("products", params={"per_page": 100, "type": kind}).json()
    return products[0]


def managed_simple(wc: API, minimum: int = 5) -> dict:
    for product in wc.get("products", params={"per_page": 100, "type": "simple"}).json():
        if product["manage_stock"] and product["stock_quantity"] >= minimum and product["backorders"] == "no":
            return product
    raise AssertionError("the seed has no managed simple product with enough stock")


# -- recorded samples, field by field ----------------------------------------------------------


def load(name: str) -> dict:
    return json.loads((REFERENCE / f"{name}.json").read_text())


def assert_same_shape(recorded, actual, where: str = "body") -> None:
    """Same keys and JSON value types, recursively (null matches any type: it depends on state)."""
    if recorded is None or actual is None:
        return
    if isinstance(recorded, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        if where.endswith("._links"):
            assert {"self", "collection"} <= set(actual), where
            assert set(actual) <= set(recorded) | {"up", "customer", "email_templates"}, where
            return
        assert set(actual) == set(recorded), (
            f"{where}: keys differ; missing {set(recorded) - set(actual)}, extra {set(actual) - set(recorded)}"
        )
        for key in recorded:
            assert_same_shape(recorded[key], actual[key], f"{where}.{key}")
    elif isinstance(recorded, list):
        assert isinstance(actual, list), f"{where}: expected a list, got {actual!r}"
        if len(recorded) == len(actual):
            for index, (expected, item) in enumerate(zip(recorded, actual, strict=True)):
                assert_same_shape(expected, item, f"{where}[{index}]")
        elif recorded and actual:
            for item in actual:
                assert_same_shape(recorded[0], item, f"{where}[]")
    elif isinstance(recorded, bool):
        assert isinstance(actual, bool), f"{where}: expected a boolean, got {actual!r}"
    elif isinstance(recorded, int | float):
        assert isinstance(actual, int | float) and not isinstance(actual, bool), f"{where}: {actual!r}"
    else:
        assert type(actual) is type(recorded), f"{where}: expected {type(recorded).__name__}, got {actual!r}"


def link_rels(link: str | None) -> set[str]:
    return {part.split("rel=")[1].strip('"') for part in (link or "").split(", ") if "rel=" in part}


def link_keys(link: str) -> set[str]:
    url = link.split(">")[0].lstrip("<")
    return {name for name, _ in parse_qsl(urlsplit(url).query)}


def assert_matches_sample(name: str, response: requests.Response) -> None:
    sample = load(name)
    assert response.status_code == sample["status"], response.text
    body = response.json()
    recorded = sample["body"]
    if isinstance(recorded, dict) and "code" in recorded:
        assert body["code"] == recorded["code"]
        assert body["message"] == recorded["message"]
        assert body["data"] == recorded["data"]
    else:
        assert_same_shape(recorded, body)
    for header in ("X-WP-Total", "X-WP-TotalPages", "Allow", "Content-Type"):
        if header in sample["headers"]:
            assert header in response.headers, f"{name}: missing {header}"
    if header_link := sample["headers"].get("Link"):
        assert link_rels(response.headers.get("Link")) == link_rels(header_link), response.headers.get("Link")
        if "page=" in header_link:
            assert link_keys(response.headers["Link"]) == link_keys(header_link)
    if "Allow" in sample["headers"]:
        assert response.headers["Allow"] == sample["headers"]["Allow"]


def test_sample_01_products_first_page(sim, wc):
    answer = wc.get("products", params={"per_page": 5})
    assert_matches_sample("01_get_products_per_page_5", answer)
    assert answer.headers["X-WP-Total"] == "30"
    assert answer.headers["X-WP-TotalPages"] == "6"


def test_sample_02_variations_of_a_variable_product(sim, wc):
    variable = first_of_type(wc, "variable")
    answer = wc.get(f"products/{variable['id']}/variations")
    assert_matches_sample("02_get_variable_product_variations", answer)
    assert sorted(v["id"] for v in answer.json()) == sorted(variable["variations"])
    assert_same_shape(
        load("06_get_products_modified_after")["body"][4], variable
    )  # a recorded variable product


def test_sample_03_batch_update_with_an_invalid_id(sim, wc):
    ids = [p["id"] for p in wc.get("products", params={"per_page": 2, "type": "simple"}).json()]
    answer = wc.post(
        "products/batch",
        {
            "update": [
                {"id": ids[0], "stock_quantity": 1},
                {"id": ids[1], "stock_quantity": 1},
                {"id": 999999, "stock_quantity": 5},
            ]
        },
    )
    assert_matches_sample("03_post_products_batch_update_with_invalid_id", answer)
    update = answer.json()["update"]
    assert update[2] == load("03_post_products_batch_update_with_invalid_id")["body"]["update"][2]
    assert [item["id"] for item in update] == [*ids, 999999]


def test_sample_04_orders_first_page(sim, wc):
    assert_matches_sample("04_get_orders_per_page_5", wc.get("orders", params={"per_page": 5}))


def test_sample_05_customers_first_page(sim, wc):
    answer = wc.get("customers", params={"per_page": 5})
    assert_matches_sample("05_get_customers_per_page_5", answer)
    names = [f"{c['first_name']} {c['last_name']}" for c in answer.json()]
    assert names == sorted(names, key=str.lower)


@pytest.mark.parametrize(
    ("sample", "endpoint", "gmt"),
    [
        ("06_get_products_modified_after", "products", False),
        ("06b_get_products_modified_after_dates_are_gmt", "products", True),
        ("06c_get_orders_modified_after_dates_are_gmt", "orders", True),
    ],
)
def test_sample_06_modified_after(sim, wc, sample, endpoint, gmt):
    params = {"modified_after": "2000-01-01T00:00:00", "per_page": 100}
    if gmt:
        params["dates_are_gmt"] = "true"
    assert_matches_sample(sample, wc.get(endpoint, params=params))


def test_sample_07_page_past_the_end(sim, wc):
    answer = wc.get("products", params={"per_page": 5, "page": 99})
    assert_matches_sample("07_get_products_page_beyond_last", answer)
    assert answer.json() == []
    assert "page=6" in answer.headers["Link"]


def test_sample_10_unknown_consumer_key(sim):
    answer = client(sim, key="ck_" + "0" * 40).get("products", params={"per_page": 1})
    assert_matches_sample("10_err_401_bad_consumer_key_oauth", answer)


def test_sample_11_wrong_consumer_secret(sim):
    answer = client(sim, secret="cs_" + "0" * 40).get("products", params={"per_page": 1})
    assert_matches_sample("11_err_401_bad_consumer_secret_oauth", answer)


def test_sample_12_no_credentials(sim):
    answer = requests.get(f"{sim.base_url}/wp-json/wc/v3/products?per_page=1", timeout=5)
    assert_matches_sample("12_err_401_no_auth", answer)


def test_sample_13_basic_auth_is_ignored_over_plain_http(sim):
    answer = requests.get(
        f"{sim.base_url}/wp-json/wc/v3/products?per_page=1",
        auth=HTTPBasicAuth(sim.consumer_key, sim.consumer_secret),
        timeout=5,
    )
    assert_matches_sample("13_err_401_basic_auth_over_plain_http", answer)


def test_sample_14_query_string_keys_are_ignored_over_plain_http(sim):
    answer = requests.get(
        f"{sim.base_url}/wp-json/wc/v3/products",
        params={"per_page": 1, "consumer_key": sim.consumer_key, "consumer_secret": sim.consumer_secret},
        timeout=5,
    )
    assert_matches_sample("14_err_401_query_string_auth_over_plain_http", answer)


def test_sample_15_basic_auth_behind_an_https_proxy(sim):
    answer = requests.get(
        f"{sim.base_url}/wp-json/wc/v3/products?per_page=1",
        auth=HTTPBasicAuth(sim.consumer_key, sim.consumer_secret),
        headers=HTTPS,
        timeout=5,
    )
    assert_matches_sample("15_ok_basic_auth_with_x_forwarded_proto_https", answer)
    assert answer.headers["Link"].startswith("<https://")
    query_keys = requests.get(
        f"{sim.base_url}/wp-json/wc/v3/products",
        params={"per_page": 1, "consumer_key": sim.consumer_key, "consumer_secret": sim.consumer_secret},
        headers=HTTPS,
        timeout=5,
    )
    assert query_keys.status_code == 200


def test_sample_16_basic_auth_wrong_secret_over_https(sim):
    answer = requests.get(
        f"{sim.base_url}/wp-json/wc/v3/products?per_page=1",
        auth=HTTPBasicAuth(sim.consumer_key, "cs_wrong"),
        headers=HTTPS,
        timeout=5,
    )
    assert_matches_sample("16_err_401_basic_auth_bad_secret_https", answer)


def test_sample_17_read_only_key_cannot_write(sim, wc):
    product = first_of_type(wc, "simple")
    reader = client(sim, key=sim.read_only_key, secret=sim.read_only_secret)
    assert reader.get(f"products/{product['id']}").status_code == 200
    answer = reader.put(f"products/{product['id']}", {"stock_quantity": 1})
    assert_matches_sample("17_err_401_read_only_key_write", answer)
    assert sim.stats()["writes"] == 0


def test_sample_18_stale_timestamp(sim):
    url = signed_url(sim, "GET", "products?per_page=1", timestamp=int(time.time()) - 3600)
    assert_matches_sample("18_err_401_oauth_old_timestamp", requests.get(url, timeout=5))


def test_sample_19_reused_nonce(sim):
    url = signed_url(sim, "GET", "products?per_page=1")
    assert requests.get(url, timeout=5).status_code == 200
    assert_matches_sample("19_err_401_oauth_nonce_reused", requests.get(url, timeout=5))


def test_sample_20_21_22_not_found(sim, wc):
    assert_matches_sample("20_err_404_product_not_found", wc.get("products/999999"))
    assert_matches_sample("21_err_404_order_not_found", wc.get("orders/999999"))
    assert_matches_sample("22_err_404_no_route", wc.get("nonexistent-endpoint"))


def test_sample_23_24_invalid_list_parameters(sim, wc):
    assert_matches_sample("23_err_400_per_page_500", wc.get("products", params={"per_page": 500}))
    assert_matches_sample(
        "24_err_400_bad_modified_after", wc.get("products", params={"modified_after": "yesterday"})
    )


def test_sample_25_26_27_invalid_writes(sim, wc):
    first, second = wc.get("products", params={"per_page": 2, "type": "simple"}).json()
    assert_matches_sample(
        "25_err_400_put_invalid_field_type", wc.put(f"products/{first['id']}", {"stock_quantity": "lots"})
    )
    assert_matches_sample(
        "26_err_400_put_price_as_number", wc.put(f"products/{first['id']}", {"regular_price": 12.5})
    )
    duplicate = wc.put(f"products/{second['id']}", {"sku": first["sku"]})
    sample = load("27_err_400_duplicate_sku")
    assert duplicate.status_code == 400
    assert duplicate.json()["code"] == sample["body"]["code"]
    assert duplicate.json()["message"] == sample["body"]["message"]
    assert duplicate.json()["data"] == {
        "status": 400,
        "resource_id": first["id"],
        "unique_sku": f"{first['sku']}-1",
    }
    assert wc.get(f"products/{second['id']}").json()["sku"] == second["sku"]
    assert sim.stats()["writes"] == 0


def test_sample_28_batch_over_the_limit(sim, wc):
    product = first_of_type(wc, "simple")
    answer = wc.post("products/batch", {"update": [{"id": product["id"]}] * 101})
    assert_matches_sample("28_err_413_batch_too_many", answer)
    mixed = wc.post(
        "products/batch", {"create": [{"name": "x"}] * 50, "update": [{"id": product["id"]}] * 51}
    )
    assert mixed.status_code == 413
    assert wc.post("products/batch", {"update": [{"id": product["id"]}] * 100}).status_code == 200


def test_sample_29_order_invalid_status(sim, wc):
    order = wc.get("orders", params={"per_page": 1}).json()[0]
    assert_matches_sample(
        "29_err_400_order_invalid_status", wc.put(f"orders/{order['id']}", {"status": "shipped"})
    )


def test_sample_30_customer_delete_needs_force(sim, wc):
    customer = wc.get("customers", params={"per_page": 1}).json()[0]
    assert_matches_sample(
        "30_err_501_customer_delete_without_force", wc.delete(f"customers/{customer['id']}")
    )
    assert wc.get(f"customers/{customer['id']}").status_code == 200


def test_sample_31_variation_batch_item_error(sim, wc):
    variable = first_of_type(wc, "variable")
    answer = wc.post(
        f"products/{variable['id']}/variations/batch", {"update": [{"id": 999999, "stock_quantity": 1}]}
    )
    assert_matches_sample("31_variation_batch_invalid_id_item_error", answer)
    assert answer.json() == load("31_variation_batch_invalid_id_item_error")["body"]


def test_sample_32_invalid_json_body(sim):
    url = signed_url(sim, "POST", "products")
    answer = requests.post(url, data=b"{not json", headers={"Content-Type": "application/json"}, timeout=5)
    assert_matches_sample("32_err_400_invalid_json_body", answer)


# -- paging and incremental reads -------------------------------------------------------------


def test_paging_walks_every_product_once_following_link_next(sim, wc):
    seen = []
    page = 1
    while True:
        answer = wc.get("products", params={"per_page": 7, "page": page})
        seen += [p["id"] for p in answer.json()]
        if 'rel="next"' not in answer.headers.get("Link", ""):
            break
        page += 1
    assert page == int(answer.headers["X-WP-TotalPages"]) == 5
    assert len(seen) == len(set(seen)) == 30
    dates = [p["date_created_gmt"] for p in wc.get("products", params={"per_page": 100}).json()]
    assert dates == sorted(dates, reverse=True)


def test_orderby_and_order(sim, wc):
    by_id = [
        p["id"] for p in wc.get("products", params={"per_page": 100, "orderby": "id", "order": "asc"}).json()
    ]
    assert by_id == sorted(by_id)
    titles = [
        p["name"].lower()
        for p in wc.get("products", params={"per_page": 100, "orderby": "title", "order": "asc"}).json()
    ]
    assert titles == sorted(titles)
    modified = [
        p["date_modified_gmt"]
        for p in wc.get("products", params={"per_page": 100, "orderby": "modified", "order": "asc"}).json()
    ]
    assert modified == sorted(modified)
    bad = wc.get("products", params={"orderby": "colour"})
    assert bad.status_code == 400
    assert bad.json()["data"]["params"] == {
        "orderby": "orderby is not one of date, modified, id, include, title, slug, price, popularity, rating, and menu_order."
    }


def test_filters_sku_include_status(sim, wc):
    product = first_of_type(wc, "simple")
    assert [p["id"] for p in wc.get("products", params={"sku": product["sku"]}).json()] == [product["id"]]
    some = [p["id"] for p in wc.get("products", params={"per_page": 3}).json()]
    included = wc.get("products", params={"include": ",".join(map(str, some)), "orderby": "include"}).json()
    assert [p["id"] for p in included] == some
    processing = wc.get("orders", params={"status": "processing", "per_page": 100}).json()
    assert processing and {o["status"] for o in processing} == {"processing"}
    customer = wc.get("customers", params={"per_page": 1}).json()[0]
    assert [c["id"] for c in wc.get("customers", params={"email": customer["email"]}).json()] == [
        customer["id"]
    ]
    by_date = wc.get(
        "customers", params={"orderby": "registered_date", "order": "asc", "role": "all", "per_page": 100}
    )
    created = [c["date_created_gmt"] for c in by_date.json()]
    assert created == sorted(created) and len(created) == 12


def test_modified_after_is_read_in_the_site_zone_unless_dates_are_gmt(sim, wc):
    now = int(time.time())
    sim.clock = lambda: now
    product = managed_simple(wc)
    sim.set_stock(product["sku"], 3)
    sim.clock = lambda: now + 10
    # one second before the change, written as UTC wall time
    utc_wall = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now - 1))
    gmt = wc.get(
        "products", params={"modified_after": utc_wall, "dates_are_gmt": "true", "per_page": 100}
    ).json()
    assert [p["id"] for p in gmt] == [product["id"]]
    # half an hour after the change, as UTC wall time: as GMT that is later than the change; read
    # in the site's zone (Paris, at least an hour ahead of UTC) it stands for an earlier instant
    later_wall = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now + 1800))
    as_gmt = wc.get(
        "products", params={"modified_after": later_wall, "dates_are_gmt": "true", "per_page": 100}
    )
    assert product["id"] not in [p["id"] for p in as_gmt.json()]
    as_local = wc.get("products", params={"modified_after": later_wall, "per_page": 100})
    assert product["id"] in [p["id"] for p in as_local.json()]
    changed = wc.get(f"products/{product['id']}").json()
    assert changed["date_modified_gmt"] == time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
    assert changed["date_modified"] != changed["date_modified_gmt"]
    # strictly after: the change's own second is not "after" itself
    same_second = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
    assert wc.get("products", params={"modified_after": same_second, "dates_are_gmt": "true"}).json() == []
    offset = wc.get(
        "products", params={"modified_after": utc_wall + "+00:00", "dates_are_gmt": "true"}
    ).json()
    assert [p["id"] for p in offset] == [product["id"]]


def test_a_variation_change_bumps_the_variable_parent(sim, wc):
    now = int(time.time()) + 5
    sim.clock = lambda: now
    variable = first_of_type(wc, "variable")
    variation = wc.get(f"products/{variable['id']}/variations").json()[0]
    answer = wc.post(
        f"products/{variable['id']}/variations/batch",
        {"update": [{"id": variation["id"], "regular_price": "99.00"}]},
    )
    assert answer.json()["update"][0]["regular_price"] == "99.00"
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now - 1))
    changed = wc.get("products", params={"modified_after": since, "dates_are_gmt": "true"}).json()
    assert [p["id"] for p in changed] == [variable["id"]]


# -- writes ----------------------------------------------------------------------------------------


def test_batch_create_update_delete_with_per_item_errors(sim, wc):
    existing = first_of_type(wc, "simple")
    answer = wc.post(
        "products/batch",
        {
            "create": [
                {
                    "name": "Nouveau",
                    "sku": "NEW-1",
                    "regular_price": "10.00",
                    "manage_stock": True,
                    "stock_quantity": 4,
                },
                {"name": "Doublon", "sku": existing["sku"]},
            ],
            "update": [{"id": existing["id"], "regular_price": 12.5}],
            "delete": [999999],
        },
    )
    assert answer.status_code == 200
    body = answer.json()
    created, duplicate = body["create"]
    assert (
        created["sku"] == "NEW-1" and created["stock_quantity"] == 4 and created["stock_status"] == "instock"
    )
    assert duplicate["id"] == 0 and duplicate["error"]["code"] == "product_invalid_sku"
    # inside a batch WooCommerce casts instead of validating: a number price is stored as a string
    assert body["update"][0]["regular_price"] == "12.5"
    assert body["delete"][0]["error"]["code"] == "woocommerce_rest_product_invalid_id"
    assert wc.get("products", params={"sku": "NEW-1"}).json()[0]["id"] == created["id"]
    deleted = wc.post("products/batch", {"delete": [created["id"]]})
    assert deleted.json()["delete"][0]["id"] == created["id"]
    assert wc.get(f"products/{created['id']}").status_code == 404
    assert sim.stats()["writes"] == 2


def test_stock_rules_on_update(sim, wc):
    product = managed_simple(wc)
    zero = wc.put(f"products/{product['id']}", {"stock_quantity": 0}).json()
    assert (zero["stock_quantity"], zero["stock_status"]) == (0, "outofstock")
    backorder = wc.put(f"products/{product['id']}", {"backorders": "notify"}).json()
    assert backorder["stock_status"] == "onbackorder" and backorder["backorders_allowed"] is True
    unmanaged = wc.put(f"products/{product['id']}", {"manage_stock": False, "stock_quantity": 40}).json()
    assert unmanaged["stock_quantity"] is None and unmanaged["backorders"] == "no"
    managed = wc.put(f"products/{product['id']}", {"manage_stock": True, "stock_quantity": "7"}).json()
    assert (managed["stock_quantity"], managed["stock_status"]) == (7, "instock")
    delta = wc.put(f"products/{product['id']}", {"inventory_delta": -2}).json()
    assert delta["stock_quantity"] == 5


def test_the_save_window_loses_a_checkout_between_load_and_save_as_woocommerce_does(sim, wc):
    """WooCommerce adds `inventory_delta` to the quantity it loaded and saves the sum later in the request
    (class-wc-rest-products-v2-controller.php): a checkout committing in between is overwritten, as it is by
    a new `stock_quantity`."""
    product = managed_simple(wc)
    sku, start = product["sku"], product["stock_quantity"]
    wc.post("products/batch", {"update": [{"id": product["id"], "inventory_delta": 3}]})
    sim.sell([{"sku": sku, "quantity": 1}])
    assert sim.stock(sku)["stock_quantity"] == start + 2  # saved at once: both count

    answer = requests.post(f"{sim.base_url}/__sandbox/save_window", json={"ms": 1000}, timeout=5)
    assert answer.json() == {"ms": 1000.0}
    sim.save_window_entered.clear()
    answers: list = []
    writer = threading.Thread(
        target=lambda: answers.append(
            wc.post("products/batch", {"update": [{"id": product["id"], "inventory_delta": 3}]})
        )
    )
    writer.start()
    assert sim.save_window_entered.wait(5)  # the product is loaded, not saved yet
    sim.sell([{"sku": sku, "quantity": 1}])  # a checkout commits inside the window
    assert sim.stock(sku)["stock_quantity"] == start + 1
    writer.join()
    assert answers[0].json()["update"][0]["stock_quantity"] == start + 5
    assert sim.stock(sku)["stock_quantity"] == start + 5  # start + 2 + 3: the sale in the window is lost

    sim.save_window_entered.clear()
    writer = threading.Thread(target=lambda: wc.put(f"products/{product['id']}", {"stock_quantity": 50}))
    writer.start()  # a new quantity is saved late too
    assert sim.save_window_entered.wait(5)
    sim.sell([{"sku": sku, "quantity": 1}])
    writer.join()
    assert sim.stock(sku)["stock_quantity"] == 50  # not 49: the sale in the window is lost
    assert (
        requests.post(f"{sim.base_url}/__sandbox/save_window", json={"ms": -1}, timeout=5).status_code == 400
    )
    sim.control("save_window", {"ms": 0})
    assert wc.put(f"products/{product['id']}", {"inventory_delta": 1}).json()["stock_quantity"] == 51


def test_order_note_and_status_change_restores_stock(sim, wc):
    product = managed_simple(wc)
    sold = sim.sell([{"sku": product["sku"], "quantity": 2}])
    assert sim.stock(product["sku"])["stock_quantity"] == product["stock_quantity"] - 2
    note = wc.post(f"orders/{sold['order_id']}/notes", {"note": "flag: review"})
    assert note.status_code == 201 and note.json()["note"] == "flag: review"
    assert [n["note"] for n in wc.get(f"orders/{sold['order_id']}/notes").json()] == ["flag: review"]
    cancelled = wc.put(f"orders/{sold['order_id']}", {"status": "cancelled"}).json()
    assert cancelled["status"] == "cancelled"
    assert sim.stock(product["sku"])["stock_quantity"] == product["stock_quantity"]


# -- store actions ----------------------------------------------------------------------------------


def test_sell_creates_a_processing_order_and_reduces_managed_stock(sim, wc):
    product = managed_simple(wc)
    before = wc.get(f"products/{product['id']}").json()
    later = int(time.time()) + 2  # WordPress keeps whole seconds: the sale happens in a later one
    sim.clock = lambda: later
    result = sim.sell([{"sku": product["sku"], "quantity": 3}], country="DE")
    order = wc.get(f"orders/{result['order_id']}").json()
    assert order["status"] == "processing"
    assert order["line_items"][0]["sku"] == product["sku"] and order["line_items"][0]["quantity"] == 3
    assert order["tax_lines"][0]["rate_code"] == "DE-MWST-1"
    assert order["billing"]["country"] == "DE"
    after = wc.get(f"products/{product['id']}").json()
    assert after["stock_quantity"] == before["stock_quantity"] - 3
    assert after["date_modified_gmt"] > before["date_modified_gmt"]
    assert result["stock"][product["sku"]]["stock_quantity"] == after["stock_quantity"]


def test_sell_refuses_more_than_stock_without_backorders_and_allows_it_with(sim, wc):
    product = managed_simple(wc)
    with pytest.raises(ValueError, match="not enough stock"):
        sim.sell([{"sku": product["sku"], "quantity": product["stock_quantity"] + 1}])
    over_http = requests.post(
        f"{sim.base_url}/__sandbox/sell",
        json={"items": [{"sku": product["sku"], "quantity": product["stock_quantity"] + 1}]},
        timeout=5,
    )
    assert over_http.status_code == 409
    wc.put(f"products/{product['id']}", {"backorders": "yes"})
    sim.sell([{"sku": product["sku"], "quantity": product["stock_quantity"] + 1}])
    stock = sim.stock(product["sku"])
    assert (stock["stock_quantity"], stock["stock_status"]) == (-1, "onbackorder")


def test_selling_an_unmanaged_product_leaves_stock_alone(sim, wc):
    unmanaged = next(
        p
        for p in wc.get("products", params={"per_page": 100, "type": "simple"}).json()
        if not p["manage_stock"] and p["stock_status"] == "instock"
    )
    sim.sell([{"sku": unmanaged["sku"], "quantity": 50}])
    assert sim.stock(unmanaged["sku"])["stock_quantity"] is None


def test_sell_a_variation_updates_the_variation(sim, wc):
    variable = first_of_type(wc, "variable")
    variation = next(
        v
        for v in wc.get(f"products/{variable['id']}/variations").json()
        if v["manage_stock"] and v["stock_quantity"] > 0
    )
    sim.sell([{"sku": variation["sku"], "quantity": 1}])
    assert (
        wc.get(f"products/{variable['id']}/variations/{variation['id']}").json()["stock_quantity"]
        == variation["stock_quantity"] - 1
    )


def test_restock_set_stock_add_products_touch_over_http(sim, wc):
    product = managed_simple(wc)
    base = f"{sim.base_url}/__sandbox"
    assert (
        requests.post(f"{base}/restock", json={"sku": product["sku"], "quantity": 5}, timeout=5).json()
        == product["stock_quantity"] + 5
    )
    assert (
        requests.post(f"{base}/set_stock", json={"sku": product["sku"], "quantity": 2}, timeout=5).json() == 2
    )
    assert (
        requests.post(f"{base}/stock", json={"sku": product["sku"]}, timeout=5).json()["stock_quantity"] == 2
    )
    skus = requests.post(f"{base}/add_products", json={"count": 3, "prefix": "ADD"}, timeout=5).json()
    assert skus == ["ADD-00001", "ADD-00002", "ADD-00003"]
    assert int(wc.get("products").headers["X-WP-Total"]) == 33
    assert requests.post(f"{base}/touch", json={"skus": skus[:2]}, timeout=5).json() == 2
    unknown = requests.post(f"{base}/restock", json={"sku": "NOPE", "quantity": 1}, timeout=5)
    assert unknown.status_code == 400 and "NOPE" in unknown.json()["error"]
    assert sim.stats()["writes"] == 0  # store actions are not platform requests


def test_seed_is_deterministic_and_varied(sim, wc):
    first = [p["sku"] for p in wc.get("products", params={"per_page": 100, "orderby": "id"}).json()]
    counts = sim.seed(products=30, variants=40, customers=12, orders=25, seed=7)
    assert counts == {
        "products": 30,
        "simple": 15,
        "variable": 15,
        "variations": 40,
        "customers": 12,
        "orders": 25,
    }
    products = wc.get("products", params={"per_page": 100, "orderby": "id"}).json()
    assert [p["sku"] for p in products] == first
    assert len(set(first)) == 30
    assert {p["type"] for p in products} == {"simple", "variable"}
    assert any(not p["manage_stock"] for p in products if p["type"] == "simple")
    descriptions = " ".join(p["description"] for p in products)
    for fragment in ("<ul>", "<a href=", "<img ", "&nbsp;", "é"):
        assert fragment in descriptions
    orders = wc.get("orders", params={"per_page": 100}).json()
    assert len({o["status"] for o in orders}) >= 4
    assert len({o["shipping"]["country"] for o in orders}) >= 3
    countries = {c["billing"]["country"] for c in wc.get("customers", params={"per_page": 100}).json()}
    assert len(countries) >= 5


def test_reset_empties_the_store(sim, wc):
    requests.post(f"{sim.base_url}/__sandbox/reset", json={}, timeout=5)
    answer = wc.get("products")
    assert answer.json() == [] and answer.headers["X-WP-Total"] == "0"


def test_stats_count_route_templates_and_batches_as_one_write(sim, wc):
    product = first_of_type(wc, "simple")
    wc.get(f"products/{product['id']}")
    wc.post(
        "products/batch", {"update": [{"id": product["id"], "name": "a"}, {"id": product["id"], "name": "b"}]}
    )
    stats = sim.stats()
    assert stats["requests"]["GET /wp-json/wc/v3/products"] == 1
    assert stats["requests"]["GET /wp-json/wc/v3/products/<id>"] == 1
    assert stats["requests"]["POST /wp-json/wc/v3/products/batch"] == 1
    assert stats["writes"] == 1


# -- faults through the real client --------------------------------------------------------------


def test_faults_through_the_client(sim, wc):
    sim.set_faults(error_rate=1.0, seed=1)
    assert wc.get("products").status_code in (500, 502, 503)
    sim.set_faults(rate_limit_rate=1.0, retry_after=3)
    limited = wc.get("products")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    sim.set_faults(drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        wc.get("products")
    sim.set_faults(latency_ms=20)
    assert wc.get("products").status_code == 200
    sim.set_faults(hang_rate=1.0, hang_seconds=5)
    with pytest.raises(requests.Timeout):
        client(sim, timeout=0.3).get("products")
    sim.set_faults()
    assert wc.get("products").status_code == 200
    stats = sim.stats()
    assert stats["throttled"] == 1 and stats["faulted"] == 3


def test_sha1_signatures_are_accepted_too(sim):
    import base64
    import hashlib
    import hmac
    from urllib.parse import quote, urlencode

    params = {
        "per_page": "1",
        "oauth_consumer_key": sim.consumer_key,
        "oauth_timestamp": str(int(time.time())),
        "oauth_nonce": "sha1nonce",
        "oauth_signature_method": "HMAC-SHA1",
    }
    base_url = f"{sim.base_url}/wp-json/wc/v3/products"
    pairs = "%26".join(
        quote(f"{quote(k, safe='')}={quote(params[k], safe='')}", safe="") for k in sorted(params)
    )
    to_sign = f"GET&{quote(base_url, safe='')}&{pairs}"
    signature = base64.b64encode(
        hmac.new(f"{sim.consumer_secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    )
    answer = requests.get(
        f"{base_url}?{urlencode({**params, 'oauth_signature': signature.decode()})}", timeout=5
    )
    assert answer.status_code == 200, answer.text


def test_the_signature_covers_the_exact_host(sim):
    localhost = API(
        url=sim.base_url.replace("127.0.0.1", "localhost"),
        consumer_key=sim.consumer_key,
        consumer_secret=sim.consumer_secret,
        version="wc/v3",
        timeout=5,
    )
    answer = localhost.get("products")
    assert answer.status_code == 401
    assert answer.json()["message"] == "Invalid signature - provided signature does not match."
