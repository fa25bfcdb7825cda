"""The lock per store in Redis (connector/distributed/locks.py), against a real redis-server."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from redis import Redis
from redis_server import redis_server

from connector.distributed import names
from connector.distributed.locks import holder_job, recorded_runs, store_locks


@pytest.fixture
def redis(tmp_path):
    with redis_server(tmp_path) as url:
        yield Redis.from_url(url)


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_held_lock_is_renewed_past_its_lease_and_a_second_job_coalesces(redis):
    with store_locks(redis, "acme", "pull:orders", ("fr",), "w1", lease=1.0) as held:
        assert held.acquired
        for _ in range(3):  # three leases long: only the renewal keeps it
            time.sleep(1.0)
            with store_locks(redis, "acme", "inventory", ("de", "fr"), "w2", lease=1.0) as other:
                assert not other.acquired and other.busy == "fr" and other.holder == "pull:orders"
                # all or none: the store taken before the busy one was given back
                assert redis.get(names.store_lock("acme", "de")) is None
        assert not held.lost
    assert redis.get(names.store_lock("acme", "fr")) is None  # released at the end
    events = [(r["job"], r["event"], r["worker"]) for r in recorded_runs(redis)]
    assert events[0] == ("pull:orders", "started", "w1")
    assert events[1:4] == [("inventory", "coalesced", "w2")] * 3
    assert events[4] == ("pull:orders", "ended", "w1")
    ended = recorded_runs(redis)[4]
    assert ended["end"] - ended["start"] >= 3.0


def test_a_dead_holders_lease_expires_and_the_store_is_taken_again(redis, tmp_path):
    url = redis.connection_pool.connection_kwargs
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from redis import Redis\n"
            "from connector.distributed.locks import store_locks\n"
            f"redis = Redis(host='127.0.0.1', port={url['port']})\n"
            "with store_locks(redis, 'acme', 'inventory', ('fr',), 'dying', lease=1.5) as held:\n"
            "    print(held.acquired, flush=True)\n"
            "    time.sleep(600)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "True"
        with store_locks(redis, "acme", "inventory", ("fr",), "w2", lease=1.5) as other:
            assert not other.acquired  # the live holder renews it
        holder.kill()
        holder.wait(timeout=10)
        killed_at = time.time()

        def taken() -> bool:
            with store_locks(redis, "acme", "inventory", ("fr",), "w2", lease=1.5) as again:
                return again.acquired

        assert wait_for(taken, 30)
    finally:
        holder.kill()
        holder.wait(timeout=10)
    started = [r for r in recorded_runs(redis) if r["event"] == "started" and r["worker"] == "w2"]
    assert (
        len(started) == 1 and started[0]["start"] >= killed_at
    )  # only after the dead holder's lease ran out
    assert not [r for r in recorded_runs(redis) if r["worker"] == "dying" and r["event"] == "ended"]


def test_a_holder_whose_lease_ran_out_says_so_and_never_frees_the_next_holders_lock(redis):
    first = store_locks(redis, "acme", "inventory", ("fr",), "paused", lease=1.0)
    held = first.__enter__()
    redis.delete(names.store_lock("acme", "fr"))  # as if the worker had been paused past its lease
    assert wait_for(lambda: held.lost == ["fr"], 10)
    with store_locks(redis, "acme", "pull:orders", ("fr",), "w2", lease=30.0) as second:
        assert second.acquired
        first.__exit__(None, None, None)  # the paused holder ends while the second holds the store
        assert holder_job(redis.get(names.store_lock("acme", "fr"))) == "pull:orders"
    assert redis.get(names.store_lock("acme", "fr")) is None
    events = [(r["worker"], r["event"]) for r in recorded_runs(redis)]
    assert ("paused", "lost") in events and ("paused", "ended") not in events
