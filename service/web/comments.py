"""Timestamped comments on a session (the reviewer's coach-the-coach notes), with replies.

Whoever may see the session (``visible_session``: its leader, the people above them, the
organisation's admins) reads and writes its comments; anyone else gets 404."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import CoachingSession, Comment, Person, User, new_id
from service.errors import ApiError
from service.web.access import visible_session
from service.web.routes import Db, Form, Web, _viewer
from service.web.templating import redirect

router = APIRouter(include_in_schema=False)
MAX_BODY = 4000


@dataclass(frozen=True)
class Shown:
    """A comment as the page shows it: who, when, at which moment, and its replies."""

    id: str
    author: str
    at_s: float | None
    body: str
    created_at: object
    replies: tuple["Shown", ...] = ()


def parse_time(text: str, duration_s: float | None) -> float | None:
    """'1:23', '83' or '1:02:03' -> seconds; None for ''. 422 when unreadable or past the end."""
    text = text.strip()
    if not text:
        return None
    try:
        parts = [float(p) for p in text.split(":")]
    except ValueError as e:
        raise ApiError(422, "validation_error", "Write the time as minutes:seconds, e.g. 1:23.") from e
    if len(parts) > 3 or any(p < 0 for p in parts):
        raise ApiError(422, "validation_error", "Write the time as minutes:seconds, e.g. 1:23.")
    seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    if duration_s is not None and seconds > duration_s + 1:
        raise ApiError(422, "validation_error", "That time is after the end of the recording.")
    return seconds


def sentence_at(card: dict | None, at_s: float | None) -> int | None:
    """Index of the scorecard sentence playing at ``at_s`` seconds (the last one started)."""
    if at_s is None or not card:
        return None
    started = [s["index"] for s in card.get("sentences", []) if s["start"] <= at_s + 0.05]
    return started[-1] if started else None


def with_authors(db: Session, model, user_column, session_id: str) -> list[tuple]:
    """(row, author's name) for ``model``'s rows of the session, oldest first; the author is the
    user in ``user_column``, named by their person, else their email."""
    rows = db.execute(
        select(model, Person.name, User.email).outerjoin(User, User.id == user_column)
        .outerjoin(Person, Person.id == User.person_id)
        .where(model.session_id == session_id).order_by(model.created_at, model.id)
    ).all()
    return [(row, name or email or "A former user") for row, name, email in rows]


def thread(db: Session, session_id: str) -> list[Shown]:
    """The session's comments in time order (untimed last), each with its replies, oldest first."""
    rows = with_authors(db, Comment, Comment.author_id, session_id)
    who = {c.id: name for c, name in rows}
    replies: dict[str, list[Shown]] = {}
    for c, _ in rows:
        if c.parent_id:
            replies.setdefault(c.parent_id, []).append(Shown(c.id, who[c.id], c.at_s, c.body, c.created_at))
    top = [Shown(c.id, who[c.id], c.at_s, c.body, c.created_at, tuple(replies.get(c.id, ())))
           for c, _ in rows if not c.parent_id]
    return sorted(top, key=lambda s: (s.at_s is None, s.at_s or 0.0))


@router.post("/sessions/{session_id}/comments")
def add_comment(session_id: str, request: Request, db: Db, visit: Web, form: Form) -> Response:
    """Store a comment (at a moment, or a reply) and go back to it on the session page."""
    viewer = _viewer(visit)
    s: CoachingSession = visible_session(db, viewer, session_id, load=("scorecard_json",))
    body = form.get("body", "").strip()
    if not body or len(body) > MAX_BODY:
        raise ApiError(422, "validation_error", f"Write a comment of 1 to {MAX_BODY} characters.")
    parent = form.get("parent") or None
    if parent and db.scalar(select(Comment.id).where(Comment.id == parent, Comment.session_id == s.id)) is None:
        raise ApiError(404, "not_found", "The comment you replied to is not on this session.")
    at = None if parent else parse_time(form.get("at", ""), s.duration_s)
    c = Comment(id=new_id("com"), org_id=s.org_id, session_id=s.id, author_id=viewer.user_id, parent_id=parent,
                at_s=at, sentence_index=sentence_at(s.scorecard_json, at), body=body)
    db.add(c)
    db.commit()
    return redirect(request, visit, f"/sessions/{s.id}#comment-{c.id}")
