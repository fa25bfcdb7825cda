"""No resolved secret reaches a log line, an exception message or --json output."""

import base64
import io
import json
import logging
import urllib.parse

from connector.cli import main
from connector.config import load_config
from connector.logs import redact, setup_logging

SECRET = "shpat_9f8e7d6c5b4a"


def config_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        '[client]\nname = "c"\nbase_currency = "EUR"\n'
        '[stores.s]\nplatform = "shopify"\nshop = "c.myshopify.com"\naccess_token = "env:C_TOKEN"\n'
    )
    return path


def test_log_lines_and_tracebacks_are_redacted(tmp_path):
    load_config(config_file(tmp_path), environ={"C_TOKEN": SECRET})
    for json_lines in (False, True):
        out = io.StringIO()
        setup_logging(json_lines=json_lines, stream=out)
        log = logging.getLogger("connector.test")
        log.info("calling with token %s", SECRET)
        try:
            raise RuntimeError(f"request failed: X-Shopify-Access-Token={SECRET}")
        except RuntimeError:
            log.exception("store failed")
        text = out.getvalue()
        assert SECRET not in text
        assert "[REDACTED]" in text and "request failed" in text
        if json_lines:
            entries = [json.loads(line) for line in text.splitlines()]
            assert entries[0]["message"] == "calling with token [REDACTED]"
            assert "exception" in entries[1]


def test_redact_covers_literal_secrets_refused_in_a_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(config_file(tmp_path).read_text().replace("env:C_TOKEN", "shpat_literal_0000"))
    assert main(["check", "-c", str(path)]) == 2
    assert redact("token shpat_literal_0000") == "token [REDACTED]"


def test_config_errors_never_print_a_secret(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("C_TOKEN", SECRET)
    path = tmp_path / "c.toml"
    path.write_text(
        config_file(tmp_path).read_text().replace('name = "c"', f'name = "c"\ntimezone = "{SECRET}"')
    )
    assert main(["check", "-c", str(path)]) == 2
    captured = capsys.readouterr()
    assert "client.timezone: unknown time zone '[REDACTED]'" in captured.err
    assert SECRET not in captured.err + captured.out


def test_the_forms_a_secret_travels_in_are_redacted_too(tmp_path):
    """A WooCommerce key pair goes over https as HTTP Basic (base64 of key:secret); a secret in a query string or
    a form body is percent-encoded. Each form is as secret as the value."""
    key, secret = "ck_9f8e7d6c5b4a", "cs_a+b/c=d&e 42"
    path = tmp_path / "w.toml"
    path.write_text(
        '[client]\nname = "w"\nbase_currency = "EUR"\n'
        '[stores.w]\nplatform = "woocommerce"\nurl = "https://shop.example.com"\n'
        'consumer_key = "env:W_KEY"\nconsumer_secret = "env:W_SECRET"\n'
    )
    load_config(path, environ={"W_KEY": key, "W_SECRET": secret})
    basic = base64.b64encode(f"{key}:{secret}".encode()).decode()
    assert basic not in (key, secret) and urllib.parse.quote(secret, safe="") != secret
    for form in (basic, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)):
        assert redact(f"Authorization: Basic {form}!") == "Authorization: Basic [REDACTED]!", form
    out = io.StringIO()
    setup_logging(stream=out)
    logging.getLogger("connector.test").warning(
        "GET /wc/v3?consumer_secret=%s", urllib.parse.quote_plus(secret)
    )
    assert "[REDACTED]" in out.getvalue() and urllib.parse.quote_plus(secret) not in out.getvalue()


def test_a_line_logged_during_a_clients_job_names_the_client_once_also_from_a_pool_thread():
    from connector.logs import client_context
    from connector.platforms.threads import ContextThreadPool

    out = io.StringIO()
    setup_logging(stream=out)
    platform = logging.getLogger("connector.platforms.test")
    with client_context("gamma"), ContextThreadPool(1) as pool:
        pool.submit(platform.info, "store boutique: attempt 1 failed (refused)").result()
        logging.getLogger("connector.scheduler").info("gamma/boutique pull:orders failed")
    platform.info("outside any client's job")
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("connector.platforms.test: gamma: store boutique: attempt 1 failed (refused)")
    assert lines[1].endswith("connector.scheduler: gamma/boutique pull:orders failed")  # not named twice
    assert lines[2].endswith("connector.platforms.test: outside any client's job")
