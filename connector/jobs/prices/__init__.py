"""Prices: every market's prices computed from the master store's and pushed to the market's target.

For each market, in the order of this package's modules:

- plan (`plan.py`): the master's variants, bound by SKU, through the market's rules, rate and costs give a
  list price and an optional sale price per SKU, matched by SKU to the one variant of the target;
- compare (`compare.py`): what the target shows now, so that only prices that change are sent;
- guard (`guard.py`): a price moving more than the market's `max_price_change` is held;
- push (`push.py`): the writes go to the target's adapter in one call, those accepted are recorded;
- print (`output.py`): a table per market, or CSV rows.

A target is what its store offers (`StoreAdapter.price_targets`): its own variant prices, or the prices of one
of its markets (the market's `shopify_market`). A write is a list price and an optional sale price; the
adapter shows them in its own fields.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from connector import progress
from connector.config import ClientConfig
from connector.jobs.costs import CostBook, CostFileError, load_costs
from connector.jobs.prices.lines import (
    DUPLICATE_SKU,
    ERROR,
    FAILED,
    HELD,
    NO_BASE_PRICE,
    NOT_ON_TARGET,
    PUSHED,
    TO_PUSH,
    UNCHANGED,
    MarketPlan,
    PriceJobError,
    PriceLine,
    Target,
)
from connector.jobs.prices.output import line_dict, print_csv, print_tables
from connector.jobs.prices.plan import master_store, plan_market
from connector.jobs.prices.push import push_plan
from connector.jobs.runner import recorded_run
from connector.platforms.base import StoreAdapter
from connector.rates import ECB_URL, RateBook, refresh
from connector.state import State

__all__ = [
    "DUPLICATE_SKU",
    "ERROR",
    "FAILED",
    "HELD",
    "NOT_ON_TARGET",
    "NO_BASE_PRICE",
    "PUSHED",
    "TO_PUSH",
    "UNCHANGED",
    "MarketPlan",
    "PriceJobError",
    "PriceLine",
    "Target",
    "plan_market",
    "push_plan",
    "rate_book",
    "rates_dir",
    "refresh_rates",
    "sync_prices_command",
]

JOB = "prices"
RATES_DIR_NAME = "rates"


def rates_dir(config: ClientConfig) -> Path:
    """Where refreshed ECB rates are kept: beside the client's state file."""
    return config.state_path.parent / RATES_DIR_NAME


def refresh_rates(config: ClientConfig, *, url: str = ECB_URL) -> Path:
    """Download the newest ECB reference rates for this client's prices; returns the file written.

    Raises RatesRefreshError (the rates in use stay as they were) when the download fails."""
    return refresh(rates_dir(config), url=url)


def rate_book(config: ClientConfig) -> RateBook:
    return RateBook(cache_dir=rates_dir(config))


def sync_prices_command(
    config: ClientConfig,
    state: State,
    adapters: dict[str, StoreAdapter],
    *,
    dry_run: bool = False,
    as_json: bool = False,
    market: str | None = None,
    language: str | None = None,  # noqa: ARG001 - an option of other sync jobs
    accept_large_changes: bool = False,
    csv: bool = False,
    book: RateBook | None = None,
    **_options: Any,
) -> list[dict[str, Any]]:
    """`connector sync prices`: one result per market; prints a table per market unless `as_json`."""
    if market is not None and market not in config.markets:
        known = ", ".join(config.markets) or "none configured"
        return [_failed(market, "", f"no market named {market!r} in {config.path}; use one of: {known}")]
    names = [market] if market else list(config.markets)
    book = book or rate_book(config)
    costs, cost_error = _costs(config, state)
    results: list[dict[str, Any]] = []
    plans: list[MarketPlan] = []
    for number, name in enumerate(names):
        progress.advance(f"market {name}", number, len(names))
        target = config.markets[name].target
        adapter = adapters.get(target)
        if adapter is None:
            if market is not None:
                results.append(_failed(name, target, f"the target store {target!r} is not open in this run"))
            continue
        planned: list[MarketPlan] = []

        def work(
            name: str = name, adapter: StoreAdapter = adapter, planned: list = planned
        ) -> dict[str, Any]:
            if cost_error is not None:
                raise PriceJobError(cost_error)
            plan = plan_market(config, state, name, adapter, book, costs)
            planned.append(plan)
            if not dry_run:
                push_plan(plan, adapter, state, accept_large_changes=accept_large_changes)
            return {**plan.counts(), "dry_run": dry_run}

        try:
            result = recorded_run(state, f"{JOB}:{name}", target, work)
        except PriceJobError as error:
            result = _failed(name, target, str(error))
        if planned:
            plans.append(planned[0])
            result["lines"] = [line_dict(line, planned[0]) for line in planned[0].lines]
        results.append(result)
    if costs.problems:
        for result in results:
            result.setdefault("cost_problems", list(costs.problems))
    if not as_json:
        if csv:
            print_csv(plans, sys.stdout)
        else:
            print_tables(plans, results, costs, dry_run=dry_run)
    return results


def _costs(config: ClientConfig, state: State) -> tuple[CostBook, str | None]:
    try:
        return load_costs(config, state, master_store(config)), None
    except (CostFileError, PriceJobError) as error:
        return CostBook(), str(error)


def _failed(market: str, store: str, message: str) -> dict[str, Any]:
    return {"job": JOB, "store": store, "market": market, "outcome": "failed", "error": message}
