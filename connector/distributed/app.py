"""The Celery app: Redis as broker, one queue per shard, a task acknowledged only once it has run.

- `task_acks_late`: a task is acknowledged when it ends, so a worker killed mid-job leaves it unacknowledged
  and Redis hands it to a worker of the shard again; the jobs' own crash safety (cursors after commits, stock
  writes settled exactly) makes the repeated run exact.
- `task_reject_on_worker_lost`: a task whose pool process died is given back rather than acknowledged.
- prefetch 1: a worker reserves only what it runs, so a queued job waits for any worker, not a busy one.
- the visibility timeout is how long Redis waits for the acknowledgement of a delivered task before it
  delivers it again: the redelivery delay after a worker died. A job that runs longer is delivered a second
  time while it runs; the store lock then coalesces the second delivery, so it costs nothing but a log line.
  (docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html#visibility-timeout)
- no result backend: the outcome of a job lives in the client's state (`connector status`), as in `connector run`.
"""

from __future__ import annotations

from celery import Celery

REDELIVERY_SECONDS = 600
TASK = "connector.run_job"
WEBHOOK_TASK = "connector.webhook"  # a verified delivery, for the shard's worker to keep and process


def make_app(url: str, *, redelivery_seconds: float = REDELIVERY_SECONDS) -> Celery:
    app = Celery("connector", broker=url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        broker_transport_options={
            "visibility_timeout": redelivery_seconds,
            # the sweep that gives back what a dead worker held runs this often (kombu's redis transport)
            "unacked_restore_interval": max(1, min(10, int(redelivery_seconds / 4))),
            "unacked_restore_throttle": 1,
        },
    )
    return app
