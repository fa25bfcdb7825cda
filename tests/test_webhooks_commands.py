"""Webhooks as users run them, in a subprocess: `connector webhooks install|status|remove`, and `connector run
--webhook-port` killed between receiving a delivery and processing it, which processes it after the restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest
from test_inventory import World
from test_webhooks import SLOW_POLLING, free_port, shown, wait_for

from connector.state import open_state


def connector(*args: str, **options):
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", *args], capture_output=True, text=True, timeout=60, **options
    )


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def world(simulators, client_config, port):
    service = f'\n[service]\npublic_url = "http://127.0.0.1:{port}"\nwebhook_port = {port}\n'
    world = World(simulators, client_config, more_config=SLOW_POLLING + service)
    world.sync()
    return world


def test_install_is_idempotent_status_lists_and_remove_removes(world):
    config = str(world.config.path)
    first = connector("webhooks", "install", "-c", config, env=dict(os.environ))
    assert first.returncode == 0, first.stderr
    assert "us: 7 subscriptions, 7 created\n  to http://127.0.0.1:" in first.stdout
    assert "fr: 5 subscriptions, 5 created" in first.stdout
    again = connector("webhooks", "install", "-c", config, env=dict(os.environ))
    assert again.returncode == 0 and again.stdout.count("already installed, nothing changed") == 3, (
        again.stdout
    )
    assert len(world.us.webhooks.subscriptions) == 7 and len(world.fr.webhooks.hooks) == 5
    status = connector("webhooks", "status", "-c", config, env=dict(os.environ))
    assert status.returncode == 0
    assert "de: 5/5 active, not healthy" in status.stdout and "last delivery never" in status.stdout
    with world.de.lock:
        next(iter(world.de.webhooks.hooks.values()))["status"] = "disabled"
    assert (
        "order.created: disabled"
        in connector("webhooks", "status", "-c", config, env=dict(os.environ)).stdout
    )
    secrets = [h["secret"] for h in world.fr.webhooks.hooks.values()]
    assert len(set(secrets)) == 1 and len(secrets[0]) >= 32
    for text in (first.stdout, status.stdout, first.stderr):
        assert secrets[0] not in text and world.us.client_secret not in text
    removed = connector("webhooks", "remove", "-c", config, env=dict(os.environ))
    assert removed.returncode == 0 and "us: removed 7 subscription(s)" in removed.stdout
    assert not world.us.webhooks.subscriptions and not world.fr.webhooks.hooks


def test_install_without_public_url_is_a_usage_error_naming_the_key(simulators, client_config):
    world = World(simulators, client_config)
    result = connector("webhooks", "install", "-c", str(world.config.path), env=dict(os.environ))
    assert result.returncode == 2
    assert "[service] public_url is not set" in result.stderr and "Traceback" not in result.stderr
    assert not world.us.webhooks.subscriptions  # nothing was registered


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def inbox_rows(world: World) -> list[tuple]:
    with open_state(world.config.state_path) as state:
        return state.db.execute(
            "select topic, processed_at from webhook_inbox order by received_at"
        ).fetchall()


def test_a_service_killed_after_receiving_a_delivery_processes_it_after_restart(world, port, tmp_path):
    config = str(world.config.path)
    assert connector("webhooks", "install", "-c", config, env=dict(os.environ)).returncode == 0
    for sim in world.sims.values():  # every API call hangs: the service receives but cannot process
        sim.set_faults(hang_rate=1.0, hang_seconds=15)
    log_path = tmp_path / "service.log"
    with log_path.open("w") as log_file:
        service = subprocess.Popen(
            [sys.executable, "-m", "connector.cli", "run", "-c", config],
            stderr=log_file,
            env=dict(os.environ),
        )
        try:
            assert wait_for(lambda: listening(port), timeout=20), log_path.read_text()
            sku = world.skus[0]
            world.fr.sell([{"sku": sku, "quantity": 2}])
            assert wait_for(
                lambda: any(topic == "order.created" for topic, _ in inbox_rows(world)), timeout=20
            )
            service.send_signal(signal.SIGKILL)
            service.wait(10)
        finally:
            if service.poll() is None:
                service.kill()
    kept = [row for row in inbox_rows(world) if row[0] == "order.created"]
    assert kept and kept[0][1] is None  # received, kept, not processed
    for sim in world.sims.values():
        sim.set_faults()
    with log_path.open("a") as log_file:
        service = subprocess.Popen(
            [sys.executable, "-m", "connector.cli", "run", "-c", config],
            stderr=log_file,
            env=dict(os.environ),
        )
        try:
            assert wait_for(
                lambda: all(at is not None for topic, at in inbox_rows(world) if topic == "order.created"),
                timeout=40,
            ), log_path.read_text()[-3000:]
            pool = dict.fromkeys(world.skus, 12)
            pool[sku] -= 2
            expected = {
                (c, s): max(0, pool[s] - {"fr": 0, "de": 2, "us": 1}[c])
                for c in world.sims
                for s in world.skus
            }
            assert wait_for(lambda: shown(world) == expected, timeout=30), shown(world)
            service.send_signal(signal.SIGTERM)
            assert service.wait(30) == 0
        finally:
            if service.poll() is None:
                service.kill()
    text = log_path.read_text()
    assert "Traceback" not in text and world.us.client_secret not in text


def test_a_webhook_port_in_use_is_a_usage_error_naming_the_port(world):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        result = connector(
            "run", "-c", str(world.config.path), "--webhook-port", str(taken), env=dict(os.environ)
        )
    assert result.returncode == 2, result.stderr
    assert f"--webhook-port {taken}: cannot listen on 127.0.0.1:{taken}" in result.stderr
    assert "Traceback" not in result.stderr
