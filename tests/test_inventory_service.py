"""The service with one channel refusing its writes for part of the run while customers buy and restocks land
on every channel: once quiet, pool = start + restocks - sales and every channel shows its target; the outage
is said once when it starts and once when it ends, not every cycle."""

from __future__ import annotations

import logging
import random
import threading
import time

import pytest
from test_inventory import World

from connector.scheduler import Service

FAST = """
[schedules]
orders = "every 1s"
products = "every 2s"
customers = "every 1h"
inventory = "every 1s"
jitter_seconds = 0
"""


@pytest.fixture
def world(simulators, client_config):
    return World(simulators, client_config, more_config=FAST)


def in_step(world: World, expected: dict[str, int]) -> bool:
    try:
        world.assert_in_step(expected)
    except AssertionError:
        return False
    return True


def test_a_channel_refusing_writes_for_a_while_in_the_service_catches_up_exactly(world, caplog):
    caplog.set_level(logging.INFO, logger="connector.scheduler")
    world.sync()  # the first sync, listed and done
    expected = dict.fromkeys(world.skus, 12)
    lock = threading.Lock()
    stop = threading.Event()
    chooser = random.Random(15)
    sales = []

    def customers():
        while not stop.wait(0.1):
            kind = "restock" if chooser.random() < 0.3 else "sell"
            event = (
                kind,
                chooser.choice(("fr", "de", "us")),
                chooser.choice(world.skus),
                chooser.randint(1, 2),
            )
            change = world.apply(event)
            with lock:
                expected[event[2]] += change
                sales.append(change)

    service = Service([world.config.path])
    service.start([world.config])
    buyers = threading.Thread(target=customers)
    buyers.start()
    try:
        time.sleep(2)
        world.refuse("de")  # de's key turns read-only for a while: its writes answer 401
        refusing = time.monotonic()
        while time.monotonic() - refusing < 5:
            time.sleep(0.2)
        world.restore("de")
        time.sleep(2)
        stop.set()
        buyers.join()
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not in_step(world, expected):
            time.sleep(0.5)
    finally:
        stop.set()
        buyers.join()
        service.stop()
    assert sum(1 for change in sales if change < 0) > 15  # customers did buy on the way
    world.assert_in_step(expected)
    said = [r.getMessage() for r in caplog.records if "de: its stock writes failed" in r.getMessage()]
    assert len(said) == 1, said
    assert "give [stores.de] a credential that may write stock" in said[0]
    back = [
        r.getMessage() for r in caplog.records if "de: the inventory channel answers again" in r.getMessage()
    ]
    assert len(back) == 1
