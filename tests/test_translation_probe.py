"""`connector check` for the translation provider, against the local DeepL-compatible server, whose
GET /v2/usage answers as DeepL documents it (https://developers.deepl.com/api-reference/usage-and-quota):
a Free key (":fx") gets character_count and character_limit only; a Pro key also its own count, the
key-level limit (1000000000000 when none is set) and the billing period."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from connector.sandbox.deepl import DeepLSandbox

PRO_KEY = "0123abcd-pro-key"


@pytest.fixture
def deepl():
    server = DeepLSandbox(auth_keys=("free-key:fx", PRO_KEY), character_limit=10_000).start()
    yield server
    server.stop()


def test_usage_answers_as_deepl_documents_it(deepl):
    free = requests.get(f"{deepl.base_url}/v2/usage", headers={"Authorization": "DeepL-Auth-Key free-key:fx"})
    assert free.status_code == 200 and free.json() == {"character_count": 0, "character_limit": 10_000}
    pro = requests.get(f"{deepl.base_url}/v2/usage", headers={"Authorization": f"DeepL-Auth-Key {PRO_KEY}"})
    assert set(pro.json()) == {
        "character_count", "character_limit", "api_key_character_count", "api_key_character_limit",
        "start_time", "end_time",
    }  # fmt: skip
    assert pro.json()["api_key_character_limit"] == 1_000_000_000_000
    wrong = requests.get(f"{deepl.base_url}/v2/usage", headers={"Authorization": "DeepL-Auth-Key nope"})
    assert wrong.status_code == 403


def _check(tmp_path, deepl, key):
    path = tmp_path / "acme.toml"
    path.write_text(
        '[client]\nname = "acme"\nbase_currency = "EUR"\n'
        '[stores.shop]\nplatform = "woocommerce"\nurl = "http://127.0.0.1:9"\n'
        'consumer_key = "env:T_KEY"\nconsumer_secret = "env:T_SECRET"\ntimeout = 2\n'
        f'[translation]\nprovider = "deepl"\napi_key = "env:T_DEEPL"\nserver_url = "{deepl.base_url}"\n'
    )
    env = {**os.environ, "T_KEY": "ck_x1234", "T_SECRET": "cs_x1234", "T_DEEPL": key}
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", "check", "-c", str(path)],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip


def test_check_reports_the_key_and_the_characters_left(tmp_path, deepl):
    deepl.control("usage", {"character_count": 2_500})
    result = _check(tmp_path, deepl, "free-key:fx")
    assert result.returncode == 1  # the store is unreachable; the translation line stands on its own
    assert (
        "translation      ok: deepl key valid, 2,500 of 10,000 characters used this period (7,500 left)"
        in (result.stdout)
    )


def test_check_fails_on_a_refused_key_and_on_a_used_up_quota(tmp_path, deepl):
    refused = _check(tmp_path, deepl, "wrong-key:fx")
    assert "translation      FAILED: deepl: DeepL refused the authentication key (HTTP 403)" in refused.stdout
    assert "wrong-key:fx" not in refused.stdout + refused.stderr
    deepl.control("usage", {"character_count": 10_000})
    spent = _check(tmp_path, deepl, "free-key:fx")
    assert (
        "FAILED: deepl key valid, 10,000 of 10,000 characters used this period (0 left): the quota is used up"
        in (spent.stdout)
    )
