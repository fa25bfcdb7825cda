"""`connector check`: one line per store, with the precise reason on failure."""

from __future__ import annotations

import socket

from connector.check import check_stores
from connector.cli import main


def line(config, store):
    return next(result for result in check_stores(config) if result.store == store)


def test_reachable_stores_report_platform_version_and_currency(simulators, client_config, capsys):
    config = client_config({"fr": simulators("woocommerce", "fr"), "global": simulators("shopify", "global")})
    assert main(["check", "-c", str(config.path)]) == 0
    out = capsys.readouterr().out
    assert "fr               ok: reachable, authenticated, woocommerce API wc/v3, currency EUR" in out
    assert "global           ok: reachable, authenticated, shopify API 2026-10, currency EUR" in out


def test_wrong_keys_are_named_and_exit_1(simulators, client_config, monkeypatch, capsys):
    config = client_config({"fr": simulators("woocommerce", "fr"), "global": simulators("shopify", "global")})
    monkeypatch.setenv("ACME_FR_KEY", "ck_0000000000000000000000000000000000000000")
    monkeypatch.setenv("ACME_GLOBAL_CLIENT_SECRET", "shpss_wrong_secret_123")
    assert main(["check", "-c", str(config.path)]) == 1
    out = capsys.readouterr().out
    assert "fr               FAILED:" in out and "401 woocommerce_rest_authentication_error" in out
    assert "check the credentials" in out
    # Shopify's own words for a wrong client secret, and never the secret itself
    assert "global           FAILED: global: Shopify refused the token request (invalid_client: Client authentication failed" in out
    assert "shpss_wrong_secret_123" not in out


def test_shopify_check_names_the_credential_form_the_scopes_and_what_the_jobs_lack(simulators, client_config, capsys):
    sim = simulators("shopify", "global")
    sim.seed(products=2, variants=1, customers=1, orders=1)
    sim.control("auth", {"scopes": "read_products,read_orders,read_customers,read_inventory"})
    config = client_config({"global": sim}, "[inventory]\nsource_of_truth = \"global\"\n")
    assert main(["check", "-c", str(config.path)]) == 1
    out = capsys.readouterr().out
    assert "credential: client credentials (Dev Dashboard app)" in out
    assert "granted scopes: read_customers, read_inventory, read_orders, read_products" in out
    assert "lacks the write_inventory scope that inventory needs: add write_inventory" in out
    sim.control("auth", {"scopes": "read_products,write_inventory,read_orders,read_customers,read_locations"})
    sim.control("auth", {"expire_all": True})
    assert main(["check", "-c", str(config.path)]) == 0
    assert "lacks" not in capsys.readouterr().out
    sim.set_faults(protected_customer_data=False)  # found on the shop's orders, said by check
    assert main(["check", "-c", str(config.path)]) == 0
    assert "personal fields (emails, names, addresses) are unavailable" in capsys.readouterr().out


def test_wrong_url_path_is_a_404_with_advice(simulators, client_config):
    sim = simulators("woocommerce", "fr")
    config = client_config({"fr": sim})
    moved = config.model_copy(
        update={"stores": {"fr": config.stores["fr"].model_copy(update={"url": sim.base_url + "/shop"})}}
    )
    result = line(moved, "fr")
    assert not result.ok and "404" in result.detail and "REST API is enabled" in result.detail


def test_nothing_listening_dns_and_timeout_are_told_apart(simulators, client_config):
    sim = simulators("woocommerce", "fr")
    config = client_config({"fr": sim})
    store = config.stores["fr"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    def with_store(**update):
        return config.model_copy(update={"stores": {"fr": store.model_copy(update=update)}})

    assert line(with_store(url=f"http://127.0.0.1:{closed_port}"), "fr").detail.startswith(
        "refused: nothing listens"
    )
    assert line(with_store(url="http://shop.connector-test.invalid"), "fr").detail.startswith("DNS:")
    sim.set_faults(hang_rate=1.0, hang_seconds=5)
    result = line(with_store(timeout=1), "fr")
    assert result.detail.startswith("timeout:"), result.detail


def test_a_hanging_shopify_store_is_a_timeout_after_one_attempt(simulators, client_config):
    sim = simulators("shopify", "global")
    config = client_config({"global": sim})
    store = config.stores["global"]
    sim.set_faults(hang_rate=1.0, hang_seconds=5)
    hanging = config.model_copy(update={"stores": {"global": store.model_copy(update={"timeout": 1})}})
    result = line(hanging, "global")
    assert result.detail.startswith("timeout:"), result.detail
    assert sim.stats()["faulted"] == 1  # one attempt: `connector check` fails fast
