"""Jobs: queued in the database, claimed by workers, recovered after crashes.

queue.py      enqueue, claim (conditional UPDATE), heartbeat
recovery.py   requeue or fail the jobs of dead workers; graceful release
execution.py  run one job: service.pipeline.transcribe/score, store result or failure
worker.py     the polling Worker (one per process)
runners.py    how the app runs workers: child process, inline (tests), none

Every accepted job is a row first, so nothing accepted is lost.
"""

from service.jobs.execution import STAGES
from service.jobs.queue import enqueue, has_active_job
from service.jobs.runners import InlineRunner, JobRunner, NullRunner, ProcessRunner, worker_process_main
from service.jobs.worker import Worker

__all__ = [
    "STAGES", "InlineRunner", "JobRunner", "NullRunner", "ProcessRunner", "Worker",
    "enqueue", "has_active_job", "worker_process_main",
]
