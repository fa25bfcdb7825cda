"""Tagging flagged orders back on their store (`StoreAdapter.tag_order`: a note or a tag), once per order.

Off by default: `connector report flags --tag`, or `tag_flagged_orders = true` in `[reports]`. Each order
tagged is remembered in the state, in the same step as the store's answer, so a second run tags nothing again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from connector.config import ClientConfig
from connector.logs import redact
from connector.platforms import registry
from connector.reports.data import remember_tagged, tagged_orders
from connector.reports.flags import FlaggedOrder
from connector.state import State, utc_now

TAG_PREFIX = "connector flags"


@dataclass
class TagOutcome:
    tagged: list[tuple[str, str]] = field(default_factory=list)  # (store, order id)
    already: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (store, order id, why)


def tag_text(flagged: FlaggedOrder) -> str:
    """One line, no commas (a platform may split tags at commas): `connector flags: kind; kind`."""
    return f"{TAG_PREFIX}: {'; '.join(flagged.kinds)}"


def should_tag(config: ClientConfig, asked: bool) -> bool:
    return asked or config.reports.tag_flagged_orders


def tag_flagged(
    config: ClientConfig,
    state: State,
    flags: Iterable[FlaggedOrder],
    *,
    open_adapter: Callable = registry.open_adapter,
    now: Callable[[], datetime] = utc_now,
) -> TagOutcome:
    outcome = TagOutcome()
    done = tagged_orders(state.db)
    pending: dict[str, list[FlaggedOrder]] = defaultdict(list)
    for flagged in flags:
        key = (flagged.order.store, flagged.order.id)
        if key in done:
            outcome.already.append(key)
        else:
            pending[flagged.order.store].append(flagged)
            done.add(key)
    for store, orders in pending.items():
        _tag_store(config, state, store, orders, open_adapter, now, outcome)
    return outcome


def _tag_store(config, state, store, orders, open_adapter, now, outcome: TagOutcome) -> None:
    def fail_all(why: str) -> None:
        outcome.failed.extend((store, flagged.order.id, why) for flagged in orders)

    store_config = config.stores.get(store)
    if store_config is None:
        fail_all(f"store {store} is not in the config any more")
        return
    try:
        adapter = open_adapter(store, store_config)
    except Exception as error:  # any failure to reach the store fails its orders, not the others
        fail_all(redact(f"cannot open store {store}: {error}"))
        return
    try:
        if not adapter.tags_orders:
            fail_all(f"the {adapter.platform} adapter of store {store} cannot tag orders")
            return
        for flagged in orders:
            text = tag_text(flagged)
            try:
                adapter.tag_order(flagged.order.id, text)
            except Exception as error:  # one order's failure leaves the others to be tagged
                outcome.failed.append((store, flagged.order.id, redact(str(error)) or type(error).__name__))
                continue
            with state.transaction() as db:
                remember_tagged(db, store, flagged.order.id, text, now())
            outcome.tagged.append((store, flagged.order.id))
    finally:
        adapter.close()
