"""The price job's inputs: unit costs (store meta field and CSV file) and refreshed exchange rates."""

from __future__ import annotations

import datetime
import http.server
import io
import threading
import zipfile
from decimal import Decimal

import pytest

from connector.config import load_config
from connector.jobs.costs import CostFileError, load_costs
from connector.jobs.prices import rate_book, rates_dir, refresh_rates
from connector.pricing import MarketPriceRules
from connector.rates import BUNDLED_ECB_FILE, CACHED_FILE_NAME
from connector.state import open_state

CONFIG = """
[client]
name = "acme"
base_currency = "EUR"
base_prices_include_vat = true
base_vat_rate = 20

[stores.master]
platform = "woocommerce"
url = "https://boutique.example.fr"
consumer_key = "env:ACME_KEY"
consumer_secret = "env:ACME_SECRET"

[stores.ch]
platform = "woocommerce"
url = "https://boutique.example.ch"
consumer_key = "env:ACME_KEY"
consumer_secret = "env:ACME_SECRET"

[pricing]
master_store = "master"
{cost_csv}

[markets.ch]
countries = ["CH"]
currency = "CHF"
language = "de"
target = "ch"
prices_include_vat = true
vat_rate = 8.1
"""
ENV = {"ACME_KEY": "ck_1234", "ACME_SECRET": "cs_5678"}


def config_with(tmp_path, cost_csv: str | None = None):
    line = f'cost_csv = "{cost_csv}"' if cost_csv else ""
    path = tmp_path / "config" / "acme.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(CONFIG.replace("{cost_csv}", line))
    return load_config(path, environ=ENV)


@pytest.fixture
def state(tmp_path):
    with open_state(tmp_path / "acme.sqlite") as opened:
        opened.db["variants"].insert_all(
            [
                {"store": "master", "id": "1", "sku": "A", "price": "10.00", "cost": "4.10"},
                {"store": "master", "id": "2", "sku": "B", "price": "10.00", "cost": "5.25"},
                {"store": "master", "id": "3", "sku": "C", "price": "10.00", "cost": "lots"},
                {"store": "master", "id": "4", "sku": "D", "price": "10.00", "cost": None},
                {"store": "ch", "id": "9", "sku": "A", "price": "12.00", "cost": "99"},
            ],
            pk=("store", "id"),
        )
        yield opened


def test_costs_come_from_the_master_stores_meta_field(tmp_path, state):
    book = load_costs(config_with(tmp_path), state, "master")

    assert book.costs == {"A": Decimal("4.10"), "B": Decimal("5.25")}
    assert all(type(cost) is Decimal for cost in book.costs.values())
    assert book.source("A") == "meta" and book.cost("D") is None
    (problem,) = book.problems
    assert "master SKU C: cost 'lots' in the _cost field is not an amount" in problem


def test_the_cost_file_wins_over_the_meta_field_and_reports_bad_rows(tmp_path, state):
    (tmp_path / "config" / "costs").mkdir(parents=True)
    (tmp_path / "config" / "costs" / "acme.csv").write_text(
        "\ufeffSKU,Cost,supplier\nB,6.00,x\nD,7,y\n,3.00,z\nE,-1,w\nF,12€,v\nD,7.5,u\n\n"
    )
    config = config_with(tmp_path, "costs/acme.csv")  # relative to the config file

    book = load_costs(config, state, "master")

    assert book.costs == {
        "A": Decimal("4.10"),
        "B": Decimal("6.00"),
        "D": Decimal("7.5"),
    }
    assert (book.source("A"), book.source("B"), book.source("D")) == ("meta", "csv", "csv")
    problems = "\n".join(book.problems)
    assert "line 4: no SKU" in problems
    assert "line 5: cost '-1' of SKU E is not an amount of zero or more" in problems
    assert "line 6: cost '12€' of SKU F" in problems
    assert "line 7: SKU D appears again with another cost (7.5, was 7)" in problems


def test_an_unusable_cost_file_is_a_clear_error(tmp_path, state):
    with pytest.raises(CostFileError, match="cost file not found; check pricing.cost_csv"):
        load_costs(config_with(tmp_path, "missing.csv"), state, "master")
    (tmp_path / "config" / "wrong.csv").write_text("reference,price\nA,1\n")
    with pytest.raises(CostFileError, match="must name the columns sku,cost; missing sku, cost"):
        load_costs(config_with(tmp_path, "wrong.csv"), state, "master")


def ecb_zip_with_a_newer_day(day: datetime.date, chf: str) -> bytes:
    with zipfile.ZipFile(BUNDLED_ECB_FILE) as bundled:
        header, rest = bundled.read("eurofxref-hist.csv").decode().split("\n", 1)
    row = [day.isoformat()] + [chf if name == "CHF" else "N/A" for name in header.split(",")[1:]]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("eurofxref-hist.csv", "\n".join([header, ",".join(row), rest]))
    return out.getvalue()


@pytest.fixture
def rates_server():
    served = {"body": b""}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Length", str(len(served["body"])))
            self.end_headers()
            self.wfile.write(served["body"])

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/eurofxref-hist.zip"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_refreshed_rates_are_kept_beside_the_state_file_and_used(tmp_path, rates_server):
    served, url = rates_server
    day = datetime.date(2025, 7, 1)
    served["body"] = ecb_zip_with_a_newer_day(day, "0.9400")
    config = config_with(tmp_path)
    rules = MarketPriceRules.from_mapping(config.markets["ch"].model_dump(), config.client.model_dump())
    assert rate_book(config).rate_for(rules).date == datetime.date(2025, 6, 9)  # the bundled file

    written = refresh_rates(config, url=url)

    assert (
        written
        == config.state_path.parent / "rates" / CACHED_FILE_NAME
        == rates_dir(config) / CACHED_FILE_NAME
    )
    rate = rate_book(config).rate_for(rules, on=day)
    assert (rate.value, rate.date, rate.source) == (Decimal("0.9400"), day, "ECB")
