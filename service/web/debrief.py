"""The scorecard's debrief prompts, answered in place by the session's leader.

Only the leader (the user whose person leads the session) writes the answers; everyone
else who may see the session (``visible_session``) reads them. Answers are stored on the
session (``sessions.debrief_answers``: prompt question -> answer, who, when), so a re-score
keeps them: the three prompts' questions do not change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from service.db import CoachingSession, utcnow
from service.errors import ApiError
from service.web.access import Viewer, visible_session
from service.web.routes import Db, Form, Web, _viewer
from service.web.templating import redirect

router = APIRouter(include_in_schema=False)
MAX_ANSWER = 4000


@dataclass(frozen=True)
class Prompt:
    """A debrief prompt as the page shows it: the question, the machine's pre-fill (a hint),
    and the leader's answer with when it was written (None until answered)."""

    number: int
    question: str
    prefill: str | None
    answer: str | None
    answered_at: datetime | None


def is_leader(viewer: Viewer, s: CoachingSession) -> bool:
    return viewer.person_id is not None and viewer.person_id == s.leader_id


def prompts(card: dict, answers: dict | None) -> list[Prompt]:
    """The scorecard's debrief prompts with the stored answers."""
    answers = answers or {}
    out = []
    for n, p in enumerate(card.get("debrief", []), start=1):
        a = answers.get(p["question"]) or {}
        at = datetime.fromisoformat(a["at"]) if a.get("at") else None
        out.append(Prompt(n, p["question"], p.get("prefill"), a.get("answer"), at))
    return out


@router.post("/sessions/{session_id}/debrief")
def answer(session_id: str, request: Request, db: Db, visit: Web, form: Form) -> Response:
    """Store the leader's answers (``answer-1`` .. ``answer-N``, one a prompt; an empty one
    clears it). 404 for whoever may not see the session, 403 for anyone but its leader."""
    viewer = _viewer(visit)
    s = visible_session(db, viewer, session_id, load=("scorecard_json",))
    if not is_leader(viewer, s):
        raise ApiError(403, "forbidden", "Only the leader of this session can answer its debrief questions.")
    stored = dict(s.debrief_answers or {})
    now = utcnow().isoformat()
    for p in prompts(s.scorecard_json or {}, stored):
        text = form.get(f"answer-{p.number}")
        if text is None:
            continue
        text = text.strip()
        if len(text) > MAX_ANSWER:
            raise ApiError(422, "validation_error", f"Write answers of at most {MAX_ANSWER} characters.")
        if not text:
            stored.pop(p.question, None)
        elif text != p.answer:
            stored[p.question] = {"answer": text, "by": viewer.user_id, "at": now}
    s.debrief_answers = stored or None
    db.commit()
    return redirect(request, visit, f"/sessions/{s.id}#debrief-h")
