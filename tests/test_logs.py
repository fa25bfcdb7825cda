"""No resolved secret reaches a log line, an exception message or --json output."""

import io
import json
import logging

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
