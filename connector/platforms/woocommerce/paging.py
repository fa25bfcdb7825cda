"""Id-ordered listings read page by page, each page anchored on the last id read, several pages in flight.

WooCommerce lists by page number or `offset` (WP_Query's LIMIT): a record deleted or trashed on an earlier
page moves every later one up a place, and a client reading page N+1 never sees the record that moved onto
page N (recorded in 55-55c). With `orderby=id&order=asc`, a page is known to hide nothing when its first
record is one already read: every record after the last id read then starts inside that page. So each page
is asked from one place before where the last read record was seen (one record of overlap), kept when its
first id is at most the last id read, and asked again further back when it is not (records before it were
removed). `offset` is a collection parameter of every wc/v3 CRUD listing (WC_REST_CRUD_Controller::
prepare_objects_query passes it to WP_Query, where it overrides `page`; the customers controller passes it to
WP_User_Query), and `X-WP-Total` gives the count the pages are planned from:
https://github.com/woocommerce/woocommerce/blob/trunk/plugins/woocommerce/includes/rest-api/Controllers/Version3/class-wc-rest-crud-controller.php

Pages whose place is known in advance (from the total) are asked `in_flight` at a time and handed on in
order; a page that fails its check sends the ones after it again from the corrected place.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass

PAGE_SIZE = 100
STRIDE = PAGE_SIZE - 1  # each page repeats the last record of the one before it


@dataclass(frozen=True)
class Position:
    """Where a listing stands: the last id read (None before the first page) and the offset it was seen at."""

    anchor: int | None = None
    offset: int = 0

    def token(self) -> str:
        return f"{self.anchor if self.anchor is not None else ''}@{self.offset}"

    @classmethod
    def parse(cls, token: str | None) -> Position:
        """A resume token; anything else (such as the page number an older version saved) starts over,
        which re-reads but never skips."""
        if not token or "@" not in token:
            return cls()
        anchor, _, offset = token.partition("@")
        try:
            return cls(int(anchor), max(int(offset), 0)) if anchor else cls()
        except ValueError:
            return cls()


Fetch = Callable[[int], tuple[list[dict], int]]  # offset -> (items, X-WP-Total)


def anchored_pages(
    fetch: Fetch, start: Position, *, pool: Executor, in_flight: int, expected_total: int | None = None
) -> Iterator[tuple[list[dict], Position, bool]]:
    """(records not read before, position after them, whether this is the last page), in id order.

    `fetch(offset)` asks one page of PAGE_SIZE at that offset; `expected_total` plans the first requests
    before any answer has told the total."""
    anchor, next_offset = start.anchor, start.offset
    total = expected_total
    pending: deque[tuple[int, Future]] = deque()
    back = PAGE_SIZE

    def schedule() -> None:
        nonlocal next_offset
        while len(pending) < max(in_flight, 1):
            if pending and (total is None or next_offset >= total):
                return
            pending.append((next_offset, pool.submit(fetch, next_offset)))
            next_offset += STRIDE

    def drop_pending() -> None:
        while pending:
            pending.popleft()[1].cancel()

    try:
        while True:
            schedule()
            offset, future = pending.popleft()
            items, total = future.result()
            if offset > 0 and anchor is not None and not (items and items[0]["id"] <= anchor):
                # Records before this page left the listing: its first record may not follow the last one
                # read. Ask again further back until a page starts at or before the last id read.
                drop_pending()
                next_offset = max(0, offset - back)
                back *= 2
                continue
            back = PAGE_SIZE
            fresh = items if anchor is None else [item for item in items if item["id"] > anchor]
            if items:
                anchor = max(anchor or 0, items[-1]["id"])
                position = Position(anchor, offset + len(items) - 1)
            else:
                position = Position(anchor, offset)
            last = len(items) < PAGE_SIZE
            if last:
                drop_pending()
            elif not pending or pending[0][0] != position.offset:
                drop_pending()
                next_offset = position.offset
            yield fresh, position, last
            if last:
                return
    finally:
        drop_pending()
