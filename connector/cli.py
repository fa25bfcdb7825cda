"""Command line: parse, call a job, print. No business logic lives here.

Exit codes: 0 success, 1 a sync or store failure, 2 a usage or config error.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from connector import __version__
from connector.config import ClientConfig, ConfigError, load_config, write_template
from connector.errors import UsageError
from connector.logs import redact, setup_logging
from connector.state import StateError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
SYNC_TARGETS = (
    "products",
    "orders",
    "customers",
    "abandoned_checkouts",
    "all",
    "inventory",
    "prices",
    "translations",
)

WIDE_HELP = "every column, without fitting the terminal's width"

log = logging.getLogger("connector")


class CommandFailed(Exception):
    """A command that ran but did not succeed; carries its exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILURE):
        super().__init__(message)
        self.code = code


# --- commands ---------------------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    target = Path(args.dir) / f"{args.name}.toml"
    try:
        write_template(target, args.name)
    except FileExistsError:
        raise CommandFailed(
            f"{target} already exists; choose another name or edit that file", EXIT_USAGE
        ) from None
    except ValueError as exc:
        raise CommandFailed(str(exc), EXIT_USAGE) from None
    print(
        f"wrote {target}: fill in the stores and markets, export the env: variables it names, "
        f"then run `connector check -c {target}`"
    )
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    configs = _configs(args)
    from connector.check import check_stores
    from connector.translation.probe import check_provider

    failures = 0
    for config in configs:
        print(
            f"{config.path}: configuration valid ({len(config.stores)} stores, {len(config.markets)} markets)"
        )
        for line in check_stores(config):
            print(f"  {line.store:<16} {line.summary()}")
            for note in line.notes:
                print(f"  {'':<16}   {note}")
            failures += not line.ok
        provider = check_provider(config)
        if provider is not None:
            print(f"  {'translation':<16} {provider.summary()}")
            failures += not provider.ok
    return EXIT_FAILURE if failures else EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    (config,) = _configs(args)
    from connector.jobs.runner import run_sync

    outcome = run_sync(
        config,
        args.what,
        store=args.store,
        dry_run=args.dry_run,
        full=args.full,
        as_json=args.json,
        wide=args.wide,
        options={
            k: getattr(args, k)
            for k in ("market", "language", "accept_large_changes", "accept_stock_changes", "csv")
        },
    )
    return EXIT_OK if outcome.ok else EXIT_FAILURE


def cmd_run(args: argparse.Namespace) -> int:
    configs = _configs(args)
    from connector.scheduler import ServiceError, run_once, serve

    if args.once:
        return EXIT_OK if run_once(configs) else EXIT_FAILURE
    try:
        return serve(
            configs,
            health_port=args.health_port,
            health_host=args.health_host,
            webhook_port=args.webhook_port,
            webhook_host=args.webhook_host,
        )
    except ServiceError as exc:
        raise CommandFailed(str(exc), EXIT_USAGE) from None


def cmd_webhooks(args: argparse.Namespace) -> int:
    (config,) = _configs(args)
    from connector.webhooks.command import run_webhooks_command

    return run_webhooks_command(config, args.action, as_json=args.json)


def cmd_status(args: argparse.Namespace) -> int:
    (config,) = _configs(args)
    from connector.status import print_status

    shard = None
    if args.redis or os.environ.get("CONNECTOR_REDIS_URL"):  # distributed mode: has the shard a worker?
        from connector.distributed.status import shard_status

        shard = _distributed(lambda: shard_status(config, args.redis))
    print_status(config, as_json=args.json, wide=args.wide, shard=shard)
    return EXIT_OK


def cmd_scheduler(args: argparse.Namespace) -> int:
    configs = _configs(args)
    from connector.distributed.connection import redis_url
    from connector.distributed.scheduler import serve_scheduler

    url = redis_url(args.redis)
    return _distributed(
        lambda: serve_scheduler(configs, url, health_port=args.health_port, health_host=args.health_host)
    )


def cmd_worker(args: argparse.Namespace) -> int:
    configs = _configs(args)
    from connector.distributed.connection import redis_url
    from connector.distributed.worker import serve_worker

    url = redis_url(args.redis)
    return _distributed(
        lambda: serve_worker(
            configs,
            args.shard,
            url,
            concurrency=args.concurrency,
            lease=args.lease_seconds,
            redelivery_seconds=args.redelivery_seconds,
            heartbeat_seconds=args.heartbeat_seconds,
        )
    )


def cmd_receiver(args: argparse.Namespace) -> int:
    configs = _configs(args)
    from connector.distributed.connection import redis_url
    from connector.distributed.receiver import serve_receiver

    url = redis_url(args.redis)
    return _distributed(lambda: serve_receiver(configs, url, host=args.host, port=args.port))


def _distributed(call):
    from connector.distributed.connection import DistributedError

    try:
        return call()
    except DistributedError as exc:
        raise CommandFailed(str(exc), exc.code) from None


def cmd_report(args: argparse.Namespace) -> int:
    (config,) = _configs(args)
    from connector.reports.command import run_report

    return run_report(config, args)


def cmd_forget_customer(args: argparse.Namespace) -> int:
    (config,) = _configs(args)
    from connector.jobs.pull import forget_customer
    from connector.state import open_state

    with open_state(config.state_path) as state:
        erased = forget_customer(state, args.email)
    print(f"erased {erased} records of {args.email} from {config.state_path}")
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    (config,) = _configs(args)
    from connector.doctor import diagnose

    diagnosis = diagnose(config.state_path)
    if args.json:
        print(redact(json.dumps(diagnosis.as_dict(), indent=2, default=str)))
    else:
        print(redact("\n".join(diagnosis.lines())))
    return EXIT_OK if diagnosis.ok or not diagnosis.exists else EXIT_FAILURE


def cmd_backup(args: argparse.Namespace) -> int:
    (config,) = _configs(args)
    from connector.backup import backup_state

    target = backup_state(config.state_path, Path(args.destination))
    print(f"backed up {config.state_path} to {target} (integrity checked)")
    return EXIT_OK


def cmd_rates(args: argparse.Namespace) -> int:
    (config,) = _configs(args)
    from connector.jobs.prices import refresh_rates
    from connector.rates import RatesRefreshError

    try:
        path = refresh_rates(config)
    except RatesRefreshError as exc:
        raise CommandFailed(str(exc)) from None
    print(f"ECB reference rates saved to {path}; prices use them from now on")
    return EXIT_OK


def cmd_sandbox(args: argparse.Namespace) -> int:
    from connector.sandbox.launch import serve_sandbox

    return serve_sandbox(woocommerce=args.woocommerce, shopify=args.shopify, write_config=args.write_config)


def cmd_shopify(args: argparse.Namespace) -> int:
    (config,) = _configs(args)
    from connector.platforms.errors import PlatformError
    from connector.platforms.shopify.adapter import JOB_SCOPES, PULL_SCOPES
    from connector.platforms.shopify.authorize import AuthorizationRefused, authorize_store

    store = config.stores.get(args.store)
    if store is None or store.platform != "shopify":
        shops = ", ".join(n for n, s in config.stores.items() if s.platform == "shopify") or "none"
        raise CommandFailed(f"no Shopify store named {args.store!r} in {config.path}; Shopify stores: {shops}", EXIT_USAGE)
    from connector.check import jobs_writing

    scopes = {*PULL_SCOPES, *(s for job in jobs_writing(config)[args.store] for s in JOB_SCOPES[job])}
    try:
        granted = authorize_store(args.store, store, scopes, port=args.port, pasted=args.paste)
    except AuthorizationRefused as exc:
        raise CommandFailed(f"store {args.store}: authorization refused: {exc}") from None
    except PlatformError as exc:
        raise CommandFailed(f"store {args.store}: {exc.message}") from None
    missing = sorted(scopes - set(granted))
    print(f"store {args.store}: authorized; tokens kept in {config.state_path} (expiring, refreshed as they run out)")
    print(f"granted scopes: {', '.join(granted)}")
    if missing:
        print(f"not granted, though the configured jobs need them: {', '.join(missing)}")
        return EXIT_FAILURE
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from connector.demo import run_demo

    return run_demo()


# --- parsing ----------------------------------------------------------------------------------------------


def _configs(args: argparse.Namespace) -> list[ClientConfig]:
    """Load every -c file; a bad file is a usage error that lists all its problems."""
    problems: list[str] = []
    configs = []
    for path in args.config:
        try:
            configs.append(load_config(path))
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise CommandFailed("\n".join(problems), EXIT_USAGE)
    return configs


REDIS_HELP = "default $CONNECTOR_REDIS_URL, else redis://127.0.0.1:6379/0"


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text}: give a number of seconds above 0")
    return value


def _distributed_commands(command) -> None:
    """The distributed mode: `connector scheduler` and `connector worker --shard N` (Celery on Redis)."""
    help_redis = f"the Redis broker ({REDIS_HELP})"
    sub = command(
        "scheduler",
        cmd_scheduler,
        "distributed mode: enqueue every client's jobs on their schedules",
        config="many",
    )
    sub.add_argument("--redis", metavar="URL", help=help_redis)
    sub.add_argument(
        "--health-port", type=int, help="serve /healthz (which shards have no worker) on this port"
    )
    sub.add_argument(
        "--health-host", default="127.0.0.1", help="address for --health-port (0.0.0.0 in a container)"
    )
    sub = command(
        "worker", cmd_worker, "distributed mode: run the jobs of the clients on one shard", config="many"
    )
    sub.add_argument(
        "--shard", type=int, required=True, metavar="N", help="serve the clients whose config says shard = N"
    )
    sub.add_argument("--redis", metavar="URL", help=help_redis)
    sub.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="jobs run at once (default: the sum of its clients' service.concurrent_jobs, as `connector run`)",
    )
    sub.add_argument(
        "--lease-seconds",
        type=_positive,
        default=60.0,
        metavar="S",
        help="store locks expire this long after a worker dies (renewed while a job runs; default 60)",
    )
    sub.add_argument(
        "--redelivery-seconds",
        type=_positive,
        default=600.0,
        metavar="S",
        help="a job whose worker died is delivered again after this long (default 600)",
    )
    sub.add_argument(
        "--heartbeat-seconds",
        type=_positive,
        default=5.0,
        metavar="S",
        help="the worker tells Redis it lives this often; three missed beats and its shard shows no worker",
    )
    sub = command(
        "receiver",
        cmd_receiver,
        "distributed mode: receive webhooks, verify them and queue them for the client's shard",
        config="many",
    )
    sub.add_argument("--redis", metavar="URL", help=help_redis)
    sub.add_argument("--port", type=int, default=8080, help="port of POST /webhooks/<client>/<store> (default 8080)")
    sub.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 behind a reverse proxy)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="connector",
        description="Keeps a cross-border merchant's WooCommerce and Shopify stores in step.",
    )
    parser.add_argument("--version", action="version", version=f"connector {__version__}")
    parser.add_argument("--log-json", action="store_true", help="log JSON lines (service mode)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str, handler: Callable[[argparse.Namespace], int], help_text: str, *, config: str = "one"
    ):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        if config != "none":
            many = "; repeat for several clients" if config == "many" else ""
            sub.add_argument(
                "-c",
                "--config",
                required=True,
                action="append",
                metavar="FILE",
                help=f"a client's config file{many}",
            )
        return sub

    sub = command("init", cmd_init, "write config/NAME.toml from the documented template", config="none")
    sub.add_argument("name", help="client name (lower-case letters, digits, - and _)")
    sub.add_argument("--dir", default="config", help="folder for the config file (default: config)")

    command("check", cmd_check, "validate a config and contact each of its stores", config="many")

    sub = command("sync", cmd_sync, "run one sync now")
    sub.add_argument(
        "what",
        nargs="+",
        choices=SYNC_TARGETS,
        metavar="WHAT",
        help=f"what to sync: {', '.join(SYNC_TARGETS)}",
    )
    sub.add_argument("--store", help="only this store")
    sub.add_argument(
        "--dry-run", action="store_true", help="show what would change; write nothing to any store"
    )
    sub.add_argument("--full", action="store_true", help="ignore cursors and re-read everything")
    sub.add_argument("--json", action="store_true", help="print the summary as JSON")
    sub.add_argument("--market", help="prices: only this market")
    sub.add_argument("--language", help="translations: only this language")
    sub.add_argument(
        "--accept-large-changes",
        action="store_true",
        help="prices: push changes beyond the market's max_price_change",
    )
    sub.add_argument(
        "--accept-stock-changes",
        action="store_true",
        help="inventory: fold the stock changes held by the guardrails, as the channels show them now",
    )
    sub.add_argument("--csv", action="store_true", help="prices: print the table as CSV")
    sub.add_argument("--wide", action="store_true", help=WIDE_HELP)

    sub = command("run", cmd_run, "serve one or many clients on their schedules until stopped", config="many")
    sub.add_argument("--health-port", type=int, help="serve /healthz and /metrics on this port")
    sub.add_argument(
        "--health-host", default="127.0.0.1", help="address for --health-port (0.0.0.0 in a container)"
    )
    sub.add_argument("--once", action="store_true", help="run every job once, then exit (for cron)")
    sub.add_argument(
        "--webhook-port", type=int, help="receive webhooks on this port (default: [service] webhook_port)"
    )
    sub.add_argument(
        "--webhook-host", default="127.0.0.1", help="address for --webhook-port (behind a reverse proxy)"
    )

    sub = command("webhooks", cmd_webhooks, "install, list or remove the stores' webhook subscriptions")
    sub.add_argument("action", choices=("install", "status", "remove"))
    sub.add_argument("--json", action="store_true", help="print as JSON")

    sub = command("status", cmd_status, "what ran, when, with what outcome, and open data problems")
    sub.add_argument("--json", action="store_true", help="print as JSON")
    sub.add_argument("--wide", action="store_true", help=WIDE_HELP)
    sub.add_argument(
        "--redis",
        metavar="URL",
        help=f"distributed mode: say whether the client's shard has a worker; {REDIS_HELP}",
    )

    _distributed_commands(command)

    sub = command("report", cmd_report, "KPIs per market and orders worth a second look")
    sub.add_argument("kind", nargs="?", choices=("kpis", "flags"), default="kpis")
    sub.add_argument("--since", help="first day (YYYY-MM-DD)")
    sub.add_argument("--until", help="last day (YYYY-MM-DD)")
    sub.add_argument("--market", help="only this market")
    sub.add_argument("--store", help="only this store")
    sub.add_argument("--json", action="store_true", help="print as JSON")
    sub.add_argument("--csv", action="store_true", help="print as CSV")
    sub.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    sub.add_argument("--tag", action="store_true", help="flags: tag flagged orders on their store")
    sub.add_argument("--wide", action="store_true", help=WIDE_HELP)

    sub = command("rates", cmd_rates, "refresh the ECB reference rates (needs a network)")
    sub.add_argument("action", choices=("refresh",))

    sub = command(
        "forget-customer", cmd_forget_customer, "erase a person's data from the state (data protection)"
    )
    sub.add_argument("email")

    sub = command("doctor", cmd_doctor, "check the state file: integrity, schema version, size, last runs")
    sub.add_argument("--json", action="store_true", help="print as JSON")

    sub = command("backup", cmd_backup, "copy the state file safely, even while the service runs")
    sub.add_argument("destination", metavar="DEST", help="the backup file, or a folder to put it in")

    sub = command("sandbox", cmd_sandbox, "serve simulated stores on 127.0.0.1 until Ctrl-C", config="none")
    sub.add_argument(
        "--woocommerce",
        type=int,
        default=2,
        metavar="N",
        help="WooCommerce stores: the master store, then market stores (default 2)",
    )
    sub.add_argument("--shopify", type=int, default=1, metavar="N", help="Shopify stores (default 1)")
    sub.add_argument("--write-config", metavar="FILE", help="write a ready client config pointing at them")

    sub = command("shopify", cmd_shopify, "Shopify credentials: authorize an agency app on a client's shop")
    sub.add_argument("action", choices=("authorize",))
    sub.add_argument("--store", required=True, help="the [stores] name of the shop to authorize")
    sub.add_argument(
        "--port", type=int, default=8976, help="local port receiving the redirect (0: any free port)"
    )
    sub.add_argument("--paste", action="store_true", help="paste the redirect URL instead of receiving it")

    command("demo", cmd_demo, "the whole cycle on simulated stores: no account, no network", config="none")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(json_lines=args.log_json, level=logging.DEBUG if args.verbose else logging.INFO)
    try:
        return args.handler(args)
    except CommandFailed as exc:
        print(redact(str(exc)), file=sys.stderr)
        return exc.code
    except (ConfigError, StateError, UsageError) as exc:
        print(redact(str(exc)), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
