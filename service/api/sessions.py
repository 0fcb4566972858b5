"""/v1/sessions: upload, import, status, reads, PATCH (re-score), DELETE.

Every query filters on the caller's ``org_id``; a session of another organisation is
answered exactly like one that does not exist (404).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import ValidationError
from sqlalchemy import and_, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from analysis.errors import UnsupportedMediaError
from service import jobs, webhooks
from service.api.deps import HTML_SECURITY_HEADERS, AppContext, Caller, Ctx, Db
from service.api.multipart import read_multipart
from service.api.schemas import (
    TRANSCRIPT_OPENAPI,
    UPLOAD_OPENAPI,
    SessionAccepted,
    SessionList,
    SessionOut,
    SessionPatch,
    SessionStatus,
    TranscriptOut,
    UploadFields,
    session_out,
)
from service.auth import Principal
from service.db import (
    CoachingSession, Person, WebhookDelivery, defer_big_columns, new_id, person_named, recording_in_use,
)
from service.errors import ApiError, error_responses, not_found
from service.processing import parse_transcript_upload
from service.storage import StoredFile, probe_audio

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]
COMMON = error_responses(401, 404, 422)


# --------------------------------------------------------------------------- helpers


def get_session(db: Session, caller: Principal, session_id: str, *, load: tuple[str, ...] = ()) -> CoachingSession:
    """The caller's session, or 404 (also for other organisations' ids). The large JSON/HTML
    columns are loaded only when named in ``load`` (or on first access)."""
    s = db.scalar(
        select(CoachingSession)
        .options(*defer_big_columns(load))
        .where(CoachingSession.id == session_id, CoachingSession.org_id == caller.org_id)
    )
    if s is None:
        raise not_found()
    return s


def person_id(ctx: AppContext, org_id: str, name: str | None) -> str | None:
    """Id of the organisation's person called ``name``, created (in its own transaction)
    on first use; safe against a concurrent insert of the same name."""
    if not name or not name.strip():
        return None
    name = name.strip()
    query = select(Person.id).where(Person.org_id == org_id, Person.name == name)
    with ctx.factory() as db:
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


def people_names(db: Session, sessions: list[CoachingSession]) -> dict[str, str]:
    ids = {i for s in sessions for i in (s.leader_id, s.coachee_id) if i}
    if not ids:
        return {}
    return dict(db.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())


def out(db: Session, ctx: AppContext, s: CoachingSession) -> SessionOut:
    return session_out(s, ctx.base_url, people_names(db, [s]))


def _fields(raw: dict[str, str]) -> UploadFields:
    try:
        return UploadFields.model_validate({k: v for k, v in raw.items() if v != ""})
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise ApiError(422, "validation_error", f"{loc}: {err['msg']}") from e


def _checked_options(ctx: AppContext, fields: UploadFields) -> UploadFields:
    """422 for a refused ``callback_url`` or an unknown rubric (checked in that order);
    returns ``fields`` with the callback URL normalised."""
    if fields.callback_url:
        url = webhooks.validate_callback_url(fields.callback_url, ctx.settings.webhook_allow_private)
        fields = fields.model_copy(update={"callback_url": url})
    _check_rubric(ctx, fields.rubric)
    return fields


def _check_rubric(ctx: AppContext, rubric: str | None) -> None:
    if rubric and rubric != "default" and jobs.rubric_file(ctx.settings, rubric) is None:
        raise ApiError(422, "unknown_rubric", f"rubric {rubric!r} is not installed on this server")


def _fingerprint(content_sha: str, fields: UploadFields) -> str:
    doc = json.dumps([content_sha, fields.model_dump(mode="json")], sort_keys=True)
    return hashlib.sha256(doc.encode()).hexdigest()


def _accepted(ctx: AppContext, s: CoachingSession, replay: bool = False) -> JSONResponse:
    url = f"{ctx.base_url}/v1/sessions/{s.id}"
    body = SessionAccepted(id=s.id, status=s.status, status_url=url, idempotent_replay=replay)
    return JSONResponse(body.model_dump(mode="json"), status_code=202, headers={"Location": url})


def _replay(db: Session, caller: Principal, key: str | None, fingerprint: str) -> CoachingSession | None:
    """The earlier session made with this Idempotency-Key, or None; 409 if it differs."""
    if key is None:
        return None
    s = db.scalar(
        select(CoachingSession).where(CoachingSession.org_id == caller.org_id, CoachingSession.idempotency_key == key)
    )
    if s is not None and s.request_fingerprint != fingerprint:
        raise ApiError(409, "idempotency_conflict", "Idempotency-Key was already used with a different request")
    return s


def _new_session(ctx: AppContext, db: Session, caller: Principal, f: UploadFields, **kw) -> CoachingSession:
    s = CoachingSession(
        id=new_id("ses"), org_id=caller.org_id, status="queued", progress=0.0, stage_timings={},
        leader_hint=f.leader, recorded_at=f.recorded_at, rubric=f.rubric, callback_url=f.callback_url,
        leader_id=person_id(ctx, caller.org_id, f.leader_name),
        coachee_id=person_id(ctx, caller.org_id, f.coachee_name), **kw,
    )
    db.add(s)
    return s


def _insert(ctx: AppContext, caller: Principal, key: str | None, fp: str, build) -> tuple[CoachingSession, bool]:
    """Run ``build(db)`` (adds a session + job) and commit; replay on a racing duplicate key."""
    with ctx.factory() as db:
        earlier = _replay(db, caller, key, fp)
        if earlier is not None:
            return earlier, True
        s = build(db)
        try:
            db.commit()
        except IntegrityError:
            db.rollback()
            earlier = _replay(db, caller, key, fp)
            if earlier is None:
                raise
            return earlier, True
    ctx.runner.notify()
    return s, False


# --------------------------------------------------------------------------- create


@router.post(
    "", status_code=202, response_model=SessionAccepted, openapi_extra=UPLOAD_OPENAPI,
    responses=error_responses(400, 401, 409, 413, 415, 422), summary="Upload a recording",
)
async def create_session(request: Request, ctx: Ctx, caller: Caller, idempotency_key: IdemKey = None):
    """Stream the recording to storage, check it decodes, queue transcription; 202."""
    limit = int(ctx.settings.max_upload_mb * 1024 * 1024)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise ApiError(413, "too_large", f"the upload is larger than the limit of {round(limit / 2**20, 2):g} MiB")
    form = await read_multipart(request, ctx.storage, "file", limit)
    try:
        if form.upload is None:
            raise ApiError(422, "validation_error", "file: field required")
        fields = _checked_options(ctx, _fields(form.fields))
        try:
            await anyio.to_thread.run_sync(probe_audio, form.upload.path)
        except UnsupportedMediaError as e:
            raise ApiError(415, e.code, e.message) from e
        stored = ctx.storage.commit(form.upload, form.filename)
    except BaseException:
        if form.upload is not None:
            form.upload.discard()
        raise
    fp = _fingerprint(stored.sha256, fields)

    def build(db: Session) -> CoachingSession:
        return _audio_session(ctx, db, caller, fields, stored, form.filename, idempotency_key, fp)

    try:
        s, replay = await anyio.to_thread.run_sync(lambda: _insert(ctx, caller, idempotency_key, fp, build))
    except BaseException:
        await anyio.to_thread.run_sync(_drop_if_unreferenced, ctx, stored.relpath)
        raise
    return _accepted(ctx, s, replay)


def _drop_if_unreferenced(ctx: AppContext, relpath: str) -> None:
    """Remove a stored recording that no session refers to (a refused upload)."""
    with ctx.factory() as db:
        used = recording_in_use(db, relpath)
    if not used:
        ctx.storage.delete(relpath)


def _audio_session(ctx, db, caller, fields, stored: StoredFile, filename, key, fp) -> CoachingSession:
    s = _new_session(
        ctx, db, caller, fields, source="audio", audio_sha256=stored.sha256, audio_path=stored.relpath,
        audio_filename=(filename or "")[:300] or None, audio_bytes=stored.size,
        idempotency_key=key, request_fingerprint=fp,
    )
    db.flush()
    jobs.enqueue(db, s, "transcribe")
    return s


@router.post(
    "/transcript", status_code=202, response_model=SessionAccepted, openapi_extra=TRANSCRIPT_OPENAPI,
    responses=error_responses(400, 401, 409, 413, 415, 422), summary="Create a session from a transcript",
)
async def import_transcript(
    request: Request, ctx: Ctx, caller: Caller, idempotency_key: IdemKey = None,
    leader: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    leader_name: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    coachee_name: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    recorded_at: datetime | None = None,
    rubric: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")] = None,
    callback_url: Annotated[str | None, Query(min_length=1, max_length=2000)] = None,
):
    """Body: transcript JSON (``application/json``) or WebVTT (``text/vtt``); options in the query."""
    kind = _transcript_kind(request.headers.get("content-type", ""))
    text = await _read_text(request, int(ctx.settings.max_transcript_mb * 1024 * 1024))
    fields = _checked_options(ctx, UploadFields(
        leader=leader, leader_name=leader_name, coachee_name=coachee_name,
        recorded_at=recorded_at, rubric=rubric, callback_url=callback_url,
    ))
    parsed = await anyio.to_thread.run_sync(_parse_import, text, kind)
    fp = _fingerprint(parsed.text_sha256, fields)

    def build(db: Session) -> CoachingSession:
        s = _new_session(ctx, db, caller, fields, source=parsed.source or kind, transcript_json=parsed.data,
                         transcript_hint=parsed.hint, duration_s=parsed.duration_s,
                         idempotency_key=idempotency_key, request_fingerprint=fp)
        db.flush()
        jobs.enqueue(db, s, "analyze")
        return s

    s, replay = await anyio.to_thread.run_sync(lambda: _insert(ctx, caller, idempotency_key, fp, build))
    return _accepted(ctx, s, replay)


@dataclass(frozen=True)
class _ParsedImport:
    """An imported transcript, ready to store: ``data`` is its ``coachscore.transcript/1``
    dict, ``text_sha256`` the hex SHA-256 of the UTF-8 body (for the idempotency fingerprint)."""

    data: dict
    hint: str | None
    source: str
    duration_s: float
    text_sha256: str


def _parse_import(text: str, kind: str) -> _ParsedImport:
    """Parse, serialise and hash an imported transcript. CPU-bound: run it in a worker thread.
    Raises TranscriptFormatError."""
    from analysis.transcript_json import transcript_to_dict

    transcript, hint = parse_transcript_upload(text, kind)
    return _ParsedImport(
        data=transcript_to_dict(transcript), hint=hint, source=transcript.meta.source,
        duration_s=transcript.duration_s, text_sha256=hashlib.sha256(text.encode()).hexdigest(),
    )


def _transcript_kind(content_type: str) -> str:
    ctype = content_type.split(";")[0].strip().lower()
    if ctype in ("application/json", "text/json"):
        return "json"
    if ctype in ("text/vtt", "text/webvtt"):
        return "vtt"
    raise ApiError(415, "unsupported_media", "send the transcript as application/json or text/vtt")


async def _read_text(request: Request, limit: int) -> str:
    buf = bytearray()
    async for chunk in request.stream():
        buf += chunk
        if len(buf) > limit:
            raise ApiError(413, "too_large", f"the transcript is larger than {round(limit / 2**20, 2):g} MiB")
    try:
        return bytes(buf).decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ApiError(400, "transcript_format_error", "the transcript is not UTF-8 text") from e


# --------------------------------------------------------------------------- reads


@router.get("", response_model=SessionList, responses=error_responses(400, 401, 422), summary="List sessions")
async def list_sessions(
    ctx: Ctx, db: Db, caller: Caller,
    leader: Annotated[str | None, Query(max_length=200, description="leader name or person id")] = None,
    coachee: Annotated[str | None, Query(max_length=200)] = None,
    status: SessionStatus | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
):
    """Newest first; pass ``next_cursor`` back as ``cursor`` for the next page."""
    q = select(CoachingSession).options(*defer_big_columns()).where(CoachingSession.org_id == caller.org_id)
    for col, who in ((CoachingSession.leader_id, leader), (CoachingSession.coachee_id, coachee)):
        if who is not None:
            q = q.where(col.in_(select(Person.id).where(person_named(caller.org_id, who))))
    if status:
        q = q.where(CoachingSession.status == status)
    if since:
        q = q.where(CoachingSession.created_at >= since)
    if until:
        q = q.where(CoachingSession.created_at < until)
    if cursor:
        at, sid = _decode_cursor(cursor)
        q = q.where(or_(CoachingSession.created_at < at, and_(CoachingSession.created_at == at, CoachingSession.id < sid)))
    rows = db.scalars(q.order_by(CoachingSession.created_at.desc(), CoachingSession.id.desc()).limit(limit + 1)).all()
    page, more = rows[:limit], len(rows) > limit
    names = people_names(db, page)
    return _json(SessionList(
        items=[session_out(s, ctx.base_url, names) for s in page],
        next_cursor=_encode_cursor(page[-1]) if more else None,
    ))




def _encode_cursor(s: CoachingSession) -> str:
    return base64.urlsafe_b64encode(f"{s.created_at.isoformat()}|{s.id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, sid = raw.split("|", 1)
        return datetime.fromisoformat(at), sid
    except (ValueError, UnicodeDecodeError) as e:
        raise ApiError(400, "bad_request", "cursor is not valid; use next_cursor from the previous page") from e


@router.get("/{session_id}", response_model=SessionOut, responses=COMMON, summary="Session status")
async def get_status(session_id: str, ctx: Ctx, db: Db, caller: Caller):
    """Status, progress 0-1, stage timings, and the error (message, stage) when failed."""
    return _json(out(db, ctx, get_session(db, caller, session_id)))


def _json(model) -> Response:
    """Serialise an already-validated response model directly (the hot polling path)."""
    return Response(model.model_dump_json(), media_type="application/json")


@router.get("/{session_id}/transcript", response_model=TranscriptOut, responses=error_responses(401, 404, 409))
async def get_transcript(session_id: str, db: Db, caller: Caller):
    """Words, turns and speakers; ``sentences`` (with acts) once the session is scored."""
    s = get_session(db, caller, session_id, load=("transcript_json", "scorecard_json"))
    if s.transcript_json is None:
        raise ApiError(409, "not_ready", f"the transcript is not ready (status {s.status})")
    sentences = (s.scorecard_json or {}).get("sentences")
    return TranscriptOut(session_id=s.id, transcript=s.transcript_json,
                         sentences=sentences if isinstance(sentences, list) else None)


@router.get(
    "/{session_id}/scorecard", summary="JSON scorecard",
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}, **error_responses(401, 404, 409)},
)
async def get_scorecard(session_id: str, db: Db, caller: Caller) -> Response:
    """The scorecard JSON (schema ``coachscore.scorecard/1``) as stored at scoring time."""
    s = get_session(db, caller, session_id, load=("scorecard_json",))
    if s.scorecard_json is None or s.status != "done":
        raise ApiError(409, "not_ready", f"the scorecard is not ready (status {s.status})")
    body = json.dumps(s.scorecard_json, ensure_ascii=False, separators=(",", ":"))
    return Response(body.encode("utf-8"), media_type="application/json")


@router.get(
    "/{session_id}/scorecard.html", response_class=HTMLResponse,
    responses=error_responses(401, 404, 409), summary="HTML scorecard",
)
async def get_scorecard_html(session_id: str, db: Db, caller: Caller):
    s = get_session(db, caller, session_id, load=("scorecard_html",))
    if s.scorecard_html is None or s.status != "done":
        raise ApiError(409, "not_ready", f"the scorecard is not ready (status {s.status})")
    return HTMLResponse(s.scorecard_html, headers=HTML_SECURITY_HEADERS)


# --------------------------------------------------------------------------- changes


@router.patch(
    "/{session_id}", response_model=SessionOut, responses=error_responses(401, 404, 409, 422),
    summary="Change roles or names (re-scores without re-transcribing)",
)
def patch_session(session_id: str, body: SessionPatch, ctx: Ctx, db: Db, caller: Caller, response: Response):
    """Returns 202 when a re-score was queued, 200 when only names changed."""
    s = get_session(db, caller, session_id, load=("transcript_json",))
    if jobs.has_active_job(db, s.id):
        raise ApiError(409, "busy", f"the session is being processed (status {s.status}); retry when done")
    rescore = _apply_role_change(s, body)
    if body.rubric is not None:
        _check_rubric(ctx, body.rubric)
        s.rubric, rescore = body.rubric, True
    if body.leader_name is not None:
        s.leader_id = person_id(ctx, caller.org_id, body.leader_name)
    if body.coachee_name is not None:
        s.coachee_id = person_id(ctx, caller.org_id, body.coachee_name)
    # names label the speakers in the scorecard, so they re-score too (when there is a transcript)
    rescore |= (body.leader_name is not None or body.coachee_name is not None) and s.transcript_json is not None
    if rescore:
        if s.transcript_json is None:
            raise ApiError(409, "not_ready", "the session has no transcript to re-score")
        jobs.enqueue(db, s, "analyze")
        response.status_code = 202
    db.commit()
    if rescore:
        ctx.runner.notify()
    return out(db, ctx, s)


def _apply_role_change(s: CoachingSession, body: SessionPatch) -> bool:
    if body.swap_roles and body.leader:
        raise ApiError(422, "validation_error", "give either leader or swap_roles, not both")
    if body.leader:
        if s.transcript_json is not None:
            _check_speaker(s.transcript_json, body.leader)
        s.leader_hint = body.leader
        return True
    if not body.swap_roles:
        return False
    roles = s.roles_json or {}
    if not roles.get("coachee"):
        raise ApiError(409, "not_ready", "roles can be swapped once the session is scored with two speakers")
    s.leader_hint = roles["coachee"]  # the people stay: the leader is the other speaker
    return True


def _check_speaker(transcript_json: dict, leader: str) -> None:
    """422 (roles_error) when ``leader`` names no speaker of the stored transcript."""
    from analysis.roles import AUTO, find_speaker
    from analysis.transcript_json import transcript_from_dict

    if leader.strip().lower() not in AUTO:
        find_speaker(transcript_from_dict(transcript_json), leader.strip())


@router.delete("/{session_id}", status_code=204, responses=COMMON, summary="Delete a session and its files")
def delete_session(session_id: str, ctx: Ctx, db: Db, caller: Caller) -> Response:
    s = get_session(db, caller, session_id)
    path = s.audio_path
    db.execute(delete(WebhookDelivery).where(WebhookDelivery.session_id == s.id, WebhookDelivery.status == "pending"))
    db.delete(s)
    db.flush()
    shared = path and recording_in_use(db, path)
    db.commit()
    if path and not shared:
        ctx.storage.delete(path)
    return Response(status_code=204)
