"""Print: what was translated (or would be, on a dry run), rejected and deferred, and what each market got."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from connector.jobs.translations.plan import MarketPush
from connector.jobs.translations.sources import SourceProduct
from connector.jobs.translations.translate import LISTED_PROBLEMS, item
from connector.translation import Outcome, TranslationRun

SHOWN_CHARACTERS = 48


def shorten(text: str | None, width: int = SHOWN_CHARACTERS) -> str:
    if text is None:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def print_results(
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
        found = item(rejected, products)
        out.print(
            f"rejected, not pushed: {found['sku'] or found['product']} {found['field']} {found['language']}: "
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
