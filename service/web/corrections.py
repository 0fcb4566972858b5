"""Corrections of the machine's labels from the session page, kept as an audit trail.

Both forms go through the API's own PATCH (``patch_session``): swapping the roles
(``swap_roles``) and correcting one sentence's act or speaker (``sentences``). The session
re-scores through the one scoring path from its stored transcript, with the corrections as
overrides (``service.corrections``); the machine's labels stay in the ``Correction`` rows.
Admins download every correction of their organisation as JSON Lines (for retraining)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from analysis.types import Act
from analysis.units import format_clock
from service.api.schemas import SentenceCorrection, SessionPatch
from service.api.sessions import patch_session
from service.auth import Principal
from service.corrections import WEB_PREFIX, export_lines, with_reviewers
from service.db import Correction
from service.errors import ApiError
from service.web.access import Viewer, visible_session
from service.web.routes import Ctx, Db, Form, Web, _admin, _viewer
from service.web.templating import redirect

router = APIRouter(include_in_schema=False)
KINDS = {"swap_roles": "Leader and coachee swapped", "leader": "Leader chosen"}
EXPORT_NAME = "corrections.jsonl"


@dataclass(frozen=True)
class ShownCorrection:
    what: str
    by: str
    at: datetime


def history(db: Session, session_id: str, names: dict[str, str] | None = None) -> list[ShownCorrection]:
    """The session's corrections, oldest first, in plain words with the reviewer's name;
    ``names`` maps speaker labels to the names the scorecard shows."""
    return [ShownCorrection(_what(c, names or {}), name, c.created_at)
            for c, name in with_reviewers(db, Correction.session_id == session_id)]


def _what(c: Correction, names: dict[str, str]) -> str:
    if c.kind != "sentence" or not c.before or not c.after:
        return KINDS.get(c.kind, "Labels corrected")
    before, after = c.before, c.after
    changed = after.get("changed", ())
    parts = []
    if "act" in changed:  # from the machine's label to the reviewer's
        parts.append(f"act {Act(before['act']).label} → {Act(after['act']).label}" if after["act"] != before["act"]
                     else f"act set back to the machine's {Act(before['act']).label}")
    if "speaker" in changed:
        was, now = (names.get(before["speaker"], "the other speaker"), names.get(after["speaker"], "the other speaker"))
        parts.append(f"speaker {was} → {now}" if after["speaker"] != before["speaker"]
                     else f"speaker set back to the machine's {was}")
    change = ", ".join(parts) if parts else "labels corrected"
    said = before.get("text")
    if not said:  # the transcript was deleted (retention): the audit row keeps no words
        return f"A sentence: {change}"
    said = said if len(said) <= 60 else said[:57] + "…"
    return f"Sentence “{said}”: {change}"


def _as_caller(viewer: Viewer) -> Principal:
    return Principal(viewer.org_id, f"{WEB_PREFIX}{viewer.user_id}")


@router.post("/sessions/{session_id}/swap-roles")
def swap_roles(session_id: str, request: Request, db: Db, visit: Web, ctx: Ctx, form: Form) -> Response:
    """Swap leader and coachee (the API's PATCH, which records who did it), show the re-score."""
    viewer = _viewer(visit)
    s = visible_session(db, viewer, session_id)
    patch_session(s.id, SessionPatch(swap_roles=True), ctx, db, _as_caller(viewer), Response())
    return redirect(request, visit, f"/sessions/{s.id}/progress")


@router.post("/sessions/{session_id}/sentences/{index}")
def correct_sentence(session_id: str, index: int, request: Request, db: Db, visit: Web, ctx: Ctx,
                     form: Form) -> Response:
    """Set one sentence's act and/or speaker (the API's PATCH ``sentences``); the session
    re-scores and the progress page opens the new scorecard when it is done."""
    viewer = _viewer(visit)
    s = visible_session(db, viewer, session_id)
    try:
        fix = SentenceCorrection(index=index, act=form.get("act") or None, speaker=form.get("speaker") or None)
    except ValidationError as e:
        raise ApiError(422, "validation_error", "Choose an act or a speaker for the sentence.") from e
    response = Response()
    patch_session(s.id, SessionPatch(sentences=[fix]), ctx, db, _as_caller(viewer), response)
    if response.status_code != 202:  # nothing changed: back to the sentence
        return redirect(request, visit, f"/sessions/{s.id}#sentence-{index}")
    return redirect(request, visit, f"/sessions/{s.id}/progress")


@router.get("/corrections.jsonl")
def export(db: Db, visit: Web) -> Response:
    """Every sentence correction of the admin's organisation, as JSON Lines (a download)."""
    viewer = _admin(visit)
    lines = list(export_lines(db, viewer.org_id))
    return StreamingResponse(iter(lines), media_type="application/jsonl",
                             headers={"Content-Disposition": f'attachment; filename="{EXPORT_NAME}"',
                                      "Cache-Control": "private, no-store"})
