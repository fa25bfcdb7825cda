"""HTTP transport to one shop's Admin GraphQL API: auth, error mapping, retries and cost pacing.

One `requests.Session` per store, so several stores sync concurrently (the ShopifyAPI package's GraphQL
helper keeps one process-wide session over urllib). The access token lives in the session headers only:
it is never logged, never put in an exception and never shown by repr().

Pacing: every answer reports the cost bucket (`extensions.cost.throttleStatus`). Before a call the
transport estimates the bucket from the last report and the restore rate, and sleeps just long enough for
the call's expected cost (the last `requestedQueryCost` of the same document, or the caller's hint) to be
available. Concurrent callers of one transport reserve their cost from the estimate, so they pace jointly.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import requests
from shopify import ApiVersion

from ..errors import (
    AuthError,
    BadRequestError,
    BadResponseError,
    NotFoundError,
    PlatformError,
    ThrottledError,
    TransientError,
)
from ..retry import RetryPolicy, retrying
from . import documents
from .schema import API_VERSION

log = logging.getLogger(__name__)

BULK_FINISHED_BADLY = ("FAILED", "CANCELED", "CANCELING", "EXPIRED")
DOWNLOAD_ATTEMPTS = 8


def graphql_endpoint(shop_url_or_domain: str, api_version: str = API_VERSION) -> str:
    """`acme.myshopify.com`, `https://acme.myshopify.com/admin` or `http://127.0.0.1:8081` -> the GraphQL URL."""
    text = shop_url_or_domain.strip()
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    if not parts.netloc:
        raise ValueError(f"not a shop domain or URL: {shop_url_or_domain!r}")
    base = f"{parts.scheme}://{parts.netloc}"
    return f"{ApiVersion.coerce_to_version(api_version).api_path(base)}/graphql.json"


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


@dataclass
class Page:
    nodes: list[dict]
    end_cursor: str | None
    has_next_page: bool


@dataclass
class _Bucket:
    maximum: float
    available: float
    restore_rate: float
    observed_at: float

    def available_now(self, now: float) -> float:
        return min(self.maximum, self.available + (now - self.observed_at) * self.restore_rate)


class ShopifyTransport:
    """Calls to one shop. Thread-safe; share one instance per store."""

    def __init__(
        self,
        shop_url_or_domain: str,
        access_token: str,
        *,
        api_version: str = API_VERSION,
        timeout: float = 30,
        session: requests.Session | None = None,
        store_name: str | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        if not access_token:
            raise ValueError("a Shopify access token is required")
        self.endpoint = graphql_endpoint(shop_url_or_domain, api_version)
        self.store_name = store_name or urlsplit(self.endpoint).netloc
        self.api_version = api_version
        self.timeout = timeout
        self._session = session or requests.Session()
        self._session.headers.update(
            {
                "X-Shopify-Access-Token": access_token,
                "Content-Type": "application/json",
                "Accept": "application/json",
            }
        )
        self._policy = retry_policy or retrying(store=self.store_name)
        self._lock = threading.Lock()
        self._bucket: _Bucket | None = None
        self._document_costs: dict[str, float] = {}
        self.calls = 0
        self.throttled = 0
        self.throttle_waits_seconds = 0.0

    def __repr__(self) -> str:
        return f"ShopifyTransport(store={self.store_name!r}, endpoint={self.endpoint!r})"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> ShopifyTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- calls --------------------------------------------------------------------------------

    def execute(
        self, document: str, variables: dict | None = None, *, cost_hint: float | None = None
    ) -> dict:
        """The `data` of one GraphQL call, retried on transient failures; raises a PlatformError."""
        return self._policy.call(self._execute_once, document, variables or {}, cost_hint)

    def _execute_once(self, document: str, variables: dict, cost_hint: float | None) -> dict:
        self._pace(document, cost_hint)
        with self._lock:
            self.calls += 1
        try:
            response = self._session.post(
                self.endpoint, json={"query": document, "variables": variables}, timeout=self.timeout
            )
        except requests.Timeout:
            raise TransientError(self.store_name, f"no answer within {self.timeout}s") from None
        except requests.ConnectionError as exc:
            raise TransientError(self.store_name, f"connection failed ({type(exc).__name__})") from None
        body = self._check_http(response)
        self._observe_cost(document, body.get("extensions"))
        errors = body.get("errors")
        if errors:
            self._raise_graphql_errors(errors, body.get("extensions"))
        data = body.get("data")
        if not isinstance(data, dict):
            raise BadResponseError.quoting(self.store_name, "the answer has no data", response.text)
        return data

    def _check_http(self, response: requests.Response) -> dict:
        status = response.status_code
        if status in (401, 403):
            raise AuthError(
                self.store_name,
                f"HTTP {status} from Shopify: {self._platform_message(response)}; "
                "check the access token and its scopes",
            )
        if status == 429:
            with self._lock:
                self.throttled += 1
            raise ThrottledError(
                self.store_name,
                "HTTP 429 Too Many Requests",
                _retry_after_seconds(response.headers.get("Retry-After")),
            )
        if status >= 500:
            raise TransientError(
                self.store_name,
                f"HTTP {status} from Shopify",
                _retry_after_seconds(response.headers.get("Retry-After")),
            )
        if status == 404:
            raise NotFoundError(
                self.store_name,
                f"HTTP 404 for {self.endpoint}: check the shop domain and API version {self.api_version}",
            )
        if status >= 400:
            raise BadRequestError(
                self.store_name, f"HTTP {status} from Shopify: {self._platform_message(response)}"
            )
        try:
            # JSON numbers with a fraction (Weight.value, Float fields) stay exact: never a float.
            body = response.json(parse_float=Decimal)
        except ValueError:
            raise BadResponseError.quoting(self.store_name, "the answer is not JSON", response.text) from None
        if not isinstance(body, dict):
            raise BadResponseError.quoting(self.store_name, "the answer is not a JSON object", response.text)
        return body

    @staticmethod
    def _platform_message(response: requests.Response) -> str:
        try:
            errors = response.json().get("errors")
        except (ValueError, AttributeError):
            return response.text[:200]
        if isinstance(errors, str):
            return errors
        return json.dumps(errors)[:200]

    def _raise_graphql_errors(self, errors: Sequence[Any], extensions: dict | None) -> None:
        codes = [((e.get("extensions") or {}).get("code") if isinstance(e, dict) else None) for e in errors]
        messages = "; ".join(str(e.get("message") if isinstance(e, dict) else e) for e in errors[:3])
        if "THROTTLED" in codes:
            with self._lock:
                self.throttled += 1
            raise ThrottledError(
                self.store_name, "THROTTLED by the cost bucket", self._throttled_wait(extensions)
            )
        raise BadRequestError(self.store_name, f"GraphQL error: {messages}")

    # -- cost pacing ----------------------------------------------------------------------------

    def _observe_cost(self, document: str, extensions: dict | None) -> None:
        cost = (extensions or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        with self._lock:
            requested = cost.get("requestedQueryCost")
            if isinstance(requested, int | float | Decimal):
                self._document_costs[document] = float(requested)
            try:
                self._bucket = _Bucket(
                    float(status["maximumAvailable"]),
                    float(status["currentlyAvailable"]),
                    float(status["restoreRate"]),
                    time.monotonic(),
                )
            except (KeyError, TypeError, ValueError):
                pass

    def _throttled_wait(self, extensions: dict | None) -> float | None:
        cost = (extensions or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        try:
            missing = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
            return max(missing, 0.0) / float(status["restoreRate"]) + 0.05
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            return None

    def _pace(self, document: str, cost_hint: float | None) -> None:
        with self._lock:
            expected = self._document_costs.get(document, cost_hint)
            bucket = self._bucket
            if bucket is None or not expected:
                return
            now = time.monotonic()
            expected = min(expected, bucket.maximum)
            available = bucket.available_now(now)
            wait = max(0.0, (expected - available) / bucket.restore_rate)
            # Reserve the points now so that concurrent callers queue behind this one.
            bucket.available = available + wait * bucket.restore_rate - expected
            bucket.observed_at = now
            self.throttle_waits_seconds += wait
        if wait > 0:
            time.sleep(wait)

    # -- paging -------------------------------------------------------------------------------

    def pages(self, document: str, variables: dict | None, path: str) -> Iterator[Page]:
        """Each page of the connection at dotted `path` in the data, following `after`/endCursor.

        The document takes an `$after: String` variable and selects `pageInfo { hasNextPage endCursor }`.
        """
        cursor = (variables or {}).get("after")
        while True:
            data = self.execute(document, {**(variables or {}), "after": cursor})
            connection: Any = data
            for key in path.split("."):
                connection = connection.get(key) if isinstance(connection, dict) else None
            if not isinstance(connection, dict) or "pageInfo" not in connection:
                raise BadResponseError(
                    self.store_name, f"no connection with pageInfo at {path!r} in the answer"
                )
            if "nodes" in connection:
                nodes = connection["nodes"]
            else:
                nodes = [edge["node"] for edge in connection.get("edges") or []]
            info = connection["pageInfo"]
            page = Page(nodes, info.get("endCursor"), bool(info.get("hasNextPage")))
            yield page
            if not page.has_next_page or not page.end_cursor:
                return
            cursor = page.end_cursor

    def paginate(self, document: str, variables: dict | None, path: str) -> Iterator[dict]:
        """Every node of the connection at `path`, fetched page by page."""
        for page in self.pages(document, variables, path):
            yield from page.nodes

    # -- bulk operations ------------------------------------------------------------------------

    def run_bulk_query(
        self,
        query: str,
        *,
        poll_interval: float = 0.5,
        max_poll_interval: float = 10.0,
        timeout: float = 3600.0,
    ) -> Iterator[dict]:
        """Start a bulk query, wait for it, then stream its JSONL result one object at a time."""
        data = self.execute(documents.BULK_OPERATION_RUN_QUERY, {"query": query})
        payload = data.get("bulkOperationRunQuery") or {}
        if payload.get("userErrors"):
            messages = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in payload["userErrors"])
            raise BadRequestError(self.store_name, f"bulk query refused: {messages}")
        operation = payload.get("bulkOperation") or {}
        operation_id = operation.get("id")
        if not operation_id:
            raise BadResponseError(self.store_name, "bulkOperationRunQuery answered no operation id")
        url = self.wait_for_bulk(operation_id, poll_interval, max_poll_interval, timeout)
        if url:
            yield from self.stream_bulk_result(url)

    def wait_for_bulk(
        self, operation_id: str, interval: float = 0.5, max_interval: float = 10.0, timeout: float = 3600.0
    ) -> str | None:
        """Poll a bulk operation until it completes; its result URL (None when it found no object)."""
        deadline = time.monotonic() + timeout
        while True:
            node = self.execute(documents.BULK_OPERATION_POLL, {"id": operation_id}).get("node") or {}
            status = node.get("status")
            if status == "COMPLETED":
                log.info(
                    "store %s: bulk operation %s completed, %s objects",
                    self.store_name,
                    operation_id,
                    node.get("objectCount"),
                )
                return node.get("url")
            if status in BULK_FINISHED_BADLY:
                raise PlatformError(
                    self.store_name, f"bulk operation {operation_id} ended {status} ({node.get('errorCode')})"
                )
            if time.monotonic() + interval > deadline:
                raise TransientError(
                    self.store_name, f"bulk operation {operation_id} still {status} after {timeout}s"
                )
            time.sleep(interval)
            interval = min(interval * 1.5, max_interval)

    def stream_bulk_result(self, url: str, skip: int = 0) -> Iterator[dict]:
        """Objects of the result file after the first `skip` lines; a download cut short resumes by
        skipping the lines already given. JSON numbers with a fraction are parsed as Decimal."""
        delivered = skip
        failures = 0
        while True:
            try:
                for index, line in enumerate(self._download_lines(url)):
                    if index < delivered:
                        continue
                    try:
                        record = json.loads(line, parse_float=Decimal)
                    except ValueError:
                        raise BadResponseError.quoting(
                            self.store_name, "a bulk result line is not JSON", line
                        ) from None
                    delivered += 1
                    yield record
                return
            except TransientError as exc:
                failures += 1
                if failures >= DOWNLOAD_ATTEMPTS:
                    raise
                wait = (
                    exc.retry_after
                    if exc.retry_after is not None
                    else random.uniform(0, min(30.0, 2.0**failures))
                )
                log.info(
                    "store %s: bulk result download failed after %d lines (%s); retrying in %.2fs",
                    self.store_name,
                    delivered,
                    exc.message,
                    wait,
                )
                time.sleep(wait)

    def _download_lines(self, url: str) -> Iterator[bytes]:
        try:
            # The result lives on a storage host: it must not receive the shop's access token.
            with self._session.get(
                url, stream=True, timeout=self.timeout, headers={"X-Shopify-Access-Token": None}
            ) as response:
                if response.status_code >= 500 or response.status_code == 429:
                    raise TransientError(
                        self.store_name, f"HTTP {response.status_code} downloading the bulk result"
                    )
                if response.status_code >= 400:
                    raise BadRequestError(
                        self.store_name, f"HTTP {response.status_code} downloading the bulk result"
                    )
                for line in response.iter_lines():
                    if line:
                        yield line
        except requests.Timeout:
            raise TransientError(self.store_name, "the bulk result download timed out") from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise TransientError(
                self.store_name, f"the bulk result download failed ({type(exc).__name__})"
            ) from None
