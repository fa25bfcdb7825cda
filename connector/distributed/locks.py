"""A lock per store in Redis: jobs that touch the same store never overlap, across workers and machines.

redis-py's Lock: SET NX PX with a token of its own, renewed (`reacquire`) by a thread while the job runs,
released by a compare-and-delete script, so a holder whose lease ran out can never free the next holder's
lock (redis.readthedocs.io/en/latest/lock.html). A worker that dies stops renewing: its lease expires and
the store is free again after at most one lease. Every lock taken, released or found taken is recorded in
`connector:runs` (worker, token, start, end), which lets anyone check that no two runs of a store overlapped.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from redis import Redis
from redis.exceptions import LockError
from redis.lock import Lock

from connector.distributed import names

log = logging.getLogger(__name__)

LEASE_SECONDS = 60.0
RUNS_KEPT = 100_000  # the record of lock holders is trimmed to its latest entries


@dataclass
class Held:
    """The locks a job holds (acquired), or the store another job holds (busy, with that job's name)."""

    client: str
    job: str
    worker: str
    token: str
    locks: list[tuple[str, Lock]] = field(default_factory=list)
    busy: str | None = None  # the store found taken
    holder: str | None = None  # the job holding it
    lost: list[str] = field(default_factory=list)  # stores whose lease ran out while the job ran

    @property
    def acquired(self) -> bool:
        return self.busy is None


def holder_job(token: bytes | str | None) -> str | None:
    """The job named in a lock's token (`worker|job|uuid`)."""
    if token is None:
        return None
    text = token.decode() if isinstance(token, bytes) else token
    parts = text.split("|")
    return parts[1] if len(parts) == 3 else None


@contextmanager
def store_locks(
    redis: Redis, client: str, job: str, stores: tuple[str, ...], worker: str, *, lease: float = LEASE_SECONDS
) -> Iterator[Held]:
    """Take every store's lock (in name order) at once, or none: a store already held makes `acquired` false and
    the caller returns at once (coalesced), never waiting behind the holder."""
    token = f"{worker}|{job}|{uuid.uuid4().hex}"
    held = Held(client, job, worker, token)
    for store in sorted(stores):
        lock = Lock(redis, names.store_lock(client, store), timeout=lease, thread_local=False)
        if lock.acquire(blocking=False, token=token):
            held.locks.append((store, lock))
            continue
        held.busy, held.holder = store, holder_job(redis.get(names.store_lock(client, store)))
        break
    if not held.acquired:
        _release(held)
        record(redis, held, "coalesced", store=held.busy, start=time.time(), end=time.time())
        yield held
        return
    started = time.time()
    for store, _ in held.locks:
        record(redis, held, "started", store=store, start=started)
    stop = threading.Event()
    renewer = threading.Thread(target=_renew, args=(held, lease, stop), daemon=True, name=f"lease {token}")
    renewer.start()
    try:
        yield held
    finally:
        stop.set()
        renewer.join()
        ended = time.time()
        for store, _ in held.locks:
            record(
                redis, held, "lost" if store in held.lost else "ended", store=store, start=started, end=ended
            )
        _release(held)


def _renew(held: Held, lease: float, stop: threading.Event) -> None:
    """Renew every lease at a third of its length; a lease found gone is said (the job goes on: its own
    crash safety holds, and a second holder is now possible: the lease was too short for this machine)."""
    while not stop.wait(lease / 3):
        for store, lock in held.locks:
            if store in held.lost:
                continue
            try:
                lock.reacquire()
            except LockError:
                held.lost.append(store)
                log.error(
                    "%s/%s: the store lock's %.0f s lease ran out while %s ran (the worker was paused or cut "
                    "off from Redis); another job may have taken the store",
                    held.client,
                    store,
                    lease,
                    held.job,
                )
            except Exception as exc:  # Redis unreachable for a moment: the next renewal tries again
                log.warning("%s/%s: store lock not renewed (%s)", held.client, store, exc)


def _release(held: Held) -> None:
    for store, lock in reversed(held.locks):
        try:
            lock.release()
        except LockError:
            pass  # its lease ran out (reported by the renewal): the compare-and-delete left the key alone
        except Exception as exc:  # Redis unreachable: the lease expires on its own
            log.warning(
                "%s/%s: store lock not released (%s); it expires with its lease", held.client, store, exc
            )


def record(redis: Redis, held: Held, what: str, **fields) -> None:
    entry = {
        "client": held.client,
        "job": held.job,
        "worker": held.worker,
        "token": held.token,
        "event": what,
    }
    try:
        redis.pipeline().rpush(names.RUNS, json.dumps(entry | fields)).ltrim(
            names.RUNS, -RUNS_KEPT, -1
        ).execute()
    except Exception as exc:  # the record is information: a failure to write it never fails the job
        log.warning("lock record not written (%s)", exc)


def recorded_runs(redis: Redis) -> list[dict]:
    return [json.loads(line) for line in redis.lrange(names.RUNS, 0, -1)]
