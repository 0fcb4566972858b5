"""The job queue: rows in the ``jobs`` table. Enqueue (API side), claim with a conditional
UPDATE so two workers never run one job (SQLite and PostgreSQL alike), and heartbeat the
jobs a worker holds."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from service.db import CoachingSession, Job, new_id, utcnow


def enqueue(db: Session, session: CoachingSession, kind: str) -> Job:
    """Add a job for ``session`` (caller commits). ``kind``: "transcribe" | "analyze"."""
    job = Job(id=new_id("job"), org_id=session.org_id, session_id=session.id, kind=kind)
    db.add(job)
    session.status = "queued"
    session.progress = 0.0 if kind == "transcribe" else 0.9
    session.stage = None
    session.error_code = session.error_message = session.error_stage = None
    return job


def has_active_job(db: Session, session_id: str) -> bool:
    q = select(Job.id).where(Job.session_id == session_id, Job.status.in_(("queued", "running")))
    return db.scalar(q.limit(1)) is not None


def claim(factory: sessionmaker, worker_id: str) -> str | None:
    """Mark the oldest queued job running for ``worker_id`` and return its id; None when
    the queue is empty (or other workers won five races in a row)."""
    for _ in range(5):
        with factory() as db:
            job_id = db.scalar(select(Job.id).where(Job.status == "queued").order_by(Job.created_at).limit(1))
            if job_id is None:
                return None
        if claim_job(factory, job_id, worker_id):
            return job_id
    return None


def claim_job(factory: sessionmaker, job_id: str, worker_id: str) -> bool:
    """Mark job ``job_id`` running for ``worker_id`` if it is still queued (one conditional
    UPDATE: of two workers racing for it, exactly one gets True); counts the attempt."""
    with factory() as db:
        res = db.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "queued")
            .values(status="running", claimed_by=worker_id, heartbeat_at=utcnow(), attempts=Job.attempts + 1)
        )
        db.commit()
        return res.rowcount == 1


def held_by(owner: str | None):
    """SQL condition: the job is running and still claimed by ``owner`` (None: by anyone)."""
    running = Job.status == "running"
    return running if owner is None else running & (Job.claimed_by == owner)


def heartbeat(factory: sessionmaker, job_ids: list[str], owner: str | None = None) -> None:
    """Stamp the running jobs ``job_ids`` as alive now (only those ``owner`` still holds)."""
    if not job_ids:
        return
    with factory() as db:
        db.execute(update(Job).where(Job.id.in_(job_ids) & held_by(owner)).values(heartbeat_at=utcnow()))
        db.commit()
