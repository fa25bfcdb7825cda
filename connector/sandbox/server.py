"""Shared HTTP core of every local simulated server.

A `SandboxServer` listens on 127.0.0.1 (an OS-chosen port by default) with one thread per
connection. Subclasses implement the platform API in `handle()`; the core counts platform
requests by route, injects faults (latency, 5xx, 429, dropped connections, hangs, lost answers) and
serves the control API under `/__sandbox/`, which is never faulted and never counted:

    GET  /__sandbox/stats              -> stats()
    GET  /__sandbox/requests           -> request_log(): method, path and query string of recent requests
    POST /__sandbox/faults  {fields}   -> set_faults(**fields); {} clears every fault
    POST /__sandbox/reset   {payload}  -> clears faults and stats, then control("reset", payload)
    POST /__sandbox/<action> {payload} -> control(action, payload)
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import random
import socket
import threading
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from requests.structures import CaseInsensitiveDict

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/__sandbox/"
FAULT_STATUSES = (500, 502, 503)
REQUEST_LOG_SIZE = 10_000  # the most recent platform requests kept, oldest dropped first


class ControlError(Exception):
    """Raised by control() to answer a store action with a status other than 400 (e.g. 409)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class InvalidJSONBody(ValueError):
    """The request body could not be decoded as JSON."""


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=CaseInsensitiveDict)
    body: bytes = b""
    raw_query: str = ""  # the query string exactly as sent (signatures are computed over it)

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidJSONBody(f"request body is not valid JSON: {exc}") from exc

    def param(self, name: str, default: str | None = None) -> str | None:
        """The last value of a query parameter (PHP's $_GET keeps the last one too)."""
        values = self.query.get(name)
        return values[-1] if values else default


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        """The body as bytes and its default content type."""
        if self.body is None:
            return b"", "text/plain; charset=UTF-8"
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode("utf-8"), "text/plain; charset=UTF-8"
        payload = json.dumps(self.body, ensure_ascii=False, separators=(",", ":"))
        return payload.encode("utf-8"), "application/json; charset=UTF-8"


@dataclass
class FaultSpec:
    latency_ms: float = 0.0
    error_rate: float = 0.0  # share answered 500/502/503
    rate_limit_rate: float = 0.0  # share answered 429 with Retry-After
    retry_after: float = 1.0
    drop_rate: float = 0.0  # share whose connection is closed with no answer
    hang_rate: float = 0.0  # share that stall hang_seconds, then close with no answer
    hang_seconds: float = 30.0
    # share of writes applied, then their connection closed with no answer: the client cannot tell whether
    # the store got it (a read timeout or a reset after sending looks the same). Reads: see drop_rate.
    lost_answer_rate: float = 0.0
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("error_rate", "rate_limit_rate", "drop_rate", "hang_rate", "lost_answer_rate"):
            share = getattr(self, name)
            if not 0.0 <= float(share) <= 1.0:
                raise ValueError(f"fault {name} must be a share between 0 and 1, got {share!r}")
        for name in ("latency_ms", "retry_after", "hang_seconds"):
            if float(getattr(self, name)) < 0:
                raise ValueError(f"fault {name} must not be negative")

    def is_quiet(self) -> bool:
        return not (
            self.latency_ms
            or self.error_rate
            or self.rate_limit_rate
            or self.drop_rate
            or self.hang_rate
            or self.lost_answer_rate
        )


class _Drop(Exception):
    """Close the connection without answering."""


class SandboxServer:
    """Base of every simulated server. Subclasses override handle, route_key, is_write, control."""

    def __init__(self, name: str, *, port: int = 0) -> None:
        self.name = name
        self.port = port
        self.lock = threading.RLock()
        self._stats_lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._request_log: deque[dict[str, str]] = deque(maxlen=REQUEST_LOG_SIZE)
        self._writes = 0
        self._throttled = 0
        self._faulted = 0
        self._faults = FaultSpec()
        self._fault_random = random.Random()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()  # open (kept-alive) client connections

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        httpd = ThreadingHTTPServer(("127.0.0.1", self.port), _make_handler(self))
        httpd.daemon_threads = True
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"sandbox-{self.name}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()  # wakes requests stalled by a hang fault
        httpd.shutdown()
        httpd.server_close()
        # A server that goes down takes its kept-alive connections with it: a client holding one must see
        # the store gone, not go on being served by the connection's thread.
        with self._stats_lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError(f"sandbox server {self.name!r} is not started")
        return f"http://127.0.0.1:{self.port}"

    # -- subclass hooks --------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        return Response(404, {"error": "not found", "path": request.path})

    def route_key(self, request: Request) -> str:
        return f"{request.method} {request.path}"

    def is_write(self, request: Request) -> bool:
        return request.method not in ("GET", "HEAD", "OPTIONS")

    def control(self, action: str, payload: dict) -> Any:
        raise KeyError(action)

    # -- faults and statistics -------------------------------------------------------------

    def set_faults(self, **spec: Any) -> dict:
        names = {f.name for f in dataclasses.fields(FaultSpec)}
        unknown = set(spec) - names
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}; known: {sorted(names)}")
        faults = FaultSpec(**spec)
        with self._stats_lock:
            self._faults = faults
            self._fault_random = random.Random(faults.seed)
        return dataclasses.asdict(faults)

    def stats(self) -> dict:
        with self._stats_lock:
            return {
                "requests": dict(self._requests),
                "writes": self._writes,
                "throttled": self._throttled,
                "faulted": self._faulted,
            }

    def request_log(self) -> list[dict[str, str]]:
        """The platform requests received since the last reset, oldest first, as sent: method, path, query."""
        with self._stats_lock:
            return list(self._request_log)

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._requests.clear()
            self._request_log.clear()
            self._writes = 0
            self._throttled = 0
            self._faulted = 0

    def record_throttled(self) -> None:
        """For subclasses whose own rules throttle a request (e.g. a cost bucket)."""
        with self._stats_lock:
            self._throttled += 1

    # -- dispatch --------------------------------------------------------------------------

    def _serve(self, request: Request) -> Response:
        if request.path.startswith(CONTROL_PREFIX):
            return self._serve_control(request)
        route = self.route_key(request)
        with self._stats_lock:
            self._requests[route] += 1
            self._request_log.append({"method": request.method, "path": request.path, "query": request.raw_query})
            faults = self._faults
            draw = self._fault_random.random() if not faults.is_quiet() else 1.0
        fault = self._apply_faults(faults, draw)
        if fault is not None:
            return fault
        try:
            response = self.handle(request)
        except Exception as exc:  # a bug in a simulator must show, not hang the client
            log.exception("sandbox %s failed on %s %s", self.name, request.method, request.path)
            return Response(500, {"code": "sandbox_error", "message": f"{type(exc).__name__}: {exc}"})
        if response.status < 400 and self.is_write(request):
            with self._stats_lock:
                self._writes += 1
                lost = faults.lost_answer_rate and self._fault_random.random() < faults.lost_answer_rate
            if lost:
                self._count_fault()
                raise _Drop
        return response

    def _apply_faults(self, faults: FaultSpec, draw: float) -> Response | None:
        if faults.latency_ms:
            self._stopping.wait(faults.latency_ms / 1000)
        threshold = faults.drop_rate
        if draw < threshold:
            self._count_fault()
            raise _Drop
        threshold += faults.hang_rate
        if draw < threshold:
            self._count_fault()
            self._stopping.wait(faults.hang_seconds)
            raise _Drop
        threshold += faults.rate_limit_rate
        if draw < threshold:
            self.record_throttled()
            retry = faults.retry_after
            retry_text = str(int(retry)) if float(retry).is_integer() else str(retry)
            return Response(
                429,
                {"code": "too_many_requests", "message": "Too Many Requests"},
                {"Retry-After": retry_text},
            )
        threshold += faults.error_rate
        if draw < threshold:
            self._count_fault()
            with self._stats_lock:
                status = self._fault_random.choice(FAULT_STATUSES)
            return Response(status, {"code": "simulated_fault", "message": f"simulated HTTP {status}"})
        return None

    def _count_fault(self) -> None:
        with self._stats_lock:
            self._faulted += 1

    def _serve_control(self, request: Request) -> Response:
        action = request.path[len(CONTROL_PREFIX) :].strip("/")
        if request.method == "GET" and action == "stats":
            return Response(200, self.stats())
        if request.method == "GET" and action == "requests":
            return Response(200, self.request_log())
        if request.method != "POST":
            return Response(
                405, {"error": f"use POST {CONTROL_PREFIX}<action> (or GET {CONTROL_PREFIX}stats)"}
            )
        try:
            payload = request.json() if request.body.strip() else {}
        except InvalidJSONBody as exc:
            return Response(400, {"error": str(exc)})
        if not isinstance(payload, dict):
            return Response(400, {"error": "the control payload must be a JSON object"})
        try:
            if action == "faults":
                return Response(200, self.set_faults(**payload))
            if action == "stats":
                return Response(200, self.stats())
            if action == "reset":
                self.set_faults()
                self.reset_stats()
                try:
                    result = self.control("reset", payload)
                except KeyError:
                    result = None
                return Response(200, {"reset": True, "result": result})
            try:
                result = self.control(action, payload)
            except KeyError as exc:
                if exc.args and exc.args[0] == action:
                    return Response(404, {"error": f"unknown sandbox action {action!r}"})
                raise
            return Response(200, result)
        except ControlError as exc:
            return Response(exc.status, {"error": str(exc)})
        except (TypeError, ValueError, KeyError) as exc:
            return Response(400, {"error": f"{type(exc).__name__}: {exc}"})


def _make_handler(server: SandboxServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two sends; with Nagle's algorithm the second waits ~40 ms for an ACK.
        disable_nagle_algorithm = True
        server_version = "sandbox"
        sys_version = ""

        def setup(self) -> None:
            super().setup()
            with server._stats_lock:
                server._connections.add(self.connection)

        def finish(self) -> None:
            with server._stats_lock:
                server._connections.discard(self.connection)
            super().finish()

        def _dispatch(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            parts = urlsplit(self.path)
            request = Request(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers=CaseInsensitiveDict(self.headers.items()),
                body=body,
                raw_query=parts.query,
            )
            try:
                response = server._serve(request)
            except _Drop:
                self.close_connection = True
                return
            payload, content_type = response.encoded()
            if self.command == "HEAD":
                payload = b""
            try:
                self.send_response(response.status)
                headers = CaseInsensitiveDict(response.headers)
                headers.setdefault("Content-Type", content_type)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s %s", server.name, format % args)

    return Handler
