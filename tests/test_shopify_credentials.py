"""Shopify credentials as they are in late 2026: the client credentials grant, an agency's authorization code
grant with expiring, rotating tokens (`connector shopify authorize`), the legacy token, and config validation."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from connector.config import ConfigError, load_config
from connector.platforms.errors import AuthError
from connector.platforms.retry import retrying
from connector.platforms.shopify import credentials as credentials_module
from connector.platforms.shopify.credentials import AuthorizationCode, ClientCredentials, pair_from_answer
from connector.platforms.shopify.store_state import ShopifyStoreState
from connector.platforms.shopify.transport import ShopifyTransport
from connector.sandbox.shopify import ShopifySim

SHOP_QUERY = "{ shop { name } }"


@pytest.fixture
def sim():
    with ShopifySim("Maison Credentials") as shop:
        shop.seed(products=4, variants=2, customers=2, orders=2, seed=3)
        yield shop


def transport(sim, source) -> ShopifyTransport:
    return ShopifyTransport(
        sim.base_url, source, timeout=5, store_name="shop", retry_policy=retrying(max_attempts=3, max_wait=0.1)
    )


# --- the client credentials grant ----------------------------------------------------------------------------


def test_client_credentials_tokens_are_renewed_before_they_expire_and_once_after_a_401(sim):
    sim.control("auth", {"token_ttl": 0.5})
    source = ClientCredentials("shop", sim.base_url, sim.client_id, sim.client_secret, timeout=5)
    calls = transport(sim, source)
    calls.execute(SHOP_QUERY)
    for _ in range(3):  # each time the token's renewal is due, the next call carries a new one
        issued = sim.stats()["tokens_issued"]
        while time.monotonic() < source._renew_at:
            time.sleep(0.02)
        assert calls.execute(SHOP_QUERY)["shop"]["name"] == "Maison Credentials"
        assert sim.stats()["tokens_issued"] == issued + 1
    sim.control("auth", {"expire_all": True})  # revoked early: the 401 renews it, the call goes through
    issued = sim.stats()["tokens_issued"]
    assert calls.execute(SHOP_QUERY)["shop"]["name"]
    assert sim.stats()["tokens_issued"] == issued + 1


def test_a_refused_exchange_is_a_refused_credential_in_shopifys_words(sim):
    source = ClientCredentials("shop", sim.base_url, sim.client_id, "shpss_not_the_secret", timeout=5)
    with pytest.raises(AuthError) as refused:
        transport(sim, source).execute(SHOP_QUERY)
    assert "invalid_client" in refused.value.message and "Client authentication failed" in refused.value.message
    assert "shpss_not_the_secret" not in str(refused.value)
    assert sim.stats()["requests"]["POST /admin/oauth/access_token"] == 1  # refused once: not retried


# --- the authorization code grant ----------------------------------------------------------------------------


def agency_config(tmp_path: Path, sim, monkeypatch) -> Path:
    monkeypatch.setenv("AGENCY_ID", sim.client_id)
    monkeypatch.setenv("AGENCY_SECRET", sim.client_secret)
    path = tmp_path / "client.toml"
    path.write_text(
        '[client]\nname = "client"\nbase_currency = "EUR"\nstate_file = "client.sqlite"\n\n'
        f'[stores.shop]\nplatform = "shopify"\nshop = "{sim.base_url}"\nauth = "authorization_code"\n'
        'client_id = "env:AGENCY_ID"\nclient_secret = "env:AGENCY_SECRET"\ntimeout = 5\n'
    )
    return path


def run_authorize(path: Path, sim) -> subprocess.CompletedProcess:
    """`connector shopify authorize` as an agency runs it; the merchant's browser follows the install URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "connector.cli", "shopify", "authorize", "-c", str(path), "--store", "shop", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("waiting for Shopify's redirect"):
            break
    url = next(line.strip() for line in lines if line.startswith("http"))
    assert url.startswith(f"{sim.base_url}/admin/oauth/authorize?client_id={sim.client_id}&scope=")
    browser = requests.get(url, timeout=10)  # Shopify redirects to the command's local port
    assert browser.status_code == 200 and "authorization received" in browser.text
    out, err = process.communicate(timeout=30)
    return subprocess.CompletedProcess(process.args, process.returncode, "".join(lines) + out, err)


def test_authorize_stores_an_expiring_pair_in_the_state_and_syncs_with_it(sim, tmp_path, monkeypatch):
    path = agency_config(tmp_path, sim, monkeypatch)
    done = run_authorize(path, sim)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "store shop: authorized" in done.stdout and "read_orders" in done.stdout
    state_file = tmp_path / "client.sqlite"
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    pair = ShopifyStoreState("shop", state_file).tokens()
    assert pair.access_token.startswith("shpua_") and pair.refresh_token.startswith("shprt_")
    for secret in (pair.access_token, pair.refresh_token, sim.client_secret):
        assert secret not in done.stdout + done.stderr

    sim.control("auth", {"expire_all": True})  # the hour is up: the next sync refreshes and rotates
    synced = subprocess.run(
        [sys.executable, "-m", "connector.cli", "sync", "products", "-c", str(path), "--json"],
        capture_output=True, text=True, timeout=60, env=os.environ.copy(),
    )
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout)["ok"]
    rotated = ShopifyStoreState("shop", state_file).tokens()
    assert rotated.refresh_token != pair.refresh_token and rotated.access_token != pair.access_token
    for secret in (pair.access_token, pair.refresh_token, rotated.access_token, rotated.refresh_token):
        assert secret not in synced.stdout + synced.stderr


def test_a_redirect_with_a_forged_hmac_or_state_is_refused(sim, tmp_path, monkeypatch):
    from connector.platforms.shopify.authorize import AuthorizationRefused, verify_redirect

    query = requests.get(
        f"{sim.base_url}/admin/oauth/authorize",
        params={"client_id": sim.client_id, "scope": "read_products", "redirect_uri": "http://127.0.0.1:9/callback", "state": "s"},
        allow_redirects=False,
        timeout=5,
    ).headers["Location"].split("?", 1)[1]
    params = dict(p.split("=", 1) for p in query.split("&"))
    assert verify_redirect(params, "s", sim.client_secret, sim.base_url) == params["code"]
    with pytest.raises(AuthorizationRefused, match="hmac"):
        verify_redirect({**params, "code": "forged"}, "s", sim.client_secret, sim.base_url)
    with pytest.raises(AuthorizationRefused, match="state"):
        verify_redirect(params, "other", sim.client_secret, sim.base_url)


def authorized_pair(sim, state: ShopifyStoreState):
    location = requests.get(
        f"{sim.base_url}/admin/oauth/authorize",
        params={"client_id": sim.client_id, "scope": "read_products", "redirect_uri": "http://127.0.0.1:9/cb"},
        allow_redirects=False,
        timeout=5,
    ).headers["Location"]
    code = location.split("code=", 1)[1].split("&", 1)[0]
    body = requests.post(
        f"{sim.base_url}/admin/oauth/access_token",
        data={"client_id": sim.client_id, "client_secret": sim.client_secret, "code": code, "expiring": "1"},
        timeout=5,
    ).json()
    state.save_tokens(pair_from_answer(body))


def test_a_crash_between_the_refresh_answer_and_its_commit_never_locks_the_client_out(sim, tmp_path, monkeypatch):
    state = ShopifyStoreState("shop", tmp_path / "client.sqlite")
    authorized_pair(sim, state)
    first = state.tokens()
    source = AuthorizationCode("shop", sim.base_url, sim.client_id, sim.client_secret, state, timeout=5)
    sim.control("auth", {"expire_all": True})

    def crash(pair):  # the process dies after Shopify answered, before the new pair is committed
        raise KeyboardInterrupt

    monkeypatch.setattr(state, "save_tokens", crash)
    with pytest.raises(KeyboardInterrupt):
        transport(sim, source).execute(SHOP_QUERY)
    monkeypatch.undo()
    assert state.tokens() == first  # the old pair is what the state holds
    restarted = AuthorizationCode("shop", sim.base_url, sim.client_id, sim.client_secret, state, timeout=5)
    assert transport(sim, restarted).execute(SHOP_QUERY)["shop"]["name"]  # the stored refresh token still works
    second = state.tokens()
    assert second.refresh_token != first.refresh_token
    # Once its replacement has been used, the old refresh token is retired by Shopify.
    sim.control("auth", {"expire_all": True})
    assert transport(sim, restarted).execute(SHOP_QUERY)["shop"]["name"]
    reused = requests.post(
        f"{sim.base_url}/admin/oauth/access_token",
        data={"grant_type": "refresh_token", "client_id": sim.client_id, "client_secret": sim.client_secret,
              "refresh_token": first.refresh_token},
        timeout=5,
    )
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_an_unauthorized_store_says_to_run_authorize(sim, tmp_path):
    state = ShopifyStoreState("shop", tmp_path / "client.sqlite")
    source = AuthorizationCode("shop", sim.base_url, sim.client_id, sim.client_secret, state, config_path="c.toml")
    with pytest.raises(AuthError, match="connector shopify authorize -c c.toml --store shop"):
        transport(sim, source).execute(SHOP_QUERY)


# --- config ---------------------------------------------------------------------------------------------------


def shopify_toml(tmp_path: Path, keys: str) -> Path:
    path = tmp_path / "shop.toml"
    path.write_text(
        '[client]\nname = "c"\nbase_currency = "EUR"\n\n'
        f'[stores.shop]\nplatform = "shopify"\nshop = "acme.myshopify.com"\n{keys}'
    )
    return path


@pytest.mark.parametrize(
    ("keys", "said"),
    [
        ("", "no credential is given; write one of: `client_id` and `client_secret`"),
        ('access_token = "env:T"\nclient_id = "env:I"\nclient_secret = "env:S"\n', "several credential forms"),
        ('client_id = "env:I"\n', "client_secret is missing"),
        ('access_token = "env:T"\napi_version = "2025-07"\n', "api_version '2025-07' is not a version the pinned"),
        ('access_token = "env:T"\napi_version = "2026-01"\n', "inventory writes need 2026-04 or later"),
    ],
    ids=["none", "several", "half", "unknown-version", "old-version"],
)
def test_config_names_the_keys_to_write(tmp_path, keys, said):
    with pytest.raises(ConfigError) as refused:
        load_config(shopify_toml(tmp_path, keys), environ={"T": "shpat_x", "I": "id", "S": "shpss_x"})
    assert any(said in problem for problem in refused.value.problems), refused.value.problems
    assert any("2026-04, 2026-07, 2026-10" in p for p in refused.value.problems) or "version" not in said


def test_each_credential_form_loads(tmp_path):
    env = {"T": "shpat_x", "I": "id", "S": "shpss_x"}
    for keys, form in [
        ('access_token = "env:T"\n', "access_token"),
        ('client_id = "env:I"\nclient_secret = "env:S"\n', "client_credentials"),
        ('client_id = "env:I"\nclient_secret = "env:S"\nauth = "authorization_code"\n', "authorization_code"),
    ]:
        store = load_config(shopify_toml(tmp_path, keys), environ=env).stores["shop"]
        assert credentials_module.form_of(store) == form and store.state_path is not None


def test_a_client_secret_written_in_the_file_is_refused_and_never_echoed(tmp_path):
    with pytest.raises(ConfigError) as refused:
        load_config(shopify_toml(tmp_path, 'client_id = "env:I"\nclient_secret = "shpss_literal_secret"\n'), environ={"I": "x"})
    text = str(refused.value)
    assert "client_secret: a secret is written in the file" in text and "shpss_literal_secret" not in text


def issued_secrets(sim) -> set[str]:
    """Every access and refresh token the simulated shop has issued, and the app's client secret."""
    with sim.auth._lock:
        return {*sim.auth._access, *sim.auth._refresh, sim.client_secret} - {sim.access_token}


def test_no_secret_token_or_refresh_token_reaches_logs_json_or_errors(sim, tmp_path, monkeypatch):
    path = agency_config(tmp_path, sim, monkeypatch)
    assert run_authorize(path, sim).returncode == 0
    sim.control("auth", {"token_ttl": 0.3, "expire_all": True})  # refreshed (and rotated) during the runs
    sim.set_faults(rate_limit_rate=0.3, retry_after=0.05, seed=4)  # retries are logged
    env = os.environ.copy()
    runs = [
        subprocess.run(
            [sys.executable, "-m", "connector.cli", "-v", *flags, "sync", "orders", "customers", "-c", str(path), "--json"],
            capture_output=True, text=True, timeout=120, env=env,
        )
        for flags in ([], ["--log-json"])
    ]
    env["AGENCY_SECRET"] = "shpss_wrong_" + sim.client_secret[-8:]
    sim.control("auth", {"expire_all": True})
    refused = subprocess.run(
        [sys.executable, "-m", "connector.cli", "sync", "orders", "-c", str(path), "--json"],
        capture_output=True, text=True, timeout=60, env=env,
    )
    assert all(run.returncode == 0 for run in runs), [run.stderr[-800:] for run in runs]
    assert refused.returncode == 1 and "invalid_client" in refused.stdout and "connector shopify authorize" in refused.stdout
    secrets_issued = issued_secrets(sim) | {env["AGENCY_SECRET"]}
    assert len(secrets_issued) >= 5  # several tokens and refresh tokens were issued: the check has teeth
    text = "".join(run.stdout + run.stderr for run in [*runs, refused])
    assert "retrying" in text
    assert [s for s in secrets_issued if s in text] == []


def run_authorize_pasted(path: Path, sim, edit=lambda url: url) -> tuple[subprocess.CompletedProcess, str]:
    """`connector shopify authorize --paste`: the merchant approves, copies the address the browser was sent to
    (nothing listens there) and pastes it into the command; `edit` makes the install URL the browser opens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "connector.cli", "shopify", "authorize", "-c", str(path), "--store", "shop", "--paste"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Then paste"):
            break
    url = next(line.strip() for line in lines if line.startswith("http"))
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A8976%2Fcallback" in url
    approved = requests.get(edit(url), allow_redirects=False, timeout=10)
    assert approved.status_code == 302
    redirect = approved.headers["Location"]
    out, err = process.communicate(redirect + "\n", timeout=30)
    return subprocess.CompletedProcess(process.args, process.returncode, "".join(lines) + out, err), redirect


def test_a_pasted_redirect_url_is_exchanged_and_its_tokens_kept_in_the_state(sim, tmp_path, monkeypatch):
    path = agency_config(tmp_path, sim, monkeypatch)
    issued = sim.stats()["tokens_issued"]
    done, redirect = run_authorize_pasted(path, sim)
    assert redirect.startswith("http://127.0.0.1:8976/callback?") and "code=" in redirect
    assert done.returncode == 0, done.stdout + done.stderr
    state_file = tmp_path / "client.sqlite"
    assert f"store shop: authorized; tokens kept in {state_file}" in done.stdout
    assert "granted scopes: " in done.stdout and "read_products" in done.stdout
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    pair = ShopifyStoreState("shop", state_file).tokens()
    assert pair.access_token.startswith("shpua_") and pair.refresh_token.startswith("shprt_")
    assert sim.stats()["tokens_issued"] == issued + 1
    for secret in (pair.access_token, pair.refresh_token, sim.client_secret):
        assert secret not in done.stdout + done.stderr


def test_a_pasted_redirect_with_another_state_is_refused_and_nothing_is_written(sim, tmp_path, monkeypatch):
    path = agency_config(tmp_path, sim, monkeypatch)
    # an install URL from an earlier run: Shopify signs its redirect, but the state is not this run's
    stale = lambda url: url.split("&state=", 1)[0] + "&state=from-an-earlier-run"  # noqa: E731
    issued = sim.stats()["tokens_issued"]
    refused, redirect = run_authorize_pasted(path, sim, stale)
    assert "state=from-an-earlier-run" in redirect and "code=" in redirect
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "store shop: authorization refused: the redirect's state is not the one this command sent; start again"
    )
    assert sim.stats()["tokens_issued"] == issued  # the code was never exchanged
    state_file = tmp_path / "client.sqlite"
    assert not state_file.exists() or ShopifyStoreState("shop", state_file).tokens() is None
