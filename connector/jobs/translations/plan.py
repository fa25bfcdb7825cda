"""Plan: for one market, the publishable texts its target store does not hold yet.

Each master product is matched, through the binder, to the one product of the target store carrying its SKUs;
a product with a SKU on two variants of either store, whose SKUs lie on several target products, or whose
target product another master product claims too, is left unmatched and reported, never guessed. Only the
fields the target can hold are pushed (`TranslationSupport.fields`).

Compare: `pushed_translations` remembers the hashes of the source and of the text pushed per target product,
field and language (and store market), so an unchanged translation is not pushed again. A store that holds one
language in the products' own texts is compared with its pulled texts as well; a store holding translations
per locale is asked by its adapter, which registers only what it does not hold yet.

Guard: a store holding one language takes one market's language, and never the master's texts.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from connector.binder import AMBIGUOUS, Binder, Unbound
from connector.jobs.translations.sources import SOURCE_COLUMNS, SourceProduct
from connector.jobs.translations.translate import LISTED_PROBLEMS, TranslationFailed
from connector.platforms.base import StoreAdapter, TranslationSupport, TranslationWrite
from connector.state import State
from connector.translation import FieldTranslation, Outcome, TranslationRun


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


def plan_market(
    state: State,
    push: MarketPush,
    adapter: StoreAdapter,
    store_market: str | None,
    run: TranslationRun,
    products: dict[str, SourceProduct],
    master: str,
) -> None:
    """Fill `push.writes` with the publishable texts the target does not hold yet."""
    support = supported(adapter)
    results: dict[tuple[str, str], FieldTranslation] = {
        (r.product_key, r.field): r
        for r in run.results
        if r.target_lang == push.language and (r.publishable or r.outcome is Outcome.PENDING)
    }
    fields = tuple(name for name in SOURCE_COLUMNS if name in support.fields)
    targets, refused = match_products(state, master, adapter.name, products)
    scope = store_market or ""
    ledger = _ledger(state, adapter.name, scope, push.language)
    held = {} if support.per_locale else _held_texts(state, adapter.name)
    for product in products.values():
        target = targets.get(product.id)
        if target is None:
            skus = ", ".join(product.skus) or "no SKU"
            push.unmatched.append(f"{product.id} ({skus}): {refused[product.id]}")
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
            push.writes.append(TranslationWrite(target, product.skus[0], push.language, store_market, texts))


def supported(adapter: StoreAdapter) -> TranslationSupport:
    """What the target holds; a store that takes no translations stops its market."""
    if adapter.translations is None:
        raise TranslationFailed(
            adapter.name, f"store {adapter.name} takes no translations; point the market at a store that does"
        )
    return adapter.translations


def match_products(
    state: State, master: str, target: str, products: dict[str, SourceProduct]
) -> tuple[dict[str, str], dict[str, str]]:
    """(master product id -> the target store's product holding the same SKUs, master product id -> why it has
    none). Every SKU goes through the binder on both stores."""
    source, on_target = Binder.of_store(state, master), Binder.of_store(state, target)
    matched: dict[str, str] = {}
    refused: dict[str, str] = {}
    for product in products.values():
        if not product.skus:
            refused[product.id] = "the product has no SKU"
            continue
        found: set[str] = set()
        ambiguous: list[Unbound] = []
        missing: list[Unbound] = []
        for sku in product.skus:
            mine = source.bind(sku)
            if isinstance(mine, Unbound):
                ambiguous.append(mine)
                continue
            theirs = on_target.bind(sku)
            if isinstance(theirs, Unbound):
                (ambiguous if theirs.kind == AMBIGUOUS else missing).append(theirs)
            else:
                found.add(theirs.product_id)
        if ambiguous:
            refused[product.id] = ambiguous[0].message
        elif not found:
            refused[product.id] = missing[0].message
        elif len(found) > 1:
            refused[product.id] = (
                f"its SKUs are on {len(found)} products of store {target} ({', '.join(sorted(found))});"
                " left alone until one product holds them"
            )
        else:
            matched[product.id] = found.pop()
    claimed = Counter(matched.values())
    for source_id, target_id in list(matched.items()):
        if claimed[target_id] > 1:
            del matched[source_id]
            refused[source_id] = (
                f"product {target_id} of store {target} also holds SKUs of another master product; left alone"
            )
    return matched, refused


def _ledger(state: State, store: str, market: str, language: str) -> dict[tuple[str, str], tuple[str, str]]:
    rows = state.db.execute(
        "select product_id, field, source_hash, value_hash from pushed_translations "
        "where store = ? and market = ? and language = ?",
        [store, market, language],
    ).fetchall()
    return {(product_id, name): (source, value) for product_id, name, source, value in rows}


def _held_texts(state: State, store: str) -> dict[tuple[str, str], str]:
    """The texts a one-language store held when last pulled, by (product id, field)."""
    held = {}
    for row in state.db.execute(
        "select id, title, description_html, short_description_html from products where store = ?",
        [store],
    ).fetchall():
        for name, value in zip(SOURCE_COLUMNS, row[1:], strict=True):
            held[(row[0], name)] = value
    return held


def one_language_conflict(
    push: MarketPush, adapter: StoreAdapter, master: str, taken: dict[str, tuple[str, str]]
) -> str | None:
    """A store holding one language (no per-locale translations) takes the master's, or one market's."""
    if supported(adapter).per_locale:
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
            "a store without per-locale translations holds one language"
        )
    return None


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
