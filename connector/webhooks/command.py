"""`connector webhooks install|status|remove -c FILE`: the stores' subscriptions, as a user runs them."""

from __future__ import annotations

import json
import sys

from connector.config import ClientConfig
from connector.errors import UsageError
from connector.jobs.runner import adapters
from connector.logs import redact
from connector.platforms.errors import PlatformError
from connector.platforms.retry import one_off_retries
from connector.state import open_state
from connector.webhooks import subscriptions
from connector.webhooks.service import store_health

EXIT_OK, EXIT_FAILURE = 0, 1


def run_webhooks_command(config: ClientConfig, action: str, *, as_json: bool = False) -> int:
    try:
        with open_state(config.state_path) as state, adapters(config) as opened, one_off_retries():
            if action == "status":
                rows = subscriptions.status(config, state, opened)
                health = store_health(state, list(config.stores))
                for row in rows:
                    row["healthy"] = health[row["store"]]["healthy"]
                _print_status(rows, as_json)
                return EXIT_OK
            outcomes = (subscriptions.install if action == "install" else subscriptions.remove)(
                config, state, opened
            )
    except subscriptions.WebhookSetupError as exc:
        raise UsageError(str(exc)) from None
    except PlatformError as exc:
        print(redact(f"store {exc.store}: {exc.message}; nothing else was changed on it"), file=sys.stderr)
        return EXIT_FAILURE
    if as_json:
        print(json.dumps([o.__dict__ for o in outcomes], indent=2))
        return EXIT_OK
    for o in outcomes:
        if action == "install":
            total = len(o.created) + len(o.reactivated) + len(o.kept)
            done = [f"{len(o.created)} created"] if o.created else []
            done += [f"{len(o.reactivated)} set active again"] if o.reactivated else []
            done += [f"{len(o.removed)} stale replaced"] if o.removed else []
            said = ", ".join(done) or "already installed, nothing changed"
            print(f"{o.store}: {total} subscriptions, {said}")
            print(f"  to {o.address}")
        else:
            print(
                f"{o.store}: removed {len(o.removed)} subscription(s)"
                if o.removed
                else f"{o.store}: none to remove"
            )
    return EXIT_OK


def _print_status(rows: list[dict], as_json: bool) -> None:
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        if not row["installed"] and all(state == "missing" for state in row["topics"].values()):
            print(f"{row['store']}: no webhooks (polling only); `connector webhooks install` adds them")
            continue
        missing = [t for t, s in row["topics"].items() if s != "active"]
        health = "healthy" if row["healthy"] else "not healthy: orders polled at the short interval"
        print(f"{row['store']}: {len(row['topics']) - len(missing)}/{len(row['topics'])} active, {health}")
        print(f"  to {row['address']}")
        print(f"  last delivery {(row['last_delivery'] or 'never')[:19].replace('T', ' ')}")
        for topic in missing:
            print(f"  {topic}: {row['topics'][topic]}")
