"""How many clients one machine serves on schedule: one `connector run` against a scheduler with two workers.

Each client has three simulated stores (a WooCommerce master store, a WooCommerce market store, a Shopify
shop: `connector sandbox`'s merchant) and the default schedules of `[schedules]`, every interval and the
jitter divided by --speedup so that a step takes seconds, not hours (at 20: orders every 6 s, inventory
every 3 s, products every 45 s). The client count steps up (5, 10, 20, 40, ...) for each mode:

- embedded: one `connector run -c ...` process serving every client;
- distributed: a Redis server, `connector scheduler` and two `connector worker` processes (shards 0 and 1,
  the clients alternately on each), all on this machine.

The schedule lag of a job is how much later than one interval after its previous start it started (from the
clients' `sync_runs`, after a warm-up that takes the first full syncs; a job that stopped running counts
until the window's end), for the jobs whose interval fits the window several times (orders pulls, inventory).
A mode serves a client count while the p95 lag stays within one interval. Printed: p95 lag per step and mode
(in intervals), the largest client count served by each mode and their ratio.

    .venv/bin/python bench/agency.py [--steps 5 10 20 40] [--speedup 20] [--window 24] [--warmup 12]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from connector.config import SchedulesSection, load_config, schedule_seconds
from connector.sandbox.launch import start_sandbox
from connector.state import open_state

MEASURED = {"pull:orders": "orders", "inventory": "inventory"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def schedules(speedup: float) -> str:
    """The default [schedules], every interval and the jitter divided by `speedup`."""
    defaults = SchedulesSection()
    lines = ["[schedules]"]
    for name in ("orders", "products", "customers", "inventory", "prices", "translations"):
        seconds = schedule_seconds(getattr(defaults, name))
        lines.append(f'{name} = "every {max(1, round(seconds / speedup))}s"')
    lines.append(f"jitter_seconds = {round(defaults.jitter_seconds / speedup)}")
    return "\n".join(lines) + "\n"


def write_configs(boxes, folder: Path, speedup: float) -> tuple[list[Path], dict[str, str]]:
    folder.mkdir(parents=True)
    paths, env = [], {}
    for number, box in enumerate(boxes):
        text = box.config_text
        text = text[: text.index("[schedules]")] + schedules(speedup)
        text = (
            text.replace('name = "sandbox"', f'name = "client{number}"\nshard = {number % 2}')
            .replace('state_file = "sandbox.sqlite"', f'state_file = "client{number}.sqlite"')
            .replace('"env:SANDBOX_', f'"env:C{number}_SANDBOX_')
        )
        path = folder / f"client{number}.toml"
        path.write_text(text)
        paths.append(path)
        env |= {f"C{number}_{key}": value for key, value in box.env.items()}
    return paths, env


@contextmanager
def processes(commands: list[list[str]], env: dict[str, str], log: Path):
    out = log.open("a")
    started = [subprocess.Popen(c, env=env, stdout=out, stderr=subprocess.STDOUT) for c in commands]
    try:
        yield started
    finally:
        for process in reversed(started):
            process.send_signal(signal.SIGTERM)
        for process in reversed(started):
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
        out.close()


def connector(*args: str) -> list[str]:
    return [sys.executable, "-m", "connector.cli", *args]


def run_mode(mode: str, paths: list[Path], env: dict[str, str], folder: Path, warmup: float, window: float):
    configs = [arg for path in paths for arg in ("-c", str(path))]
    env = {**os.environ, **env}
    commands = []
    if mode == "embedded":
        commands.append(connector("run", *configs))
    else:
        port = free_port()
        commands.append(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        )
        env["CONNECTOR_REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        commands.append(connector("scheduler", *configs))
        commands += [connector("worker", "--shard", str(shard), *configs) for shard in (0, 1)]
    with processes(commands, env, folder / f"{mode}.log"):
        time.sleep(warmup)
        start = time.time()
        time.sleep(window)
        end = time.time()
    return lags(paths, env, start, end)


def lags(paths: list[Path], env: dict[str, str], start: float, end: float) -> list[float]:
    """Per measured job and store: how late each start was, in intervals of that job."""
    found = []
    for path in paths:
        config = load_config(path, environ=env)
        interval = {job: schedule_seconds(getattr(config.schedules, key)) for job, key in MEASURED.items()}
        with open_state(config.state_path) as state:
            rows = state.db.execute(
                "select job, store, started_at from sync_runs where job in ('pull:orders', 'inventory') "
                "and outcome != 'running' order by id"
            ).fetchall()
        starts: dict[tuple[str, str], list[float]] = {}
        before: dict[tuple[str, str], float] = {}  # the last start before the window: the first gap's anchor
        for job, store, started_at in rows:
            at = datetime.fromisoformat(started_at).timestamp()
            if start <= at <= end:
                starts.setdefault((job, store), []).append(at)
            elif at < start:
                before[(job, store)] = at
        expected = {("inventory", "+".join(sorted(config.stores)))} | {
            ("pull:orders", s) for s in config.stores
        }
        for key in expected:
            every = interval[key[0]]
            # a job that stopped running is late until the window's end
            times = [before.get(key, start), *starts.get(key, []), end]
            found += [max(0.0, (b - a) - every) / every for a, b in zip(times, times[1:], strict=False)]
    return found


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else (values[0] if values else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, nargs="+", default=[5, 10, 20, 40])
    parser.add_argument("--speedup", type=float, default=20.0)
    parser.add_argument("--window", type=float, default=24.0, help="seconds measured per step and mode")
    parser.add_argument("--warmup", type=float, default=12.0, help="seconds before the window (first syncs)")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("bench/agency.py needs redis-server (Debian: apt-get install redis-server)")
    print(f"schedules: the defaults / {args.speedup:g}:\n{schedules(args.speedup)}")
    print(
        f"{'clients':>7} {'stores':>6}  {'embedded p95 lag':>17}  {'distributed p95 lag':>20}   (in intervals)"
    )
    served = {"embedded": 0, "distributed": 0}
    over = set()
    root = Path(tempfile.mkdtemp(prefix="agency-"))
    for count in args.steps:
        if len(over) == 2:
            break
        boxes = [
            start_sandbox(woocommerce=2, shopify=1, products=8, variants=4, orders=6, seed=n + 1)
            for n in range(count)
        ]
        figures = {}
        try:
            for mode in ("embedded", "distributed"):
                if mode in over:
                    continue
                paths, env = write_configs(boxes, root / f"{count}-{mode}", args.speedup)
                lag = p95(run_mode(mode, paths, env, root / f"{count}-{mode}", args.warmup, args.window))
                figures[mode] = lag
                if lag <= 1.0:
                    served[mode] = count
                else:
                    over.add(mode)
        finally:
            for box in boxes:
                box.stop()
        shown = {m: f"{figures[m]:.2f}" if m in figures else "-" for m in ("embedded", "distributed")}
        print(f"{count:>7} {count * 3:>6}  {shown['embedded']:>17}  {shown['distributed']:>20}", flush=True)
    last = args.steps[-1]
    said = {m: (f">= {n}" if m not in over and n == last else str(n)) for m, n in served.items()}
    print(
        f"\nclients served with p95 lag within one interval: embedded {said['embedded']}, "
        f"distributed (scheduler + 2 workers) {said['distributed']}"
    )
    if served["embedded"]:
        print(f"ratio distributed / embedded: {served['distributed'] / served['embedded']:.1f}")
    print(f"logs and state files: {root}")


if __name__ == "__main__":
    main()
