"""The local DeepL and LibreTranslate servers speak their real APIs to real clients."""

from __future__ import annotations

import deepl
import pytest
import requests

from connector.sandbox.deepl import (
    SANDBOX_DEEPL_KEY,
    DeepLSandbox,
    PseudoTranslation,
    drop_first_element_tags,
)
from connector.sandbox.libretranslate import SANDBOX_LIBRETRANSLATE_KEY, LibreTranslateSandbox
from connector.translation import DeepLProvider, LibreTranslateProvider, ProviderError


@pytest.fixture
def deepl_server():
    with DeepLSandbox(character_limit=1_000) as server:
        yield server


@pytest.fixture
def libre_server():
    with LibreTranslateSandbox() as server:
        yield server


def client(server: DeepLSandbox, key: str = SANDBOX_DEEPL_KEY) -> deepl.Translator:
    return deepl.Translator(key, server_url=server.base_url, send_platform_info=False)


def test_pseudo_translation_keeps_markup_entities_and_untranslated_elements() -> None:
    translation = PseudoTranslation("FR", "DE", glossary={"huile": "Pflegeöl"}, ignore_tags=frozenset({"x"}))
    source = (
        '<ul><li>Une huile <a href="/h" title="huile">douce</a> &amp; bio</li>'
        '<li><span translate="no">Douce France</span> savon</li><li><x>la peau</x></li></ul>'
    )
    assert translation.html(source) == (
        '<ul><li>[DE] Eine Pflegeöl <a href="/h" title="huile">sanft</a> &amp; Bio</li>'
        '<li>[DE] <span translate="no">Douce France</span> Seife</li><li>[DE] <x>la peau</x></li></ul>'
    )
    assert translation.text("Savon doux") == "[DE] Seife sanft"


def test_drop_first_element_tags_keeps_the_content() -> None:
    assert drop_first_element_tags("<p>a <b>b</b> <b>c</b></p>", "b") == "<p>a b <b>c</b></p>"
    assert drop_first_element_tags("<p>a</p>", "b") == "<p>a</p>"


def test_deepl_client_usage_languages_and_billing(deepl_server: DeepLSandbox) -> None:
    translator = client(deepl_server)
    results = translator.translate_text(["Savon doux", "Une huile"], source_lang="FR", target_lang="EN-GB")
    assert [r.text for r in results] == ["[EN] Soap soft", "[EN] A oil"]
    assert [r.billed_characters for r in results] == [10, 9]
    assert results[0].detected_source_lang == "FR"
    usage = translator.get_usage()
    assert (usage.character.count, usage.character.limit) == (19, 1_000)
    targets = {language.code: language.supports_formality for language in translator.get_target_languages()}
    assert targets["DE"] is True and targets["EN-US"] is False
    assert "FR" in {language.code for language in translator.get_source_languages()}
    assert deepl_server.stats()["requests"]["POST /v2/translate"] == 1


def test_deepl_legacy_form_request_with_auth_key_field(deepl_server: DeepLSandbox) -> None:
    response = requests.post(
        f"{deepl_server.base_url}/v2/translate",
        data={
            "auth_key": SANDBOX_DEEPL_KEY,
            "text": ["<p>la <k>peau</k></p>", "et"],
            "target_lang": "DE",
            "source_lang": "FR",
            "tag_handling": "html",
            "ignore_tags": "k",
        },  # fmt: skip
        timeout=5,
    )
    assert response.status_code == 200
    assert [t["text"] for t in response.json()["translations"]] == ["<p>[DE] die <k>peau</k></p>", "[DE] und"]
    assert "billed_characters" not in response.json()["translations"][0]


def test_deepl_errors_are_the_real_status_codes(deepl_server: DeepLSandbox) -> None:
    with pytest.raises(deepl.AuthorizationException):
        client(deepl_server, key="wrong").translate_text("Savon", target_lang="DE")
    with pytest.raises(deepl.QuotaExceededException):
        client(deepl_server).translate_text("x" * 1_001, target_lang="DE")
    with pytest.raises(deepl.DeepLException, match="'formality' is not supported"):
        client(deepl_server).translate_text("Savon", target_lang="EN-US", formality="more")
    assert deepl_server.character_count == 0


def test_deepl_glossary_lifecycle(deepl_server: DeepLSandbox) -> None:
    translator = client(deepl_server)
    glossary = translator.create_glossary(
        "marques", "FR", "DE", {"Douce France": "Douce France", "savon": "Seife"}
    )
    assert glossary.ready and glossary.entry_count == 2 and glossary.source_lang == "FR"
    assert translator.get_glossary(glossary.glossary_id).name == "marques"
    assert translator.get_glossary_entries(glossary) == {"Douce France": "Douce France", "savon": "Seife"}
    text = translator.translate_text(
        "le savon Douce France", source_lang="FR", target_lang="DE", glossary=glossary
    )
    assert text.text == "[DE] der Seife Douce France"
    translator.delete_glossary(glossary)
    assert translator.list_glossaries() == []
    with pytest.raises(deepl.GlossaryNotFoundException):
        translator.get_glossary(glossary.glossary_id)
    assert deepl_server.stats()["writes"] == 2


def test_deepl_provider_maps_throttling_and_server_faults(deepl_server: DeepLSandbox) -> None:
    provider = DeepLProvider(SANDBOX_DEEPL_KEY, server_url=deepl_server.base_url, max_network_retries=0)
    deepl_server.set_faults(rate_limit_rate=1.0)
    with pytest.raises(ProviderError) as raised:
        provider.translate(["Savon"], "fr", "de", html=False, glossary=None, formality=None)
    assert raised.value.kind == "rate_limited"
    requests.post(f"{deepl_server.base_url}/__sandbox/faults", json={"error_rate": 1.0, "seed": 1}, timeout=5)
    with pytest.raises(ProviderError) as raised:
        provider.translate(["Savon"], "fr", "de", html=False, glossary=None, formality=None)
    assert raised.value.kind == "unexpected" and "HTTP 5" in str(raised.value)
    deepl_server.set_faults()
    assert provider.translate(["Savon"], "fr", "en", html=False, glossary=None, formality="more") == [
        "[EN] Soap"
    ]
    assert provider.characters_billed == 5


def test_deepl_fault_hook_over_http(deepl_server: DeepLSandbox) -> None:
    response = requests.post(
        f"{deepl_server.base_url}/__sandbox/translation_fault", json={"drop_tag": "b", "times": 1}, timeout=5
    )
    assert response.json() == {"drop_tag": "b", "times": 1}
    translator = client(deepl_server)
    first = translator.translate_text("<p><b>Savon</b></p>", target_lang="DE", tag_handling="html")
    second = translator.translate_text("<p><b>Savon</b></p>", target_lang="DE", tag_handling="html")
    assert (first.text, second.text) == ("<p>[DE] Seife</p>", "<p><b>[DE] Seife</b></p>")


def test_libretranslate_json_and_form_requests(libre_server: LibreTranslateSandbox) -> None:
    url = f"{libre_server.base_url}/translate"
    listed = requests.post(
        url,
        json={
            "q": ["Savon doux", "<p>  la\n <code>peau</code> <i translate='no'>douce</i></p>"],
            "source": "fr",
            "target": "en",
            "format": "html",
            "api_key": SANDBOX_LIBRETRANSLATE_KEY,
        },  # fmt: skip
        timeout=5,
    ).json()
    assert listed == {
        "translatedText": ["[EN] Soap soft", "<p> [EN] the <code>peau</code> <i translate='no'>douce</i></p>"]
    }
    single = requests.post(
        url,
        data={"q": "Savon", "source": "auto", "target": "de", "api_key": SANDBOX_LIBRETRANSLATE_KEY},
        timeout=5,
    ).json()
    assert single == {
        "translatedText": "[DE] Seife",
        "detectedLanguage": {"confidence": 90.0, "language": "fr"},
    }
    languages = requests.get(f"{libre_server.base_url}/languages", timeout=5).json()
    assert {"code": "fr", "name": "French"}.items() <= next(
        entry for entry in languages if entry["code"] == "fr"
    ).items()


@pytest.mark.parametrize(
    "payload, status, error",
    [
        (
            {"q": "a", "source": "fr", "target": "de"},
            403,
            "Visit https://portal.libretranslate.com to get an API key",
        ),
        ({"q": "a", "source": "fr", "target": "de", "api_key": "nope"}, 403, "Invalid API key"),
        (
            {"q": "a", "source": "fr", "target": "xx", "api_key": SANDBOX_LIBRETRANSLATE_KEY},
            400,
            "xx is not supported",
        ),
        (
            {"source": "fr", "target": "de", "api_key": SANDBOX_LIBRETRANSLATE_KEY},
            400,
            "Invalid request: missing q parameter",
        ),
    ],
)
def test_libretranslate_errors(libre_server: LibreTranslateSandbox, payload, status: int, error: str) -> None:
    response = requests.post(f"{libre_server.base_url}/translate", json=payload, timeout=5)
    assert (response.status_code, response.json()) == (status, {"error": error})


def test_libretranslate_open_server_and_provider_retries_a_throttled_call() -> None:
    with LibreTranslateSandbox(api_keys=None) as server:
        provider = LibreTranslateProvider(server.base_url, retries=2, backoff_factor=0)
        server.set_faults(rate_limit_rate=1.0, retry_after=0)
        with pytest.raises(ProviderError) as raised:
            provider.translate(["Savon"], "fr", "de", html=False, glossary=None, formality=None)
        assert raised.value.kind == "rate_limited"
        assert server.stats()["throttled"] == 3  # the first call and two retries
        server.set_faults()
        assert provider.translate(["Savon"], "fr", "de", html=False, glossary=None, formality=None) == [
            "[DE] Seife"
        ]
        provider.close()
