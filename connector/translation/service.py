"""The translation service: fields in, safe translations out, every text paid for at most once.

For each target language and each field, in this order:
1. an empty source is skipped;
2. a person-written translation (HumanTranslations) wins, once its HTML skeleton is checked;
3. a source in the wrong language (SourceLanguageCheck) is listed as skipped, not translated;
4. the translation memory answers what was translated before (free);
5. the rest is protected (html_safety), sent to the provider in batches while the run's character
   budget allows, restored, verified, and remembered — accepted or rejected with its reason.
Once the budget is reached, or the provider fails, the remaining texts are reported as deferred:
they are retried on the next run. Results are stored in memory after every batch, so a crash
never loses what was paid for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from connector.translation.detect import SourceLanguageCheck
from connector.translation.glossary import Glossary, base_language, glossary_version
from connector.translation.html_safety import (
    ProtectedText,
    UnsafeTranslation,
    check_skeleton,
    protect,
    restore,
    text_content,
    verify,
)
from connector.translation.human import HumanTranslations
from connector.translation.memory import MemoryEntry, MemoryKey, TranslationMemory
from connector.translation.providers.base import Provider, ProviderError

HUMAN = "human"


class Outcome(StrEnum):
    CACHED = "cached"  # from translation memory, nothing sent
    NEW = "new"  # translated by the provider in this run
    HUMAN = "human"  # from a person-written translation file
    REJECTED = "rejected"  # the translation broke the HTML or protected text; never publish
    SKIPPED = "skipped"  # not translated on purpose (empty, wrong source language)
    DEFERRED = "deferred"  # budget reached or provider failed; retried next run
    PENDING = "pending"  # dry run: would be sent to the provider


PUBLISHABLE = frozenset({Outcome.CACHED, Outcome.NEW, Outcome.HUMAN})


@dataclass(frozen=True)
class FieldSource:
    product_key: str
    field: str
    text: str
    is_html: bool
    keep: tuple[str, ...] = ()  # extra text to keep verbatim, e.g. this product's SKUs


@dataclass(frozen=True)
class FieldTranslation:
    product_key: str
    field: str
    target_lang: str
    source: str
    translation: str | None
    provider: str | None  # provider name, "human", or None when nothing was produced
    outcome: Outcome
    reason: str | None = None
    characters: int = 0  # characters sent to the provider for this field in this run

    @property
    def publishable(self) -> bool:
        return self.outcome in PUBLISHABLE


@dataclass
class TranslationRun:
    results: list[FieldTranslation] = field(default_factory=list)
    characters_sent: dict[str, int] = field(default_factory=dict)  # per provider name
    character_budget: int | None = None
    provider_error: str | None = None  # the message of the provider failure that stopped the run
    provider_error_kind: str | None = None  # ProviderError.kind: "auth", "quota", "unreachable", ...
    budget_reached: bool = False

    def with_outcome(self, outcome: Outcome) -> list[FieldTranslation]:
        return [result for result in self.results if result.outcome is outcome]

    def counts(self) -> dict[str, int]:
        return {outcome.value: len(self.with_outcome(outcome)) for outcome in Outcome}

    def publishable(self) -> list[FieldTranslation]:
        return [result for result in self.results if result.publishable]

    @property
    def total_characters_sent(self) -> int:
        return sum(self.characters_sent.values())


@dataclass
class _Miss:
    key: MemoryKey
    text: str
    is_html: bool
    terms: tuple[str, ...]
    field_indexes: list[int]
    protected: ProtectedText | None = None


class Translator:
    def __init__(
        self,
        provider: Provider,
        memory: TranslationMemory,
        *,
        source_lang: str,
        glossary: Glossary | None = None,
        human: HumanTranslations | None = None,
        formality: str | None = None,
        language_check: SourceLanguageCheck | None = None,
        character_budget: int | None = None,
        batch_texts: int = 50,
        batch_characters: int = 30_000,
    ):
        if character_budget is not None and character_budget < 0:
            raise ValueError("the character budget must not be negative")
        self.provider = provider
        self.memory = memory
        self.source_lang = source_lang
        self.glossary = glossary
        self.human = human
        self.formality = formality
        self.language_check = language_check
        self.character_budget = character_budget
        self.batch_texts = batch_texts
        self.batch_characters = batch_characters

    def translate(
        self,
        fields: Iterable[FieldSource | tuple],
        target_langs: Sequence[str],
        *,
        dry_run: bool = False,
    ) -> TranslationRun:
        """Translate every field into every target language. A dry run sends nothing and stores nothing."""
        sources = [item if isinstance(item, FieldSource) else FieldSource(*item) for item in fields]
        run = TranslationRun(character_budget=self.character_budget)
        detected: dict[tuple[str, bool], str | None] = {}
        for target_lang in target_langs:
            results: dict[int, FieldTranslation] = {}
            misses: dict[MemoryKey, _Miss] = {}
            for index, source in enumerate(sources):
                decided = self._decide_without_provider(source, target_lang, detected)
                if decided is not None:
                    results[index] = decided
                    continue
                key = self._memory_key(source.text, target_lang)
                miss = misses.setdefault(
                    key, _Miss(key, source.text, source.is_html, self._terms(source), field_indexes=[])
                )
                miss.field_indexes.append(index)
            self._answer_from_memory(sources, target_lang, misses, results)
            if dry_run:
                self._plan(sources, target_lang, misses, results)
            else:
                self._translate_misses(sources, target_lang, list(misses.values()), results, run)
            run.results.extend(results[index] for index in sorted(results))
        return run

    # -- decisions that need no provider -----------------------------------------------------

    def _decide_without_provider(
        self, source: FieldSource, target_lang: str, detected: dict[tuple[str, bool], str | None]
    ) -> FieldTranslation | None:
        readable = text_content(source.text) if source.is_html else source.text.strip()
        if not readable:
            return self._result(source, target_lang, None, None, Outcome.SKIPPED, "the source is empty")
        if base_language(target_lang) == base_language(self.source_lang):
            return self._result(
                source, target_lang, None, None, Outcome.SKIPPED, "the target language is the source language"
            )
        if self.human is not None:
            written = self.human.lookup(source.text, self.source_lang, target_lang)
            if written is not None:
                if source.is_html:
                    try:
                        check_skeleton(source.text, written.translation)
                    except UnsafeTranslation as exc:
                        reason = f"human translation ({written.origin}): {exc.reason}"
                        return self._result(source, target_lang, None, HUMAN, Outcome.REJECTED, reason)
                return self._result(
                    source, target_lang, written.translation, HUMAN, Outcome.HUMAN, written.origin
                )
        if self.language_check is not None:
            cache_key = (source.text, source.is_html)
            if cache_key not in detected:
                detected[cache_key] = self.language_check.detect(source.text, is_html=source.is_html)
            problem = SourceLanguageCheck.judge(
                detected[cache_key], source_lang=self.source_lang, target_lang=target_lang
            )
            if problem is not None:
                return self._result(source, target_lang, None, None, Outcome.SKIPPED, problem)
        return None

    def _answer_from_memory(
        self,
        sources: list[FieldSource],
        target_lang: str,
        misses: dict[MemoryKey, _Miss],
        results: dict[int, FieldTranslation],
    ) -> None:
        for key, entry in self.memory.get_many(misses).items():
            miss = misses.pop(key)
            for index in miss.field_indexes:
                results[index] = self._from_memory(sources[index], target_lang, entry)

    def _from_memory(self, source: FieldSource, target_lang: str, entry: MemoryEntry) -> FieldTranslation:
        provider = self.provider.name
        if entry.translation is None:
            reason = f"{entry.rejected_reason} (remembered from {entry.created_at:%Y-%m-%d %H:%M} UTC)"
            return self._result(source, target_lang, None, provider, Outcome.REJECTED, reason)
        return self._result(source, target_lang, entry.translation, provider, Outcome.CACHED)

    def _plan(
        self,
        sources: list[FieldSource],
        target_lang: str,
        misses: dict[MemoryKey, _Miss],
        results: dict[int, FieldTranslation],
    ) -> None:
        for miss in misses.values():
            characters = len(protect(miss.text, is_html=miss.is_html, terms=miss.terms).markup)
            for position, index in enumerate(miss.field_indexes):
                results[index] = self._result(
                    sources[index],
                    target_lang,
                    None,
                    self.provider.name,
                    Outcome.PENDING,
                    "dry run: would be sent",
                    characters if position == 0 else 0,
                )

    # -- the provider ------------------------------------------------------------------------

    def _translate_misses(
        self,
        sources: list[FieldSource],
        target_lang: str,
        misses: list[_Miss],
        results: dict[int, FieldTranslation],
        run: TranslationRun,
    ) -> None:
        affordable: list[_Miss] = []
        reserved = run.total_characters_sent
        for position, miss in enumerate(misses):
            if run.provider_error is not None:
                self._defer(sources, target_lang, misses[position:], results, run.provider_error)
                return
            miss.protected = protect(miss.text, is_html=miss.is_html, terms=miss.terms)
            cost = len(miss.protected.markup)
            if run.budget_reached or (
                self.character_budget is not None and reserved + cost > self.character_budget
            ):
                run.budget_reached = True
                reason = f"the run's character budget ({self.character_budget}) is reached"
                self._defer(sources, target_lang, misses[position:], results, reason)
                break
            reserved += cost
            affordable.append(miss)
        for batch in self._batches(affordable):
            if run.provider_error is not None:
                self._defer(sources, target_lang, batch, results, run.provider_error)
                continue
            try:
                answers = self.provider.translate(
                    [miss.protected.markup for miss in batch if miss.protected],
                    self.source_lang,
                    target_lang,
                    html=True,
                    glossary=self.glossary,
                    formality=self.formality,
                )
            except ProviderError as exc:
                run.provider_error, run.provider_error_kind = str(exc), exc.kind
                self._defer(sources, target_lang, batch, results, run.provider_error)
                continue
            sent = sum(len(miss.protected.markup) for miss in batch if miss.protected)
            run.characters_sent[self.provider.name] = run.characters_sent.get(self.provider.name, 0) + sent
            self._accept_or_reject(sources, target_lang, batch, answers, results)

    def _accept_or_reject(
        self,
        sources: list[FieldSource],
        target_lang: str,
        batch: list[_Miss],
        answers: list[str],
        results: dict[int, FieldTranslation],
    ) -> None:
        entries: list[MemoryEntry] = []
        for miss, answer in zip(batch, answers, strict=True):
            assert miss.protected is not None
            characters = len(miss.protected.markup)
            try:
                translation = restore(miss.protected, answer)
                verify(miss.text, translation, is_html=miss.is_html, terms=miss.terms)
            except UnsafeTranslation as exc:
                entry = self._memory_entry(miss.key, None, characters, exc.reason)
                outcome, translation, reason = Outcome.REJECTED, None, exc.reason
            else:
                entry = self._memory_entry(miss.key, translation, characters, None)
                outcome, reason = Outcome.NEW, None
            entries.append(entry)
            for position, index in enumerate(miss.field_indexes):
                results[index] = self._result(
                    sources[index],
                    target_lang,
                    translation,
                    self.provider.name,
                    outcome,
                    reason,
                    characters if position == 0 else 0,
                )
        self.memory.put_many(entries)

    def _memory_entry(
        self, key: MemoryKey, translation: str | None, characters: int, reason: str | None
    ) -> MemoryEntry:
        return MemoryEntry(key, translation, reason, characters, self.memory.now())

    def _batches(self, misses: list[_Miss]) -> Iterable[list[_Miss]]:
        batch: list[_Miss] = []
        size = 0
        for miss in misses:
            cost = len(miss.protected.markup) if miss.protected else 0
            if batch and (len(batch) >= self.batch_texts or size + cost > self.batch_characters):
                yield batch
                batch, size = [], 0
            batch.append(miss)
            size += cost
        if batch:
            yield batch

    def _defer(
        self,
        sources: list[FieldSource],
        target_lang: str,
        misses: Iterable[_Miss],
        results: dict[int, FieldTranslation],
        reason: str,
    ) -> None:
        for miss in misses:
            for index in miss.field_indexes:
                results[index] = self._result(
                    sources[index], target_lang, None, self.provider.name, Outcome.DEFERRED, reason
                )

    # -- helpers -----------------------------------------------------------------------------

    def _memory_key(self, text: str, target_lang: str) -> MemoryKey:
        return MemoryKey.of(
            text,
            self.source_lang,
            target_lang,
            self.provider.memory_label(self.formality),
            glossary_version(self.glossary, self.source_lang, target_lang),
        )

    def _terms(self, source: FieldSource) -> tuple[str, ...]:
        kept = self.glossary.do_not_translate if self.glossary else ()
        return tuple(dict.fromkeys((*kept, *source.keep)))

    @staticmethod
    def _result(
        source: FieldSource,
        target_lang: str,
        translation: str | None,
        provider: str | None,
        outcome: Outcome,
        reason: str | None = None,
        characters: int = 0,
    ) -> FieldTranslation:
        return FieldTranslation(
            source.product_key,
            source.field,
            target_lang,
            source.text,
            translation,
            provider,
            outcome,
            reason,
            characters,
        )
