"""Translations written by people, which override machine output for the strings they cover.

Two file formats are read.

CSV (UTF-8, comma separated, first row is a header; column order is free, extra columns such as
`product` or `note` are ignored):

    source_lang,target_lang,source,translation
    fr,de,"Crème de jour","Tagescreme"
    ,en,"<p>Une crème <strong>légère</strong>.</p>","<p>A <strong>light</strong> cream.</p>"

- `target_lang` (required): the language of the translation, e.g. `de`, `en` or `en-US`. A row for
  `en` also serves `en-US` and `en-GB` unless a row for the exact variant exists.
- `source` (required): the source text exactly as in the product (HTML included). Surrounding
  whitespace and line-ending style are ignored when matching.
- `translation` (required): the text to publish. A row whose translation is empty is ignored, so a
  file can be handed out with the column blank.
- `source_lang` (optional, may be blank): restricts the row to products in that language.

PO (gettext, read with polib): `msgid` is the source text, `msgstr` the translation. The target
language is the file's `Language` header (or given when loading); an optional `X-Source-Language`
header restricts the source language. Fuzzy, obsolete and untranslated entries are ignored.

When several rows cover the same string the last one loaded wins.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polib

from connector.translation.glossary import base_language


class HumanFileError(ValueError):
    """A translation file that cannot be used; the message names the file and what to fix."""


@dataclass(frozen=True)
class HumanTranslation:
    source_lang: str | None
    target_lang: str
    source: str
    translation: str
    origin: str  # "file.csv:12"


def _normalise_source(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _normalise_language(code: str) -> str:
    return code.strip().replace("_", "-").lower()


class HumanTranslations:
    def __init__(self, entries: Iterable[HumanTranslation] = ()):
        self._entries: dict[tuple[str, str], list[HumanTranslation]] = {}
        for entry in entries:
            self.add(entry)

    @classmethod
    def from_files(cls, paths: Iterable[str | Path]) -> HumanTranslations:
        human = cls()
        for path in paths:
            human.load(path)
        return human

    def add(self, entry: HumanTranslation) -> None:
        key = (_normalise_source(entry.source), _normalise_language(entry.target_lang))
        self._entries.setdefault(key, []).append(entry)

    def load(self, path: str | Path) -> int:
        suffix = Path(path).suffix.lower()
        if suffix == ".csv":
            return self.load_csv(path)
        if suffix in (".po", ".pot"):
            return self.load_po(path)
        raise HumanFileError(f"{path}: unknown translation file type {suffix!r}; use .csv or .po")

    def load_csv(self, path: str | Path) -> int:
        path = Path(path)
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle)
                columns = {name.strip().lower() for name in reader.fieldnames or ()}
                missing = [name for name in ("target_lang", "source", "translation") if name not in columns]
                if missing:
                    raise HumanFileError(
                        f"{path}: missing column(s) {', '.join(missing)}; the header must name "
                        "target_lang, source and translation (source_lang is optional)"
                    )
                loaded = 0
                while True:
                    first_line = reader.line_num + 1  # a quoted value may span several lines
                    row = next(reader, None)
                    if row is None:
                        break
                    values = {(name or "").strip().lower(): (value or "") for name, value in row.items()}
                    if not values["translation"].strip() or not values["source"].strip():
                        continue
                    if not values["target_lang"].strip():
                        raise HumanFileError(f"{path}:{first_line}: target_lang is empty")
                    source_lang = values.get("source_lang", "").strip() or None
                    self.add(
                        HumanTranslation(
                            source_lang=_normalise_language(source_lang) if source_lang else None,
                            target_lang=_normalise_language(values["target_lang"]),
                            source=values["source"],
                            translation=values["translation"].strip(),
                            origin=f"{path.name}:{first_line}",
                        )
                    )
                    loaded += 1
                return loaded
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise HumanFileError(f"{path}: cannot read the translation file: {exc}") from exc

    def load_po(self, path: str | Path, *, target_lang: str | None = None) -> int:
        path = Path(path)
        try:
            catalogue = polib.pofile(str(path))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise HumanFileError(f"{path}: cannot read the PO file: {exc}") from exc
        language = target_lang or catalogue.metadata.get("Language", "")
        if not language.strip():
            raise HumanFileError(f"{path}: the PO file has no Language header; set it to the target language")
        source_lang = catalogue.metadata.get("X-Source-Language", "").strip() or None
        loaded = 0
        for entry in catalogue.translated_entries():
            if entry.obsolete or entry.fuzzy or not entry.msgid.strip():
                continue
            self.add(
                HumanTranslation(
                    source_lang=_normalise_language(source_lang) if source_lang else None,
                    target_lang=_normalise_language(language),
                    source=entry.msgid,
                    translation=entry.msgstr.strip(),
                    origin=f"{path.name}:{entry.linenum}",
                )
            )
            loaded += 1
        return loaded

    def lookup(self, source: str, source_lang: str, target_lang: str) -> HumanTranslation | None:
        """The person-written translation of source into target_lang, or None."""
        text = _normalise_source(source)
        target = _normalise_language(target_lang)
        for language in dict.fromkeys((target, base_language(target))):
            for entry in reversed(self._entries.get((text, language), ())):
                if entry.source_lang is None or base_language(entry.source_lang) == base_language(
                    source_lang
                ):
                    return entry
        return None

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._entries.values())
