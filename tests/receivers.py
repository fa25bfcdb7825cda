"""A local HTTP receiver for what the simulators send (webhook deliveries), shared by the simulator tests."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Capture:
    """A local receiver keeping every request; answers `status`."""

    def __init__(self, status: int = 200):
        self.status = status
        self.received: list[dict] = []
        self.arrived = threading.Condition()
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with capture.arrived:
                    capture.received.append({"path": self.path, "headers": dict(self.headers), "raw": body})
                    capture.arrived.notify_all()
                self.send_response(capture.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def wait(self, count: int, timeout: float = 10) -> list[dict]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
        return self.received

    def deliveries(self, topic: str) -> list[dict]:
        return [r for r in self.received if r["headers"].get("X-WC-Webhook-Topic") == topic]


@pytest.fixture
def capture():
    receiver = Capture()
    yield receiver
    receiver.server.shutdown()
