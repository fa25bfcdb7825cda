"""The merchant's glossary: terms kept verbatim in every language, and fixed term translations.

`do_not_translate` holds brand and product names that must come back unchanged (they are also
protected in the text sent, see html_safety). `terms` holds, per target language, source term ->
required target term; DeepL applies them through a server-side glossary.

The version of a glossary is a hash of what applies to one language pair, so adding a German term
re-translates German texts only. It is part of the translation-memory key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


def base_language(code: str) -> str:
    """'en-US' -> 'en', 'PT_br' -> 'pt'."""
    return code.replace("_", "-").split("-")[0].lower()


@dataclass(frozen=True)
class Glossary:
    do_not_translate: tuple[str, ...] = ()
    terms: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        do_not_translate: Iterable[str] = (),
        terms: Mapping[str, Mapping[str, str]] | None = None,
    ) -> Glossary:
        kept = tuple(sorted({term.strip() for term in do_not_translate if term.strip()}))
        by_language = {
            base_language(lang): MappingProxyType(dict(entries)) for lang, entries in (terms or {}).items()
        }
        return cls(kept, MappingProxyType(by_language))

    def entries_for(self, target_lang: str) -> dict[str, str]:
        """Source term -> target term for one target language, do-not-translate terms mapping to themselves."""
        entries = {term: term for term in self.do_not_translate}
        entries.update(self.terms.get(base_language(target_lang), {}))
        return entries

    def version(self, source_lang: str, target_lang: str) -> str:
        """Short stable hash of everything in this glossary that affects source_lang -> target_lang."""
        canonical = json.dumps(
            {
                "source": base_language(source_lang),
                "target": base_language(target_lang),
                "entries": sorted(self.entries_for(target_lang).items()),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

    def __bool__(self) -> bool:
        return bool(self.do_not_translate) or any(self.terms.values())


NO_GLOSSARY_VERSION = "none"


def glossary_version(glossary: Glossary | None, source_lang: str, target_lang: str) -> str:
    if glossary is None or not glossary.entries_for(target_lang):
        return NO_GLOSSARY_VERSION
    return glossary.version(source_lang, target_lang)
