"""The leader trend page (``/leaders/<person id or name>``) and the team page (``/team``).

Both read only the sessions the viewer may see (``visible_sessions``: private sessions only
for their leader) and compute through ``service.trend`` (the API's trend) and
``service.web.team``; neither writes anything."""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import CoachingSession, Person, utcnow
from service.errors import not_found
from service.repository import find_leader
from service.trend import compute_trend, dated_chart, inputs_of
from service.web import team
from service.web.access import Viewer, may_see_person, team_ids, visible_sessions
from service.web.routes import Db, Web, _viewer
from service.web.templating import page

router = APIRouter(include_in_schema=False)


@lru_cache(maxsize=1)
def dimension_labels() -> dict[str, str]:
    """Rubric dimension key -> label, from the default rubric (in its order)."""
    from analysis.rubric import load_rubric

    return {d.key: d.label for d in load_rubric().dimensions}


def _scored(db: Session, viewer: Viewer, leader_ids) -> list[CoachingSession]:
    stmt = visible_sessions(viewer).where(CoachingSession.status == "done", CoachingSession.leader_id.in_(leader_ids))
    return list(db.scalars(stmt))


@router.get("/leaders/{leader}")
def leader_page(leader: str, request: Request, db: Db, visit: Web) -> Response:
    """A leader's scores over time: overall and per dimension, rescue rate, every session linked."""
    viewer = _viewer(visit)
    person = find_leader(db, viewer.org_id, leader)
    if not may_see_person(db, viewer, person):
        raise not_found("leader")
    trend = compute_trend({"id": person.id, "name": person.name}, inputs_of(_scored(db, viewer, [person.id])))
    chart = dated_chart(trend, dimension_labels())
    return page(request, visit, "leader.html.j2", trend=trend, chart=chart, labels=dimension_labels(),
                is_me=person.id == viewer.person_id)


def _team(db: Session, viewer: Viewer) -> list[Person]:
    """Everyone below the viewer in the reporting tree; for admins also every person of the
    organisation who leads a session the admin may see."""
    ids: set[str] = set()
    if viewer.person_id is not None:
        ids = set(db.scalars(team_ids(viewer.org_id, viewer.person_id))) - {viewer.person_id}
    if viewer.is_admin:
        led = visible_sessions(viewer).with_only_columns(CoachingSession.leader_id).where(
            CoachingSession.leader_id.is_not(None))
        ids |= set(db.scalars(led.distinct()))
    if not ids:
        return []
    return list(db.scalars(select(Person).where(Person.org_id == viewer.org_id, Person.id.in_(ids))))


@router.get("/team")
def team_page(request: Request, db: Db, visit: Web, sort: str = "name", order: str = "") -> Response:
    """Each leader below the viewer: coaching frequency, latest and mean score, rescue rate,
    trend arrow; and the share of leaders whose score improved over the last 90 days."""
    viewer = _viewer(visit)
    people = _team(db, viewer)
    by_leader = defaultdict(list)
    for s in _scored(db, viewer, [p.id for p in people]):
        by_leader[s.leader_id].append(s)
    now = utcnow()
    rows = [team.leader_stats(p.id, p.name, inputs_of(by_leader[p.id]), now) for p in people]
    sort = sort if sort in team.SORTS else "name"
    descending = order == "desc" if order in ("asc", "desc") else sort != "name"
    return page(request, visit, "team.html.j2", rows=team.sort_rows(rows, sort, descending),
                summary=team.summary(rows), sort=sort, descending=descending, sorts=team.SORTS,
                window=team.WINDOW_DAYS, arrows=team.ARROWS)
