"""The translation service end to end: real `deepl` client and real `requests` against local fake servers."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlite_utils import Database

from connector.sandbox.deepl import SANDBOX_DEEPL_KEY, DeepLSandbox
from connector.sandbox.libretranslate import SANDBOX_LIBRETRANSLATE_KEY, LibreTranslateSandbox
from connector.state import open_state
from connector.translation import (
    DeepLProvider,
    FieldSource,
    Glossary,
    HumanTranslations,
    LibreTranslateProvider,
    Outcome,
    SourceLanguageCheck,
    TranslationMemory,
    Translator,
)
from connector.translation.html_safety import check_skeleton, tag_skeleton
from connector.translation.human import HumanTranslation

BRAND = "Douce France"  # a brand whose words the pseudo-translation would otherwise translate
GLOSSARY = Glossary.of(do_not_translate=[BRAND], terms={"de": {"savon": "Naturseife"}})
PRODUCTS = 200


def french_catalog(count: int = PRODUCTS) -> list[FieldSource]:
    """count products, each with a plain title and HTML description and short description."""
    kinds = ["Crème", "Savon", "Huile", "Baume", "Sérum"]
    fields: list[FieldSource] = []
    for number in range(1, count + 1):
        kind = kinds[number % len(kinds)]
        sku = f"DF-{number:04d}"
        volume = 50 + 10 * (number % 20)
        price = f"{9 + number % 40},90"
        key = f"product-{number}"
        fields.append(FieldSource(key, "title", f"{kind} n°{number} {BRAND} {volume} ml", False, (sku,)))
        description = (
            f'<div class="description" style="font-family: Georgia; color:#222">'
            f"<h3>{kind} pour le visage et les mains</h3>"
            f"<p>Une {kind.lower()} <strong>douce</strong> et <em>naturelle</em> de {BRAND}, "
            f"fabriqué en France, flacon de {volume}&nbsp;ml, {price}&nbsp;€ (réf. {sku}).</p>"
            f"<ul><li>Pour la peau <b>sèche</b><ul><li>le matin</li><li>le soir</li></ul></li>"
            f'<li>Voir <a href="https://exemple.fr/produits/{sku.lower()}?utm=fiche&amp;v={number}" '
            f'title="Fiche {number}">la fiche du produit</a></li></ul>'
            f'<p><img src="/media/{sku.lower()}.jpg" alt="Flacon de {kind.lower()}" width="320"> '
            f"Livraison gratuite d&egrave;s 3 articles &amp; savon offert.</p></div>"
        )
        fields.append(FieldSource(key, "description", description, True, (sku,)))
        fields.append(
            FieldSource(key, "short_description", f"<p>{kind} bio, format 3 x 20 cm, n°{number}.</p>", True)
        )
    return fields


@pytest.fixture
def db(tmp_path) -> Iterator[Database]:
    state = open_state(tmp_path / "state.db")
    yield state.db
    state.close()


@pytest.fixture
def deepl_server() -> Iterator[DeepLSandbox]:
    with DeepLSandbox(character_limit=5_000_000) as server:
        yield server


@pytest.fixture
def libre_server() -> Iterator[LibreTranslateSandbox]:
    with LibreTranslateSandbox() as server:
        yield server


def deepl_provider(server: DeepLSandbox, key: str = SANDBOX_DEEPL_KEY) -> DeepLProvider:
    return DeepLProvider(key, server_url=server.base_url, max_network_retries=0)


def libre_provider(
    server: LibreTranslateSandbox, key: str = SANDBOX_LIBRETRANSLATE_KEY
) -> LibreTranslateProvider:
    return LibreTranslateProvider(server.base_url, api_key=key, retries=0)


@pytest.fixture(params=["deepl", "libretranslate"])
def provider_and_server(request, deepl_server, libre_server):
    if request.param == "deepl":
        return deepl_provider(deepl_server), deepl_server
    return libre_provider(libre_server), libre_server


def translator(provider, db: Database, **options) -> Translator:
    options.setdefault("glossary", GLOSSARY)
    return Translator(provider, TranslationMemory(db), source_lang="fr", **options)


def server_characters(server) -> int:
    return sum(len(text) for text in server.translated_texts)


def test_catalog_is_translated_once_then_served_from_memory(provider_and_server, db: Database) -> None:
    provider, server = provider_and_server
    catalog = french_catalog()

    first = translator(provider, db).translate(catalog, ["de", "en"])

    assert len(first.results) == 2 * len(catalog) == 1200
    assert first.counts()["new"] == 1200, [r.reason for r in first.results if r.outcome is not Outcome.NEW][
        :3
    ]
    assert first.characters_sent == {provider.name: server_characters(server)}
    assert first.characters_sent[provider.name] == sum(result.characters for result in first.results)
    by_field = {(r.product_key, r.field, r.target_lang): r for r in first.results}
    for source in catalog:
        for language, marker in (("de", "[DE]"), ("en", "[EN]")):
            translated = by_field[(source.product_key, source.field, language)].translation
            assert translated is not None and marker in translated
            assert BRAND in translated or source.field == "short_description"
            if source.is_html:
                check_skeleton(source.text, translated)
                assert [t.signature for t in tag_skeleton(source.text)] == [
                    t.signature for t in tag_skeleton(translated)
                ]
    description_de = by_field[("product-7", "description", "de")].translation
    assert (
        "DF-0007" in description_de and "120&nbsp;ml" in description_de and "16,90&nbsp;€" in description_de
    )
    if provider.name == "deepl":
        assert "Naturseife" in description_de  # the glossary's German term (LibreTranslate has no glossaries)
    assert "Gesicht" in description_de and "<strong>sanft</strong>" in description_de
    assert "3 x 20 cm" in by_field[("product-7", "short_description", "en")].translation
    assert by_field[("product-7", "title", "en")].translation == "[EN] Oil n°7 Douce France 120 ml"

    requests_before = server.stats()["requests"]
    second = translator(provider, db).translate(catalog, ["de", "en"])
    assert second.characters_sent == {}
    assert second.counts()["cached"] == 1200
    assert server.stats()["requests"] == requests_before
    assert [r.translation for r in second.results] == [r.translation for r in first.results]

    edited = [
        replace(field, text=field.text.replace("le soir", "la nuit"))
        if (field.product_key, field.field) == ("product-42", "description")
        else field
        for field in catalog
    ]
    third = translator(provider, db).translate(edited, ["de", "en"])
    new = [(r.product_key, r.field, r.target_lang) for r in third.with_outcome(Outcome.NEW)]
    assert new == [("product-42", "description", "de"), ("product-42", "description", "en")]
    assert third.counts()["cached"] == 1198
    assert third.characters_sent[provider.name] == sum(r.characters for r in third.with_outcome(Outcome.NEW))


def test_identical_texts_in_one_run_are_sent_once(deepl_server: DeepLSandbox, db: Database) -> None:
    fields = [
        FieldSource(f"p{n}", "short_description", "<p>Savon doux pour les mains.</p>", True) for n in range(5)
    ]
    run = translator(deepl_provider(deepl_server), db).translate(fields, ["de"])
    assert run.counts()["new"] == 5
    assert deepl_server.translated_texts == ["<p>Savon doux pour les mains.</p>"]
    assert [r.characters for r in run.results] == [len("<p>Savon doux pour les mains.</p>"), 0, 0, 0, 0]


def test_budget_stops_the_run_cleanly_and_the_rest_follows_next_run(
    provider_and_server, db: Database
) -> None:
    provider, server = provider_and_server
    catalog = french_catalog(30)
    budget = 12_000

    limited = translator(provider, db, character_budget=budget).translate(catalog, ["de", "en"])

    assert limited.budget_reached
    assert 0 < limited.characters_sent[provider.name] <= budget
    assert server_characters(server) == limited.characters_sent[provider.name]
    deferred = limited.with_outcome(Outcome.DEFERRED)
    assert deferred and all("character budget (12000)" in r.reason for r in deferred)
    assert all(r.translation is None for r in deferred)
    done = limited.counts()["new"]
    # everything after the first text that did not fit is deferred, in order
    outcomes = [r.outcome for r in limited.results]
    assert outcomes == [Outcome.NEW] * done + [Outcome.DEFERRED] * len(deferred)

    rest = translator(provider, db).translate(catalog, ["de", "en"])
    assert rest.counts()["new"] == len(deferred)
    assert rest.counts()["cached"] == done
    assert (
        server_characters(server)
        == limited.characters_sent[provider.name] + rest.characters_sent[provider.name]
    )


def test_zero_budget_sends_nothing(deepl_server: DeepLSandbox, db: Database) -> None:
    run = translator(deepl_provider(deepl_server), db, character_budget=0).translate(
        french_catalog(3), ["de"]
    )
    assert run.counts()["deferred"] == 9
    assert deepl_server.translated_texts == []


def test_human_csv_and_po_override_machine_output(deepl_server: DeepLSandbox, db: Database, tmp_path) -> None:
    catalog = french_catalog(3)
    title_1 = catalog[0].text
    description_2 = catalog[4].text
    german_description = (
        description_2.replace("pour le visage et les mains", "für Gesicht und Hände")
        .replace("le matin", "morgens")
        .replace("le soir", "abends")
    )
    csv_file = tmp_path / "de.csv"
    csv_file.write_text(
        "product,source_lang,target_lang,source,translation,note\n"
        f'product-1,fr,de,"{title_1}","Sanfte Creme Nr. 1 Douce France 60 ml",geprüft\n'
        f'product-2,,de,"{description_2.replace(chr(34), chr(34) * 2)}",'
        f'"{german_description.replace(chr(34), chr(34) * 2)}",\n'
        f'product-3,fr,de,"{catalog[8].text}",,not yet translated\n',
        encoding="utf-8",
    )
    po_file = tmp_path / "en.po"
    po_file.write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n"X-Source-Language: fr\\n"\n'
        '"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        f'msgid "{title_1}"\nmsgstr "Gentle Cream No. 1 Douce France 60 ml"\n\n'
        '#, fuzzy\nmsgid "Savon n°2 Douce France 70 ml"\nmsgstr "Soap that needs review"\n',
        encoding="utf-8",
    )
    human = HumanTranslations.from_files([csv_file, po_file])

    run = translator(deepl_provider(deepl_server), db, human=human).translate(catalog, ["de", "en"])

    results = {(r.product_key, r.field, r.target_lang): r for r in run.results}
    assert results[("product-1", "title", "de")].translation == "Sanfte Creme Nr. 1 Douce France 60 ml"
    assert results[("product-1", "title", "de")].outcome is Outcome.HUMAN
    assert results[("product-1", "title", "de")].reason == "de.csv:2"
    assert results[("product-2", "description", "de")].translation == german_description
    assert results[("product-1", "title", "en")].translation == "Gentle Cream No. 1 Douce France 60 ml"
    assert results[("product-1", "title", "en")].provider == "human"
    # the fuzzy PO entry and the blank CSV translation do not count
    assert results[("product-2", "title", "en")].outcome is Outcome.NEW
    assert results[("product-3", "title", "de")].outcome is Outcome.NEW
    assert title_1 not in deepl_server.translated_texts
    assert description_2 not in deepl_server.translated_texts
    assert run.counts()["human"] == 3


def test_a_human_translation_that_breaks_the_html_is_rejected(
    deepl_server: DeepLSandbox, db: Database
) -> None:
    source = french_catalog(1)[2]
    human = HumanTranslations(
        [HumanTranslation("fr", "de", source.text, "Bio-Creme ohne Absatz", "review.csv:2")]
    )
    run = translator(deepl_provider(deepl_server), db, human=human).translate([source], ["de"])
    [result] = run.results
    assert result.outcome is Outcome.REJECTED
    assert result.reason.startswith("human translation (review.csv:2): tag <p>")
    assert result.translation is None


def test_glossary_terms_stay_and_deepl_glossary_is_created_once(
    deepl_server: DeepLSandbox, db: Database
) -> None:
    fields = [FieldSource("p1", "description", "<p>Le savon de Douce France est doux.</p>", True)]
    run = translator(deepl_provider(deepl_server), db).translate(fields, ["de"])
    assert run.results[0].translation == "<p>[DE] Der Naturseife von Douce France ist sanft.</p>"
    glossaries = list(deepl_server.glossaries.values())
    assert len(glossaries) == 1
    assert glossaries[0]["entries"] == {"Douce France": "Douce France", "savon": "Naturseife"}
    assert glossaries[0]["name"] == f"connector FR-DE {GLOSSARY.version('fr', 'de')}"

    more = [FieldSource("p2", "description", "<p>Un savon de Douce France.</p>", True)]
    translator(deepl_provider(deepl_server), db).translate(more, ["de"])  # a new process, same glossary
    assert len(deepl_server.glossaries) == 1
    assert deepl_server.stats()["requests"]["POST /v2/glossaries"] == 1

    changed = Glossary.of(do_not_translate=[BRAND], terms={"de": {"savon": "Seife"}})
    rerun = translator(deepl_provider(deepl_server), db, glossary=changed).translate(fields, ["de"])
    assert rerun.results[0].outcome is Outcome.NEW  # a new glossary version is a new memory key
    assert rerun.results[0].translation == "<p>[DE] Der Seife von Douce France ist sanft.</p>"
    assert len(deepl_server.glossaries) == 2


def test_libretranslate_keeps_do_not_translate_terms(
    libre_server: LibreTranslateSandbox, db: Database
) -> None:
    fields = [FieldSource("p1", "title", "Savon doux Douce France", False)]
    run = translator(libre_provider(libre_server), db).translate(fields, ["de"])
    assert run.results[0].translation == "[DE] Seife sanft Douce France"
    assert libre_server.translated_texts == [
        'Savon doux <span translate="no" data-connector-keep="0">Douce France</span>'
    ]


def test_formality_is_part_of_the_memory_key(deepl_server: DeepLSandbox, db: Database) -> None:
    fields = [FieldSource("p1", "short_description", "<p>Pour votre peau.</p>", True)]
    formal = translator(deepl_provider(deepl_server), db, formality="more").translate(fields, ["de", "en"])
    informal = translator(deepl_provider(deepl_server), db, formality="less").translate(fields, ["de", "en"])
    assert [r.translation for r in formal.results] == [
        "<p>[DE] Für Ihre Haut.</p>",
        "<p>[EN] For your skin.</p>",
    ]
    assert informal.results[0].translation == "<p>[DE] Für deine Haut.</p>"
    assert informal.counts()["new"] == 2


def test_a_dropped_tag_is_rejected_remembered_and_retried_after_forgetting(
    provider_and_server, db: Database
) -> None:
    provider, server = provider_and_server
    catalog = french_catalog(2)
    server.control("translation_fault", {"drop_tag": "strong", "times": 1})

    run = translator(provider, db).translate(catalog, ["de"])

    rejected = run.with_outcome(Outcome.REJECTED)
    assert [(r.product_key, r.field) for r in rejected] == [("product-1", "description")]
    assert rejected[0].reason == "tag <strong> (tag 5 of the source) is missing"
    assert rejected[0].translation is None and not rejected[0].publishable
    assert run.counts()["new"] == 5

    again = translator(provider, db).translate(catalog, ["de"])
    assert again.characters_sent == {}
    assert again.with_outcome(Outcome.REJECTED)[0].reason.startswith(
        "tag <strong> (tag 5 of the source) is missing"
    )

    assert TranslationMemory(db).forget_rejected() == 1
    retried = translator(provider, db).translate(catalog, ["de"])
    assert retried.counts() == {**retried.counts(), "new": 1, "cached": 5, "rejected": 0}


def test_a_dropped_protected_span_is_rejected_naming_the_text(
    deepl_server: DeepLSandbox, db: Database
) -> None:
    deepl_server.control("translation_fault", {"drop_tag": "span"})
    fields = [FieldSource("p1", "short_description", "<p>Format 3 x 20 cm.</p>", True)]
    [result] = translator(deepl_provider(deepl_server), db).translate(fields, ["de"]).results
    assert result.outcome is Outcome.REJECTED
    assert result.reason == "protected text '3 x 20 cm' is missing from the translation"


def test_language_detection_lists_sources_not_in_french(deepl_server: DeepLSandbox, db: Database) -> None:
    fields = [
        FieldSource(
            "p1",
            "description",
            "<p>Une crème douce pour les mains et le visage, fabriquée en France.</p>",
            True,
        ),
        FieldSource(
            "p2", "description", "<p>A gentle cream for hands and face, made in France with care.</p>", True
        ),
        FieldSource(
            "p3",
            "description",
            "<p>Eine sanfte Creme für Hände und Gesicht, hergestellt in Frankreich.</p>",
            True,
        ),
        FieldSource("p4", "title", "Lumière", False),  # a brand name: too short to judge
    ]
    check = SourceLanguageCheck(["fr", "de", "en"])

    run = translator(deepl_provider(deepl_server), db, language_check=check).translate(fields, ["de", "en"])

    outcomes = {(r.product_key, r.target_lang): (r.outcome, r.reason) for r in run.results}
    assert outcomes[("p2", "en")] == (Outcome.SKIPPED, "the source is already in the target language (en)")
    assert outcomes[("p2", "de")] == (Outcome.SKIPPED, "the source is in en, not in the expected fr")
    assert outcomes[("p3", "de")] == (Outcome.SKIPPED, "the source is already in the target language (de)")
    assert outcomes[("p1", "de")][0] is Outcome.NEW and outcomes[("p1", "en")][0] is Outcome.NEW
    assert outcomes[("p4", "de")][0] is Outcome.NEW
    assert len(deepl_server.translated_texts) == 4  # p1 and p4, in two languages


def test_empty_sources_and_same_language_targets_are_skipped(
    deepl_server: DeepLSandbox, db: Database
) -> None:
    fields = [FieldSource("p1", "description", "<p> </p>", True), FieldSource("p2", "title", "Savon", False)]
    run = translator(deepl_provider(deepl_server), db).translate(fields, ["fr", "de"])
    reasons = [(r.product_key, r.target_lang, r.outcome, r.reason) for r in run.results]
    assert reasons[:2] == [
        ("p1", "fr", Outcome.SKIPPED, "the source is empty"),
        ("p2", "fr", Outcome.SKIPPED, "the target language is the source language"),
    ]
    assert reasons[2][2] is Outcome.SKIPPED and reasons[3][2] is Outcome.NEW
    assert deepl_server.translated_texts == ["Savon"]


def test_dry_run_sends_and_stores_nothing(deepl_server: DeepLSandbox, db: Database) -> None:
    catalog = french_catalog(2)
    translator(deepl_provider(deepl_server), db).translate(catalog[:3], ["de"])
    deepl_server.translated_texts.clear()
    plan = translator(deepl_provider(deepl_server), db).translate(catalog, ["de"], dry_run=True)
    assert [r.outcome for r in plan.results] == [Outcome.CACHED] * 3 + [Outcome.PENDING] * 3
    assert all(r.characters > 0 for r in plan.with_outcome(Outcome.PENDING))
    assert deepl_server.translated_texts == []
    assert TranslationMemory(db).count() == 3


# --- provider errors ------------------------------------------------------------------------------


def test_wrong_deepl_key_defers_everything_with_a_clear_message_and_no_secret(
    deepl_server: DeepLSandbox, db: Database, caplog
) -> None:
    secret = "wrong-secret-4f1c2e:fx"
    caplog.set_level(logging.DEBUG)
    run = translator(deepl_provider(deepl_server, key=secret), db).translate(french_catalog(2), ["de", "en"])
    assert run.provider_error == (
        "deepl: DeepL refused the authentication key (HTTP 403); check the configured DeepL key"
    )
    assert run.provider_error_kind == "auth"
    assert run.counts()["deferred"] == 12 and run.characters_sent == {}
    assert secret not in caplog.text
    assert TranslationMemory(db).count() == 0


def test_deepl_quota_exceeded_keeps_what_was_translated(deepl_server: DeepLSandbox, db: Database) -> None:
    catalog = french_catalog(60)  # 180 texts: four requests of at most 50
    deepl_server.control("usage", {"character_limit": 40_000})
    run = translator(deepl_provider(deepl_server), db).translate(catalog, ["de"])
    assert run.provider_error == (
        "deepl: the DeepL character quota for this billing period is used up (HTTP 456)"
    )
    new, deferred = run.counts()["new"], run.counts()["deferred"]
    assert new > 0 and deferred > 0 and new + deferred == 180
    assert TranslationMemory(db).count() == new
    assert run.characters_sent["deepl"] == deepl_server.character_count <= 40_000


def test_unreachable_deepl_is_reported(db: Database) -> None:
    server = DeepLSandbox().start()
    url = server.base_url
    server.stop()
    provider = DeepLProvider(SANDBOX_DEEPL_KEY, server_url=url, max_network_retries=0)
    run = translator(provider, db, glossary=None).translate(french_catalog(1), ["de"])
    assert run.provider_error.startswith(f"deepl: cannot reach DeepL at {url}")
    assert run.provider_error_kind == "unreachable"
    assert run.counts()["deferred"] == 3


def test_libretranslate_errors_are_mapped(libre_server: LibreTranslateSandbox, db: Database, caplog) -> None:
    secret = "not-the-key-93a1"
    caplog.set_level(logging.DEBUG)
    run = translator(libre_provider(libre_server, key=secret), db).translate(french_catalog(1), ["de"])
    assert run.provider_error == (
        "libretranslate: LibreTranslate refused the API key (HTTP 403: Invalid API key); check the configured key"
    )
    assert secret not in caplog.text

    libre_server.control("char_limit", {"char_limit": 100})
    limited = translator(libre_provider(libre_server), db).translate(french_catalog(1), ["de"])
    assert limited.provider_error.startswith(
        "libretranslate: LibreTranslate character limit reached (HTTP 400"
    )

    provider = libre_provider(libre_server)
    libre_server.stop()
    gone = translator(provider, db).translate(french_catalog(1), ["de"])
    assert gone.provider_error.startswith("libretranslate: cannot reach LibreTranslate at http://127.0.0.1:")
