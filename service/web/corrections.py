"""Corrections of the machine's labels from the session page, kept as an audit trail.

Swapping the roles goes through the API's own PATCH (``patch_session`` with
``swap_roles``): the session re-scores through the one scoring path without re-transcribing.
The roles the machine had chosen are stored in the ``Correction`` row before the change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from service.api.schemas import SessionPatch
from service.api.sessions import patch_session
from service.auth import Principal
from service.db import Correction, new_id
from service.web.access import visible_session
from service.web.comments import with_authors
from service.web.routes import Ctx, Db, Form, Web, _viewer
from service.web.templating import redirect

router = APIRouter(include_in_schema=False)
KINDS = {"swap_roles": "Leader and coachee swapped"}


@dataclass(frozen=True)
class ShownCorrection:
    what: str
    by: str
    at: datetime


def history(db: Session, session_id: str) -> list[ShownCorrection]:
    """The session's corrections, oldest first, with the reviewer's name."""
    return [ShownCorrection(KINDS.get(c.kind, c.kind), name, c.created_at)
            for c, name in with_authors(db, Correction, Correction.user_id, session_id)]


@router.post("/sessions/{session_id}/swap-roles")
def swap_roles(session_id: str, request: Request, db: Db, visit: Web, ctx: Ctx, form: Form) -> Response:
    """Swap leader and coachee (the API's PATCH), record who did it, show the re-score."""
    viewer = _viewer(visit)
    s = visible_session(db, viewer, session_id)
    before = dict(s.roles_json or {})
    patch_session(s.id, SessionPatch(swap_roles=True), ctx, db, Principal(viewer.org_id, f"web:{viewer.user_id}"),
                  Response())
    db.add(Correction(id=new_id("cor"), org_id=s.org_id, session_id=s.id, user_id=viewer.user_id,
                      kind="swap_roles", before={"roles": before}))
    db.commit()
    return redirect(request, visit, f"/sessions/{s.id}/progress")
