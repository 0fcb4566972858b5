"""Jobs: queued in the database, claimed by workers, recovered after crashes.

A ``JobRunner`` is what the app starts and stops: ``ProcessRunner`` (default) runs a
``Worker`` in a child process started with the server; ``coachscore worker`` runs one in
the foreground; tests use ``InlineRunner`` and call ``run_pending()``. Every accepted job is
a row first, so nothing accepted is lost: a worker claims a row with a conditional UPDATE
(works on SQLite and PostgreSQL), heartbeats while it runs, and on start (and
periodically) requeues jobs whose worker died - or fails them with a reason once
``job_max_attempts`` is spent.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import secrets
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from analysis.errors import CoachscoreError
from analysis.transcript_json import transcript_from_dict, transcript_to_dict
from service import webhooks
from service.db import (
    CoachingSession, Job, Person, make_engine, make_sessionmaker, new_id, recording_in_use, utcnow,
)
from service.processing import STAGES, PeopleNames, Pipeline, ScoreResult, load_pipeline
from service.storage import Storage

log = logging.getLogger("coachscore.jobs")


# --------------------------------------------------------------------------- enqueue


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


# --------------------------------------------------------------------------- runners


class JobRunner(Protocol):
    def start(self, settings: Any) -> None: ...
    def notify(self) -> None: ...
    def stop(self) -> None: ...


class NullRunner:
    """Accepts jobs and runs none (an external ``coachscore worker`` processes them)."""

    def start(self, settings: Any) -> None:
        pass

    def notify(self) -> None:
        pass

    def stop(self) -> None:
        pass


class InlineRunner:
    """Runs jobs in the calling thread when ``run_pending`` is called (tests, scripts)."""

    def __init__(self, pipeline: Pipeline, post: Any = None) -> None:
        self.pipeline = pipeline
        self.post = post
        self.worker: Worker | None = None

    def start(self, settings: Any) -> None:
        self.worker = Worker(settings, self.pipeline, webhook_post=self.post)

    def notify(self) -> None:
        pass

    def run_pending(self) -> int:
        assert self.worker is not None, "runner not started (use the app's lifespan)"
        count = self.worker.run_pending()
        self.worker.webhooks.deliver_due(self.worker.factory)
        return count

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.close()


class ProcessRunner:
    """Runs a Worker in a child process (spawned, so models load there, once).

    No shared multiprocessing primitives: a worker killed mid-wait would leave them
    locked. The worker polls the DB every ``job_poll_s`` and stops on SIGTERM.
    """

    def __init__(self) -> None:
        self._proc: multiprocessing.process.BaseProcess | None = None

    def start(self, settings: Any) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._proc = ctx.Process(
            target=worker_process_main, args=(settings, os.getpid()), name="coachscore-worker", daemon=True
        )
        self._proc.start()
        log.info("started worker process pid %s", self._proc.pid)

    def notify(self) -> None:
        """Nothing to do: the worker polls the database."""

    def stop(self) -> None:
        if self._proc is None:
            return
        self._proc.terminate()
        self._proc.join(timeout=15)
        if self._proc.is_alive():
            log.warning("worker did not stop in 15 s; killing it")
            self._proc.kill()
            self._proc.join(timeout=5)
        self._proc = None


def worker_process_main(settings: Any, parent_pid: int | None) -> None:
    """Entry point of the worker process (also used by ``coachscore worker``).
    SIGTERM/SIGINT stop it; a job in flight is put back in the queue."""
    import signal

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # models come from local paths only
    os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
    if settings.worker_nice:
        os.nice(settings.worker_nice)  # jobs yield the CPU to the API's requests
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker = Worker(settings, load_pipeline(settings), parent_pid=parent_pid)
    try:
        worker.run_forever(stop)
    finally:
        worker.release_running()
        worker.close()


# --------------------------------------------------------------------------- worker


class Worker:
    """Claims and runs jobs; one instance per process, ``worker_concurrency`` threads."""

    def __init__(
        self, settings: Any, pipeline: Pipeline, *, parent_pid: int | None = None, webhook_post: Any = None
    ) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.parent_pid = parent_pid
        self.engine = make_engine(settings.resolved_database_url())
        self.factory = make_sessionmaker(self.engine)
        self.storage = Storage(settings.resolved_data_dir())
        self.webhooks = webhooks.WebhookSender(settings, webhook_post)
        self.id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._running: set[str] = set()
        self._lock = threading.Lock()

    # ---- loop

    def run_pending(self) -> int:
        """Recover stale jobs, then run queued jobs until none is left; return how many."""
        self.recover_stale()
        count = 0
        while (job_id := self.claim()) is not None:
            self.run_job(job_id)
            count += 1
        return count

    def run_forever(self, stop: threading.Event) -> None:
        """Poll and run jobs on ``worker_concurrency`` threads until ``stop`` is set."""
        self.recover_stale()
        threads = [
            threading.Thread(target=self._loop, args=(stop,), name=f"job-{i}", daemon=True)
            for i in range(self.settings.worker_concurrency)
        ]
        for t in threads:
            t.start()
        last_recover = time.monotonic()
        while not stop.is_set():
            self._check_parent()
            self.heartbeat()
            self.webhooks.deliver_due(self.factory)
            if time.monotonic() - last_recover > self.settings.job_lease_s / 4:
                self.recover_stale()
                last_recover = time.monotonic()
            stop.wait(min(2.0, self.settings.job_lease_s / 6))
        for t in threads:
            t.join(timeout=1)

    def _loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            job_id = self.claim()
            if job_id is None:
                stop.wait(self.settings.job_poll_s)
                continue
            self.run_job(job_id)

    def release_running(self) -> int:
        """Put this worker's in-flight jobs back in the queue (graceful stop), without
        counting the interrupted attempt."""
        with self._lock:
            ids = list(self._running)
        if not ids:
            return 0
        with self.factory() as db:
            for job in db.scalars(select(Job).where(Job.id.in_(ids), Job.status == "running")).all():
                job.status, job.claimed_by = "queued", None
                job.attempts = max(0, job.attempts - 1)
                job.last_error = "the worker was stopped; the job was put back in the queue"
                session = db.get(CoachingSession, job.session_id)
                if session is not None:
                    session.status, session.stage = "queued", None
            db.commit()
        log.info("worker stopping: %d job(s) put back in the queue", len(ids))
        return len(ids)

    def _check_parent(self) -> None:
        if self.parent_pid is not None and os.getppid() != self.parent_pid:
            log.error("server process %s is gone; worker exits", self.parent_pid)
            os._exit(3)

    def close(self) -> None:
        self.webhooks.close()
        self.engine.dispose()

    # ---- claiming and recovery

    def claim(self) -> str | None:
        """Claim the oldest queued job; None when there is none."""
        for _ in range(5):
            with self.factory() as db:
                job_id = db.scalar(
                    select(Job.id).where(Job.status == "queued").order_by(Job.created_at).limit(1)
                )
                if job_id is None:
                    return None
                res = db.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.status == "queued")
                    .values(status="running", claimed_by=self.id, heartbeat_at=utcnow(),
                            attempts=Job.attempts + 1)
                )
                db.commit()
                if res.rowcount == 1:
                    with self._lock:
                        self._running.add(job_id)
                    return job_id
        return None

    def heartbeat(self) -> None:
        with self._lock:
            ids = list(self._running)
        if not ids:
            return
        with self.factory() as db:
            db.execute(update(Job).where(Job.id.in_(ids)).values(heartbeat_at=utcnow()))
            db.commit()

    def recover_stale(self) -> int:
        """Requeue (or fail, when out of attempts) running jobs whose worker is gone."""
        cutoff = utcnow() - timedelta(seconds=self.settings.job_lease_s)
        recovered = 0
        with self.factory() as db:
            for job in db.scalars(select(Job).where(Job.status == "running")).all():
                if job.claimed_by == self.id:
                    continue
                if not (_worker_dead(job.claimed_by, self.id) or (job.heartbeat_at and job.heartbeat_at < cutoff)):
                    continue
                self._recover(db, job)
                recovered += 1
            db.commit()
        return recovered

    def _recover(self, db: Session, job: Job) -> None:
        session = db.get(CoachingSession, job.session_id)
        stage = session.stage if session else None
        reason = f"the worker processing this job stopped during stage {stage or 'start'}"
        if job.attempts < self.settings.job_max_attempts:
            log.warning("job %s: %s; retrying (attempt %d)", job.id, reason, job.attempts + 1)
            job.status, job.claimed_by, job.last_error = "queued", None, reason
            if session is not None:
                session.status, session.stage = "queued", None
            return
        log.error("job %s: %s; giving up after %d attempts", job.id, reason, job.attempts)
        job.status, job.finished_at, job.last_error = "failed", utcnow(), reason
        if session is not None:
            self._fail_session(db, session, "worker_lost", f"{reason}; gave up after {job.attempts} attempts", stage)

    # ---- running one job

    def run_job(self, job_id: str) -> None:
        try:
            self._run(job_id)
        finally:
            with self._lock:
                self._running.discard(job_id)

    def _run(self, job_id: str) -> None:
        with self.factory() as db:
            job = db.get(Job, job_id)
            session = db.get(CoachingSession, job.session_id) if job else None
            if job is None or session is None:
                return
            kind, sid = job.kind, session.id
            audio = self.storage.path(session.audio_path) if session.audio_path else None
        progress = _Progress(self, sid)
        try:
            if kind == "transcribe":
                if audio is None:
                    raise CoachscoreError("the recording is no longer stored", code="audio_missing")
                transcript = self.pipeline.transcribe(audio, progress.hook)
                progress.finish_stage()
                self._save_transcript(sid, transcript_to_dict(transcript))
            else:
                transcript = None
            result = self._score(sid, transcript, progress)
        except CoachscoreError as e:
            self._finish_failed(job_id, sid, e.code, e.message, progress.stage)
            return
        except Exception:
            log.exception("job %s failed in stage %s", job_id, progress.stage)
            msg = f"internal error during stage {progress.stage or 'start'} (see the server log)"
            self._finish_failed(job_id, sid, "internal_error", msg, progress.stage)
            return
        self._finish_done(job_id, sid, result, progress.timings)

    def _score(self, sid: str, transcript: Any, progress: "_Progress") -> ScoreResult:
        progress.hook("analyze", 0, 1)
        with self.factory() as db:
            s = db.get(CoachingSession, sid)
            if s is None:
                raise CoachscoreError("the session was deleted while processing", code="deleted")
            if transcript is None:
                transcript = transcript_from_dict(s.transcript_json)
            leader, hint, rubric = s.leader_hint, s.transcript_hint, s.rubric
            names = PeopleNames(_name(db, s.leader_id), _name(db, s.coachee_id))
        result = self.pipeline.score(transcript, leader, hint, self._rubric_path(rubric), names)
        progress.hook("analyze", 1, 1)
        progress.finish_stage()
        return result

    def _rubric_path(self, rubric: str | None) -> Path | None:
        if not rubric or rubric == "default":
            return None
        return rubric_file(self.settings, rubric)

    def _save_transcript(self, sid: str, data: dict) -> None:
        with self.factory() as db:
            s = db.get(CoachingSession, sid)
            if s is not None:
                s.transcript_json = data
                s.duration_s = data.get("duration_s")
                db.commit()

    def _finish_done(self, job_id: str, sid: str, r: ScoreResult, timings: dict) -> None:
        with self.factory() as db:
            s, job = db.get(CoachingSession, sid), db.get(Job, job_id)
            if job is not None:
                job.status, job.finished_at = "done", utcnow()
            if s is None:
                db.commit()
                return
            s.roles_json = {"leader": r.roles.leader, "coachee": r.roles.coachee, "reason": r.roles.reason,
                            "confidence": r.roles.confidence.value, "inferred": r.roles.inferred}
            s.scorecard_json, s.scorecard_html = r.scorecard, r.html
            s.rubric_id, s.rubric_version, s.overall_score = r.rubric_id, r.rubric_version, r.overall
            s.dimension_scores, s.rescue_count = dict(r.dimensions), r.rescue_count
            s.duration_s = r.duration_s or s.duration_s
            s.stage_timings = {**(s.stage_timings or {}), **timings}
            s.status, s.progress, s.stage, s.finished_at = "done", 1.0, None, utcnow()
            self._apply_retention(db, s)
            webhooks.enqueue_for_session(db, s, self.settings.public_base_url)
            db.commit()

    def _finish_failed(self, job_id: str, sid: str, code: str, message: str, stage: str | None) -> None:
        log.info("session %s failed in stage %s: %s", sid, stage, message)
        with self.factory() as db:
            job = db.get(Job, job_id)
            if job is not None:
                job.status, job.finished_at, job.last_error = "failed", utcnow(), message
            s = db.get(CoachingSession, sid)
            if s is not None:
                self._fail_session(db, s, code, message, stage)
            db.commit()

    def _fail_session(self, db: Session, s: CoachingSession, code: str, message: str, stage: str | None) -> None:
        s.status, s.error_code, s.error_message, s.error_stage = "failed", code, message, stage
        s.finished_at = utcnow()
        webhooks.enqueue_for_session(db, s, self.settings.public_base_url)

    def _apply_retention(self, db: Session, s: CoachingSession) -> None:
        """With keep_audio off, delete the recording once no pending session needs it."""
        if self.settings.keep_audio or not s.audio_path:
            return
        if not recording_in_use(db, s.audio_path, besides=s.id, unfinished_only=True):
            self.storage.delete(s.audio_path)
        s.audio_path = None


def _name(db: Session, person_id: str | None) -> str | None:
    person = db.get(Person, person_id) if person_id else None
    return person.name if person else None


def rubric_file(settings: Any, rubric: str) -> Path | None:
    """The operator's rubric file for id ``rubric`` in the rubrics dir, or None."""
    base = settings.resolved_rubrics_dir()
    for ext in (".toml", ".yaml", ".yml", ".json"):
        p = base / f"{rubric}{ext}"
        if p.is_file():
            return p
    return None


def _worker_dead(claimed_by: str | None, my_id: str) -> bool:
    """True when ``claimed_by`` names a worker on this host whose process is gone."""
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


class _Progress:
    """Turns hook(stage, completed, total) into session status/progress/timings rows."""

    ORDER = list(STAGES)

    def __init__(self, worker: Worker, sid: str) -> None:
        self.worker, self.sid = worker, sid
        self.stage: str | None = None
        self.started = time.monotonic()
        self.timings: dict[str, float] = {}
        self._last_write = 0.0

    def hook(self, stage: str, completed: float, total: float) -> None:
        now = time.monotonic()
        changed = stage != self.stage
        if changed:
            self.finish_stage()
            self.stage, self.started = stage, now
        if changed or now - self._last_write > 0.5:
            self._write(stage, completed, total)
            self._last_write = now

    def finish_stage(self) -> None:
        if self.stage is not None:
            self.timings[self.stage] = round(self.timings.get(self.stage, 0.0) + time.monotonic() - self.started, 3)
            self.started = time.monotonic()

    def _write(self, stage: str, completed: float, total: float) -> None:
        status, weight = STAGES.get(stage, ("analyzing", 0.0))
        idx = self.ORDER.index(stage) if stage in STAGES else len(self.ORDER)
        base = sum(STAGES[s][1] for s in self.ORDER[:idx])
        frac = min(1.0, max(0.0, completed / total)) if total else 0.0
        with self.worker.factory() as db:
            s = db.get(CoachingSession, self.sid)
            if s is None:
                return
            s.status, s.stage = status, stage
            s.progress = round(min(0.99, base + weight * frac), 4)
            s.stage_timings = {**(s.stage_timings or {}), **self.timings}
            db.execute(update(Job).where(Job.session_id == self.sid, Job.status == "running")
                       .values(heartbeat_at=utcnow()))
            db.commit()
