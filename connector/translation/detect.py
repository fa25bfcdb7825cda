"""Check that a source text is in the language it claims to be, with lingua-language-detector.

The detector only considers the languages the configuration uses (fewer candidates: faster and
more accurate). It is built on first use and shared for the same set of languages; its language
models load lazily, which is the slow part. Short texts (a brand name, a one-word title) are not
judged: detection on them is guesswork.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from connector.translation.glossary import base_language
from connector.translation.html_safety import text_content


@functools.lru_cache(maxsize=8)
def _detector(codes: frozenset[str]) -> LanguageDetector:
    languages = [Language.from_iso_code_639_1(IsoCode639_1.from_str(code)) for code in sorted(codes)]
    return LanguageDetectorBuilder.from_languages(*languages).build()


class SourceLanguageCheck:
    def __init__(
        self,
        languages: Iterable[str],
        *,
        min_letters: int = 20,
        min_words: int = 3,
        min_confidence: float = 0.5,
    ):
        codes = set()
        for language in languages:
            code = base_language(language)
            try:
                IsoCode639_1.from_str(code)
            except ValueError:
                raise ValueError(f"language {language!r} is not known to the language detector") from None
            codes.add(code)
        if len(codes) < 2:
            raise ValueError("language detection needs at least two languages (the source and a target)")
        self.languages = frozenset(codes)
        self.min_letters = min_letters
        self.min_words = min_words
        self.min_confidence = min_confidence

    def detect(self, text: str, *, is_html: bool) -> str | None:
        """ISO 639-1 code of the text's language, or None when the text is too short or unclear."""
        plain = text_content(text) if is_html else " ".join(text.split())
        if sum(character.isalpha() for character in plain) < self.min_letters:
            return None
        if len(plain.split()) < self.min_words:
            return None
        confidences = _detector(self.languages).compute_language_confidence_values(plain)
        if not confidences or confidences[0].value < self.min_confidence:
            return None
        return confidences[0].language.iso_code_639_1.name.lower()

    def problem(self, text: str, *, is_html: bool, source_lang: str, target_lang: str) -> str | None:
        """Why this text should not be translated from source_lang to target_lang, or None."""
        return self.judge(
            self.detect(text, is_html=is_html), source_lang=source_lang, target_lang=target_lang
        )

    @staticmethod
    def judge(detected: str | None, *, source_lang: str, target_lang: str) -> str | None:
        """The problem with a text detected as `detected` (None: not judged), or None."""
        if detected is None:
            return None
        if detected == base_language(target_lang):
            return f"the source is already in the target language ({detected})"
        if detected != base_language(source_lang):
            return f"the source is in {detected}, not in the expected {base_language(source_lang)}"
        return None
