"""Source-language detection with lingua, limited to the configured languages."""

from __future__ import annotations

import pytest

from connector.translation.detect import SourceLanguageCheck


@pytest.fixture(scope="module")
def check() -> SourceLanguageCheck:
    return SourceLanguageCheck(["fr", "de", "en-US", "es"])


def test_detects_each_configured_language(check: SourceLanguageCheck) -> None:
    assert (
        check.detect(
            "<p>Une crème <b>légère</b> pour les peaux sèches, fabriquée en France.</p>", is_html=True
        )
        == "fr"
    )
    assert check.detect("A light moisturising cream for dry skin, made in France.", is_html=False) == "en"
    assert check.detect("Eine leichte Feuchtigkeitscreme für trockene Haut.", is_html=False) == "de"
    assert check.detect("Una crema ligera para la piel seca, hecha en Francia.", is_html=False) == "es"


def test_short_texts_are_not_judged(check: SourceLanguageCheck) -> None:
    assert check.detect("Maison Lumière", is_html=False) is None
    assert check.detect("<p>Savon <b>bio</b></p>", is_html=True) is None


def test_problem_names_target_or_unexpected_language(check: SourceLanguageCheck) -> None:
    english = "A light moisturising cream for dry skin, made in France."
    assert check.problem(english, is_html=False, source_lang="fr", target_lang="en-US") == (
        "the source is already in the target language (en)"
    )
    assert check.problem(english, is_html=False, source_lang="fr", target_lang="de") == (
        "the source is in en, not in the expected fr"
    )
    french = "Une crème légère pour les peaux sèches, fabriquée en France."
    assert check.problem(french, is_html=False, source_lang="fr", target_lang="de") is None


def test_configuration_errors_are_clear() -> None:
    with pytest.raises(ValueError, match="'xx' is not known to the language detector"):
        SourceLanguageCheck(["fr", "xx"])
    with pytest.raises(ValueError, match="at least two languages"):
        SourceLanguageCheck(["fr", "fr-FR"])
