"""Human translation files: CSV and PO parsing, matching rules, clear errors."""

from __future__ import annotations

import polib
import pytest

from connector.translation.human import HumanFileError, HumanTranslations


def test_csv_rows_match_by_source_target_and_optional_source_language(tmp_path) -> None:
    path = tmp_path / "titles.csv"
    path.write_text(
        "\ufefftarget_lang,source,translation,source_lang\n"
        "de,Savon doux,Sanfte Seife,fr\n"
        "en,Savon doux,Gentle soap,\n"
        "en-GB,Savon doux,Mild soap,\n"
        'de,"  Crème\r\nde jour ",Tagescreme,\n'
        "es,Savon doux,,\n",
        encoding="utf-8",
    )
    human = HumanTranslations()
    assert human.load(path) == 4
    assert human.lookup("Savon doux", "fr", "de").translation == "Sanfte Seife"
    assert human.lookup("Savon doux", "en", "de") is None  # the row is for French sources
    assert human.lookup("Savon doux", "fr", "en-US").translation == "Gentle soap"
    assert human.lookup("Savon doux", "fr", "en-GB").translation == "Mild soap"
    assert human.lookup("Crème\nde jour", "fr", "de").origin == "titles.csv:5"
    assert human.lookup("Savon doux", "fr", "es") is None  # blank translation: not covered


def test_csv_without_required_columns_names_the_file_and_columns(tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("lang,source,text\nde,a,b\n", encoding="utf-8")
    with pytest.raises(HumanFileError, match=r"bad.csv: missing column\(s\) target_lang, translation"):
        HumanTranslations().load(path)


def test_po_file_uses_its_language_header_and_skips_fuzzy_entries(tmp_path) -> None:
    catalogue = polib.POFile()
    catalogue.metadata = {"Language": "de_DE", "Content-Type": "text/plain; charset=UTF-8"}
    catalogue.append(polib.POEntry(msgid="<p>Savon <b>doux</b></p>", msgstr="<p>Sanfte <b>Seife</b></p>"))
    catalogue.append(polib.POEntry(msgid="Huile", msgstr="Öl?", flags=["fuzzy"]))
    catalogue.append(polib.POEntry(msgid="Baume", msgstr=""))
    path = tmp_path / "de.po"
    catalogue.save(str(path))

    human = HumanTranslations.from_files([path])
    assert len(human) == 1
    assert human.lookup("<p>Savon <b>doux</b></p>", "fr", "de-de").translation == "<p>Sanfte <b>Seife</b></p>"
    assert human.lookup("<p>Savon <b>doux</b></p>", "fr", "de") is None  # the file is for de-DE only
    assert human.lookup("Huile", "fr", "de-DE") is None


def test_po_file_without_language_is_refused(tmp_path) -> None:
    path = tmp_path / "x.po"
    polib.POFile().save(str(path))
    with pytest.raises(HumanFileError, match="x.po: the PO file has no Language header"):
        HumanTranslations().load(path)


def test_unknown_file_type_is_refused(tmp_path) -> None:
    with pytest.raises(HumanFileError, match="unknown translation file type '.xlsx'"):
        HumanTranslations().load(tmp_path / "t.xlsx")
