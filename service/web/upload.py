"""The upload page, and the progress page that follows the job until the scorecard opens.

The form posts multipart straight into the API's one upload path
(``service.api.sessions.accept_recording``); this module only adds what a person's upload
carries besides: the CSRF token, the private toggle and the recording consent."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.api.sessions import accept_recording
from service.auth import Principal
from service.db import CoachingSession, Org, Person, utcnow
from service.errors import ApiError
from service.web.access import Viewer, visible_session
from service.web.browser import Visit, check_csrf
from service.web.routes import Ctx, Db, Web, _form_page, _viewer
from service.web.templating import page, redirect

router = APIRouter(include_in_schema=False)
WEB_FIELDS = frozenset({"csrf_token", "private", "consent"})
CONSENT_MISSING = "Please confirm that everyone in this recording agreed to be recorded and analysed."
STATUS_WORDS = {
    "queued": "Waiting for a free worker", "transcribing": "Writing down what was said",
    "diarizing": "Telling the two voices apart", "analyzing": "Scoring the conversation",
    "done": "Done", "failed": "Failed",
}


def rubric_choices(ctx) -> list[str]:
    """'default' and the ids of the operator's installed rubrics (RUBRICS_DIR/*.toml)."""
    folder = ctx.settings.resolved_rubrics_dir()
    found = sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []
    return ["default", *[r for r in found if r != "default"]]


def org_people(db: Session, org_id: str) -> list[str]:
    return list(db.scalars(select(Person.name).where(Person.org_id == org_id).order_by(Person.name)))


def _upload_page(request: Request, db: Session, visit: Visit, ctx, viewer: Viewer, status: int = 200,
                 error: str | None = None) -> Response:
    me = db.get(Person, viewer.person_id).name if viewer.person_id else ""
    org = db.get(Org, viewer.org_id)
    context = dict(people=org_people(db, viewer.org_id), rubrics=rubric_choices(ctx), me=me, error=error,
                   limit_mb=ctx.settings.max_upload_mb, default_rubric=(org and org.default_rubric) or "default")
    if status != 200:
        return page(request, visit, "upload.html.j2", status=status, **context)
    return _form_page(request, db, visit, ctx, "upload.html.j2", **context)


@router.get("/upload")
def upload_page(request: Request, db: Db, visit: Web, ctx: Ctx) -> Response:
    return _upload_page(request, db, visit, ctx, _viewer(visit))


@router.post("/upload")
async def upload(request: Request, db: Db, visit: Web, ctx: Ctx) -> Response:
    """Store the recording through the API's upload path, then show its progress (303)."""
    viewer = _viewer(visit)

    def vet(extra: dict[str, str]) -> dict:
        check_csrf(visit, extra.get("csrf_token"))
        if extra.get("consent") != "yes":
            raise ApiError(422, "consent_required", CONSENT_MISSING)
        return {"private": extra.get("private") == "yes", "consent_by": viewer.user_id, "consent_at": utcnow()}

    caller = Principal(viewer.org_id, f"web:{viewer.user_id}")
    try:
        s, _ = await accept_recording(request, ctx, caller, None, WEB_FIELDS, vet)
    except ApiError as e:
        if e.status in (401, 403):
            raise
        error = _sentence(e.message)
        return await anyio.to_thread.run_sync(
            lambda: _upload_page(request, db, visit, ctx, viewer, status=e.status, error=error))
    return redirect(request, visit, f"/sessions/{s.id}/progress")


def _sentence(message: str) -> str:
    """An API message as a sentence a person reads ('file: field required' -> 'Choose ...')."""
    if message.startswith("file: field required"):
        return "Choose a recording to upload."
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def progress_of(s: CoachingSession) -> dict:
    """What the progress page shows: status words, a 0-100 percentage, the failure reason."""
    return {"status": s.status, "words": STATUS_WORDS.get(s.status, s.status), "percent": round(100 * (s.progress or 0)),
            "error": s.error_message if s.status == "failed" else None, "done": s.status == "done",
            "url": f"/sessions/{s.id}"}


@router.get("/sessions/{session_id}/progress")
def progress_page(session_id: str, request: Request, db: Db, visit: Web) -> Response:
    """Follows the job (JS polls progress.json; without JS the page refreshes itself); a
    scored session goes straight to its page."""
    s = visible_session(db, _viewer(visit), session_id)
    if s.status == "done":
        return redirect(request, visit, f"/sessions/{s.id}")
    return page(request, visit, "progress.html.j2", s=s, p=progress_of(s))


@router.get("/sessions/{session_id}/progress.json")
def progress_json(session_id: str, db: Db, visit: Web) -> Response:
    s = visible_session(db, _viewer(visit), session_id)
    return JSONResponse(progress_of(s), headers={"Cache-Control": "no-store"})
