"""A thread pool whose workers run each task in the context of the thread that submitted it.

A store's requests in flight run in a pool; the retry budget (retry.py) and the client a log line names
(connector/logs.py) are context variables set by whoever runs the job, and a plain ThreadPoolExecutor would
run its tasks without them.
"""

from __future__ import annotations

import contextvars
from concurrent.futures import Future, ThreadPoolExecutor


class ContextThreadPool(ThreadPoolExecutor):
    def submit(self, fn, /, *args, **kwargs) -> Future:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)
