"""Translate: the master's texts, once for all target languages, recorded as one run.

The Translator takes person-written files first, then the translation memory (free), then the provider
within the run's character budget; a result that breaks the HTML or a protected text is rejected and never
published.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from connector.config import ClientConfig
from connector.jobs.runner import recorded_run
from connector.jobs.translations.sources import SourceProduct, load_sources
from connector.platforms.errors import PlatformError
from connector.state import State
from connector.translation import (
    DeepLProvider,
    FieldTranslation,
    Glossary,
    HumanFileError,
    HumanTranslations,
    LibreTranslateProvider,
    Outcome,
    Provider,
    ProviderError,
    SourceLanguageCheck,
    TranslationMemory,
    TranslationRun,
    Translator,
)

log = logging.getLogger(__name__)

JOB = "translations"
NO_PROVIDER = "none"
LISTED_PROBLEMS = 20


class TranslationFailed(PlatformError):
    """The run cannot go on: the provider refused the key, a human file is unreadable, the config lacks a part."""


class HumanFilesOnly(Provider):
    """`provider = "none"`: only person-written translations are published; other texts wait for one."""

    name = NO_PROVIDER

    def translate(self, texts, source_lang, target_lang, *, html, glossary, formality) -> list[str]:
        raise ProviderError(
            self.name,
            "unexpected",
            "no machine translation provider is configured; the text waits for a human translation file",
        )


@dataclass
class Translated:
    result: dict[str, Any]
    run: TranslationRun = field(default_factory=TranslationRun)
    products: dict[str, SourceProduct] = field(default_factory=dict)
    stop: bool = False  # nothing may be pushed (no sources, or the provider refused the key)


def translate_catalog(
    config: ClientConfig, state: State, master: str, languages: list[str], *, dry_run: bool
) -> Translated:
    """Translate the master's texts, recorded as one run. A provider failure other than a refused key fails
    the run but leaves what was translated before it (and what memory and people gave) to be pushed."""
    translated = Translated({})
    counts: dict[str, Any] = {}

    def work() -> dict[str, Any]:
        if not master:
            raise TranslationFailed(
                JOB, "pricing.master_store is not set; name the store whose products are the source texts"
            )
        sources, translated.products = load_sources(state, master, config.translation.fields)
        translator = build_translator(config, state, languages)
        try:
            translated.run = run = translator.translate(sources, languages, dry_run=dry_run)
        finally:
            translator.provider.close()
        counts.update(translation_counts(run, translated.products, languages, dry_run=dry_run))
        if run.provider_error and translator.provider.name != NO_PROVIDER:
            provider = translator.provider.name
            if run.provider_error_kind == "auth":
                raise TranslationFailed(provider, f"{run.provider_error}; check translation.api_key")
            raise TranslationFailed(provider, f"{run.provider_error}; the rest is translated on the next run")
        return counts

    recorded = recorded_run(state, JOB, master or "-", work)
    translated.result = {**counts, **recorded}
    translated.stop = recorded["outcome"] != "ok" and (
        not translated.run.results or translated.run.provider_error_kind == "auth"
    )
    return translated


def build_translator(config: ClientConfig, state: State, target_languages: list[str]) -> Translator:
    settings = config.translation
    try:
        human = HumanTranslations.from_files(config.resolve_path(path) for path in settings.human_files)
    except HumanFileError as exc:
        raise TranslationFailed(JOB, str(exc)) from None
    return Translator(
        build_provider(config),
        TranslationMemory(state.db),
        source_lang=settings.source_language,
        glossary=Glossary.of(settings.do_not_translate, settings.glossary),
        human=human,
        formality=settings.formality,
        language_check=_language_check(config, target_languages),
        character_budget=settings.char_budget_per_run,
    )


def build_provider(config: ClientConfig) -> Provider:
    settings = config.translation
    key = settings.api_key.get_secret_value() if settings.api_key else ""
    try:
        if settings.provider == "deepl":
            return DeepLProvider(key, server_url=settings.server_url)
        if settings.provider == "libretranslate":
            if not settings.server_url:
                raise TranslationFailed(
                    "libretranslate",
                    "translation.server_url is not set; give the LibreTranslate server's URL",
                )
            return LibreTranslateProvider(settings.server_url, api_key=key or None)
    except ProviderError as exc:
        raise TranslationFailed(exc.provider, f"{exc}; check translation.api_key") from None
    return HumanFilesOnly()


def _language_check(config: ClientConfig, target_languages: list[str]) -> SourceLanguageCheck | None:
    if not config.translation.detect_language:
        return None
    try:
        return SourceLanguageCheck([config.translation.source_language, *target_languages])
    except ValueError as exc:
        log.warning("source language check disabled: %s", exc)
        return None


def translation_counts(
    run: TranslationRun, products: dict[str, SourceProduct], languages: list[str], *, dry_run: bool
) -> dict[str, Any]:
    counts: dict[str, Any] = {
        "languages": languages,
        "products": len(products),
        "characters_sent": dict(run.characters_sent),
        **{
            outcome.value: count
            for outcome, count in ((o, len(run.with_outcome(o))) for o in Outcome)
            if count
        },
        "budget_reached": run.budget_reached,
    }
    if run.provider_error and not run.provider_error.startswith(f"{NO_PROVIDER}:"):
        counts["provider_error"] = run.provider_error
    rejected = run.with_outcome(Outcome.REJECTED)
    if rejected:
        counts["rejections"] = [item(r, products) for r in rejected[:LISTED_PROBLEMS]]
    if dry_run:
        counts["dry_run"] = True
        counts["characters_to_send"] = characters_to_send(run)
        counts["items"] = [item(r, products) for r in run.results]
    return counts


def characters_to_send(run: TranslationRun) -> dict[str, int]:
    """A dry run's bill: characters each provider would be sent (what is not in memory nor from people)."""
    would: dict[str, int] = {}
    for result in run.with_outcome(Outcome.PENDING):
        if result.provider:
            would[result.provider] = would.get(result.provider, 0) + (result.characters or 0)
    return would


def item(result: FieldTranslation, products: dict[str, SourceProduct]) -> dict[str, Any]:
    """One translated field as results and tables show it."""
    product = products.get(result.product_key)
    return {
        "product": result.product_key,
        "sku": product.skus[0] if product and product.skus else None,
        "field": result.field,
        "language": result.target_lang,
        "outcome": result.outcome.value,
        "provider": result.provider,
        "source": result.source,
        "translation": result.translation,
        "reason": result.reason,
    }
