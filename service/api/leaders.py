"""/v1/leaders/{leader}/trend: a leader's sessions per month and scores over time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from service.api.deps import HTML_SECURITY_HEADERS, Caller, Db
from service.api.schemas import TrendOut
from service.auth import Principal
from service.errors import error_responses
from service.repository import leader_done_sessions
from service.trend import compute_trend, inputs_of, render_trend_html

router = APIRouter(prefix="/v1/leaders", tags=["leaders"])
LeaderPath = Annotated[str, Path(min_length=1, max_length=200, description="leader name or person id")]


def _trend(db: Session, caller: Principal, leader: str) -> dict:
    person, rows = leader_done_sessions(db, caller.org_id, leader)
    return compute_trend({"id": person.id, "name": person.name}, inputs_of(rows))


@router.get("/{leader}/trend", response_model=TrendOut, responses=error_responses(401, 404, 422))
async def leader_trend(leader: LeaderPath, db: Db, caller: Caller):
    """Sessions per month, overall and per-dimension scores over time, rescue rate."""
    return _trend(db, caller, leader)


@router.get("/{leader}/trend.html", response_class=HTMLResponse, responses=error_responses(401, 404, 422))
async def leader_trend_html(leader: LeaderPath, db: Db, caller: Caller):
    """The trend as a self-contained HTML page with an inline SVG chart."""
    return HTMLResponse(render_trend_html(_trend(db, caller, leader)), headers=HTML_SECURITY_HEADERS)
