"""Pull against the simulators: counts equal, incremental reads, data problems, crashes and faults."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from connector.cli import main
from connector.jobs.pull import OVERLAP, forget_customer, pull
from connector.platforms.registry import open_adapter
from connector.state import iso, open_state, parse_iso

RESOURCES = ("products", "orders", "customers")


def held(state, table, store):
    return state.db.execute(f"select count(*) from {table} where store = ?", [store]).fetchone()[0]


def sim_counts(sim):
    """What the simulator holds, counted through its own store."""
    if hasattr(sim, "consumer_key"):
        store = sim.store
        products = [p for p in store.products.records.values() if p.type != "variation"]
        variants = sum(1 if p.type != "variable" else len(p.variation_ids) for p in products)
        return {
            "products": len(products),
            "variants": variants,
            "orders": len(store.orders.records),
            "customers": len(store.customers.records),
        }
    return sim.control("counts", {})


@pytest.fixture
def woo(simulators):
    sim = simulators("woocommerce", "fr")
    sim.seed(products=250, variants=120, customers=60, orders=300, seed=7)
    return sim


def pull_all(state, adapter, **options):
    return {resource: pull(state, adapter, resource, **options) for resource in RESOURCES}


def test_first_pull_holds_exactly_the_store(woo, client_config):
    config = client_config({"fr": woo})
    adapter = open_adapter("fr", config.stores["fr"])
    with open_state(config.state_path) as state:
        summaries = pull_all(state, adapter)
        expected = sim_counts(woo)
        for table in ("products", "variants", "orders", "customers"):
            assert held(state, table, "fr") == expected[table], table
        assert summaries["products"].created == expected["products"]
        price = state.db.execute("select price from variants where price is not null limit 1").fetchone()[0]
        assert Decimal(price) == Decimal(price).quantize(Decimal("0.01"))
        total = state.db.execute("select total, currency from orders limit 1").fetchone()
        assert total[1] == "EUR" and Decimal(total[0]) >= 0


def test_second_pull_reads_only_the_overlap_and_writes_nothing(woo, client_config):
    config = client_config({"fr": woo})
    adapter = open_adapter("fr", config.stores["fr"])
    with open_state(config.state_path) as state:
        pull_all(state, adapter)
        before = woo.stats()
        again = pull_all(state, adapter)
        after = woo.stats()
    assert after["writes"] == before["writes"] == 0
    for resource in ("products", "orders"):
        assert again[resource].created == again[resource].updated == 0
        assert again[resource].pages == 1  # one page covers the overlap window
    read_requests = sum(after["requests"].values()) - sum(before["requests"].values())
    with open_state(config.state_path) as state:
        high_water = parse_iso(json.loads(state.cursor("fr", "products"))["high_water"])
        variable_in_overlap = state.db.execute(
            "select count(*) from products where kind = 'variable' and updated_at >= ?",
            [iso(high_water - OVERLAP)],
        ).fetchone()[0]
    # one page per resource, one for the variations of the variable products inside the overlap window (10.3's
    # /wc/v3/variations, 100 a page), one for what the store trashed since, for products and for orders
    assert variable_in_overlap >= 1
    assert read_requests == 3 + 1 + 2


def test_changed_products_are_picked_up_by_the_next_pull(woo, client_config):
    config = client_config({"fr": woo})
    adapter = open_adapter("fr", config.stores["fr"])
    with open_state(config.state_path) as state:
        pull(state, adapter, "products")
        skus = [
            r[0]
            for r in state.db.execute(
                "select sku from variants v join products p on p.id = v.product_id "
                "and p.kind = 'simple' order by sku limit 50"
            )
        ]
        woo.clock = _later(woo, minutes=10)
        woo.touch(skus)
        summary = pull(state, adapter, "products")
        assert summary.updated == 50 and summary.created == 0
        titles = {
            r[0]
            for r in state.db.execute(
                f"select p.title from products p join variants v on v.product_id = p.id "
                f"where v.sku in ({','.join('?' * 50)})",
                skus,
            )
        }
        assert all(title.endswith(" *") for title in titles)


def _later(sim, minutes: int):
    """The simulator's clock moved past the cursor's overlap window (and within OAuth's timestamp tolerance)."""
    start = sim._now()
    return lambda: start + minutes * 60


def test_crash_between_pages_rereads_one_page_and_never_skips(woo, client_config):
    config = client_config({"fr": woo})
    adapter = open_adapter("fr", config.stores["fr"])

    class Crash(Exception):
        pass

    def crash_after_two_pages(summary):
        if summary.pages == 2:
            raise Crash

    with open_state(config.state_path) as state:
        with pytest.raises(Crash):
            pull(state, adapter, "orders", on_page=crash_after_two_pages)
        # each page after the first repeats the last record of the one before it (its anchor): 100 + 99
        assert held(state, "orders", "fr") == 199
        cursor = json.loads(state.cursor("fr", "orders"))
        last_id = max(int(i) for (i,) in state.db.execute("select id from orders"))
        assert cursor["resume"] == f"{last_id}@198" and cursor["high_water"]
        resumed = pull(state, adapter, "orders")
        assert resumed.created == sim_counts(woo)["orders"] - 199
        assert held(state, "orders", "fr") == sim_counts(woo)["orders"]
        assert json.loads(state.cursor("fr", "orders"))["resume"] is None


def test_a_change_behind_a_resumed_pass_is_read_by_the_next_pass(woo, client_config):
    config = client_config({"fr": woo})
    adapter = open_adapter("fr", config.stores["fr"])

    class Crash(Exception):
        pass

    def crash_after_first_page(summary):
        raise Crash

    simple = [p for p in woo.store.products.records.values() if p.type == "simple"]
    first_sku, last_sku = min(simple, key=lambda p: p.id).sku, max(simple, key=lambda p: p.id).sku
    with open_state(config.state_path) as state:
        with pytest.raises(Crash):
            pull(state, adapter, "products", on_page=crash_after_first_page)
        woo.clock = _later(woo, minutes=1)
        woo.touch([first_sku])  # on the page already read
        woo.clock = _later(woo, minutes=12)
        woo.touch([last_sku])  # on a page still to come, much later
        pull(state, adapter, "products")  # completes the pass: sees the last product only
        pull(state, adapter, "products")  # the next pass must still see the first one
        titles = dict(
            state.db.execute(
                "select v.sku, p.title from products p join variants v on v.product_id = p.id where v.sku in (?, ?)",
                [first_sku, last_sku],
            ).fetchall()
        )
    assert titles[first_sku].endswith(" *") and titles[last_sku].endswith(" *")


def test_data_problems_are_reported_and_the_rest_is_kept(woo, client_config):
    store = woo.store
    simple = sorted((p for p in store.products.records.values() if p.type == "simple"), key=lambda p: p.id)
    no_sku, twin, bad_price = simple[0], simple[1], simple[2]
    with woo.lock:
        store.set_sku(no_sku, "")
        twin.sku = simple[3].sku  # a duplicate slipped past the store's own check (imports, plugins)
        bad_price.regular_price = "12,50"
        ordered = next(iter(store.orders.records.values()))
        gone = store.product(ordered.data["line_items"][0]["product_id"])
        store.delete_product(gone)
        for record in (no_sku, twin, bad_price):
            store.saved(record)
    config = client_config({"fr": woo})
    adapter = open_adapter("fr", config.stores["fr"])
    with open_state(config.state_path) as state:
        summaries = pull_all(state, adapter)
        kinds = dict(state.db.execute("select kind, count(*) from data_problems group by kind").fetchall())
        assert summaries["products"].skipped == {"bad_price": 1, "duplicate_sku": 1, "missing_sku": 1}
        assert kinds["missing_sku"] == kinds["duplicate_sku"] == kinds["bad_price"] == 1
        assert kinds["unknown_line_product"] >= 1
        assert held(state, "products", "fr") == sim_counts(woo)["products"]
        assert held(state, "orders", "fr") == sim_counts(woo)["orders"]
        message = state.db.execute("select message from data_problems where kind = 'bad_price'").fetchone()[0]
        assert "'12,50' is not a number; fix it in the store" in message


def test_faulty_store_still_syncs_completely(woo, client_config):
    config = client_config({"fr": woo})
    woo.set_faults(error_rate=0.1, rate_limit_rate=0.05, retry_after=0, drop_rate=0.05, seed=3)
    adapter = open_adapter("fr", config.stores["fr"])
    with open_state(config.state_path) as state:
        pull_all(state, adapter)
        woo.set_faults()
        expected = sim_counts(woo)
        for table in ("products", "variants", "orders", "customers"):
            assert held(state, table, "fr") == expected[table], table
    assert woo.stats()["faulted"] > 0


def test_wrong_key_fails_fast_with_the_platform_message(woo, client_config, monkeypatch, capsys):
    config = client_config({"fr": woo})
    monkeypatch.setenv("ACME_FR_SECRET", "cs_wrong_secret_value")
    assert main(["sync", "products", "-c", str(config.path), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    (result,) = out["results"]
    assert result["outcome"] == "failed" and result["kind"] == "AuthError"
    assert "woocommerce_rest_authentication_error" in result["error"]
    assert "cs_wrong_secret_value" not in json.dumps(out)
    with open_state(config.state_path) as state:
        (run,) = state.last_runs()
        assert run["outcome"] == "failed" and "401" in run["error"]


def test_sync_command_summary_and_status(woo, client_config, capsys):
    config = client_config({"fr": woo})
    assert main(["sync", "all", "-c", str(config.path), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert {(r["resource"], r["outcome"]) for r in results} == {(r, "ok") for r in RESOURCES}
    assert main(["status", "-c", str(config.path), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert {run["job"] for run in status["runs"]} == {f"pull:{r}" for r in RESOURCES}
    assert all(c["high_water"] for c in status["cursors"])


def test_forget_customer_erases_the_person(woo, client_config):
    config = client_config({"fr": woo})
    adapter = open_adapter("fr", config.stores["fr"])
    with open_state(config.state_path) as state:
        pull_all(state, adapter)
        email = state.db.execute(
            "select customer_email from orders where customer_email is not null limit 1"
        ).fetchone()[0]
        assert forget_customer(state, email) >= 1
        assert (
            state.db.execute("select count(*) from orders where customer_email = ?", [email]).fetchone()[0]
            == 0
        )
        assert state.db.execute("select count(*) from customers where email = ?", [email]).fetchone()[0] == 0


def test_a_reused_oauth_nonce_is_retried_not_taken_for_a_wrong_key(woo, client_config, monkeypatch):
    import woocommerce.oauth

    import connector.platforms.woocommerce  # noqa: F401 - replaces the package's nonces

    strong = woocommerce.oauth.OAuth.generate_nonce
    assert len({strong() for _ in range(100_000)}) == 100_000  # 8 random digits would collide here
    nonces = iter(["same-nonce", "same-nonce"])
    monkeypatch.setattr(
        woocommerce.oauth.OAuth, "generate_nonce", staticmethod(lambda: next(nonces, None) or strong())
    )
    adapter = open_adapter("fr", client_config({"fr": woo}).stores["fr"])
    adapter.call("GET", "products", params={"per_page": 1})
    body, _ = adapter.call(
        "GET", "products", params={"per_page": 1}
    )  # refused once: nonce used; then retried
    assert len(body) == 1
    assert adapter.requests.reads == 3  # the refused attempt, then its retry with a fresh nonce


def test_an_unknown_store_is_a_usage_error(woo, client_config, capsys):
    config = client_config({"fr": woo})
    assert main(["sync", "products", "-c", str(config.path), "--store", "de"]) == 2
    assert "no store named 'de'" in capsys.readouterr().err
    assert woo.stats()["requests"] == {}


def test_a_problem_fixed_in_the_store_is_resolved_by_the_next_pull(woo, client_config, capsys):
    product = min((p for p in woo.store.products.records.values() if p.type == "simple"), key=lambda p: p.id)
    sku = product.sku
    with woo.lock:
        woo.store.set_sku(product, "")
        woo.store.saved(product)
    config = client_config({"fr": woo})
    adapter = open_adapter("fr", config.stores["fr"])
    with open_state(config.state_path) as state:
        pull(state, adapter, "products")
    assert main(["status", "-c", str(config.path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["open_problems"] == 1
    woo.clock = _later(woo, minutes=10)
    with woo.lock:
        woo.store.set_sku(product, sku)
        woo.store.saved(product)
    with open_state(config.state_path) as state:
        pull(state, adapter, "products")
        (resolved,) = state.db.execute(
            "select resolved_at from data_problems where kind = 'missing_sku'"
        ).fetchone()
    assert resolved
    assert main(["status", "-c", str(config.path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["open_problems"] == 0


def test_a_pass_that_died_before_its_first_page_still_bounds_the_next_one(woo, client_config, monkeypatch):
    config = client_config({"fr": woo})
    adapter = open_adapter("fr", config.stores["fr"])
    with open_state(config.state_path) as state:
        pull(state, adapter, "products")

        def dies(*_args, **_kwargs):
            raise ConnectionError("killed while the platform was still preparing the first page")
            yield

        with monkeypatch.context() as patched:
            patched.setattr(adapter, "read", dies)
            with pytest.raises(ConnectionError):
                pull(state, adapter, "products")
        died = json.loads(state.cursor("fr", "products"))
        assert died["in_pass"] and died["pass_started"]
        woo.touch([min(p.sku for p in woo.store.products.records.values() if p.type == "simple")])
        pull(state, adapter, "products")
        finished = json.loads(state.cursor("fr", "products"))
    # work the dead pass started on the platform may predate this pass: the mark stays at the dead pass's start
    assert finished["high_water"] <= died["pass_started"] and not finished["in_pass"]
