"""`connector report [kpis|flags]`: build the report, print it (table, --json, --csv), write --html."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from connector import terminal
from connector.config import ClientConfig
from connector.reports.build import ReportRequest, build_flags, build_kpis, check_filters, parse_period
from connector.reports.convert import ConversionError
from connector.reports.data import ReportError
from connector.reports.html import render_flags_html, render_kpis_html
from connector.reports.output import flags_as_dict, flags_csv, kpis_as_dict, kpis_csv, print_flags, print_kpis
from connector.reports.tagging import should_tag, tag_flagged
from connector.state import open_state

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def run_report(config: ClientConfig, args: argparse.Namespace) -> int:
    terminal.set_wide(getattr(args, "wide", False))
    try:
        request = ReportRequest(
            parse_period(args.since, args.until, config.client.timezone), args.market, args.store
        )
        check_filters(config, request.market, request.store)
    except ReportError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    if not config.state_path.exists():
        print(
            f"{config.state_path}: no state yet; run `connector sync -c {config.path}` first", file=sys.stderr
        )
        return EXIT_FAILURE
    try:
        with open_state(config.state_path) as state:
            if args.kind == "flags":
                return _flags(config, state, request, args)
            return _kpis(config, state, request, args)
    except ReportError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    except ConversionError as error:
        print(f"{error}; refresh the rates or set exchange_rate for that market", file=sys.stderr)
        return EXIT_FAILURE


def _kpis(config, state, request: ReportRequest, args) -> int:
    report = build_kpis(config, state, request)
    if args.json:
        print(json.dumps(kpis_as_dict(report), indent=2))
    if args.csv:
        sys.stdout.write(kpis_csv(report))
    if not (args.json or args.csv):
        print_kpis(report, terminal.stdout_console(), wide=terminal.is_wide())
    if args.html:
        _write(args.html, render_kpis_html(report, config.client.name))
    return EXIT_OK


def _flags(config, state, request: ReportRequest, args) -> int:
    flags = build_flags(config, state, request)
    base = config.client.base_currency
    if args.json:
        print(json.dumps(flags_as_dict(flags, base), indent=2))
    if args.csv:
        sys.stdout.write(flags_csv(flags, base))
    if not (args.json or args.csv):
        print_flags(flags, base, terminal.stdout_console(), wide=terminal.is_wide())
    if args.html:
        period = f"{request.period.since} to {request.period.until}"
        _write(args.html, render_flags_html(flags, base, config.client.name, period))
    if not should_tag(config, args.tag):
        return EXIT_OK
    outcome = tag_flagged(config, state, flags)
    print(
        f"tagged {len(outcome.tagged)} orders, {len(outcome.already)} already tagged, "
        f"{len(outcome.failed)} failed",
        file=sys.stderr,
    )
    for store, order_id, why in outcome.failed:
        print(f"  store {store} order {order_id}: {why}", file=sys.stderr)
    return EXIT_FAILURE if outcome.failed else EXIT_OK


def _write(target: str, page: str) -> None:
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)
