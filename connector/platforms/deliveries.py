"""A webhook delivery as the platforms' webhook modules read it: the keys to check it, the outcome, the signature.

Both platforms sign the raw body: base64(HMAC-SHA256(raw body, key)), compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StoreKeys:
    """What the receiver may use to check one store's deliveries."""

    platform: str  # the store's platform name
    secret: str  # the app's client secret or the secret the connector gave the store's webhooks
    shop_domain: str | None = None  # where the platform names the shop in its headers


@dataclass(frozen=True)
class Accepted:
    platform: str
    client: str
    store: str
    topic: str
    event_key: str  # the same for every copy of one event: the inbox keeps one
    resource_id: str
    hint: dict[str, Any] = field(default_factory=dict)  # ids and SKUs the body names; no personal data
    ping: bool = False  # a creation ping: answer 200, keep nothing


@dataclass(frozen=True)
class Refused:
    status: int  # 401, 404 or 413
    reason: str  # for the log: names the store and what was wrong, never a secret


def signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode("ascii")


def signed(body: bytes, secret: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(signature(body, secret).encode(), str(sent).strip().encode())


def json_object(body: bytes) -> dict | None:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def sku_list(values: Any) -> list[str]:
    return sorted({str(v) for v in values if v})


Headers = Mapping[str, str]
