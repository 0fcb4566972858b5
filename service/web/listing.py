"""The sessions list: filters, sort, pages, status badges, and retrying a failed job.

Every query starts from ``visible_sessions(viewer)`` (the one access rule); a retry queues
the job through ``service.jobs.enqueue`` like the API's re-score."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from service import jobs
from service.db import CoachingSession, Person
from service.errors import ApiError
from service.repository import people_names
from service.web.access import Viewer, visible_session, visible_sessions
from service.web.routes import Ctx, Db, Form, Web, _form_page, _viewer
from service.web.templating import redirect

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
IN_PROGRESS = ("queued", "transcribing", "diarizing", "analyzing")
STATUSES = {"": "Any status", "done": "Done", "progress": "In progress", "failed": "Failed"}
WHEN = func.coalesce(CoachingSession.recorded_at, CoachingSession.created_at)
LEADER, NAMED = aliased(Person), aliased(Person)
SORTS = {
    "newest": ("Newest first", (WHEN.desc(), CoachingSession.id)),
    "oldest": ("Oldest first", (WHEN.asc(), CoachingSession.id)),
    "score_high": ("Highest score", (CoachingSession.overall_score.desc().nulls_last(), WHEN.desc())),
    "score_low": ("Lowest score", (CoachingSession.overall_score.asc().nulls_last(), WHEN.desc())),
    "leader": ("Leader A to Z", (func.lower(LEADER.name).asc().nulls_last(), WHEN.desc())),
}


@dataclass(frozen=True)
class ListQuery:
    """The list's filters as typed in the form ('' = not set); dates are days (inclusive)."""

    leader: str = ""
    coachee: str = ""
    since: str = ""
    until: str = ""
    min_score: str = ""
    max_score: str = ""
    status: str = ""
    sort: str = "newest"
    page: int = 1

    def link(self, **changes) -> str:
        """The list's URL with these filters (and ``changes``), empty ones left out."""
        q = replace(self, **changes)
        params = {k: v for k, v in vars(q).items() if v not in ("", None) and (k, v) not in (("sort", "newest"), ("page", 1))}
        return "/sessions" + (f"?{urlencode(params)}" if params else "")


def _day(text: str, label: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError as e:
        raise ApiError(422, "validation_error", f"{label} is not a date (use the date picker).") from e


def _score(text: str, label: str) -> float | None:
    try:
        return float(text) if text else None
    except ValueError as e:
        raise ApiError(422, "validation_error", f"{label} is not a number from 0 to 100.") from e


def _start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=timezone.utc)


def filtered(viewer: Viewer, q: ListQuery) -> Select:
    """The visible sessions matching ``q``, joined to their leader (for sorting by name)."""
    stmt = visible_sessions(viewer).outerjoin(LEADER, LEADER.id == CoachingSession.leader_id)
    for who, col in ((q.leader, CoachingSession.leader_id), (q.coachee, CoachingSession.coachee_id)):
        if who.strip():
            named = select(NAMED.id).where(NAMED.org_id == viewer.org_id,
                                              func.lower(NAMED.name).contains(who.strip().lower(), autoescape=True))
            stmt = stmt.where(col.in_(named))
    if (since := _day(q.since, "From")) is not None:
        stmt = stmt.where(WHEN >= _start(since))
    if (until := _day(q.until, "To")) is not None:
        stmt = stmt.where(WHEN < _start(until + timedelta(days=1)))
    if (low := _score(q.min_score, "Lowest score")) is not None:
        stmt = stmt.where(CoachingSession.overall_score >= low)
    if (high := _score(q.max_score, "Highest score")) is not None:
        stmt = stmt.where(CoachingSession.overall_score <= high)
    if q.status == "progress":
        stmt = stmt.where(CoachingSession.status.in_(IN_PROGRESS))
    elif q.status in ("done", "failed"):
        stmt = stmt.where(CoachingSession.status == q.status)
    return stmt


def one_page(db: Session, viewer: Viewer, q: ListQuery) -> tuple[list[CoachingSession], int]:
    """The sessions of page ``q.page`` (PAGE_SIZE a page) and the total that match."""
    stmt = filtered(viewer, q)
    total = db.scalar(select(func.count()).select_from(stmt.with_only_columns(CoachingSession.id).subquery()))
    order = SORTS.get(q.sort, SORTS["newest"])[1]
    rows = db.scalars(stmt.order_by(*order, CoachingSession.id).offset((q.page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return list(rows), total or 0


@router.get("/sessions")
def sessions_list(request: Request, db: Db, visit: Web, ctx: Ctx, leader: str = "", coachee: str = "",
                  since: str = "", until: str = "", min_score: str = "", max_score: str = "",
                  status: str = "", sort: str = "newest", page: int = 1) -> Response:
    viewer = _viewer(visit)
    q = ListQuery(leader, coachee, since, until, min_score, max_score,
                  status if status in STATUSES else "", sort if sort in SORTS else "newest", max(page, 1))
    try:
        rows, total, error = *one_page(db, viewer, q), None
    except ApiError as e:
        rows, total, error = [], 0, e.message
    pages = max(1, -(-total // PAGE_SIZE))
    return _form_page(request, db, visit, ctx, "sessions.html.j2", rows=rows, total=total, q=q, pages=pages,
                      names=people_names(db, rows), statuses=STATUSES, sorts={k: v[0] for k, v in SORTS.items()},
                      error=error)


@router.post("/sessions/{session_id}/retry")
def retry(session_id: str, request: Request, db: Db, visit: Web, ctx: Ctx, form: Form) -> Response:
    """Queue a failed session again: transcription when it has no transcript, else scoring."""
    s = visible_session(db, _viewer(visit), session_id, load=("transcript_json",))
    if s.status != "failed" or jobs.has_active_job(db, s.id):
        raise ApiError(409, "not_failed", "Only a session whose scoring failed can be tried again.")
    if s.transcript_json is None and s.audio_path is None:
        raise ApiError(409, "not_ready", "This session has neither a recording nor a transcript to try again.")
    jobs.enqueue(db, s, "analyze" if s.transcript_json is not None else "transcribe")
    db.commit()
    ctx.runner.notify(s.id)
    return redirect(request, visit, f"/sessions/{s.id}/progress")
