"""The distributed mode: the same jobs as `connector run`, spread over machines with Celery on Redis.

`connector scheduler` enqueues every client's jobs on their schedules into the queue of the client's shard
(`shard.N`); `connector worker --shard N` runs them on the machine that keeps those clients' state files.
A lock per store in Redis keeps two jobs off one store, across workers and machines. Nothing here is
imported by `connector run`.
"""
