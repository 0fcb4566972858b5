"""Retention: the one purge that deletes recordings and transcripts past their time.

Each organisation sets how long recordings (``Org.keep_audio_days``) and transcripts
(``Org.keep_transcripts_days``) are kept, in days counted from the upload (``created_at``);
None keeps them forever. The server-wide ``keep_audio = false`` deletes every finished
session's recording whatever the organisation says. Only finished (done or failed) sessions
are touched, so a job never loses its input.

A purged recording is deleted through ``Storage.delete(relpath)`` once no other session
refers to the same (content-addressed) file, and its session row forgets the path. A purged
transcript leaves no words of the conversation behind: ``transcript_json`` goes, the
scorecard JSON loses its sentences and every quote (rescue cues and responses, best
question, redo moment, evidence, GROW questions, debrief pre-fills), the HTML scorecard is
rendered again from that JSON, and correction audit rows forget the sentence text. The
scores, metrics, counts and times stay; the session
row remembers when each was deleted and under which setting (``*_purged_at``/``*_days``),
so the session page can say so.

Both runners call :func:`purge`: the embedded worker every ``retention_purge_s`` seconds
(``service.jobs.worker``) and Celery beat's ``coachscore.purge`` task.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.db import CoachingSession, Correction, Org, defer_big_columns, recording_in_use, utcnow
from service.storage import Storage

log = logging.getLogger("coachscore.retention")
FINISHED = ("done", "failed")
MAX_DAYS = 36500  # a hundred years: more than that is "forever"


@dataclass
class PurgeReport:
    """What one purge did: session ids whose recording / transcript went, files deleted."""

    audio_sessions: list[str] = field(default_factory=list)
    transcript_sessions: list[str] = field(default_factory=list)
    files_deleted: int = 0

    @property
    def nothing(self) -> bool:
        return not (self.audio_sessions or self.transcript_sessions)


def purge(factory: sessionmaker, storage: Storage, settings: Any, now: datetime | None = None) -> PurgeReport:
    """Delete every recording and transcript past its organisation's retention (and, with
    ``settings.keep_audio`` off, every finished session's recording); logs what it did."""
    now = now or utcnow()
    report = PurgeReport()
    with factory() as db:
        for org in db.scalars(select(Org)).all():
            _purge_org(db, storage, org, settings.keep_audio, now, report)
        db.commit()
    if not report.nothing:
        log.info("retention purge: %d recording(s) deleted (%d file(s) removed) from sessions %s; "
                 "%d transcript(s) deleted from sessions %s", len(report.audio_sessions), report.files_deleted,
                 ", ".join(report.audio_sessions) or "-", len(report.transcript_sessions),
                 ", ".join(report.transcript_sessions) or "-")
    return report


def _purge_org(db: Session, storage: Storage, org: Org, keep_audio: bool, now: datetime,
               report: PurgeReport) -> None:
    audio_days = org.keep_audio_days
    if not keep_audio or audio_days is not None:
        q = _finished(org.id).where(CoachingSession.audio_path.is_not(None))
        if keep_audio:
            q = q.where(CoachingSession.created_at < now - timedelta(days=audio_days))
        for s in db.scalars(q).all():
            report.files_deleted += forget_recording(db, storage, s, None if not keep_audio else audio_days, now)
            report.audio_sessions.append(s.id)
            db.commit()  # one session at a time: a purge stopped half-way keeps what it did
    days = org.keep_transcripts_days
    if days is not None:
        q = _finished(org.id, load=("transcript_json", "scorecard_json", "scorecard_html")).where(
            CoachingSession.transcript_purged_at.is_(None), CoachingSession.created_at < now - timedelta(days=days))
        for s in db.scalars(q).all():
            forget_transcript(db, s, days, now)
            report.transcript_sessions.append(s.id)
            db.commit()


def _finished(org_id: str, load: tuple[str, ...] = ()):
    return (select(CoachingSession).options(*defer_big_columns(load))
            .where(CoachingSession.org_id == org_id, CoachingSession.status.in_(FINISHED)))


def forget_recording(db: Session, storage: Storage, s: CoachingSession, days: int | None, now: datetime) -> int:
    """Unlink ``s`` from its recording and delete the file when no other session refers to
    it; ``days`` is the retention setting it went under (None: the server keeps none).
    Returns how many files were deleted (0 or 1)."""
    relpath = s.audio_path
    s.audio_path, s.audio_purged_at, s.audio_purged_days = None, now, days
    db.flush()
    if relpath and not recording_in_use(db, relpath):
        return 1 if storage.delete(relpath) else 0
    return 0


def forget_transcript(db: Session, s: CoachingSession, days: int, now: datetime) -> None:
    """Drop every word said from ``s``: the transcript, the scorecard JSON's sentences and
    quotes (``without_quotes``), the HTML scorecard (rendered again from that JSON through
    the one renderer, with a line where the quotes were) and the sentence text kept in its
    correction audit rows. Scores, metrics, counts and times stay."""
    from analysis.scorecard import scorecard_from_dict, without_quotes
    from service.render import render_scorecard_html

    s.transcript_json = None
    s.transcript_purged_at, s.transcript_purged_days = now, days
    if s.scorecard_json is not None:
        s.scorecard_json = without_quotes(s.scorecard_json)
        s.scorecard_html = render_scorecard_html(scorecard_from_dict(s.scorecard_json), quotes_note=quotes_note(s))
    elif s.scorecard_html:
        s.scorecard_html = None  # no JSON to render it from: keep no page that quotes the talk
    for c in db.scalars(select(Correction).where(Correction.session_id == s.id)).all():
        if c.before and "text" in c.before:
            c.before = {k: v for k, v in c.before.items() if k != "text"}


def quotes_note(s: CoachingSession) -> str | None:
    """The line a purged scorecard shows where its quotes were."""
    if s.transcript_purged_at is None or s.transcript_purged_days is None:
        return None
    return (f"The transcript was deleted on {when(s.transcript_purged_at)} under your retention setting "
            f"({plural(s.transcript_purged_days)}); quotes are no longer kept.")


def transcript_gone(s: CoachingSession) -> str | None:
    """Why a purged session has no transcript download and cannot be re-scored (None: not purged)."""
    if s.transcript_purged_at is None:
        return None
    days = f" under your retention setting ({plural(s.transcript_purged_days)})" if s.transcript_purged_days else ""
    return f"The transcript of this session was deleted on {when(s.transcript_purged_at)}{days}"


def when(at: datetime) -> str:
    """A date as people write it, e.g. '3 May 2026'."""
    return f"{at.day} {at:%b %Y}"


def plural(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


def parse_days(text: str | None, what: str) -> int | None:
    """A retention field as typed: blank is None (forever), else whole days 1..MAX_DAYS;
    ValueError with a sentence for a person otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        raise ValueError(f"Keep {what} for: enter a whole number of days from 1 to {MAX_DAYS}, "
                         "or leave it blank to keep them forever.")
    return int(text)


def audio_note(s: CoachingSession) -> str | None:
    """What the session page says instead of the player once the recording was purged."""
    if s.audio_purged_at is None:
        return None
    if s.audio_purged_days is None:
        return (f"The recording was deleted on {when(s.audio_purged_at)}, after scoring: this server "
                "is set to keep no recordings.")
    return (f"The recording was deleted on {when(s.audio_purged_at)} under your retention setting "
            f"({plural(s.audio_purged_days)}).")


def transcript_note(s: CoachingSession) -> str | None:
    """What the session page says where the transcript was, once it was purged."""
    if s.transcript_purged_at is None or s.transcript_purged_days is None:
        return None
    return (f"The transcript was deleted on {when(s.transcript_purged_at)} under your retention setting "
            f"({plural(s.transcript_purged_days)}). The scores and rescue moments stay.")
