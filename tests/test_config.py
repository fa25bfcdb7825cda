"""Config loading: every problem at once, each naming the file, the key path and the fix."""

from decimal import Decimal

import pytest

from connector.cli import main
from connector.config import ConfigError, load_config, write_template

MINIMAL = """
[client]
name = "acme"
base_currency = "EUR"
timezone = "Europe/Paris"
base_prices_include_vat = true
base_vat_rate = 20

[stores.fr]
platform = "woocommerce"
url = "https://boutique.example.fr"
consumer_key = "env:ACME_KEY"
consumer_secret = "env:ACME_SECRET"

[stores.global]
platform = "shopify"
shop = "acme.myshopify.com"
access_token = "env:ACME_TOKEN"

[markets.de]
countries = ["DE", "AT"]
currency = "EUR"
language = "de"
target = "global"
prices_include_vat = true
vat_rate = 19.5
rounding = { rule = "charm", ending = 0.99 }
"""
ENV = {"ACME_KEY": "ck_live_1234", "ACME_SECRET": "cs_live_5678", "ACME_TOKEN": "shpat_abcdef"}


def write(tmp_path, text, name="acme.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(tmp_path, text, environ=ENV):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), environ=environ)
    return caught.value.problems


def test_valid_config_resolves_env_secrets_and_reads_decimals(tmp_path):
    config = load_config(write(tmp_path, MINIMAL), environ=ENV)
    assert config.stores["fr"].consumer_key.get_secret_value() == "ck_live_1234"
    assert config.stores["global"].access_token.get_secret_value() == "shpat_abcdef"
    assert "shpat_abcdef" not in repr(config)
    assert config.markets["de"].vat_rate == Decimal("19.5")
    assert isinstance(config.markets["de"].rounding.ending, Decimal)
    assert config.state_path == (tmp_path / "acme.sqlite").resolve()
    assert config.target_languages == ["de"]


def test_toml_syntax_error_names_line_and_column(tmp_path):
    (problem,) = problems(tmp_path, MINIMAL.replace('name = "acme"', "name = "))
    assert problem.startswith("TOML syntax error: line 3, column 8")


def test_unknown_key_suggests_the_closest_valid_key(tmp_path):
    found = problems(tmp_path, MINIMAL.replace('currency = "EUR"\nlanguage', 'curency = "EUR"\nlanguage'))
    assert "markets.de.curency: unknown key; did you mean 'currency'?" in found
    assert "markets.de.currency: required key is missing; add it (see config/example.toml)" in found


def test_unknown_key_in_a_store_of_either_platform(tmp_path):
    found = problems(tmp_path, MINIMAL.replace('shop = "acme', 'shopp = "x"\nshop = "acme'))
    assert "stores.global.shopp: unknown key; did you mean 'shop'?" in found


def test_wrong_types(tmp_path):
    found = problems(
        tmp_path,
        MINIMAL.replace("vat_rate = 19.5", 'vat_rate = "lots"').replace(
            'countries = ["DE", "AT"]', 'countries = "DE"'
        ),
    )
    assert any(
        p.startswith("markets.de.vat_rate: Input should be a valid decimal (got 'lots')") for p in found
    )
    assert any(p.startswith("markets.de.countries: Input should be a valid list") for p in found)


def test_unknown_iso_codes_come_from_library_data(tmp_path):
    text = MINIMAL.replace('currency = "EUR"\nlanguage = "de"', 'currency = "EUX"\nlanguage = "xx"')
    text = text.replace('["DE", "AT"]', '["DE", "QQ"]').replace("Europe/Paris", "Mars/Olympus")
    found = problems(tmp_path, text)
    assert any("markets.de.currency: unknown currency 'EUX'; use an ISO 4217 code" in p for p in found)
    assert any("markets.de.language: unknown language 'xx'" in p for p in found)
    assert any("markets.de.countries.1: unknown country 'QQ'" in p for p in found)
    assert any("client.timezone: unknown time zone 'Mars/Olympus'" in p for p in found)


def test_market_target_must_be_a_configured_store(tmp_path):
    found = problems(tmp_path, MINIMAL.replace('target = "global"', 'target = "glboal"'))
    assert found == [
        "markets.de.target: no store named 'glboal'; use one of the [stores.*] names (fr, global)"
    ]


def test_unknown_platform(tmp_path):
    found = problems(tmp_path, MINIMAL.replace('platform = "shopify"', 'platform = "magento"'))
    assert found == ['stores.global.platform: unknown platform; use "woocommerce" or "shopify"']


def test_missing_environment_variable(tmp_path):
    found = problems(tmp_path, MINIMAL, environ={k: v for k, v in ENV.items() if k != "ACME_TOKEN"})
    assert found == [
        "stores.global.access_token: environment variable ACME_TOKEN is not set; export ACME_TOKEN=... first"
    ]


def test_literal_secret_is_refused_without_echoing_it(tmp_path):
    found = problems(tmp_path, MINIMAL.replace('"env:ACME_SECRET"', '"cs_literal_secret_99"'))
    assert found == [
        'stores.fr.consumer_secret: a secret is written in the file; write consumer_secret = "env:VARNAME" '
        "and export VARNAME in the environment instead"
    ]
    assert not any("cs_literal_secret_99" in p for p in found)


def test_every_problem_is_reported_at_once(tmp_path):
    text = MINIMAL.replace('target = "global"', 'target = "nowhere"').replace(
        '"EUR"\ntimezone', '"EURO"\ntimezone'
    )
    found = problems(tmp_path, text, environ={})
    assert len(found) == 5  # three variables, one currency, one target
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), environ={})
    assert all(line.startswith(str(tmp_path / "acme.toml") + ": ") for line in str(caught.value).splitlines())


def test_missing_file_says_how_to_create_one(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.toml")
    assert "file not found; create it with `connector init NAME`" in str(caught.value)


def test_check_exits_2_on_config_errors_and_prints_them(tmp_path, capsys, monkeypatch):
    path = write(tmp_path, MINIMAL.replace("vat_rate = 19.5", "vat_rte = 19.5"))
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    assert main(["check", "-c", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: markets.de.vat_rte: unknown key; did you mean 'vat_rate'?" in err


def test_bad_schedule_and_cron(tmp_path):
    text = MINIMAL + '\n[schedules]\norders = "sometimes"\ninventory = "cron: 99 * * * *"\n'
    found = problems(tmp_path, text)
    assert any(p.startswith("schedules.orders: bad schedule 'sometimes'; write 'every 90s'") for p in found)
    assert any(p.startswith("schedules.inventory: bad cron expression 'cron: 99 * * * *'") for p in found)


def test_init_writes_a_valid_template_and_refuses_to_overwrite(tmp_path, capsys, monkeypatch):
    assert main(["init", "bistro", "--dir", str(tmp_path)]) == 0
    path = tmp_path / "bistro.toml"
    for name in (
        "BISTRO_FR_WC_KEY",
        "BISTRO_FR_WC_SECRET",
        "BISTRO_SHOPIFY_CLIENT_ID",
        "BISTRO_SHOPIFY_CLIENT_SECRET",
        "BISTRO_DEEPL_KEY",
    ):
        monkeypatch.setenv(name, "value-" + name)
    config = load_config(path)
    assert config.client.name == "bistro"
    assert main(["init", "bistro", "--dir", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_example_config_is_the_template(tmp_path):
    from pathlib import Path

    example = Path(__file__).parent.parent / "config" / "example.toml"
    assert (
        example.read_text() == (Path(__file__).parent.parent / "connector/templates/client.toml").read_text()
    )
    with pytest.raises(FileExistsError):
        write_template(example, "example")


def test_price_rules_are_checked_with_the_config(tmp_path):
    text = MINIMAL.replace("base_prices_include_vat = true\nbase_vat_rate = 20\n", "").replace(
        'rounding = { rule = "charm", ending = 0.99 }', 'rounding = { rule = "step", step = 0.003 }'
    )
    found = problems(tmp_path, text)
    assert any(p.startswith("client.base_prices_include_vat:") for p in found), found
    assert any(p.startswith("markets.de.rounding.step:") for p in found), found
