"""The session page: the stored HTML scorecard (framed, not re-rendered), an audio player
that streams the recording with Range requests, every moment, question and sentence as a
link that plays from there, and downloads (JSON, HTML, WebVTT). All through the one access rule."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from analysis.types import Act, is_generated_label
from analysis.units import format_clock as mmss  # m:ss, the scorecard's one time format
from service.api.deps import HTML_SECURITY_HEADERS
from service.db import CoachingSession
from service.errors import ApiError
from service.repository import people_names
from service.retention import audio_note, transcript_gone, transcript_note
from service.web.access import visible_session
from service.web.comments import thread
from service.web.corrections import history
from service.web.debrief import is_leader, prompts
from service.web.playback import recording_response
from service.web.routes import Ctx, Db, Web, _viewer
from service.web.templating import page, redirect

router = APIRouter(include_in_schema=False)
# the stored scorecard may be framed by this site's session page only
FRAMED_HEADERS = {**HTML_SECURITY_HEADERS, "X-Frame-Options": "SAMEORIGIN",
                  "Content-Security-Policy": HTML_SECURITY_HEADERS["Content-Security-Policy"].replace(
                      "frame-ancestors 'none'", "frame-ancestors 'self'")}


@dataclass(frozen=True)
class Moment:
    """A place in the recording to play from: ``at_s`` seconds, its m:ss, what it is."""

    at_s: float
    time: str
    kind: str
    text: str
    who: str = ""


def moments(card: dict) -> tuple[list[Moment], list[Moment], list[Moment]]:
    """(rescue moments, leader questions, every sentence) of a scorecard JSON, in time order."""
    names = {s["label"]: s["name"] for s in card.get("speakers", [])}
    leader = (card.get("roles") or {}).get("leader")
    sentences = [(s, Moment(float(s["start"]), mmss(s["start"]), Act(s["act"]).label, s["text"],
                            names.get(s["speaker"], ""))) for s in card.get("sentences", [])]
    questions = [m for s, m in sentences if Act(s["act"]).is_question and s["speaker"] == leader]
    rescues = [Moment(float(r["time"]), mmss(r["time"]), f"Rescue {i}: {Act(r['kind']).label}",
                      (r.get("response") or {}).get("text") or "")
               for i, r in enumerate(card.get("rescues", []), start=1)]
    return rescues, questions, [m for _, m in sentences]


@dataclass(frozen=True)
class SentenceRow:
    """A transcript sentence with what its correction form needs: its scorecard ``index``,
    speaker label and act value, and whether a reviewer corrected it."""

    index: int
    moment: Moment
    speaker: str
    act: str
    corrected: bool


ACT_CHOICES = tuple((a.value, a.label) for a in Act)


def sentence_rows(card: dict) -> list[SentenceRow]:
    """The scorecard's sentences in time order, for the transcript and its correction forms."""
    names = {s["label"]: s["name"] for s in card.get("speakers", [])}
    rows = [SentenceRow(s["index"], Moment(float(s["start"]), mmss(s["start"]), Act(s["act"]).label, s["text"],
                                           names.get(s["speaker"], "")),
                        s["speaker"], s["act"], "machine" in s) for s in card.get("sentences", [])]
    return sorted(rows, key=lambda r: (r.moment.at_s, r.index))


def speaker_choices(card: dict) -> list[tuple[str, str]]:
    """(label, name) of the scorecard's speakers, for the sentence form's speaker choice."""
    return [(s["label"], s["name"] if not is_generated_label(s["name"]) else f"Speaker {i}")
            for i, s in enumerate(card.get("speakers", []), start=1)]


@router.get("/sessions/{session_id}")
def session_page(session_id: str, request: Request, db: Db, visit: Web) -> Response:
    """The scorecard with playback, or the progress page's words while it is not scored."""
    s = visible_session(db, _viewer(visit), session_id, load=("scorecard_json", "debrief_answers"))
    if s.status == "failed":
        return page(request, visit, "message.html.j2", status=409, title="Scoring failed",
                    text=s.error_message or "The scoring stopped without a reason.")
    if s.status != "done":
        return redirect(request, visit, f"/sessions/{s.id}/progress")
    if s.scorecard_json is None:
        return page(request, visit, "message.html.j2", status=409, title="No scorecard",
                    text="This session has no scorecard to show.")
    card = s.scorecard_json
    rescues, questions, _ = moments(card)
    speakers = speaker_choices(card)
    viewer = _viewer(visit)
    return page(request, visit, "session.html.j2", s=s, names=people_names(db, [s]), rescues=rescues,
                questions=questions, rows=sentence_rows(card), has_audio=s.audio_path is not None,
                comments=thread(db, s.id), corrections=history(db, s.id, dict(speakers)), mmss=mmss,
                acts=ACT_CHOICES, speakers=speakers, debrief=prompts(card, s.debrief_answers),
                is_leader=is_leader(viewer, s), is_admin=viewer.is_admin,
                audio_note=audio_note(s), transcript_note=transcript_note(s))


def _scored(db, visit, session_id: str, column: str) -> CoachingSession:
    s = visible_session(db, _viewer(visit), session_id, load=(column,))
    if getattr(s, column) is None or s.status != "done":
        raise ApiError(409, "not_ready", f"The scorecard is not ready yet (the session is {s.status}).")
    return s


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/sessions/{session_id}/scorecard.html")
def scorecard_html(session_id: str, db: Db, visit: Web, download: bool = False) -> Response:
    """The stored HTML scorecard exactly as rendered at scoring time (framed by the session page)."""
    s = _scored(db, visit, session_id, "scorecard_html")
    extra = _attachment(f"scorecard-{s.id}.html") if download else {}
    return HTMLResponse(s.scorecard_html, headers={**FRAMED_HEADERS, **extra})


@router.get("/sessions/{session_id}/scorecard.json")
def scorecard_json(session_id: str, db: Db, visit: Web) -> Response:
    s = _scored(db, visit, session_id, "scorecard_json")
    body = json.dumps(s.scorecard_json, ensure_ascii=False, indent=2)
    return Response(body.encode(), media_type="application/json", headers=_attachment(f"scorecard-{s.id}.json"))


@router.get("/sessions/{session_id}/transcript.vtt")
def transcript_vtt(session_id: str, db: Db, visit: Web) -> Response:
    """The transcript as WebVTT, speakers named as on the scorecard."""
    from analysis.exports import to_webvtt
    from analysis.transcript_json import transcript_from_dict

    gone = transcript_gone(visible_session(db, _viewer(visit), session_id))
    if gone:
        raise ApiError(410, "transcript_deleted", f"{gone}, so there is no transcript to download.")
    s = _scored(db, visit, session_id, "transcript_json")
    names = {x["label"]: x["name"] for x in (s.scorecard_json or {}).get("speakers", [])}
    t = transcript_from_dict(s.transcript_json)
    t = replace(t, speakers=tuple(replace(x, name=names.get(x.label, x.name)) for x in t.speakers))
    return Response(to_webvtt(t), media_type="text/vtt; charset=utf-8", headers=_attachment(f"transcript-{s.id}.vtt"))


@router.get("/sessions/{session_id}/audio")
def audio(session_id: str, request: Request, db: Db, visit: Web, ctx: Ctx) -> Response:
    """The recording, streamed; Range requests get 206 with Content-Range (seeking)."""
    s = visible_session(db, _viewer(visit), session_id)
    return recording_response(ctx.storage, s.audio_path, s.audio_filename, request.headers.get("range"),
                              {"Cache-Control": "private, no-store"})
