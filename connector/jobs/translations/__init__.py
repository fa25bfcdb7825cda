"""Translations: the master store's titles and descriptions, in each market's language, in each market's store.

The sources are the master store's products as last pulled (`pricing.master_store`), written in
`translation.source_language`. They are translated once for all target languages by the Translator:
person-written files first, then the translation memory (free), then the provider within the run's
character budget; a result that breaks the HTML or a protected text is rejected and never published.

Then, for each market in another language, each master product is matched by SKU to the product of the
market's target store (its pulled variants) and the publishable texts are pushed: into the product itself on
a WooCommerce store of the market's own, as translations for the market's locale (and Shopify market) on a
Shopify shop. `pushed_translations` remembers the hashes of the source and of the text pushed per target
product, field and language, so an unchanged translation is not pushed again; Shopify is asked as well and
registers only what it does not hold yet.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

from connector.config import ClientConfig, MarketConfig
from connector.errors import UsageError
from connector.jobs.runner import recorded_run
from connector.platforms.base import StoreAdapter, TranslationWrite
from connector.platforms.errors import PlatformError
from connector.state import State, iso, utc_now
from connector.translation import (
    DeepLProvider,
    FieldSource,
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
from connector.translation.glossary import base_language

log = logging.getLogger(__name__)

JOB = "translations"
NO_PROVIDER = "none"
# The connector's field names -> the column of the state's products table holding the source text.
SOURCE_COLUMNS = {
    "title": "title",
    "description": "description_html",
    "short_description": "short_description_html",
}
HTML_FIELDS = frozenset({"description", "short_description"})
SHOWN_CHARACTERS = 48
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


# --- the run ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceProduct:
    id: str
    title: str
    skus: tuple[str, ...]


@dataclass
class MarketPush:
    market: str
    store: str
    language: str
    writes: list[TranslationWrite] = field(default_factory=list)
    ledger: list[dict[str, Any]] = field(default_factory=list)  # recorded once their write succeeded
    settled: list[dict[str, Any]] = field(default_factory=list)  # the target already held these texts
    unchanged: int = 0
    awaiting_translation: int = 0  # dry run: texts that would be sent to the provider, then pushed
    unmatched: list[str] = field(default_factory=list)
    pushed: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def counts(self, *, dry_run: bool) -> dict[str, Any]:
        planned = sum(len(write.fields) for write in self.writes)
        counts: dict[str, Any] = {
            "market": self.market,
            "language": self.language,
            "unchanged": self.unchanged,
            "unmatched": len(self.unmatched),
        }
        if dry_run:
            counts.update(would_push=planned, awaiting_translation=self.awaiting_translation)
        else:
            counts.update(pushed=self.pushed, failed=self.failed)
        if self.unmatched:
            counts["unmatched_products"] = self.unmatched[:LISTED_PROBLEMS]
        if self.errors:
            counts["errors"] = self.errors[:LISTED_PROBLEMS]
        return counts


def sync_translations_command(
    config: ClientConfig,
    state: State,
    adapters: dict[str, StoreAdapter],
    *,
    dry_run: bool = False,
    as_json: bool = False,
    market: str | None = None,
    language: str | None = None,
    **_options: Any,
) -> list[dict[str, Any]]:
    """`connector sync translations`: translate, push to every market, print a summary; one result per step."""
    markets = _markets(config, market, language)
    languages = [language] if language else config.target_languages
    source = base_language(config.translation.source_language)
    languages = [lang for lang in languages if base_language(lang) != source]

    master = config.pricing.master_store or ""
    translated = _translate_catalog(config, state, master, languages, dry_run=dry_run)
    results = [translated.result]
    run, products = translated.run, translated.products
    if translated.stop:
        _print(results, [], run, products, dry_run=dry_run, as_json=as_json)
        return results

    pushes: list[MarketPush] = []
    one_language_stores: dict[str, tuple[str, str]] = {}
    for name, market_config in markets.items():
        adapter = adapters.get(market_config.target)
        if adapter is None:
            continue
        target_language = _resolve_language(market_config.language, languages)
        push = MarketPush(name, adapter.name, target_language or market_config.language)
        pushes.append(push)

        def work(push=push, market_config=market_config, adapter=adapter) -> dict[str, Any]:
            if _resolve_language(market_config.language, languages) is None:
                raise TranslationFailed(
                    adapter.name,
                    f"market {push.market} is in {market_config.language}, which is not among the languages "
                    f"translated ({', '.join(languages) or 'none'}); add it to translation.languages",
                )
            problem = _one_language_conflict(push, adapter, master, one_language_stores)
            if problem:
                raise TranslationFailed(adapter.name, problem)
            plan_market(state, push, adapter, market_config.shopify_market, run, products, master)
            if not dry_run:
                apply_market(state, push, adapter)
            return push.counts(dry_run=dry_run)

        results.append({**recorded_run(state, f"{JOB}:{name}", adapter.name, work), "market": name})
    _print(results, pushes, run, products, dry_run=dry_run, as_json=as_json)
    return results


@dataclass
class _Translated:
    result: dict[str, Any]
    run: TranslationRun = field(default_factory=TranslationRun)
    products: dict[str, SourceProduct] = field(default_factory=dict)
    stop: bool = False  # nothing may be pushed (no sources, or the provider refused the key)


def _translate_catalog(
    config: ClientConfig, state: State, master: str, languages: list[str], *, dry_run: bool
) -> _Translated:
    """Translate the master's texts, recorded as one run. A provider failure other than a refused key fails
    the run but leaves what was translated before it (and what memory and people gave) to be pushed."""
    translated = _Translated({})
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


def _markets(config: ClientConfig, only: str | None, language: str | None) -> dict[str, MarketConfig]:
    if only and only not in config.markets:
        known = ", ".join(config.markets) or "none configured"
        raise UsageError(f"no market named {only!r} in {config.path}; use one of: {known}")
    source = base_language(config.translation.source_language)
    chosen = {}
    for name, market in config.markets.items():
        if only not in (None, name) or base_language(market.language) == source:
            continue
        if language and base_language(language) != base_language(market.language):
            continue
        chosen[name] = market
    return chosen


def _resolve_language(wanted: str, translated: Iterable[str]) -> str | None:
    """The translated language serving a market's language: the same code, else the same base language."""
    translated = list(translated)
    if wanted in translated:
        return wanted
    return next((lang for lang in translated if base_language(lang) == base_language(wanted)), None)


def _one_language_conflict(
    push: MarketPush,
    adapter: StoreAdapter,
    master: str,
    taken: dict[str, tuple[str, str]],
) -> str | None:
    """A store without per-locale translations (WooCommerce) holds one language: the master's, or one market's."""
    if adapter.platform == "shopify":
        return None
    if adapter.name == master:
        return (
            f"market {push.market} targets the master store {master}, which holds the source language; "
            "give the market a store of its own"
        )
    held = taken.setdefault(adapter.name, (push.market, push.language))
    if held[1] != push.language:
        return (
            f"store {adapter.name} already receives {held[1]} texts from market {held[0]}; "
            f"a {adapter.platform} store holds one language"
        )
    return None


# --- setup -----------------------------------------------------------------------------------------------


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
    # Proposed config switch `translation.detect_language` (default on); read defensively until it exists.
    if not config.translation.detect_language:
        return None
    try:
        return SourceLanguageCheck([config.translation.source_language, *target_languages])
    except ValueError as exc:
        log.warning("source language check disabled: %s", exc)
        return None


# --- sources ---------------------------------------------------------------------------------------------


def load_sources(
    state: State, master: str, fields: Iterable[str]
) -> tuple[list[FieldSource], dict[str, SourceProduct]]:
    """The master store's texts, one FieldSource per product and field; the product's SKUs are kept verbatim."""
    skus: dict[str, list[str]] = defaultdict(list)
    for product_id, sku in state.db.execute(
        "select product_id, sku from variants where store = ? and sku is not null and sku != '' "
        "order by cast(id as integer), id",
        [master],
    ).fetchall():
        skus[product_id].append(sku)
    sources: list[FieldSource] = []
    products: dict[str, SourceProduct] = {}
    rows = state.db.execute(
        "select id, title, description_html, short_description_html from products where store = ? "
        "order by cast(id as integer), id",
        [master],
    ).fetchall()
    for product_id, *texts in rows:
        by_column = dict(zip(("title", "description_html", "short_description_html"), texts, strict=True))
        kept = tuple(skus.get(product_id, ()))
        products[product_id] = SourceProduct(product_id, by_column["title"] or "", kept)
        for name in fields:
            text = by_column[SOURCE_COLUMNS[name]] or ""
            sources.append(FieldSource(product_id, name, text, name in HTML_FIELDS, kept))
    return sources, products


# --- planning and pushing one market ---------------------------------------------------------------------


def plan_market(
    state: State,
    push: MarketPush,
    adapter: StoreAdapter,
    shopify_market: str | None,
    run: TranslationRun,
    products: dict[str, SourceProduct],
    master: str,
) -> None:
    """Fill `push.writes` with the publishable texts the target does not hold yet."""
    results: dict[tuple[str, str], FieldTranslation] = {
        (r.product_key, r.field): r
        for r in run.results
        if r.target_lang == push.language and (r.publishable or r.outcome is Outcome.PENDING)
    }
    fields = _pushable_fields(adapter)
    targets = match_products(state, master, adapter.name, products)
    scope = shopify_market or ""
    ledger = _ledger(state, adapter.name, scope, push.language)
    held = _held_texts(state, adapter) if adapter.platform != "shopify" else {}
    for product in products.values():
        target = targets.get(product.id)
        if target is None:
            push.unmatched.append(f"{product.id} ({', '.join(product.skus) or 'no SKU'})")
            continue
        texts: dict[str, str] = {}
        for name in fields:
            result = results.get((product.id, name))
            if result is not None and result.outcome is Outcome.PENDING:
                push.awaiting_translation += 1
            if result is None or result.translation is None:
                continue
            row = {
                "store": adapter.name,
                "market": scope,
                "language": push.language,
                "product_id": target,
                "field": name,
                "source_hash": _hash(result.source),
                "value_hash": _hash(result.translation),
            }
            if ledger.get((target, name)) == (row["source_hash"], row["value_hash"]):
                push.unchanged += 1
            elif held.get((target, name)) == result.translation:
                push.unchanged += 1
                push.settled.append(row)
            else:
                push.ledger.append(row)
                texts[name] = result.translation
        if texts:
            push.writes.append(
                TranslationWrite(target, product.skus[0], push.language, shopify_market, texts)
            )


def apply_market(state: State, push: MarketPush, adapter: StoreAdapter) -> None:
    """Send the planned writes and record what the target accepted."""
    outcomes = adapter.write_translations(push.writes) if push.writes else []
    accepted: set[tuple[str, str]] = set()
    for write, outcome in zip(push.writes, outcomes, strict=True):
        if outcome.ok:
            push.pushed += len(write.fields)
            accepted.update((write.product_id, name) for name in write.fields)
        else:
            push.failed += len(write.fields)
            push.errors.append(f"{write.sku}: {outcome.message}")
    now = iso(utc_now())
    rows = [
        {**row, "pushed_at": now} for row in push.ledger if (row["product_id"], row["field"]) in accepted
    ] + [{**row, "pushed_at": now} for row in push.settled]
    if rows:
        with state.transaction() as db:
            # Whole rows: replace, not upsert (sqlite-utils' upsert inserts the key columns first, which the
            # NOT NULL columns refuse, silently under INSERT OR IGNORE).
            db["pushed_translations"].insert_all(
                rows, pk=("store", "market", "language", "product_id", "field"), replace=True
            )


def match_products(
    state: State, master: str, target: str, products: dict[str, SourceProduct]
) -> dict[str, str]:
    """Master product id -> the target store's product holding the same SKUs. A master product whose SKUs are
    spread over several target products, or a target product claimed by several master products, is left
    unmatched (reported), never guessed."""
    by_sku: dict[str, set[str]] = defaultdict(set)
    for sku, product_id in state.db.execute(
        "select sku, product_id from variants where store = ? and sku is not null", [target]
    ).fetchall():
        by_sku[sku].add(product_id)
    matched: dict[str, str] = {}
    for product in products.values():
        found = {pid for sku in product.skus for pid in by_sku.get(sku, ())}
        if target == master:
            found = {product.id}
        if len(found) == 1:
            matched[product.id] = found.pop()
    claimed = Counter(matched.values())
    return {source: target for source, target in matched.items() if claimed[target] == 1}


def _pushable_fields(adapter: StoreAdapter) -> tuple[str, ...]:
    if adapter.platform == "shopify":
        from connector.platforms.shopify.translations import translatable_fields

        supported = translatable_fields()
        return tuple(name for name in SOURCE_COLUMNS if name in supported)
    return tuple(SOURCE_COLUMNS)


def _ledger(state: State, store: str, market: str, language: str) -> dict[tuple[str, str], tuple[str, str]]:
    rows = state.db.execute(
        "select product_id, field, source_hash, value_hash from pushed_translations "
        "where store = ? and market = ? and language = ?",
        [store, market, language],
    ).fetchall()
    return {(product_id, name): (source, value) for product_id, name, source, value in rows}


def _held_texts(state: State, adapter: StoreAdapter) -> dict[tuple[str, str], str]:
    """The texts a one-language store held when last pulled, by (product id, field)."""
    held = {}
    for row in state.db.execute(
        "select id, title, description_html, short_description_html from products where store = ?",
        [adapter.name],
    ).fetchall():
        for name, value in zip(SOURCE_COLUMNS, row[1:], strict=True):
            held[(row[0], name)] = value
    return held


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- results and printing --------------------------------------------------------------------------------


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
        counts["rejections"] = [_item(r, products) for r in rejected[:LISTED_PROBLEMS]]
    if dry_run:
        counts["dry_run"] = True
        counts["items"] = [_item(r, products) for r in run.results]
    return counts


def _item(result: FieldTranslation, products: dict[str, SourceProduct]) -> dict[str, Any]:
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


def shorten(text: str | None, width: int = SHOWN_CHARACTERS) -> str:
    if text is None:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _print(
    results: list[dict[str, Any]],
    pushes: list[MarketPush],
    run: TranslationRun,
    products: dict[str, SourceProduct],
    *,
    dry_run: bool,
    as_json: bool,
) -> None:
    if as_json:
        return
    out = Console(file=sys.stdout, width=160)
    translate = results[0]
    if translate["outcome"] != "ok":
        out.print(f"translation failed: {translate['error']}", markup=False)
        if not run.results:
            return
    if dry_run:
        table = Table(title="translations (dry run: nothing sent, nothing pushed)")
        for column in ("product", "field", "lang", "outcome", "provider", "source", "translation"):
            table.add_column(column)
        for result in run.results:
            product = products.get(result.product_key)
            shown = result.translation if result.translation is not None else f"({result.reason or ''})"
            table.add_row(
                product.skus[0] if product and product.skus else result.product_key,
                result.field,
                result.target_lang,
                "would send" if result.outcome is Outcome.PENDING else result.outcome.value,
                result.provider or "-",
                shorten(result.source),
                shorten(shown),
            )
        out.print(table)
    sent = ", ".join(f"{name} {count}" for name, count in run.characters_sent.items()) or "none"
    counts = ", ".join(f"{k} {v}" for k, v in run.counts().items() if v)
    out.print(f"characters sent: {sent}; fields: {counts or 'none'}", markup=False)
    deferred = run.with_outcome(Outcome.DEFERRED)
    if deferred:
        out.print(f"deferred to the next run: {len(deferred)} ({deferred[0].reason})", markup=False)
    for rejected in run.with_outcome(Outcome.REJECTED)[:LISTED_PROBLEMS]:
        item = _item(rejected, products)
        out.print(
            f"rejected, not pushed: {item['sku'] or item['product']} {item['field']} {item['language']}: "
            f"{rejected.reason}",
            markup=False,
        )
    if results[1:]:
        table = Table(title="translations to push (dry run)" if dry_run else "translations pushed")
        if dry_run:
            counted = [("would push", "would_push"), ("unchanged", "unchanged")]
            counted += [("after translation", "awaiting_translation"), ("unmatched", "unmatched")]
        else:
            counted = [("pushed", "pushed"), ("unchanged", "unchanged"), ("unmatched", "unmatched")]
            counted += [("failed", "failed")]
        for column in ("market", "store", "language", "outcome", *(header for header, _ in counted)):
            table.add_column(column)
        for result in results[1:]:
            table.add_row(
                result["market"],
                result["store"],
                str(result.get("language", "")),
                result["outcome"] if result["outcome"] == "ok" else f"failed: {result['error']}",
                *(str(result.get(key, "")) for _, key in counted),
            )
        out.print(table)
        for push in pushes:
            for error in push.errors[:LISTED_PROBLEMS]:
                out.print(f"{push.market}: {error}", markup=False)
