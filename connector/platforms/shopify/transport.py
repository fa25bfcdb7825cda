"""HTTP transport to one shop's Admin GraphQL API: auth, error mapping, retries, cost pacing and paging.

One `requests.Session` per store, so several stores sync concurrently (the ShopifyAPI package's GraphQL
helper keeps one process-wide session over urllib). The access token comes from the store's credential form
(connector/platforms/shopify/credentials.py) for each request; a 401 renews it once and the request is sent
once more. Tokens are never logged, never put in an exception and never shown by repr().

Pacing: every answer reports the cost bucket (`extensions.cost.throttleStatus`). Before a call the
transport estimates the bucket from the last report and the restore rate, and sleeps just long enough for
the call's expected cost (the last `requestedQueryCost` of the same document, or the caller's hint) to be
available. Concurrent callers of one transport reserve their cost from the estimate, so they pace jointly.
Before the first call the bucket is unknown (another process may have emptied it: a reload): one cheap
call reads it first, so the first real page is paced too. Waits go through the shutdown event
(connector/platforms/retry.py), so SIGTERM ends them at once.

Paging: `pages()` is the one cursor paginator; a cursor Shopify answers twice stops the read with a clear error
instead of looping.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
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
    ThrottledError,
    TransientError,
)
from ..retry import RetryPolicy, pause, retrying
from .credentials import StaticToken
from .identity import not_shopify
from .schema import API_VERSION

log = logging.getLogger(__name__)

BUCKET_PROBE = "query BucketProbe { shop { id } }"
PROTECTED_DATA = "protected customer data"


class ProtectedDataError(BadRequestError):
    """Shopify denied protected customer data fields (ACCESS_DENIED on them) and answered the rest of `data`."""

    def __init__(self, store: str, fields: list[str], data: dict) -> None:
        super().__init__(
            store,
            f"access denied to {', '.join(sorted(set(fields)))}: the app is not approved for {PROTECTED_DATA}",
        )
        self.fields = fields
        self.data = data


class RepeatedCursorError(BadResponseError):
    """A connection answered a cursor it had answered before: following it would loop."""


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
        access_token: Any,
        *,
        api_version: str = API_VERSION,
        timeout: float = 30,
        session: requests.Session | None = None,
        store_name: str | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        """`access_token` is a token (a legacy app's) or a credential source with `token()` and `renew()`."""
        if not access_token:
            raise ValueError("a Shopify access token or credential is required")
        self.endpoint = graphql_endpoint(shop_url_or_domain, api_version)
        self.store_name = store_name or urlsplit(self.endpoint).netloc
        self.api_version = api_version
        self.timeout = timeout
        self.credentials = (
            StaticToken(self.store_name, access_token) if isinstance(access_token, str) else access_token
        )
        self._session = session or requests.Session()
        self._session.headers.update({"Content-Type": "application/json", "Accept": "application/json"})
        self.cost_debug = False  # send Shopify-GraphQL-Cost-Debug: 1 (extensions.cost.fields explains a cost)
        self.probe_bucket = True  # read the bucket with a cheap call before the first expensive one
        self.last_cost: dict = {}
        self._policy = retry_policy or retrying(store=self.store_name)
        self._lock = threading.Lock()
        self._bucket: _Bucket | None = None
        self._document_costs: dict[str, float] = {}
        self.calls = 0
        self.throttled = 0
        self.throttle_waits_seconds = 0.0
        self.points_spent = 0.0

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
        if self.probe_bucket and self._bucket is None and document != BUCKET_PROBE and (cost_hint or 0) > 50:
            self._execute_once(BUCKET_PROBE, {}, None)
        self._pace(document, cost_hint)
        token = self.credentials.token()
        response = self._post(document, variables, token)
        if response.status_code == 401 and self.credentials.renewable:
            # An expired token (or one revoked and reissued): renew once, send once more.
            response = self._post(document, variables, self.credentials.renew(token))
        body = self._check_http(response)
        self._observe_cost(document, body.get("extensions"))
        errors = body.get("errors")
        if errors:
            self._raise_graphql_errors(errors, body.get("extensions"), body.get("data"))
        data = body.get("data")
        if not isinstance(data, dict):
            raise BadResponseError.quoting(self.store_name, "the answer has no data", response.text)
        return data

    def _post(self, document: str, variables: dict, token: str) -> requests.Response:
        with self._lock:
            self.calls += 1
        headers = {"X-Shopify-Access-Token": token}
        if self.cost_debug:
            headers["Shopify-GraphQL-Cost-Debug"] = "1"
        try:
            return self._session.post(
                self.endpoint,
                json={"query": document, "variables": variables},
                headers=headers,
                timeout=self.timeout,
            )
        except requests.Timeout:
            raise TransientError(self.store_name, f"no answer within {self.timeout}s") from None
        except requests.ConnectionError as exc:
            raise TransientError(self.store_name, f"connection failed ({type(exc).__name__})") from None

    def _check_http(self, response: requests.Response) -> dict:
        status = response.status_code
        elsewhere = not_shopify(response, self.endpoint)
        if elsewhere:
            raise BadResponseError.quoting(self.store_name, elsewhere, response.text)
        if status in (401, 403):
            raise AuthError(
                self.store_name,
                f"HTTP {status} from Shopify: {self._platform_message(response)}; "
                f"check the {self.credentials.form} credential and its scopes",
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

    def _raise_graphql_errors(self, errors: Sequence[Any], extensions: dict | None, data: Any = None) -> None:
        codes = [((e.get("extensions") or {}).get("code") if isinstance(e, dict) else None) for e in errors]
        messages = "; ".join(str(e.get("message") if isinstance(e, dict) else e) for e in errors[:3])
        if (
            isinstance(data, dict)
            and all(code == "ACCESS_DENIED" for code in codes)
            and all(PROTECTED_DATA in str(e.get("message", "")) or "not approved" in str(e.get("message", ""))
                    for e in errors if isinstance(e, dict))
        ):
            # https://shopify.dev/docs/apps/launch/protected-customer-data: the denied fields are null, the
            # rest of the page is there.
            fields = [str((e.get("path") or ["?"])[-1]) for e in errors if isinstance(e, dict)]
            raise ProtectedDataError(self.store_name, fields, data)
        if "THROTTLED" in codes:
            with self._lock:
                self.throttled += 1
            raise ThrottledError(
                self.store_name, "THROTTLED by the cost bucket", self._throttled_wait(extensions)
            )
        if "MAX_COST_EXCEEDED" in codes:
            raise CostExceededError(self.store_name, f"GraphQL error: {messages}", _cost_of(errors))
        raise BadRequestError(self.store_name, f"GraphQL error: {messages}")

    # -- cost pacing ----------------------------------------------------------------------------

    def _observe_cost(self, document: str, extensions: dict | None) -> None:
        cost = (extensions or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        with self._lock:
            self.last_cost = cost
            actual = cost.get("actualQueryCost")
            if isinstance(actual, int | float | Decimal):
                self.points_spent += float(actual)
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
            pause(wait)

    # -- paging -------------------------------------------------------------------------------

    def pages(
        self,
        document: str,
        variables: dict | None,
        path: str,
        *,
        on_request: Callable[[], None] | None = None,
        cost_hint: float | None = None,
    ) -> Iterator[Page]:
        """Each page of the connection at dotted `path` in the data, following `after`/endCursor.

        The document takes an `$after: String` variable and selects `pageInfo { hasNextPage endCursor }`.
        A cursor answered twice raises RepeatedCursorError: following it again would never end.
        """
        cursor = (variables or {}).get("after")
        seen: set[str] = set()
        while True:
            if on_request is not None:
                on_request()
            data = self.execute(document, {**(variables or {}), "after": cursor}, cost_hint=cost_hint)
            page = self.page_at(data, path)
            yield page
            if not page.has_next_page or not page.end_cursor:
                return
            if page.end_cursor in seen or page.end_cursor == cursor:
                raise RepeatedCursorError(
                    self.store_name,
                    f"Shopify answered the cursor {page.end_cursor[:40]!r} of {path} twice; the read stops "
                    "here instead of looping (records read so far are kept)",
                )
            seen.add(page.end_cursor)
            cursor = page.end_cursor

    def page_at(self, data: dict, path: str) -> Page:
        connection: Any = data
        for key in path.split("."):
            connection = connection.get(key) if isinstance(connection, dict) else None
        if not isinstance(connection, dict) or "pageInfo" not in connection:
            raise BadResponseError(self.store_name, f"no connection with pageInfo at {path!r} in the answer")
        if "nodes" in connection:
            nodes = connection["nodes"] or []
        else:
            nodes = [edge["node"] for edge in connection.get("edges") or []]
        info = connection["pageInfo"]
        return Page(nodes, info.get("endCursor"), bool(info.get("hasNextPage")))

    def paginate(self, document: str, variables: dict | None, path: str, **options: Any) -> Iterator[dict]:
        """Every node of the connection at `path`, fetched page by page."""
        for page in self.pages(document, variables, path, **options):
            yield from page.nodes

    # -- bulk results -----------------------------------------------------------------------------

    def download_lines(self, url: str) -> Iterator[bytes]:
        """The lines of a bulk result file, streamed (never the whole file in memory)."""
        try:
            # The result lives on a storage host: it must not receive the shop's access token.
            with self._session.get(url, stream=True, timeout=self.timeout) as response:
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


class CostExceededError(BadRequestError):
    """MAX_COST_EXCEEDED: the query asks more than the single-query ceiling; `cost` is what it would cost."""

    def __init__(self, store: str, message: str, cost: float | None) -> None:
        super().__init__(store, message)
        self.cost = cost


def _cost_of(errors: Sequence[Any]) -> float | None:
    for error in errors:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        if isinstance(extensions, dict) and isinstance(extensions.get("cost"), int | float | Decimal):
            return float(extensions["cost"])
    return None
