"""Bad input and dead stores, run as a user runs them: a subprocess, its exit code and its message."""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from connector.state import open_state

WOO = """
[stores.shop]
platform = "woocommerce"
url = "{url}"
consumer_key = "env:T_KEY"
consumer_secret = "env:T_SECRET"
timeout = 5
"""
SHOPIFY = """
[stores.shop]
platform = "shopify"
shop = "{url}"
access_token = "env:T_TOKEN"
timeout = 5
"""
ENV = {"T_KEY": "ck_0123456789abcdef", "T_SECRET": "cs_0123456789abcdef", "T_TOKEN": "shpat_0123456789abcdef"}


def connector(*args: str, timeout: float = 60, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **ENV, **(env or {})},
    )


def write_config(tmp_path: Path, store: str, *, state: str = "acme.sqlite", extra: str = "") -> Path:
    path = tmp_path / "acme.toml"
    path.write_text(
        f'[client]\nname = "acme"\nbase_currency = "EUR"\nstate_file = "{state}"\n{store}\n{extra}', "utf-8"
    )
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _PlainHttp(BaseHTTPRequestHandler):
    """Some web server that is not a store: pages for GET, 501 for POST (http.server's own answer)."""

    connections = 0

    def do_GET(self):  # noqa: N802
        body = b"<html><body>It works!</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


@pytest.fixture
def web_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PlainHttp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_latin1_config_says_it_is_not_utf8_and_how_to_convert(tmp_path):
    path = tmp_path / "acme.toml"
    path.write_bytes('[client]\nname = "lavé"\nbase_currency = "EUR"\n'.encode("latin-1"))
    result = connector("check", "-c", str(path))
    assert result.returncode == 2, result.stderr
    assert "line 2, column 12: the file is not UTF-8 (byte 0xe9" in result.stderr
    assert f"iconv -f latin1 -t utf-8 {path}" in result.stderr
    assert "Traceback" not in result.stderr


def _damaged_state(path: Path) -> None:
    with open_state(path) as state, state.transaction() as db:
        db["orders"].insert_all(
            {"store": "shop", "id": str(n), "number": str(n), "raw": "x" * 400} for n in range(3000)
        )
    pages = path.stat().st_size // 4096
    with open(path, "r+b") as damaged:  # a run of garbage over pages in the middle; the header is intact
        damaged.seek(4096 * (pages // 2))
        damaged.write(b"\xde\xad\xbe\xef" * 4096)


def test_a_damaged_state_file_is_refused_never_written_and_doctor_names_it(tmp_path):
    config = write_config(tmp_path, WOO.format(url="http://127.0.0.1:9"))
    state = tmp_path / "acme.sqlite"
    _damaged_state(state)
    before = hashlib.sha256(state.read_bytes()).hexdigest()
    for command in (["status"], ["report", "--since", "2026-01-01"], ["sync", "products"], ["run", "--once"]):
        result = connector(*command, "-c", str(config))
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "the state file is damaged" in result.stderr and "connector doctor -c" in result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""
    assert hashlib.sha256(state.read_bytes()).hexdigest() == before  # nothing was written
    doctor = connector("doctor", "-c", str(config))
    assert doctor.returncode == 1, doctor.stderr
    assert "integrity    DAMAGED" in doctor.stdout and ".recover" in doctor.stdout
    assert "Traceback" not in doctor.stderr


def test_health_port_in_use(tmp_path):
    config = write_config(tmp_path, WOO.format(url="http://127.0.0.1:9"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = connector("run", "-c", str(config), "--health-port", str(port))
    assert result.returncode == 2, result.stderr
    assert (
        f"--health-port {port}: cannot listen on 127.0.0.1:{port} (Address already in use)" in result.stderr
    )
    assert "choose a free port" in result.stderr and "Traceback" not in result.stderr


def test_a_state_folder_that_cannot_be_created(tmp_path):
    (tmp_path / "blocker").write_text("a file where the state folder should be")
    config = write_config(tmp_path, WOO.format(url="http://127.0.0.1:9"), state="blocker/state/acme.sqlite")
    result = connector("status", "-c", str(config))
    assert result.returncode == 2, result.stderr
    assert "cannot create the state file" in result.stderr and "ReadWritePaths=" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_shopify_address_that_answers_but_is_not_shopify(tmp_path, web_server):
    config = write_config(tmp_path, SHOPIFY.format(url=f"http://{web_server}"))
    check = connector("check", "-c", str(config))
    assert check.returncode == 1, check.stdout + check.stderr
    assert "answers (HTTP 501, text/html) but not as Shopify's Admin API does; check `shop`" in check.stdout
    sync = connector("sync", "orders", "-c", str(config))
    assert sync.returncode == 1
    assert "not as Shopify's Admin API does" in sync.stdout and "retrying" not in sync.stderr


def test_https_to_a_plain_http_server_says_so(tmp_path, web_server):
    config = write_config(tmp_path, WOO.format(url=f"https://{web_server}"))
    check = connector("check", "-c", str(config))
    assert check.returncode == 1
    assert f"TLS: https://{web_server} answers plain http, not https; write the address with http://" in (
        check.stdout
    )
    assert "certificate" not in check.stdout
    sync = connector("sync", "products", "-c", str(config))
    assert sync.returncode == 1
    assert "answers plain http, not https" in sync.stdout
    assert "retrying" not in sync.stderr  # one attempt: retrying cannot help


def test_a_dead_store_fails_a_one_off_sync_at_the_first_refusal_or_dns_failure(tmp_path):
    port = free_port()  # nothing listens there any more
    config = write_config(tmp_path, WOO.format(url=f"http://127.0.0.1:{port}"))
    refused = connector("sync", "products", "-c", str(config), timeout=30)
    assert refused.returncode == 1
    assert f"refused: nothing listens at http://127.0.0.1:{port}" in refused.stdout
    assert "retrying" not in refused.stderr and "Traceback" not in refused.stderr
    config = write_config(tmp_path, WOO.format(url="http://shop.invalid"))
    unknown = connector("sync", "products", "-c", str(config), timeout=30)
    assert unknown.returncode == 1
    assert "DNS: the host of http://shop.invalid:80 does not resolve" in unknown.stdout
    assert "retrying" not in unknown.stderr


def test_unknown_market_and_language_are_usage_errors(tmp_path):
    market = """
[markets.de]
countries = ["DE"]
currency = "EUR"
language = "de"
target = "shop"
prices_include_vat = true
vat_rate = 19

[pricing]
master_store = "shop"

[translation]
provider = "none"
source_language = "fr"
"""
    config = write_config(tmp_path, WOO.format(url="http://127.0.0.1:9"), extra=market)
    config.write_text(config.read_text().replace('base_currency = "EUR"', 'base_currency = "EUR"\n'
                      "base_prices_include_vat = true\nbase_vat_rate = 20"))  # fmt: skip
    prices = connector("sync", "prices", "--market", "xx", "-c", str(config))
    assert prices.returncode == 2
    assert "no market named 'xx' in" in prices.stderr and "use one of: de" in prices.stderr
    language = connector("sync", "translations", "--language", "xx", "-c", str(config))
    assert language.returncode == 2
    assert "--language 'xx' is not translated for acme; use one of: de" in language.stderr
    misplaced = connector("sync", "products", "--language", "de", "-c", str(config))
    assert misplaced.returncode == 2 and "--language applies to `sync translations` only" in misplaced.stderr


def test_the_retry_time_of_one_call_is_capped(monkeypatch):
    from connector.platforms import retry
    from connector.platforms.errors import TransientError

    monkeypatch.setattr(retry, "MAX_RETRY_SECONDS", 0.3)
    calls = []

    def always_busy():
        calls.append(1)
        raise TransientError("shop", "HTTP 503")

    with pytest.raises(TransientError):
        retry.retrying(max_attempts=1000, initial_wait=0.05, max_wait=0.05).call(always_busy)
    assert 2 <= len(calls) < 50  # stopped by the time cap, long before its 1,000 attempts


def test_sqlite_reports_the_damage_the_test_makes(tmp_path):
    """The damaged file of the tests above is damaged for SQLite itself (not only for the connector)."""
    state = tmp_path / "s.sqlite"
    _damaged_state(state)
    conn = sqlite3.connect(state)
    try:
        assert conn.execute("pragma quick_check").fetchone()[0] != "ok"
    except sqlite3.DatabaseError:
        pass
    finally:
        conn.close()
