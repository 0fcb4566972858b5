"""Who may see which session: the one access rule every web query goes through.

A user sees, within their own organisation only,
- every session they lead (``leader_id`` is their person), private ones included;
- sessions led by anyone below them in the reporting tree (``Person.manager_id``), at any depth;
- as an admin, every session of the organisation;
and never someone else's private session (self-review), whatever their role.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, false, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from service.db import CoachingSession, Person, User, defer_big_columns
from service.errors import not_found


@dataclass(frozen=True)
class Viewer:
    """A signed-in user as the access rule needs them."""

    user_id: str
    org_id: str
    role: str
    person_id: str | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @classmethod
    def of(cls, user: User) -> Viewer:
        return cls(user.id, user.org_id, user.role, user.person_id)


def team_ids(org_id: str, person_id: str) -> Select:
    """Ids of ``person_id`` and of everyone below them in the reporting tree (a recursive
    query; UNION, not UNION ALL, so a cycle in the data still terminates)."""
    tree = select(Person.id).where(Person.id == person_id, Person.org_id == org_id).cte("team", recursive=True)
    below = select(Person.id).where(Person.manager_id == tree.c.id, Person.org_id == org_id)
    tree = tree.union(below)
    return select(tree.c.id)


def can_see(viewer: Viewer) -> ColumnElement[bool]:
    """Filter on ``CoachingSession``: the sessions ``viewer`` may see."""
    if viewer.person_id is None:
        own: ColumnElement[bool] = false()
        shared: ColumnElement[bool] = true() if viewer.is_admin else false()
    else:
        own = CoachingSession.leader_id == viewer.person_id
        shared = true() if viewer.is_admin else CoachingSession.leader_id.in_(
            team_ids(viewer.org_id, viewer.person_id)
        )
    private, public = CoachingSession.private.is_(True), CoachingSession.private.is_(False)
    return (CoachingSession.org_id == viewer.org_id) & ((private & own) | (public & shared))


def may_see_person(db: Session, viewer: Viewer, person: Person) -> bool:
    """Whether ``viewer`` may open ``person``'s trend: themselves, anyone below them in the
    reporting tree, or (admins) anyone of the organisation. Which of their sessions count
    is still ``can_see``."""
    if person.org_id != viewer.org_id:
        return False
    if viewer.is_admin or person.id == viewer.person_id:
        return True
    if viewer.person_id is None:
        return False
    return person.id in set(db.scalars(team_ids(viewer.org_id, viewer.person_id)))


def visible_sessions(viewer: Viewer, load: tuple[str, ...] = ()) -> Select:
    """A select of the sessions ``viewer`` may see (large columns deferred unless in ``load``)."""
    return select(CoachingSession).options(*defer_big_columns(load)).where(can_see(viewer))


def visible_session(db: Session, viewer: Viewer, session_id: str, load: tuple[str, ...] = ()) -> CoachingSession:
    """The session if ``viewer`` may see it; 404 otherwise (exactly as for an unknown id)."""
    s = db.scalar(visible_sessions(viewer, load).where(CoachingSession.id == session_id))
    if s is None:
        raise not_found()
    return s
