"""Which shards have a live worker: every worker writes a heartbeat into Redis that expires with it.

A heartbeat with a time to live, rather than Celery's broadcast ping: it needs no answer within a timeout from
a busy worker, and a killed worker's entry disappears by itself after three missed beats.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from typing import Any

from redis import Redis

from connector.distributed import names

BEAT_SECONDS = 5.0


def worker_id(shard: int) -> str:
    return f"shard{shard}-{socket.gethostname()}-{os.getpid()}"


class WorkerBeat:
    """A worker's heartbeat: written now, then every BEAT_SECONDS, removed when the worker stops."""

    def __init__(
        self, redis: Redis, shard: int, worker: str, clients: list[str], every: float = BEAT_SECONDS
    ):
        self.redis, self.key, self.every = redis, names.worker_beat(shard, worker), every
        self.body = {"worker": worker, "shard": shard, "host": socket.gethostname(), "pid": os.getpid()}
        self.body |= {"clients": clients, "started_at": time.time()}
        self.stopped = threading.Event()

    def start(self) -> WorkerBeat:
        self.write()
        threading.Thread(target=self._loop, daemon=True, name="worker heartbeat").start()
        return self

    def write(self) -> None:
        self.redis.set(self.key, json.dumps(self.body | {"beat_at": time.time()}), px=int(3000 * self.every))

    def _loop(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                self.write()
            except Exception:  # Redis away for a moment: the entry expires if it stays away
                pass

    def stop(self) -> None:
        self.stopped.set()
        try:
            self.redis.delete(self.key)
        except Exception:
            pass


def shard_report(redis: Redis, shards: set[int]) -> dict[int, dict[str, Any]]:
    """Per shard: its live workers and the jobs waiting in its queue."""
    report: dict[int, dict[str, Any]] = {
        shard: {"workers": [], "queued": redis.llen(names.queue_of(shard))} for shard in sorted(shards)
    }
    for key in redis.scan_iter(match=names.worker_beats(), count=500):
        raw = redis.get(key)
        if raw is None:
            continue
        beat = json.loads(raw)
        entry = report.setdefault(int(beat["shard"]), {"workers": [], "queued": 0})
        entry["workers"].append({k: beat[k] for k in ("worker", "host", "pid", "beat_at")})
    return report


def without_worker(report: dict[int, dict[str, Any]]) -> list[int]:
    return [shard for shard, entry in report.items() if not entry["workers"]]


def describe(shard: int, entry: dict[str, Any]) -> str:
    waiting = f"{entry['queued']} job(s) wait in {names.queue_of(shard)}"
    if not entry["workers"]:
        return f"shard {shard}: no worker; {waiting} until one starts (`connector worker --shard {shard}`)"
    workers = ", ".join(f"{w['host']} pid {w['pid']}" for w in entry["workers"])
    return f"shard {shard}: {len(entry['workers'])} worker(s) ({workers}); {waiting}"
