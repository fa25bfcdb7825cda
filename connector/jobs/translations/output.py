"""Print: what was translated (or would be, on a dry run), rejected and deferred, and what each market got."""

from __future__ import annotations

from typing import Any

from rich.markup import escape

from connector import terminal
from connector.jobs.translations.plan import MarketPush
from connector.jobs.translations.sources import SourceProduct
from connector.jobs.translations.translate import LISTED_PROBLEMS, characters_to_send, item
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
    out = terminal.stdout_console()
    translate = results[0]
    if translate["outcome"] != "ok":
        out.print(f"translation failed: {translate['error']}", markup=False)
        if not run.results:
            return
    if dry_run:
        wide = terminal.is_wide()
        headers = ["product", "field", "lang", "outcome", "provider", "source", "translation"]
        if not wide:
            headers = ["product", "field", "lang", "outcome", "provider", "chars"]
        table = terminal.table("translations (dry run: nothing sent, nothing pushed)")
        terminal.columns(table, headers, {"chars"})
        for result in run.results:
            product = products.get(result.product_key)
            shown = result.translation if result.translation is not None else f"({result.reason or ''})"
            cells = {
                "product": product.skus[0] if product and product.skus else result.product_key,
                "field": result.field,
                "lang": result.target_lang,
                "outcome": "would send" if result.outcome is Outcome.PENDING else result.outcome.value,
                "provider": result.provider or "-",
                "chars": str(result.characters) if result.characters else "",
                "source": shorten(result.source),
                "translation": shorten(shown),
            }
            table.add_row(*(escape(cells[column]) for column in headers))
        out.print(table)
        would = characters_to_send(run)
        shown_would = ", ".join(f"{count:,} to {name}" for name, count in would.items()) or "none"
        out.print(f"characters it would send: {shown_would}", markup=False)
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
        table = terminal.table("translations to push (dry run)" if dry_run else "translations pushed")
        if dry_run:
            counted = [("would push", "would_push"), ("unchanged", "unchanged")]
            counted += [("awaiting", "awaiting_translation"), ("unmatched", "unmatched")]
        else:
            counted = [("pushed", "pushed"), ("unchanged", "unchanged"), ("unmatched", "unmatched")]
            counted += [("failed", "failed")]
        headers = [header for header, _ in counted]
        terminal.columns(table, ["market", "store", "lang", "outcome", *headers], set(headers))
        for result in results[1:]:
            table.add_row(
                result["market"],
                result["store"],
                str(result.get("language", "")),
                result["outcome"],
                *(str(result.get(key, "")) for _, key in counted),
            )
        out.print(table)
        for result in results[1:]:
            if result["outcome"] != "ok":
                out.print(f"{result['market']}: failed: {result.get('error')}", markup=False)
        for push in pushes:
            for error in push.errors[:LISTED_PROBLEMS]:
                out.print(f"{push.market}: {error}", markup=False)
