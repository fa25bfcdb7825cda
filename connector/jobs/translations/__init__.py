"""Translations: the master store's titles and descriptions, in each market's language, in each market's store.

In the order of this package's modules:

- sources (`sources.py`): the master store's products as last pulled (`pricing.master_store`), written in
  `translation.source_language`;
- translate (`translate.py`): translated once for all target languages, people's files first, then the
  translation memory, then the provider within the run's budget; a result that breaks the HTML or a protected
  text is rejected and never published;
- plan (`plan.py`), per market in another language: each master product matched by SKU (the binder) to the one
  product of the market's target store, compared with what was pushed and what the store holds, and guarded (a
  store holding one language takes one);
- push (`push.py`): the texts the target does not hold yet, sent through its adapter, which writes them into
  the product (a store holding one language) or registers them per locale and store market;
- print (`output.py`): the summary.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from connector import progress
from connector.config import ClientConfig, MarketConfig
from connector.errors import UsageError
from connector.jobs.runner import recorded_run
from connector.jobs.translations.output import print_results
from connector.jobs.translations.plan import MarketPush, one_language_conflict, plan_market
from connector.jobs.translations.push import apply_market
from connector.jobs.translations.translate import JOB, TranslationFailed, translate_catalog
from connector.platforms.base import StoreAdapter
from connector.state import State
from connector.translation.glossary import base_language

__all__ = ["TranslationFailed", "sync_translations_command"]


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
    progress.advance("translating", 0, None)
    translated = translate_catalog(config, state, master, languages, dry_run=dry_run)
    results = [translated.result]
    run, products = translated.run, translated.products
    if translated.stop:
        print_results(results, [], run, products, dry_run=dry_run, as_json=as_json)
        return results

    pushes: list[MarketPush] = []
    one_language_stores: dict[str, tuple[str, str]] = {}
    for number, (name, market_config) in enumerate(markets.items()):
        progress.advance(f"pushing market {name}", number, len(markets))
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
            problem = one_language_conflict(push, adapter, master, one_language_stores)
            if problem:
                raise TranslationFailed(adapter.name, problem)
            plan_market(state, push, adapter, market_config.store_market, run, products, master)
            if not dry_run:
                apply_market(state, push, adapter)
            return push.counts(dry_run=dry_run)

        results.append({**recorded_run(state, f"{JOB}:{name}", adapter.name, work), "market": name})
    print_results(results, pushes, run, products, dry_run=dry_run, as_json=as_json)
    return results


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
