"""One client's workers in `connector run`: a bounded thread pool, and a job that finds it full is coalesced.

Each client gets an executor of its own with `service.concurrent_jobs` threads. A client whose stores fail or
never answer fills its own threads and no other client's: the others keep their schedules whatever it does.
A job that comes due while all of its client's threads are busy is not queued behind them (a queue that would
run a burst of stale jobs when the store comes back); it is coalesced, as a job whose previous run still runs
is: APScheduler skips this run and the job runs at its next time. The skip is logged once while the share
stays full, and each one is counted (`connector_job_runs{outcome="coalesced"}`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.executors.base import MaxInstancesReachedError
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job

log = logging.getLogger(__name__)


class ClientPool(ThreadPoolExecutor):
    def __init__(self, client: str, limit: int, on_coalesced: Callable[[Job], None] | None = None) -> None:
        super().__init__(limit, pool_kwargs={"thread_name_prefix": f"jobs-{client}"})
        self.client = client
        self.limit = limit
        self.on_coalesced = on_coalesced
        self._told = False  # the full share was logged; said again once a job has found a free thread

    def running(self) -> int:
        """The client's jobs submitted and not yet ended (at most `limit`: none ever waits for a thread)."""
        if self._lock is None:  # not started: the scheduler starts its executors
            return 0
        with self._lock:
            return sum(self._instances.values())

    def submit_job(self, job: Job, run_times) -> None:
        with self._lock:
            if self._instances.get(job.id, 0) < job.max_instances and self.running() >= self.limit:
                if not self._told:
                    self._told = True
                    log.info(
                        "%s: %d jobs running, its service.concurrent_jobs; %s and any other job due meanwhile "
                        "is coalesced (runs at its next time)",
                        self.client,
                        self.limit,
                        job.name,
                        extra={"client": self.client},
                    )
                if self.on_coalesced is not None:
                    self.on_coalesced(job)
                raise MaxInstancesReachedError(job)
            super().submit_job(job, run_times)
            self._told = False
