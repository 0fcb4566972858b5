"""Running one claimed job: transcribe the stored recording (uploads only), score the
transcript with the session's leader choice, names and rubric, then store the result - or
the failure with its stage - and queue the webhook. Uses ``service.pipeline`` and nothing
else to do the work."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from analysis.errors import CoachscoreError, RubricError
from analysis.rubric import Rubric, load_rubric
from analysis.transcript_json import transcript_from_dict, transcript_to_dict
from analysis.types import Transcript
from service import webhooks
from service.corrections import stored_overrides
from service.db import CoachingSession, Job, Person, utcnow
from service.jobs.queue import held_by
from service.jobs.recovery import fail_session
from service.retention import forget_recording
from service.pipeline import (
    LeaderChoice, ModelSet, PeopleNames, ScoreResult, TranscribeOptions, installed_rubric, score, transcribe,
)
from service.settings import Settings
from service.storage import RecordingMissing, Storage

log = logging.getLogger("coachscore.jobs")

# pipeline stage -> (session status, share of the job's progress)
STAGES: dict[str, tuple[str, float]] = {
    "decode": ("transcribing", 0.05),
    "transcribe": ("transcribing", 0.55),
    "diarize": ("diarizing", 0.25),
    "attribute": ("diarizing", 0.05),
    "analyze": ("analyzing", 0.10),
}


class JobExecutor:
    """Executes jobs by id with one ModelSet (models load once per process)."""

    def __init__(self, settings: Settings, models: ModelSet, factory: sessionmaker, storage: Storage) -> None:
        self.settings, self.models, self.factory, self.storage = settings, models, factory, storage

    def run(self, job_id: str, owner: str | None = None) -> None:
        """Run job ``job_id`` to done or failed; never raises for a job's own failure.

        ``owner`` is the worker id that claimed the job: its result is stored only while the
        job is still running under that claim (a worker whose lease lapsed and whose job was
        handed to another worker drops its result instead of finishing the job twice)."""
        with self.factory() as db:
            job = db.get(Job, job_id)
            session = db.get(CoachingSession, job.session_id) if job else None
            if job is None or session is None:
                return
            kind, sid, shown_name = job.kind, session.id, session.audio_filename
            relpath = session.audio_path
        progress = _Progress(self.factory, sid, job_id, owner)
        try:
            transcript = self._transcribe(sid, relpath, progress) if kind == "transcribe" else None
            result = self._score(sid, transcript, progress)
        except CoachscoreError as e:
            stored_name = Path(relpath).name if relpath else None
            message = e.message.replace(stored_name, shown_name) if stored_name and shown_name else e.message
            self._finish_failed(job_id, owner, sid, e.code, message, progress.stage)  # the user's file name, not ours
            return
        except Exception:
            log.exception("job %s failed in stage %s", job_id, progress.stage)
            msg = f"internal error during stage {progress.stage or 'start'} (see the server log)"
            self._finish_failed(job_id, owner, sid, "internal_error", msg, progress.stage)
            return
        self._finish_done(job_id, owner, sid, result, progress.timings)

    def _transcribe(self, sid: str, relpath: str | None, progress: "_Progress") -> Transcript:
        """Transcribe the stored recording, read into a local file (from S3: a temp copy)."""
        progress.hook("decode", 0, 1)  # so a recording that cannot be read fails in stage "decode"
        if relpath is None:
            raise RecordingMissing("the recording is no longer stored")
        with self.storage.local_copy(relpath) as audio:
            transcript = transcribe(audio, TranscribeOptions(), self.models, progress.hook)
        progress.finish_stage()
        self._save_transcript(sid, transcript_to_dict(transcript))
        return transcript

    def _score(self, sid: str, transcript: Transcript | None, progress: "_Progress") -> ScoreResult:
        progress.hook("analyze", 0, 1)
        with self.factory() as db:
            s = db.get(CoachingSession, sid)
            if s is None:
                raise CoachscoreError("the session was deleted while processing", code="deleted")
            if transcript is None:
                transcript = transcript_from_dict(s.transcript_json)
            choice = LeaderChoice(s.leader_hint, s.transcript_hint)
            names, rubric_id = PeopleNames(_name(db, s.leader_id), _name(db, s.coachee_id)), s.rubric
            overrides = stored_overrides(db, s)  # a reviewer's corrections survive every re-score
        result = score(transcript, choice, names, self._rubric(rubric_id), self.models.nlp(),
                       self.models.encoder(), overrides)
        progress.hook("analyze", 1, 1)
        progress.finish_stage()
        return result

    def _rubric(self, rubric_id: str | None) -> Rubric:
        if not rubric_id or rubric_id == "default":
            return load_rubric(None)
        path = installed_rubric(self.settings.resolved_rubrics_dir(), rubric_id)
        if path is None:
            raise RubricError(f"rubric {rubric_id!r} is no longer installed on this server")
        return load_rubric(path)

    def _save_transcript(self, sid: str, data: dict) -> None:
        with self.factory() as db:
            s = db.get(CoachingSession, sid)
            if s is not None:
                s.transcript_json = data
                s.duration_s = data.get("duration_s")
                db.commit()

    def _finish_done(self, job_id: str, owner: str | None, sid: str, r: ScoreResult, timings: dict) -> None:
        with self.factory() as db:
            if not _take_finish(db, job_id, owner, "done"):
                return
            s = db.get(CoachingSession, sid)
            if s is None:
                db.commit()
                return
            _store_result(s, r, timings)
            self._apply_retention(db, s)
            webhooks.enqueue_for_session(db, s, self.settings.public_base_url)
            db.commit()

    def _finish_failed(self, job_id: str, owner: str | None, sid: str, code: str, message: str, stage: str | None) -> None:
        log.info("session %s failed in stage %s: %s", sid, stage, message)
        with self.factory() as db:
            if not _take_finish(db, job_id, owner, "failed", message):
                return
            s = db.get(CoachingSession, sid)
            if s is not None:
                fail_session(db, self.settings, s, code, message, stage)
            db.commit()

    def _apply_retention(self, db: Session, s: CoachingSession) -> None:
        """With keep_audio off, delete the recording once no other session needs it."""
        if self.settings.keep_audio or not s.audio_path:
            return
        forget_recording(db, self.storage, s, None, utcnow())


def _take_finish(db: Session, job_id: str, owner: str | None, status: str, error: str | None = None) -> bool:
    """Mark the job finished in ``db``'s transaction if it is still ours (one conditional
    UPDATE, so a job taken over by another worker is never finished twice); False: drop."""
    values = {"status": status, "finished_at": utcnow()} | ({"last_error": error} if error else {})
    if owner is None:  # run outside a claim (tests, tools): finish whatever the row says
        db.execute(update(Job).where(Job.id == job_id).values(**values))
        return True
    if db.execute(update(Job).where((Job.id == job_id) & held_by(owner)).values(**values)).rowcount == 1:
        return True
    log.warning("job %s was taken over by another worker while this one (%s) ran it; "
                "this worker's result is dropped", job_id, owner)
    db.rollback()
    return False


def _store_result(s: CoachingSession, r: ScoreResult, timings: dict) -> None:
    s.roles_json = {"leader": r.roles.leader, "coachee": r.roles.coachee, "reason": r.roles.reason,
                    "confidence": r.roles.confidence.value, "inferred": r.roles.inferred}
    s.scorecard_json, s.scorecard_html = r.card_json, r.html
    s.rubric_id, s.rubric_version, s.overall_score = r.rubric_id, r.rubric_version, r.overall
    s.dimension_scores, s.rescue_count = dict(r.dimensions), r.rescue_count
    s.duration_s = r.duration_s or s.duration_s
    s.stage_timings = {**(s.stage_timings or {}), **timings}
    s.status, s.progress, s.stage, s.finished_at = "done", 1.0, None, utcnow()


def _name(db: Session, person_id: str | None) -> str | None:
    person = db.get(Person, person_id) if person_id else None
    return person.name if person else None


class _Progress:
    """Turns hook(stage, completed, total) into session status/progress/timings rows."""

    ORDER = list(STAGES)

    def __init__(self, factory: sessionmaker, sid: str, job_id: str | None = None, owner: str | None = None) -> None:
        self.factory, self.sid, self.job_id, self.owner = factory, sid, job_id, owner
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
        with self.factory() as db:
            s = db.get(CoachingSession, self.sid)
            if s is None:
                return
            s.status, s.stage = status, stage
            s.progress = round(min(0.99, base + weight * frac), 4)
            s.stage_timings = {**(s.stage_timings or {}), **self.timings}
            mine = (Job.session_id == self.sid) & held_by(self.owner)
            if self.job_id is not None:
                mine = mine & (Job.id == self.job_id)
            db.execute(update(Job).where(mine).values(heartbeat_at=utcnow()))
            db.commit()
