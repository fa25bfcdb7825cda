"""The client's durable inbox of deliveries (table `webhook_inbox` of its state), and its stores' webhook keys.

A delivery is written, and committed with `synchronous = full` (on disk, not only in the WAL's memory), before
the receiver answers 200. One row per event key: a retried or duplicated delivery finds its row and is not
processed twice. Rows are kept a week after processing (`status` shows the last delivery per store), then pruned.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from connector.logs import register_secret
from connector.state import State, iso, open_state, utc_now
from connector.webhooks.verify import Accepted, StoreKeys, platform_webhooks

KEEP = timedelta(days=7)
MAX_ATTEMPTS = 5  # a delivery whose processing failed this many times is set aside (polling covers it)


def write(state_path: Path, delivery: Accepted) -> bool:
    """Keep a delivery; False when its event was already in the inbox (a duplicate)."""
    with open_state(state_path) as state:
        state.db.execute("pragma synchronous = full")
        with state.transaction() as db:
            cursor = db.execute(
                """insert or ignore into webhook_inbox
                     (event_key, store, platform, topic, resource_id, hint, received_at, attempts)
                   values (?, ?, ?, ?, ?, ?, ?, 0)""",
                [
                    delivery.event_key,
                    delivery.store,
                    delivery.platform,
                    delivery.topic,
                    delivery.resource_id,
                    json.dumps(delivery.hint, sort_keys=True),
                    iso(utc_now()),
                ],
            )
            return cursor.rowcount == 1


def pending(state: State, limit: int = 5000) -> list[dict[str, Any]]:
    rows = state.db.execute(
        """select event_key, store, platform, topic, resource_id, hint, received_at, attempts from webhook_inbox
           where processed_at is null and attempts < ? order by received_at limit ?""",
        [MAX_ATTEMPTS, limit],
    ).fetchall()
    names = ("event_key", "store", "platform", "topic", "resource_id", "hint", "received_at", "attempts")
    items = [dict(zip(names, row, strict=True)) for row in rows]
    for item in items:
        item["hint"] = json.loads(item["hint"] or "{}")
    return items


def has_pending(state_path: Path) -> bool:
    if not state_path.exists():
        return False
    with open_state(state_path) as state:
        return bool(
            state.db.execute(
                "select 1 from webhook_inbox where processed_at is null and attempts < ? limit 1",
                [MAX_ATTEMPTS],
            ).fetchone()
        )


def mark(state: State, keys: list[str], *, error: str | None = None) -> None:
    """Processed (error None), or one more failed attempt; prunes rows processed over a week ago."""
    with state.transaction() as db:
        for key in keys:
            if error is None:
                db.execute(
                    "update webhook_inbox set processed_at = ?, error = null where event_key = ?",
                    [iso(utc_now()), key],
                )
            else:
                db.execute(
                    "update webhook_inbox set attempts = attempts + 1, error = ? where event_key = ?",
                    [error[:500], key],
                )
        db.execute("delete from webhook_inbox where processed_at < ?", [iso(utc_now() - KEEP)])


def last_deliveries(state: State) -> dict[str, str]:
    """Per store, when the last delivery was received."""
    rows = state.db.execute("select store, max(received_at) from webhook_inbox group by store").fetchall()
    return {store: at for store, at in rows}


def deliveries_since(state: State, store: str, since: str) -> int:
    return state.db.execute(
        "select count(*) from webhook_inbox where store = ? and received_at >= ?", [store, since]
    ).fetchone()[0]


def unannounced_orders(state: State, store: str, since: str, settled: str) -> list[str]:
    """Orders of the store changed between `since` and `settled` (platform times) that no delivery named."""
    changed = state.db.execute(
        "select id from orders where store = ? and updated_at >= ? and updated_at <= ?",
        [store, since, settled],
    ).fetchall()
    if not changed:
        return []
    named = {
        json.loads(hint or "{}").get("order_id")
        for (hint,) in state.db.execute("select hint from webhook_inbox where store = ?", [store]).fetchall()
    }
    return [order_id for (order_id,) in changed if order_id not in named]


# --- the stores' webhook keys -----------------------------------------------------------------------------


def installed(state: State) -> dict[str, dict[str, Any]]:
    """Per store with webhooks installed: platform, secret, shop_domain, address, subscriptions (list)."""
    rows = state.db.execute(
        "select store, platform, secret, shop_domain, address, subscriptions, installed_at, checked_at, missed_at "
        "from webhook_stores"
    ).fetchall()
    found = {}
    for store, platform, secret, domain, address, subscriptions, installed_at, checked_at, missed_at in rows:
        register_secret(secret)
        found[store] = {
            "platform": platform,
            "secret": secret,
            "shop_domain": domain,
            "address": address,
            "subscriptions": json.loads(subscriptions or "[]"),
            "installed_at": installed_at,
            "checked_at": checked_at,
            "missed_at": missed_at,
        }
    return found


STORE_COLUMNS = (
    "platform",
    "secret",
    "shop_domain",
    "address",
    "subscriptions",
    "installed_at",
    "checked_at",
    "missed_at",
)


def save_store(state: State, store: str, **fields: Any) -> None:
    """Insert or update the store's row with `fields` (plain SQL, as every keyed write of the state)."""
    unknown = set(fields) - set(STORE_COLUMNS)
    if unknown:
        raise ValueError(f"webhook_stores has no column {sorted(unknown)}")
    if "subscriptions" in fields:
        fields["subscriptions"] = json.dumps(fields["subscriptions"], sort_keys=True)
    names = list(fields)
    updates = ", ".join(f"{name} = excluded.{name}" for name in names) or "store = excluded.store"
    with state.transaction() as db:
        db.execute(
            f"insert into webhook_stores (store{''.join(', ' + n for n in names)}) "
            f"values (?{', ?' * len(names)}) on conflict (store) do update set {updates}",
            [store, *fields.values()],
        )


def forget_store(state: State, store: str) -> None:
    with state.transaction() as db:
        db.execute("delete from webhook_stores where store = ?", [store])


def store_keys(state: State, client_secrets: dict[str, str | None]) -> dict[str, StoreKeys]:
    """The keys `verify` needs for each store with webhooks installed. `client_secrets`: per store, the app's
    client secret from the config, for the platforms that sign with it."""
    keys = {}
    for store, row in installed(state).items():
        by_app = platform_webhooks(row["platform"]).SIGNED_WITH_APP_SECRET
        secret = client_secrets.get(store) if by_app else row["secret"]
        if secret:
            keys[store] = StoreKeys(row["platform"], secret, row["shop_domain"])
    return keys
