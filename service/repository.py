"""Data access for the HTTP routes (API now, web pages later): every query filters on the
caller's organisation, and a session of another organisation is answered exactly like one
that does not exist (404). Routes validate and shape responses; this module reads and writes."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Sequence

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from service.auth import Principal
from service.db import (
    CoachingSession, Person, WebhookDelivery, defer_big_columns, new_id, person_named, recording_in_use,
)
from service.errors import ApiError, not_found


def get_session(db: Session, caller: Principal, session_id: str, *, load: tuple[str, ...] = ()) -> CoachingSession:
    """The caller's session, or 404 (also for other organisations' ids). The large JSON/HTML
    columns are loaded only when named in ``load`` (or on first access)."""
    q = select(CoachingSession).options(*defer_big_columns(load)).where(
        CoachingSession.id == session_id, CoachingSession.org_id == caller.org_id)
    if not caller.sees_private:
        q = q.where(CoachingSession.private.is_(False))
    s = db.scalar(q)
    if s is None:
        raise not_found()
    return s


def person_id(factory: sessionmaker, org_id: str, name: str | None) -> str | None:
    """Id of the organisation's person called ``name``, created (in its own transaction)
    on first use; safe against a concurrent insert of the same name."""
    if not name or not name.strip():
        return None
    name = name.strip()
    query = select(Person.id).where(Person.org_id == org_id, Person.name == name)
    with factory() as db:
        found = db.scalar(query)
        if found:
            return found
        person = Person(id=new_id("per"), org_id=org_id, name=name)
        db.add(person)
        try:
            db.commit()
            return person.id
        except IntegrityError:
            db.rollback()
            return db.scalar(query)


def people_names(db: Session, sessions: Sequence[CoachingSession]) -> dict[str, str]:
    """Person id -> name for the leaders and coachees of ``sessions``."""
    ids = {i for s in sessions for i in (s.leader_id, s.coachee_id) if i}
    if not ids:
        return {}
    return dict(db.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())


# --------------------------------------------------------------------------- creating


def idempotent_replay(db: Session, caller: Principal, key: str | None, fingerprint: str) -> CoachingSession | None:
    """The earlier session made with this Idempotency-Key, or None; 409 if it differs."""
    if key is None:
        return None
    s = db.scalar(
        select(CoachingSession).where(CoachingSession.org_id == caller.org_id, CoachingSession.idempotency_key == key)
    )
    if s is not None and s.request_fingerprint != fingerprint:
        raise ApiError(409, "idempotency_conflict", "Idempotency-Key was already used with a different request")
    return s


def insert_once(
    factory: sessionmaker, caller: Principal, key: str | None, fingerprint: str,
    build: Callable[[Session], CoachingSession],
) -> tuple[CoachingSession, bool]:
    """Run ``build(db)`` (adds a session and its job) and commit; returns (session, replayed),
    replaying the earlier session for a repeated or racing duplicate Idempotency-Key."""
    with factory() as db:
        earlier = idempotent_replay(db, caller, key, fingerprint)
        if earlier is not None:
            return earlier, True
        s = build(db)
        try:
            db.commit()
        except IntegrityError:
            db.rollback()
            earlier = idempotent_replay(db, caller, key, fingerprint)
            if earlier is None:
                raise
            return earlier, True
    return s, False


def drop_if_unreferenced(factory: sessionmaker, relpath: str) -> bool:
    """True when no session refers to the stored recording ``relpath`` (the caller deletes it)."""
    with factory() as db:
        return not recording_in_use(db, relpath)


# --------------------------------------------------------------------------- listing


@dataclass(frozen=True)
class SessionFilter:
    """``leader``/``coachee``: a person's name or id; ``since`` inclusive, ``until`` exclusive."""

    leader: str | None = None
    coachee: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_sessions(
    db: Session, org_id: str, f: SessionFilter, limit: int, cursor: str | None
) -> tuple[Sequence[CoachingSession], str | None]:
    """One page, newest first, and the cursor of the next page (None on the last); an API
    listing, so private sessions (self-reviews) are left out."""
    q = select(CoachingSession).options(*defer_big_columns()).where(
        CoachingSession.org_id == org_id, CoachingSession.private.is_(False))
    for col, who in ((CoachingSession.leader_id, f.leader), (CoachingSession.coachee_id, f.coachee)):
        if who is not None:
            q = q.where(col.in_(select(Person.id).where(person_named(org_id, who))))
    if f.status:
        q = q.where(CoachingSession.status == f.status)
    if f.since:
        q = q.where(CoachingSession.created_at >= f.since)
    if f.until:
        q = q.where(CoachingSession.created_at < f.until)
    if cursor:
        at, sid = _decode_cursor(cursor)
        q = q.where(or_(CoachingSession.created_at < at, and_(CoachingSession.created_at == at, CoachingSession.id < sid)))
    rows = db.scalars(q.order_by(CoachingSession.created_at.desc(), CoachingSession.id.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    return page, _encode_cursor(page[-1]) if len(rows) > limit else None


def _encode_cursor(s: CoachingSession) -> str:
    return base64.urlsafe_b64encode(f"{s.created_at.isoformat()}|{s.id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, sid = raw.split("|", 1)
        return datetime.fromisoformat(at), sid
    except (ValueError, UnicodeDecodeError) as e:
        raise ApiError(400, "bad_request", "cursor is not valid; use next_cursor from the previous page") from e


def find_leader(db: Session, org_id: str, leader: str) -> Person:
    """The organisation's person ``leader``: by id or exact name, else by name ignoring case
    ('dana' finds 'Dana'); 404 if none."""
    person = db.scalar(select(Person).where(person_named(org_id, leader)))
    if person is None:
        person = db.scalar(select(Person).where(Person.org_id == org_id,
                                                func.lower(Person.name) == leader.strip().lower())
                           .order_by(Person.created_at, Person.id))
    if person is None:
        raise not_found("leader")
    return person


def leader_done_sessions(db: Session, org_id: str, leader: str) -> tuple[Person, Sequence[CoachingSession]]:
    """The organisation's person ``leader`` (name or id) and their scored sessions, private
    self-reviews left out (the API's trend); 404 if none."""
    person = find_leader(db, org_id, leader)
    rows = db.scalars(
        select(CoachingSession).options(*defer_big_columns()).where(
            CoachingSession.org_id == org_id, CoachingSession.leader_id == person.id,
            CoachingSession.status == "done", CoachingSession.private.is_(False),
        )
    ).all()
    return person, rows


def scorecard_html(db: Session, org_id: str, session_id: str) -> str | None:
    """The stored HTML scorecard of a session (None when absent or not scored)."""
    return db.scalar(
        select(CoachingSession.scorecard_html).where(CoachingSession.id == session_id, CoachingSession.org_id == org_id)
    )


# --------------------------------------------------------------------------- deleting


def delete_session(db: Session, s: CoachingSession) -> str | None:
    """Delete ``s``, its pending webhooks and (by cascade) its jobs, and commit; returns the
    recording's storage path when no other session shares it (the caller deletes the file)."""
    path = s.audio_path
    db.execute(delete(WebhookDelivery).where(WebhookDelivery.session_id == s.id, WebhookDelivery.status == "pending"))
    db.delete(s)
    db.flush()
    shared = path and recording_in_use(db, path)
    db.commit()
    return path if path and not shared else None


def new_session(db: Session, org_id: str, **columns: Any) -> CoachingSession:
    """Add a queued session row for ``org_id`` (caller enqueues its job and commits)."""
    s = CoachingSession(id=new_id("ses"), org_id=org_id, status="queued", progress=0.0, stage_timings={}, **columns)
    db.add(s)
    db.flush()
    return s
