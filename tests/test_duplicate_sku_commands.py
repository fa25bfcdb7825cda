"""A SKU two products share on one store, as the merchant sees it: `connector sync prices` and `connector sync
inventory` run as commands on the WooCommerce simulators; the exit code, the line naming the SKU, the store and
the fix, the shared SKU left as it was there and the other SKUs written."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from test_binder import force_sku
from test_prices import (
    CLIENT,
    COST_CSV,
    EXPECTED,
    MASTER,
    SWISS,
    create_catalogue,
    shown_prices,
    woo_store_toml,
)

from connector.sandbox.woocommerce import WooCommerceSim


def write_config(tmp_path, stores: dict[str, WooCommerceSim], extra: str = "") -> tuple[str, dict[str, str]]:
    parts, env = [CLIENT, extra], os.environ.copy()
    for name, sim in stores.items():
        text, names = woo_store_toml(name, sim)
        parts.append(text)
        env.update(names)
    (tmp_path / "cost.csv").write_text(COST_CSV)
    path = tmp_path / "acme.toml"
    path.write_text("\n".join(parts))
    return str(path), env


def connector(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def said(text: str) -> str:
    """The output with the terminal's line wrapping undone."""
    return " ".join(text.split())


def held(sim: WooCommerceSim, sku: str, *fields: str) -> list[tuple]:
    with sim.lock:
        return sorted(tuple(getattr(r, f) for f in fields) for r in sim.store.posts.values() if r.sku == sku)


def ids_of(sim: WooCommerceSim, sku: str) -> str:
    with sim.lock:
        return ", ".join(str(i) for i in sorted(r.id for r in sim.store.posts.values() if r.sku == sku))


@pytest.fixture
def master_and_swiss():
    with WooCommerceSim("master") as master, WooCommerceSim("ch", currency="CHF") as swiss:
        yield master, swiss


def test_sync_prices_names_a_duplicate_sku_and_its_fix_and_leaves_both_variants_alone(tmp_path, master_and_swiss):
    master, swiss = master_and_swiss
    create_catalogue(master, MASTER)
    create_catalogue(swiss, SWISS + [{"sku": "TEE-3-OLD", "regular_price": "95.00"}])
    force_sku(swiss, "TEE-3-OLD", "TEE-3")  # the Swiss store shows TEE-3 on two products
    path, env = write_config(tmp_path, {"master": master, "ch": swiss})
    writes = swiss.stats()["writes"]

    run = connector(env, "sync", "products", "prices", "-c", path)

    assert run.returncode == 0, run.stdout + run.stderr
    out = said(run.stdout)
    assert (
        f"SKU 'TEE-3' is on 2 variants of store ch ({ids_of(swiss, 'TEE-3')}); "
        "left alone there until each variant has its own SKU"
    ) in out
    assert "TEE-3 12.00 12.90 - - duplicate SKU" in out and "4 pushed" in out and "1 duplicate sku" in out
    assert run.stderr == ""
    assert held(swiss, "TEE-3", "regular_price", "sale_price") == [("11.00", "10.50"), ("95.00", "")]
    pushed = ["TEE-2", "TEE-4", "JKT-S", "JKT-M"]
    assert shown_prices(swiss, pushed) == {sku: EXPECTED[sku] for sku in pushed}
    assert swiss.stats()["writes"] - writes == 2  # the simple products' batch and the jacket's variations


def test_sync_inventory_names_a_duplicate_sku_and_its_fix_and_leaves_both_variants_alone(
    tmp_path, master_and_swiss
):
    master, swiss = master_and_swiss
    skus = master.add_products(count=3, prefix="P", stock=5)
    swiss.add_products(count=3, prefix="P", stock=9)
    (twin,) = swiss.add_products(count=1, prefix="TWIN", stock=7)
    shared = skus[0]
    force_sku(swiss, twin, shared)  # the Swiss store shows P-00001 on two products
    path, env = write_config(tmp_path, {"master": master, "ch": swiss}, '[inventory]\nsource_of_truth = "master"\n')

    run = connector(env, "sync", "products", "inventory", "-c", path)

    assert run.returncode == 0, run.stdout + run.stderr
    assert (
        f"ch: 1 SKU(s) used by two variants on this channel, left alone (give each variant its own SKU): {shared}"
    ) in said(run.stdout + run.stderr)
    assert held(swiss, shared, "stock_quantity") == [(7,), (9,)]  # neither Swiss variant written
    assert [swiss.stock(sku)["stock_quantity"] for sku in skus[1:]] == [5, 5]  # the others: 9 -> the pool's 5
    assert [master.stock(sku)["stock_quantity"] for sku in skus] == [5, 5, 5]
