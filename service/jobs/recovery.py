"""Crash recovery: running jobs whose worker died (same host: its process is gone; any
host: its heartbeat is older than ``job_lease_s``) go back in the queue, or fail with a
reason once ``job_max_attempts`` is spent. A worker stopping gracefully hands its jobs back."""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service import webhooks
from service.db import CoachingSession, Job, utcnow
from service.settings import Settings

log = logging.getLogger("coachscore.jobs")


def recover_stale(factory: sessionmaker, settings: Settings, my_id: str) -> int:
    """Requeue (or fail, when out of attempts) running jobs whose worker is gone; return how many."""
    cutoff = utcnow() - timedelta(seconds=settings.job_lease_s)
    recovered = 0
    with factory() as db:
        for job in db.scalars(select(Job).where(Job.status == "running")).all():
            if job.claimed_by == my_id:
                continue
            if not (worker_dead(job.claimed_by, my_id) or (job.heartbeat_at and job.heartbeat_at < cutoff)):
                continue
            _recover(db, settings, job)
            recovered += 1
        db.commit()
    return recovered


def _recover(db: Session, settings: Settings, job: Job) -> None:
    session = db.get(CoachingSession, job.session_id)
    stage = session.stage if session else None
    reason = f"the worker processing this job stopped during stage {stage or 'start'}"
    if job.attempts < settings.job_max_attempts:
        log.warning("job %s: %s; retrying (attempt %d)", job.id, reason, job.attempts + 1)
        job.status, job.claimed_by, job.last_error = "queued", None, reason
        if session is not None:
            session.status, session.stage = "queued", None
        return
    log.error("job %s: %s; giving up after %d attempts", job.id, reason, job.attempts)
    job.status, job.finished_at, job.last_error = "failed", utcnow(), reason
    if session is not None:
        fail_session(db, settings, session, "worker_lost", f"{reason}; gave up after {job.attempts} attempts", stage)


def release(factory: sessionmaker, job_ids: list[str]) -> int:
    """Put the running jobs ``job_ids`` back in the queue (graceful stop), without counting
    the interrupted attempt; return how many."""
    if not job_ids:
        return 0
    with factory() as db:
        for job in db.scalars(select(Job).where(Job.id.in_(job_ids), Job.status == "running")).all():
            job.status, job.claimed_by = "queued", None
            job.attempts = max(0, job.attempts - 1)
            job.last_error = "the worker was stopped; the job was put back in the queue"
            session = db.get(CoachingSession, job.session_id)
            if session is not None:
                session.status, session.stage = "queued", None
        db.commit()
    log.info("worker stopping: %d job(s) put back in the queue", len(job_ids))
    return len(job_ids)


def fail_session(
    db: Session, settings: Settings, s: CoachingSession, code: str, message: str, stage: str | None
) -> None:
    """Mark ``s`` failed with a reason and queue its webhook (caller commits). The error
    always names a stage: ``stage``, else the session's current one, else the first stage
    its job would have run ("decode" for a recording not yet transcribed, else "analyze")."""
    first = "decode" if s.transcript_json is None and s.audio_path else "analyze"
    s.status, s.error_code, s.error_message, s.error_stage = "failed", code, message, stage or s.stage or first
    s.finished_at = utcnow()
    webhooks.enqueue_for_session(db, s, settings.public_base_url)


def worker_dead(claimed_by: str | None, my_id: str) -> bool:
    """True when ``claimed_by`` ("host:pid:token") names a worker on this host whose
    process is gone (or an earlier incarnation of this process)."""
    if not claimed_by:
        return True
    host, _, rest = claimed_by.partition(":")
    pid_s, _, token = rest.partition(":")
    if host != socket.gethostname() or not pid_s.isdigit():
        return False
    pid = int(pid_s)
    if pid == os.getpid():
        return claimed_by != my_id  # our pid, another (earlier) incarnation
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
