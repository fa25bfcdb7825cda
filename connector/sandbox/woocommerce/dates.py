"""WordPress date handling: UTC epoch seconds inside, site-local and GMT strings outside."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

# rest_parse_date() accepts RFC 3339 with an optional offset; WordPress stores whole seconds.
_REST_DATE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)


@lru_cache(maxsize=200_000)
def format_gmt(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S")


@lru_cache(maxsize=200_000)
def format_local(epoch: int, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(epoch, zone).strftime("%Y-%m-%dT%H:%M:%S")


def parse_query_date(value: str, *, dates_are_gmt: bool, zone: ZoneInfo) -> float:
    """The instant a date filter (after, modified_after, ...) stands for, as epoch seconds.

    WordPress compares the literal value with post_date/post_modified (site time) or their _gmt
    columns when dates_are_gmt is true. A value carrying an offset is first turned into UTC by
    strtotime() and then compared literally with that same column, which we reproduce.
    Raises ValueError on a value WordPress calls "Invalid date.".
    """
    match = _REST_DATE.match(value.strip())
    if not match:
        raise ValueError(value)
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction = float(match.group(7)) if match.group(7) else 0.0
    offset = match.group(8)
    try:
        naive = datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - wall time, zone applied below
    except ValueError as exc:
        raise ValueError(value) from exc
    if offset:
        aware = datetime.fromisoformat(naive.isoformat() + _normalise_offset(offset))
        naive = aware.astimezone(UTC).replace(tzinfo=None)
    column_zone = UTC if dates_are_gmt else zone
    return naive.replace(tzinfo=column_zone).timestamp() + fraction


def _normalise_offset(offset: str) -> str:
    if offset in ("Z", "z"):
        return "+00:00"
    digits = offset[1:].replace(":", "")
    if len(digits) == 2:
        digits += "00"
    return f"{offset[0]}{digits[:2]}:{digits[2:]}"
