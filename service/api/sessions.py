"""/v1/sessions: upload, import, status, reads, PATCH (re-score), DELETE.

Every query filters on the caller's ``org_id``; a session of another organisation is
answered exactly like one that does not exist (404).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Callable

import anyio
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from analysis.errors import RubricError, UnsupportedMediaError
from service import jobs, repository, webhooks
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
from analysis.types import Act
from service.auth import Principal
from service.corrections import SentenceFix, fix_sentences, record
from service.db import CoachingSession, Org
from service.errors import ApiError, error_responses
from service.pipeline import LeaderChoice, PeopleNames, installed_rubric
from service.pipeline.scoring import resolve_with_names
from service.retention import transcript_gone
from service.repository import (
    SessionFilter, drop_if_unreferenced, get_session, insert_once, new_session, people_names, person_id,
)
from service.storage import StoredFile, probe_audio

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]
COMMON = error_responses(401, 404, 422)
UPLOAD_FIELDS = frozenset(UploadFields.model_fields)  # the text parts of an upload


# --------------------------------------------------------------------------- helpers


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
    if not rubric or rubric == "default":
        return
    try:
        found = installed_rubric(ctx.settings.resolved_rubrics_dir(), rubric)
    except RubricError as e:
        raise ApiError(422, "unknown_rubric", e.message) from e
    if found is None:
        raise ApiError(422, "unknown_rubric", f"rubric {rubric!r} is not installed on this server")


def _fingerprint(content_sha: str, fields: UploadFields) -> str:
    doc = json.dumps([content_sha, fields.model_dump(mode="json")], sort_keys=True)
    return hashlib.sha256(doc.encode()).hexdigest()


def _accepted(ctx: AppContext, s: CoachingSession, replay: bool = False) -> JSONResponse:
    url = f"{ctx.base_url}/v1/sessions/{s.id}"
    body = SessionAccepted(id=s.id, status=s.status, status_url=url, idempotent_replay=replay)
    return JSONResponse(body.model_dump(mode="json"), status_code=202, headers={"Location": url})


def _new_session(ctx: AppContext, db: Session, caller: Principal, f: UploadFields, **kw) -> CoachingSession:
    return new_session(
        db, caller.org_id, leader_hint=f.leader, recorded_at=f.recorded_at, rubric=f.rubric or _org_rubric(db, caller),
        callback_url=f.callback_url, leader_id=person_id(ctx.factory, caller.org_id, f.leader_name),
        coachee_id=person_id(ctx.factory, caller.org_id, f.coachee_name), **kw,
    )


def _org_rubric(db: Session, caller: Principal) -> str | None:
    """The organisation's default rubric for an upload that names none (settings pages)."""
    org = db.get(Org, caller.org_id)
    return org.default_rubric if org else None


def _insert(ctx: AppContext, caller: Principal, key: str | None, fp: str, build) -> tuple[CoachingSession, bool]:
    s, replay = insert_once(ctx.factory, caller, key, fp, build)
    if not replay:
        ctx.runner.notify(s.id)
    return s, replay


# --------------------------------------------------------------------------- create


@router.post(
    "", status_code=202, response_model=SessionAccepted, openapi_extra=UPLOAD_OPENAPI,
    responses=error_responses(400, 401, 409, 413, 415, 422), summary="Upload a recording",
)
async def create_session(request: Request, ctx: Ctx, caller: Caller, idempotency_key: IdemKey = None):
    """Stream the recording to storage, check it decodes, queue transcription; 202."""
    s, replay = await accept_recording(request, ctx, caller, idempotency_key)
    return _accepted(ctx, s, replay)


# Extra text fields another caller (the web upload form) reads -> the extra session columns.
Vet = Callable[[dict[str, str]], dict[str, Any]]


async def accept_recording(request: Request, ctx: AppContext, caller: Principal, idempotency_key: str | None,
                           extra_fields: frozenset[str] = frozenset(), vet: Vet | None = None,
                           ) -> tuple[CoachingSession, bool]:
    """The one upload path (API and web form): stream the multipart body to storage, check
    it decodes, store the session and queue transcription; returns (session, replayed).
    ``vet`` checks the ``extra_fields`` (raising ApiError) before the audio is probed and
    returns extra session columns. Raises ApiError 400/409/413/415/422."""
    limit = int(ctx.settings.max_upload_mb * 1024 * 1024)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise ApiError(413, "too_large", f"the upload is larger than the limit of {round(limit / 2**20, 2):g} MiB")
    form = await read_multipart(request, ctx.storage, "file", UPLOAD_FIELDS | extra_fields, limit)
    try:
        columns = vet({k: v for k, v in form.fields.items() if k in extra_fields}) if vet else {}
        if form.upload is None:
            raise ApiError(422, "validation_error", "file: field required")
        fields = _checked_options(ctx, _fields({k: v for k, v in form.fields.items() if k in UPLOAD_FIELDS}))
        await _check_recording(ctx, form.upload.path, form.filename, fields.rubric)
        stored = await anyio.to_thread.run_sync(ctx.storage.commit, form.upload, form.filename)  # S3: minutes
    except BaseException:
        if form.upload is not None:
            form.upload.discard()
        raise
    fp = _fingerprint(stored.sha256, fields)

    def build(db: Session) -> CoachingSession:
        return _audio_session(ctx, db, caller, fields, stored, form.filename, idempotency_key, fp, columns)

    try:
        return await anyio.to_thread.run_sync(lambda: _insert(ctx, caller, idempotency_key, fp, build))
    except BaseException:
        await anyio.to_thread.run_sync(_drop_if_unreferenced, ctx, stored.relpath)
        raise


async def _check_recording(ctx: AppContext, path, filename: str | None, rubric: str | None) -> None:
    """415 unless the temp upload decodes; 422 when it is silent or has too little speech
    for the rubric (``service.upload_check``), with the user's file name in the message."""
    from analysis.errors import AudioDecodeError, TooLittleSpeechError
    from service.upload_check import check_speech, required_speech_s

    try:
        duration = await anyio.to_thread.run_sync(probe_audio, path)
    except UnsupportedMediaError as e:
        raise ApiError(415, e.code, e.message) from e
    need = required_speech_s(ctx.settings, _upload_rubric(ctx, rubric))
    try:
        await anyio.to_thread.run_sync(check_speech, path, filename, need, duration)
    except TooLittleSpeechError as e:
        raise ApiError(422, e.code, e.message) from e
    except (AudioDecodeError, UnsupportedMediaError) as e:
        raise ApiError(415, "unsupported_media", e.message) from e


def _upload_rubric(ctx: AppContext, rubric: str | None):
    """The rubric an upload will be scored with (already checked to be installed)."""
    from analysis.rubric import load_rubric

    path = installed_rubric(ctx.settings.resolved_rubrics_dir(), rubric) if rubric and rubric != "default" else None
    try:
        return load_rubric(path)
    except RubricError as e:
        raise ApiError(422, "unknown_rubric", e.message) from e


def _drop_if_unreferenced(ctx: AppContext, relpath: str) -> None:
    """Remove a stored recording that no session refers to (a refused upload)."""
    if drop_if_unreferenced(ctx.factory, relpath):
        ctx.storage.delete(relpath)


def _audio_session(ctx, db, caller, fields, stored: StoredFile, filename, key, fp, columns) -> CoachingSession:
    s = _new_session(
        ctx, db, caller, fields, source="audio", audio_sha256=stored.sha256, audio_path=stored.relpath,
        audio_filename=(filename or "")[:300] or None, audio_bytes=stored.size,
        idempotency_key=key, request_fingerprint=fp, **columns,
    )
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
    parsed = await anyio.to_thread.run_sync(_parse_import, text, kind, fields)
    fp = _fingerprint(parsed.text_sha256, fields)

    def build(db: Session) -> CoachingSession:
        s = _new_session(ctx, db, caller, fields, source=parsed.source or kind, transcript_json=parsed.data,
                         transcript_hint=parsed.hint, duration_s=parsed.duration_s,
                         idempotency_key=idempotency_key, request_fingerprint=fp)
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


def _parse_import(text: str, kind: str, fields: UploadFields) -> _ParsedImport:
    """Parse, serialise and hash an imported transcript, and check that its leader (the
    ``leader`` option, else the file's roles.leader) is one of its speakers, as scoring will.
    CPU-bound: run it in a worker thread. Raises TranscriptFormatError, RolesError."""
    from analysis.inputs import parse_json_transcript, parse_webvtt
    from analysis.transcript_json import transcript_to_dict

    transcript, hint = (parse_webvtt(text), None) if kind == "vtt" else parse_json_transcript(text)
    names = PeopleNames(fields.leader_name, fields.coachee_name)
    resolve_with_names(transcript, LeaderChoice(fields.leader, hint), names)  # 422 roles_error now, not a failed job
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
    page, next_cursor = repository.list_sessions(
        db, caller.org_id, SessionFilter(leader, coachee, status, since, until), limit, cursor
    )
    names = people_names(db, page)
    return _json(SessionList(items=[session_out(s, ctx.base_url, names) for s in page], next_cursor=next_cursor))


@router.get("/{session_id}", response_model=SessionOut, responses=COMMON, summary="Session status")
async def get_status(session_id: str, ctx: Ctx, db: Db, caller: Caller):
    """Status, progress 0-1, stage timings, and the error (message, stage) when failed."""
    return _json(out(db, ctx, get_session(db, caller, session_id)))


def _json(model) -> Response:
    """Serialise an already-validated response model directly (the hot polling path)."""
    return Response(model.model_dump_json(), media_type="application/json")


@router.get("/{session_id}/transcript", response_model=TranscriptOut, responses=error_responses(401, 404, 409, 410))
async def get_transcript(session_id: str, db: Db, caller: Caller):
    """Words, turns and speakers; ``sentences`` (with acts) once the session is scored."""
    s = get_session(db, caller, session_id, load=("transcript_json", "scorecard_json"))
    if gone := transcript_gone(s):
        raise ApiError(410, "transcript_deleted", f"{gone}, so there is no transcript to give.")
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
    summary="Change roles, names, rubric or sentence labels (re-scores without re-transcribing)",
)
def patch_session(session_id: str, body: SessionPatch, ctx: Ctx, db: Db, caller: Caller, response: Response):
    """202 when a re-score was queued: a role or rubric change, a sentence correction
    (``sentences``: a sentence's act and/or speaker, kept by every later re-score; 409 before
    the session is scored, 422 for an unknown sentence or speaker), or a name change on a
    session with a transcript (names label the speakers on the scorecard). 200 for a name
    change on a session without one (its transcription failed), or for corrections that
    change nothing. 409 while a job runs. Role swaps, leader choices after scoring and sentence
    corrections are kept as an audit trail with the machine's labels."""
    s = get_session(db, caller, session_id, load=("transcript_json", "scorecard_json"))
    if jobs.has_active_job(db, s.id):
        raise ApiError(409, "busy", f"the session is being processed (status {s.status}); retry when done")
    _refuse_rescore_if_purged(s, body)
    rescore = _apply_role_change(db, s, body, caller)
    if body.sentences:
        fixes = [SentenceFix(x.index, Act(x.act) if x.act else None, x.speaker) for x in body.sentences]
        rescore |= fix_sentences(db, s, fixes, caller)
    if body.rubric is not None:
        _check_rubric(ctx, body.rubric)
        s.rubric, rescore = body.rubric, True
    if body.leader_name is not None:
        s.leader_id = person_id(ctx.factory, caller.org_id, body.leader_name)
    if body.coachee_name is not None:
        s.coachee_id = person_id(ctx.factory, caller.org_id, body.coachee_name)
    # names label the speakers in the scorecard, so they re-score too (when there is a transcript)
    rescore |= (body.leader_name is not None or body.coachee_name is not None) and s.transcript_json is not None
    if rescore:
        if s.transcript_json is None:
            raise ApiError(409, "not_ready", "the session has no transcript to re-score")
        jobs.enqueue(db, s, "analyze")
        response.status_code = 202
    db.commit()
    if rescore:
        ctx.runner.notify(s.id)
    return out(db, ctx, s)


def _refuse_rescore_if_purged(s: CoachingSession, body: SessionPatch) -> None:
    """409 for a change that re-scores (roles, rubric, sentences, names) once the session's
    transcript was deleted under the retention setting: there is nothing to score again."""
    gone = transcript_gone(s)
    changes = (body.leader, body.swap_roles, body.sentences, body.rubric, body.leader_name, body.coachee_name)
    if gone and any(x not in (None, False, []) for x in changes):
        raise ApiError(409, "transcript_deleted",
                       f"{gone}, so the session cannot be scored again: its scores stay as they were.")


def _apply_role_change(db: Session, s: CoachingSession, body: SessionPatch, caller: Principal) -> bool:
    """Apply a leader choice or a role swap; once the machine has chosen roles, the change
    is a correction with an audit row (the machine's roles in ``before``)."""
    if body.swap_roles and body.leader:
        raise ApiError(422, "validation_error", "give either leader or swap_roles, not both")
    machine = dict(s.roles_json) if s.roles_json else None
    if body.leader:
        if s.transcript_json is not None:
            _check_speaker(s.transcript_json, body.leader)
        s.leader_hint = body.leader
        if machine is not None:
            record(db, s, caller, "leader", {"roles": machine}, {"leader": body.leader})
        return True
    if not body.swap_roles:
        return False
    roles = s.roles_json or {}
    if not roles.get("coachee"):
        raise ApiError(409, "not_ready", "roles can be swapped once the session is scored with two speakers")
    s.leader_hint = roles["coachee"]  # the people stay: the leader is the other speaker
    record(db, s, caller, "swap_roles", {"roles": machine})
    return True


def _check_speaker(transcript_json: dict, leader: str) -> None:
    """422 (roles_error) when ``leader`` names no speaker of the stored transcript."""
    from analysis.roles import AUTO, find_speaker
    from analysis.transcript_json import transcript_from_dict

    if leader.strip().lower() not in AUTO:
        find_speaker(transcript_from_dict(transcript_json), leader.strip())


@router.delete("/{session_id}", status_code=204, responses=COMMON, summary="Delete a session and its files")
def delete_session(session_id: str, ctx: Ctx, db: Db, caller: Caller) -> Response:
    orphan = repository.delete_session(db, get_session(db, caller, session_id))
    if orphan:
        ctx.storage.delete(orphan)
    return Response(status_code=204)
