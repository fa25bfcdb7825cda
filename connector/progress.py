"""Progress of a long client-wide job on a terminal: a transient bar on stderr.

The bar counts what the job's store adapters have sent (requests, of which writes) as they go, so every job
shows progress without knowing about the display; a job may also say where it is with `advance(label, done,
total)` (the prices and translations jobs do, market by market), which makes the bar determinate. Nothing is
shown when stderr is not a terminal or the output is --json.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

_shown: list[tuple[Progress, Any]] = []
_lock = threading.Lock()


def advance(label: str, done: int, total: int | None = None) -> None:
    """Tell the bar being shown (if any) what the job is doing: `done` of `total` steps."""
    with _lock:
        for progress, task in _shown:
            progress.update(task, label=label, completed=done, total=total)


class _Requests(ProgressColumn):
    def __init__(self, adapters: Mapping[str, Any]):
        super().__init__()
        self.adapters = adapters

    def render(self, task) -> Text:
        reads = sum(a.requests.reads for a in self.adapters.values())
        writes = sum(a.requests.writes for a in self.adapters.values())
        return Text(f"{reads + writes} requests ({writes} writes)")


@contextmanager
def job_progress(job: str, adapters: Mapping[str, Any], console: Console, *, quiet: bool) -> Iterator[None]:
    if not (console.is_terminal and not quiet):
        yield  # a disabled rich Progress still writes a blank line when it stops: none at all here
        return
    with Progress(
        TextColumn(f"{job} " + "{task.fields[label]}"),
        BarColumn(bar_width=20),
        TaskProgressColumn(),
        _Requests(adapters),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(job, total=None, label="")
        entry = (progress, task)
        with _lock:
            _shown.append(entry)
        try:
            yield
        finally:
            with _lock:
                _shown.remove(entry)
