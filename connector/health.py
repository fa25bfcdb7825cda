"""Health and metrics for `connector run --health-port`: `/healthz` (JSON) and `/metrics` (Prometheus text).

`/healthz` answers 200 while the scheduler runs, 503 otherwise, and lists every client and store as ok,
degraded (failing, or a job whose last success is older than three of its intervals) or stopped (a refused
credential), with the last success per job. `/healthz?strict=1` also answers 503 when any store is stopped
or late: what a container health check or an uptime monitor wants.
Metrics: job runs by outcome (`coalesced`: skipped because the client's jobs were all running), items handled,
API requests and throttle waits per store, seconds since each job's last success, stores stopped by a refused
credential, and each client's jobs running against its limit. Every metric has a `client` label: two clients
may have a store of the same name.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from connector.scheduler import Service


class ServiceCollector:
    """Figures read from the service at scrape time."""

    def __init__(self, service: Service):
        self.service = service

    def collect(self):
        requests = CounterMetricFamily(
            "connector_api_requests", "API requests sent", labels=["client", "store"]
        )
        waits = CounterMetricFamily(
            "connector_throttle_wait_seconds",
            "Seconds spent pacing for rate limits",
            labels=["client", "store"],
        )
        lag = GaugeMetricFamily(
            "connector_lag_seconds", "Seconds since the last success", labels=["client", "store", "job"]
        )
        disabled = GaugeMetricFamily(
            "connector_store_stopped",
            "1 when a refused credential stopped the store",
            labels=["client", "store"],
        )
        running = GaugeMetricFamily(
            "connector_client_jobs_running", "The client's jobs running now", labels=["client"]
        )
        limit = GaugeMetricFamily(
            "connector_client_job_limit",
            "service.concurrent_jobs: how many of the client's jobs may run at once",
            labels=["client"],
        )
        now = time.time()
        for runtime in list(self.service.clients.values()):
            client = runtime.config.client.name
            pool = self.service.pools.get(runtime.key)
            if pool is not None:
                running.add_metric([client], pool.running())
                limit.add_metric([client], pool.limit)
            for store, adapter in runtime.adapters.items():
                requests.add_metric([client, store], adapter.requests.reads + adapter.requests.writes)
                waits.add_metric([client, store], adapter.throttle_wait_seconds)
                health = runtime.health[store]
                disabled.add_metric([client, store], 1 if health.disabled else 0)
                for job, at in health.last_success.items():
                    lag.add_metric([client, store, job], now - at)
        yield from (requests, waits, lag, disabled, running, limit)


class HealthServer:
    def __init__(self, service: Service, host: str, port: int):
        self.service = service
        self.registry = CollectorRegistry()
        self.runs = Counter(
            "connector_job_runs", "Job runs", ["client", "store", "job", "outcome"], registry=self.registry
        )
        self.items = Counter(
            "connector_items",
            "Items read or changed by jobs",
            ["client", "store", "job"],
            registry=self.registry,
        )
        self.registry.register(ServiceCollector(service))
        service.observers.append(self.observe)
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.server.daemon_threads = True

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def observe(self, client: str, store: str, job: str, result: dict[str, Any]) -> None:
        self.runs.labels(client, store, job, result.get("outcome", "unknown")).inc()
        items = result.get("read", result.get("changed", result.get("written", 0)))
        if isinstance(items, int) and items:
            self.items.labels(client, store, job).inc(items)

    def health(self, *, strict: bool = False) -> tuple[int, dict[str, Any]]:
        alive = self.service.scheduler.running and not self.service.stopping.is_set()
        clients = self.service.health_report()
        statuses = [store["status"] for stores in clients.values() for store in stores.values()]
        late = any(store["late"] for stores in clients.values() for store in stores.values())
        healthy = alive and not (strict and ("stopped" in statuses or late))
        body = {
            "scheduler": "running" if alive else "stopped",
            "status": "stopped" if "stopped" in statuses else "degraded" if "degraded" in statuses else "ok",
            "strict": strict,
            "clients": clients,
        }
        return (200 if healthy else 503), body

    def _handler(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                url = urlsplit(self.path)
                if url.path == "/healthz":
                    strict = parse_qs(url.query).get("strict", ["0"])[-1] not in ("0", "", "false")
                    status, body = outer.health(strict=strict)
                    self._send(status, json.dumps(body, default=str).encode(), "application/json")
                elif url.path == "/metrics":
                    self._send(200, generate_latest(outer.registry), "text/plain; version=0.0.4")
                else:
                    self._send(404, b"not found\n", "text/plain")

            def _send(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args) -> None:
                pass

        return Handler

    def start(self) -> HealthServer:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
