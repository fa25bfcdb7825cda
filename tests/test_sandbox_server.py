"""The shared simulator core: control API, statistics and every fault kind, over real HTTP."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests

from connector.sandbox.server import FaultSpec, InvalidJSONBody, Request, Response, SandboxServer


class CounterServer(SandboxServer):
    """A tiny platform: GET /items/<n> reads, POST /items writes, one store action `bump`."""

    def __init__(self) -> None:
        super().__init__("counter")
        self.items: list[Any] = []
        self.bumps = 0

    def handle(self, request: Request) -> Response:
        if request.method == "POST" and request.path == "/items":
            try:
                item = request.json()
            except InvalidJSONBody as exc:
                return Response(400, {"error": str(exc)})
            with self.lock:
                self.items.append(item)
                return Response(201, {"id": len(self.items)}, {"X-Item-Count": str(len(self.items))})
        if request.method == "GET" and request.path.startswith("/items/"):
            index = int(request.path.rsplit("/", 1)[1])
            with self.lock:
                if 1 <= index <= len(self.items):
                    return Response(200, self.items[index - 1])
            return Response(404, {"error": "no such item"})
        if request.path == "/text":
            return Response(200, "plain words")
        if request.path == "/boom":
            raise RuntimeError("simulated bug")
        return Response(404, {"error": "no route"})

    def route_key(self, request: Request) -> str:
        if request.path.startswith("/items/"):
            return f"{request.method} /items/<n>"
        return f"{request.method} {request.path}"

    def control(self, action: str, payload: dict) -> Any:
        if action == "bump":
            self.bumps += int(payload.get("by", 1))
            return {"bumps": self.bumps}
        if action == "reset":
            self.items.clear()
            self.bumps = 0
            return {"items": 0}
        raise KeyError(action)


@pytest.fixture
def server():
    with CounterServer() as running:
        yield running


def test_base_url_is_loopback_on_an_os_chosen_port(server):
    assert server.base_url.startswith("http://127.0.0.1:")
    assert server.port != 0


def test_handle_answers_json_text_and_headers(server):
    created = requests.post(f"{server.base_url}/items", json={"sku": "A"}, timeout=5)
    assert created.status_code == 201
    assert created.json() == {"id": 1}
    assert created.headers["X-Item-Count"] == "1"
    assert created.headers["Content-Type"].startswith("application/json")
    assert requests.get(f"{server.base_url}/items/1", timeout=5).json() == {"sku": "A"}
    text = requests.get(f"{server.base_url}/text", timeout=5)
    assert text.text == "plain words"


def test_request_json_rejects_a_body_that_is_not_json(server):
    answer = requests.post(f"{server.base_url}/items", data=b"{not json", timeout=5)
    assert answer.status_code == 400
    assert "not valid JSON" in answer.json()["error"]


def test_a_failing_handler_answers_500_with_the_reason(server):
    answer = requests.get(f"{server.base_url}/boom", timeout=5)
    assert answer.status_code == 500
    assert "simulated bug" in answer.json()["message"]


def test_stats_count_platform_requests_by_route_and_successful_writes_only(server):
    requests.post(f"{server.base_url}/items", json=1, timeout=5)
    requests.post(f"{server.base_url}/items", data=b"bad", timeout=5)
    for n in (1, 1, 2):
        requests.get(f"{server.base_url}/items/{n}", timeout=5)
    requests.get(f"{server.base_url}/__sandbox/stats", timeout=5)
    stats = requests.get(f"{server.base_url}/__sandbox/stats", timeout=5).json()
    assert stats == {
        "requests": {"POST /items": 2, "GET /items/<n>": 3},
        "writes": 1,
        "throttled": 0,
        "faulted": 0,
    }
    assert server.stats() == stats
    server.reset_stats()
    assert server.stats()["requests"] == {}


def test_control_actions_dispatch_to_the_subclass(server):
    answer = requests.post(f"{server.base_url}/__sandbox/bump", json={"by": 3}, timeout=5)
    assert answer.json() == {"bumps": 3}
    unknown = requests.post(f"{server.base_url}/__sandbox/explode", json={}, timeout=5)
    assert unknown.status_code == 404
    assert "explode" in unknown.json()["error"]
    bad = requests.post(f"{server.base_url}/__sandbox/bump", data=b"[", timeout=5)
    assert bad.status_code == 400
    assert server.stats()["requests"] == {}


def test_reset_clears_store_faults_and_stats(server):
    requests.post(f"{server.base_url}/items", json=1, timeout=5)
    server.set_faults(error_rate=1.0)
    answer = requests.post(f"{server.base_url}/__sandbox/reset", json={}, timeout=5)
    assert answer.json() == {"reset": True, "result": {"items": 0}}
    assert server.items == []
    assert server.stats()["writes"] == 0
    assert requests.get(f"{server.base_url}/text", timeout=5).status_code == 200


def test_faults_are_set_and_cleared_over_http(server):
    answer = requests.post(
        f"{server.base_url}/__sandbox/faults", json={"error_rate": 1.0, "seed": 7}, timeout=5
    )
    assert answer.status_code == 200
    assert answer.json()["error_rate"] == 1.0
    assert requests.get(f"{server.base_url}/text", timeout=5).status_code in (500, 502, 503)
    assert requests.get(f"{server.base_url}/__sandbox/stats", timeout=5).status_code == 200
    requests.post(f"{server.base_url}/__sandbox/faults", json={}, timeout=5)
    assert requests.get(f"{server.base_url}/text", timeout=5).status_code == 200
    unknown = requests.post(f"{server.base_url}/__sandbox/faults", json={"eror_rate": 1}, timeout=5)
    assert unknown.status_code == 400
    assert "eror_rate" in unknown.json()["error"]


def test_fault_shares_must_be_between_zero_and_one():
    with pytest.raises(ValueError, match="error_rate"):
        FaultSpec(error_rate=1.5)


def test_error_faults_answer_500_502_503_at_the_configured_share(server):
    server.set_faults(error_rate=0.5, seed=11)
    statuses = [requests.get(f"{server.base_url}/text", timeout=5).status_code for _ in range(200)]
    faulted = [status for status in statuses if status != 200]
    assert set(faulted) == {500, 502, 503}
    assert 60 <= len(faulted) <= 140
    stats = server.stats()
    assert stats["faulted"] == len(faulted)
    assert stats["requests"]["GET /text"] == 200


def test_faulted_writes_change_nothing_and_are_not_counted_as_writes(server):
    server.set_faults(error_rate=1.0)
    answer = requests.post(f"{server.base_url}/items", json=1, timeout=5)
    assert answer.status_code in (500, 502, 503)
    assert server.items == []
    assert server.stats()["writes"] == 0


def test_rate_limit_answers_429_with_retry_after(server):
    server.set_faults(rate_limit_rate=1.0, retry_after=2)
    answer = requests.get(f"{server.base_url}/text", timeout=5)
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "2"
    assert server.stats()["throttled"] == 1


def test_dropped_connection_gives_the_client_a_connection_error(server):
    server.set_faults(drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.base_url}/text", timeout=5)
    assert server.stats()["faulted"] == 1


def test_a_lost_answer_applies_the_write_then_closes_the_connection_without_answering(server):
    answer = requests.post(f"{server.base_url}/__sandbox/faults", json={"lost_answer_rate": 1.0}, timeout=5)
    assert answer.json()["lost_answer_rate"] == 1.0
    for item in ("a", "b"):
        with pytest.raises(requests.ConnectionError):
            requests.post(f"{server.base_url}/items", json=item, timeout=5)
    assert server.items == ["a", "b"]  # applied, though the client never heard
    assert requests.get(f"{server.base_url}/items/2", timeout=5).text == "b"  # reads are answered
    stats = server.stats()
    assert (stats["writes"], stats["faulted"]) == (2, 2)
    assert requests.post(f"{server.base_url}/items", data=b"[", timeout=5).status_code == 400  # a refusal


def test_lost_answers_fall_at_the_configured_share(server):
    server.set_faults(lost_answer_rate=0.5, seed=5)
    lost = 0
    for number in range(60):
        try:
            requests.post(f"{server.base_url}/items", json=number, timeout=5)
        except requests.ConnectionError:
            lost += 1
    assert len(server.items) == 60
    assert 15 <= lost <= 45
    assert server.stats()["faulted"] == lost


def test_a_hanging_request_makes_the_client_time_out(server):
    server.set_faults(hang_rate=1.0, hang_seconds=5)
    with pytest.raises(requests.Timeout):
        requests.get(f"{server.base_url}/text", timeout=0.3)


def test_latency_delays_but_still_answers(server):
    server.set_faults(latency_ms=50)
    assert requests.get(f"{server.base_url}/text", timeout=5).status_code == 200


def test_stop_releases_hanging_requests_and_the_port():
    server = CounterServer().start()
    server.set_faults(hang_rate=1.0, hang_seconds=60)
    outcome: list[str] = []

    def call() -> None:
        try:
            requests.get(f"{server.base_url}/text", timeout=30)
            outcome.append("answered")
        except requests.RequestException as exc:
            outcome.append(type(exc).__name__)

    caller = threading.Thread(target=call)
    caller.start()
    while server.stats()["faulted"] == 0:
        threading.Event().wait(0.01)
    base_url = server.base_url
    server.stop()
    caller.join(timeout=10)
    assert not caller.is_alive()
    assert outcome == ["ConnectionError"]
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base_url}/text", timeout=2)
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.base_url


def test_several_servers_run_side_by_side():
    with CounterServer() as first, CounterServer() as second:
        requests.post(f"{first.base_url}/items", json="a", timeout=5)
        assert first.port != second.port
        assert requests.get(f"{second.base_url}/items/1", timeout=5).status_code == 404


def test_a_stopped_server_takes_its_kept_alive_connections_with_it():
    server = CounterServer().start()
    url = server.base_url
    with requests.Session() as session:  # keep-alive: the second call would reuse the first connection
        assert session.get(f"{url}/text", timeout=5).status_code == 200
        server.stop()
        with pytest.raises(requests.ConnectionError):
            session.get(f"{url}/text", timeout=5)
