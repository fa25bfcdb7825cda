"""`_fields`: WordPress keeps only the named keys of each item of an answer (rest_filter_response_fields).

A name may be nested (`billing.email`); `_links` stays only when named. Recorded in 54/54b.
https://developer.wordpress.org/rest-api/using-the-rest-api/global-parameters/#_fields
"""

from __future__ import annotations

from typing import Any


def trim_fields(body: Any, fields: str) -> Any:
    wanted: dict[str, Any] = {}
    for name in (part.strip() for part in fields.split(",")):
        if not name:
            continue
        node = wanted
        parts = name.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if node is True:
                break
        else:
            node[parts[-1]] = True
    return _trim(body, wanted) if wanted else body


def _trim(body: Any, wanted: dict[str, Any]) -> Any:
    if isinstance(body, list):
        return [_trim(item, wanted) for item in body]
    if not isinstance(body, dict):
        return body
    # in the order asked, as the products controller builds a trimmed answer (recorded in 54)
    return {
        key: value if rule is True else _trim(value, rule)
        for key, rule in wanted.items()
        if (value := body.get(key, _ABSENT)) is not _ABSENT
    }


_ABSENT = object()
