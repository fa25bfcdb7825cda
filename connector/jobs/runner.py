"""One-off syncs (`connector sync ...`): run jobs on a client's stores, record each run, print a summary.

Every job run is recorded in `sync_runs` (start, end, outcome, counts, error) by `recorded_run`, which the
service uses too. A failing store never stops the other stores. A resource is pulled only from the stores whose
adapter reads it (`StoreAdapter.resources`): `all` takes abandoned checkouts only from stores whose platform
offers them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from connector import terminal
from connector.config import ClientConfig
from connector.errors import UsageError
from connector.jobs.pull import PullSummary, pull
from connector.logs import redact
from connector.platforms import registry
from connector.platforms.base import ALL_RESOURCES, StoreAdapter
from connector.platforms.errors import PlatformError
from connector.platforms.network import address_of, unreachable_reason
from connector.platforms.registry import open_adapter
from connector.platforms.retry import StopRequested, one_off_retries
from connector.progress import job_progress
from connector.state import State, open_state

log = logging.getLogger(__name__)


@dataclass
class SyncOutcome:
    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(result["outcome"] == "ok" for result in self.results)


def recorded_run(state: State, job: str, store: str, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run `work`, recording it in sync_runs; a store failure is recorded and returned, not raised."""
    run_id = state.start_run(job, store)
    try:
        counts = work()
    except StopRequested:
        state.finish_run(run_id, "interrupted", error="stopped by shutdown at a safe point")
        return {"job": job, "store": store, "outcome": "interrupted"}
    except PlatformError as exc:
        reason = unreachable_reason(exc, address_of(exc) or f"the address of {store}")
        message = redact(f"{exc.store}: {reason}" if reason else str(exc))
        state.finish_run(run_id, "failed", error=message)
        log.warning("%s on %s failed: %s", job, store, message)
        return {"job": job, "store": store, "outcome": "failed", "error": message, "kind": type(exc).__name__}
    except BaseException as exc:
        state.finish_run(run_id, "failed", error=redact(f"{type(exc).__name__}: {exc}"))
        raise
    state.finish_run(run_id, "ok", counts)
    return {"job": job, "store": store, "outcome": "ok", **counts}


@contextmanager
def adapters(config: ClientConfig, only: str | None = None) -> Iterator[dict[str, StoreAdapter]]:
    if only and only not in config.stores:
        raise UsageError(f"no store named {only!r} in {config.path}; use one of: {', '.join(config.stores)}")
    opened = {
        name: open_adapter(name, store, cost_meta_key=config.pricing.cost_meta_key)
        for name, store in config.stores.items()
        if only in (None, name)
    }
    try:
        yield opened
    finally:
        for adapter in opened.values():
            adapter.close()


def run_sync(
    config: ClientConfig,
    what: list[str],
    *,
    store: str | None = None,
    dry_run: bool = False,
    full: bool = False,
    as_json: bool = False,
    wide: bool = False,
    options: dict[str, Any] | None = None,
) -> SyncOutcome:
    targets = list(dict.fromkeys(t for w in what for t in (ALL_RESOURCES if w == "all" else (w,))))
    check_options(config, targets, options or {})
    terminal.set_wide(wide)
    console = Console(stderr=True)
    outcome = SyncOutcome()
    with open_state(config.state_path) as state, adapters(config, store) as opened, one_off_retries():
        state.close_unfinished_runs()
        for target in targets:
            if target in ALL_RESOURCES and target in what and not _readers(opened, target):
                raise UsageError(_nobody_reads(target, opened))
        for target in targets:
            if target in ALL_RESOURCES:
                for adapter in _readers(opened, target):
                    outcome.results.append(
                        _pull_with_progress(state, adapter, target, full, console, as_json)
                    )
            else:
                with job_progress(target, opened, console, quiet=as_json):
                    outcome.results += client_job(target)(
                        config, state, opened, dry_run=dry_run, as_json=as_json, full=full, **(options or {})
                    )
    _print_summary(outcome, as_json, wide)
    return outcome


def check_options(config: ClientConfig, targets: list[str], options: dict[str, Any]) -> None:
    """--market and --language name something the config has, for a job that uses them."""
    market, language = options.get("market"), options.get("language")
    if market is not None:
        if not {"prices", "translations"} & set(targets):
            raise UsageError("--market applies to `sync prices` and `sync translations` only")
        if market not in config.markets:
            known = ", ".join(config.markets) or "none configured"
            raise UsageError(f"no market named {market!r} in {config.path}; use one of: {known}")
    if language is not None:
        if "translations" not in targets:
            raise UsageError("--language applies to `sync translations` only")
        languages = config.target_languages
        if language not in languages:
            known = ", ".join(languages) or "none: set translation.languages or markets in other languages"
            raise UsageError(
                f"--language {language!r} is not translated for {config.client.name}; use one of: {known}"
            )


def _readers(opened: dict[str, StoreAdapter], resource: str) -> list[StoreAdapter]:
    return [adapter for adapter in opened.values() if resource in adapter.resources]


def _nobody_reads(resource: str, opened: dict[str, StoreAdapter]) -> str:
    stores = ", ".join(f"{name} ({adapter.platform})" for name, adapter in opened.items())
    sources = " or ".join(registry.titles(reading=resource)) or "no platform"
    what = resource.replace("_", " ")
    return f"none of the stores synced reads {resource} ({stores}); {what} come from {sources} only"


def _pull_with_progress(state, adapter, resource, full, console: Console, quiet: bool) -> dict[str, Any]:
    def work(on_page=None) -> dict[str, Any]:
        summary = pull(state, adapter, resource, full=full, on_page=on_page)
        return {k: v for k, v in summary.as_dict().items() if k not in ("store", "resource")}

    if not console.is_terminal or quiet:  # a disabled rich Progress still writes a blank line when it stops
        return {**recorded_run(state, f"pull:{resource}", adapter.name, work), "resource": resource}
    with Progress(
        TextColumn(f"{adapter.name} {resource}"),
        BarColumn(bar_width=None),
        TextColumn("{task.fields[items]} items, {task.fields[pages]} pages, {task.fields[rate]}/s"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("pull", total=None, items=0, pages=0, rate=0)

        def on_page(summary: PullSummary) -> None:
            elapsed = progress.tasks[0].elapsed or 1
            progress.update(task, items=summary.read, pages=summary.pages, rate=int(summary.read / elapsed))

        return {
            **recorded_run(state, f"pull:{resource}", adapter.name, lambda: work(on_page)),
            "resource": resource,
        }


def configured_client_jobs(config: ClientConfig) -> list[str]:
    """The client-wide jobs a config asks for."""
    jobs = []
    if config.inventory.source_of_truth or config.inventory.channels:
        jobs.append("inventory")
    if config.markets and config.pricing.master_store:
        jobs.append("prices")
    if config.markets and (config.translation.provider != "none" or config.translation.human_files):
        jobs.append("translations")
    return jobs


def client_job(job: str) -> Callable[..., list[dict[str, Any]]]:
    """The command of a client-wide job: (config, state, adapters, *, dry_run, as_json, full, ...) -> results."""
    if job == "inventory":
        from connector.jobs.inventory import sync_inventory_command as command
    elif job == "prices":
        from connector.jobs.prices import sync_prices_command as command
    else:
        from connector.jobs.translations import sync_translations_command as command
    return command


def run_client_job(job: str, config: ClientConfig, state: State, opened: dict[str, StoreAdapter]):
    """A client-wide job as the service and the demo run it: applied, quiet, with the config's defaults."""
    return client_job(job)(config, state, opened, dry_run=False, as_json=True, full=False)


def _print_summary(outcome: SyncOutcome, as_json: bool, wide: bool = False) -> None:
    if as_json:
        print(redact(json.dumps({"ok": outcome.ok, "results": outcome.results}, indent=2, default=str)))
        return
    pulls = [r for r in outcome.results if r["job"].startswith("pull:")]
    if not pulls:
        return
    console = terminal.stdout_console()
    table = terminal.table("pull")
    numbers = ("read", "created", "updated", "unchanged", "written")
    terminal.columns(table, ["store", "resource", "outcome", *numbers, "skipped"], set(numbers))
    failures = []
    for r in pulls:
        skipped = r.get("skipped", {})
        if wide:
            shown = ", ".join(f"{k} {v}" for k, v in sorted(skipped.items())) or "-"
        else:
            shown = str(sum(skipped.values())) if skipped else "-"
        if r["outcome"] != "ok":
            failures.append(f"{r['store']} {r['resource']}: {r['outcome']}: {r.get('error', '')}")
        table.add_row(
            r["store"], r["resource"], r["outcome"], *(str(r.get(k, "")) for k in numbers), shown
        )
    console.print(table)
    for line in failures:
        console.print(escape(redact(line)), soft_wrap=True)  # one line each: grep finds it
    if any(r.get("skipped") for r in pulls) and not wide:
        console.print("skipped: records set aside (see `connector status`); --wide shows them by kind")
