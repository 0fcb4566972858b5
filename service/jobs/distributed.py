"""Celery as the distributed engine (``COACHSCORE_QUEUE=celery``).

The database job row stays the source of truth (status, stage, attempts, error); a task
carries only the job id. ``run_job`` claims the row with one conditional UPDATE, so a
redelivered or duplicated task for a job that is running or finished does nothing, and two
workers never both run one job. Messages are acknowledged late and rejected when the worker
process is lost, so a job whose worker dies before claiming it is redelivered; a job whose
worker dies mid-run is requeued by the sweeper (beat) once its heartbeat is older than
``job_lease_s`` - that attempt counts, so a job that keeps killing workers fails with the
reason after ``job_max_attempts``.

Queues: ``transcribe`` (heavy; prefetch 1) and ``analyze`` (re-scores, transcript imports).
Models load once per worker process (the executor is built on first use in each process).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from contextlib import contextmanager
from datetime import timedelta
from typing import Iterator

from celery import Celery
from sqlalchemy import func, select, update

from service import retention, webhooks
from service.db import Job, make_engine, make_sessionmaker, utcnow
from service.jobs import queue, recovery
from service.jobs.execution import JobExecutor
from service.pipeline import models_for
from service.settings import Settings, get_settings
from service.storage import STALE_UPLOAD_S, clean_spool, open_storage

log = logging.getLogger("coachscore.jobs")

QUEUES = ("transcribe", "analyze")


def make_celery(settings: Settings) -> Celery:
    """The Celery app for ``settings`` (broker, queues, late acks, beat schedule)."""
    app = Celery("coachscore", broker=settings.broker_url, set_as_current=False)
    app.conf.queue_prefix = settings.celery_queue_prefix
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_default_queue=f"{settings.celery_queue_prefix}analyze", task_ignore_result=True, broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        beat_schedule={
            "sweep-stuck-jobs": {"task": "coachscore.sweep", "schedule": max(1.0, settings.job_lease_s / 2)},
            "retention-purge": {"task": "coachscore.purge", "schedule": settings.retention_purge_s},
        },
    )
    app.task(name="coachscore.run_job")(run_job)
    app.task(name="coachscore.sweep")(sweep)
    app.task(name="coachscore.purge")(purge)
    return app


class _Process:
    """What one worker process holds: settings, DB engine, models (loaded once), webhooks."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings.resolved_database_url())
        self.factory = make_sessionmaker(self.engine)
        self.storage = open_storage(settings)
        clean_spool(self.storage.root, STALE_UPLOAD_S)  # recording copies of a worker killed here earlier
        self.executor = JobExecutor(settings, models_for(settings), self.factory, self.storage)
        self.webhooks = webhooks.WebhookSender(settings)
        self.pid = os.getpid()
        self.id = f"{socket.gethostname()}:{self.pid}:{secrets.token_hex(4)}"


_state: _Process | None = None


def _process() -> _Process:
    """This process's state, built on first use (after a prefork child is forked)."""
    global _state
    if _state is None or _state.pid != os.getpid():
        _state = _Process(get_settings())
    return _state


def run_job(job_id: str) -> str:
    """Run job ``job_id`` if this worker wins its claim; what happened, in one word."""
    p = _process()
    if not queue.claim_job(p.factory, job_id, p.id):
        log.info("job %s is not queued (running elsewhere or finished); nothing to do", job_id)
        return "skipped"
    with _heartbeat(p, job_id):
        p.executor.run(job_id, owner=p.id)
    p.webhooks.deliver_due(p.factory)
    return "ran"


@contextmanager
def _heartbeat(p: _Process, job_id: str) -> Iterator[None]:
    """Stamp the job alive every ``job_lease_s / 6`` seconds while it runs."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(p.settings.job_lease_s / 6):
            queue.heartbeat(p.factory, [job_id], p.id)

    t = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
    t.start()
    try:
        yield
    finally:
        stop.set()
        t.join(timeout=5)


def sweep() -> int:
    """Requeue (or fail) jobs whose worker is gone, publish again every job that has sat
    queued for a lease since it was last published (its message may be lost: a broker
    restart, a crash between commit and publish; duplicates are harmless), deliver due
    webhooks. Returns how many jobs were recovered."""
    p = _process()
    recovered = recovery.recover_stale(p.factory, p.settings, p.id)
    cutoff = utcnow() - timedelta(seconds=p.settings.job_lease_s)
    with p.factory() as db:  # for a queued job, heartbeat_at is when it was last published
        waited = func.coalesce(Job.heartbeat_at, Job.created_at) < cutoff
        stale = db.execute(select(Job.id, Job.kind).where(Job.status == "queued", waited)).all()
        db.execute(update(Job).where(Job.id.in_([j for j, _ in stale]), Job.status == "queued")
                   .values(heartbeat_at=utcnow()))
        db.commit()
    for job_id, kind in stale:
        send(_publisher(), job_id, kind)
    p.webhooks.deliver_due(p.factory)
    if recovered or stale:
        log.info("sweep: %d job(s) recovered, %d queued job(s) published again", recovered, len(stale))
    return recovered


def purge() -> int:
    """The retention purge (``service.retention.purge``, the same one the embedded worker
    runs); returns how many recording files it deleted."""
    p = _process()
    return retention.purge(p.factory, p.storage, p.settings).files_deleted


_app: Celery | None = None


def _publisher() -> Celery:
    """This process's Celery app for sending tasks from inside a task."""
    global _app
    if _app is None:
        _app = make_celery(get_settings())
    return _app


def send(app: Celery, job_id: str, kind: str) -> None:
    """Send the task for job ``job_id`` to the queue its ``kind`` names."""
    name = "transcribe" if kind == "transcribe" else "analyze"
    app.send_task("coachscore.run_job", args=[job_id], queue=f"{app.conf.queue_prefix}{name}")


class CeleryRunner:
    """The API side with ``queue=celery``: publishes each new job; runs none itself."""

    def __init__(self) -> None:
        self.app: Celery | None = None
        self.factory = None

    def start(self, settings: Settings) -> None:
        self.app = make_celery(settings)
        self._engine = make_engine(settings.resolved_database_url())
        self.factory = make_sessionmaker(self._engine)

    def notify(self, session_id: str | None = None) -> None:
        """Publish the queued jobs of ``session_id`` (the sweeper republishes any lost)."""
        if session_id is None or self.app is None:
            return
        with self.factory() as db:
            rows = db.execute(select(Job.id, Job.kind).where(Job.session_id == session_id, Job.status == "queued")).all()
        for job_id, kind in rows:
            try:
                send(self.app, job_id, kind)
            except Exception:  # the row is the truth; the sweeper publishes it again
                log.exception("could not publish job %s; the sweeper will retry", job_id)

    def problem(self) -> str | None:
        return None

    def stop(self) -> None:
        if self.factory is not None:
            self._engine.dispose()


def worker_main(settings: Settings, queues: list[str], concurrency: int) -> None:
    """Run a Celery worker consuming ``queues`` with ``concurrency`` processes (blocks)."""
    unknown = set(queues) - set(QUEUES)
    if unknown:
        raise ValueError(f"unknown queue(s) {', '.join(sorted(unknown))}; use {', '.join(QUEUES)}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    make_celery(settings).worker_main([
        "worker", "--queues", ",".join(settings.celery_queue_prefix + q for q in queues), "--concurrency", str(concurrency),
        "--prefetch-multiplier", "1", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
        "--hostname", f"coachscore-{'+'.join(queues)}-{os.getpid()}@{socket.gethostname()}",
    ])


def beat_main(settings: Settings, schedule_dir: str) -> None:
    """Run Celery beat (stuck-job sweeper, retention purge); its state file in ``schedule_dir``."""
    make_celery(settings).start(["beat", "--loglevel", "INFO", "--schedule", f"{schedule_dir}/celerybeat-schedule"])
