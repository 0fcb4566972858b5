"""Request and response models of the REST API (they make the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.db import CoachingSession

SessionStatus = Literal["queued", "transcribing", "diarizing", "analyzing", "done", "failed"]
RUBRIC_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
Name = Field(None, min_length=1, max_length=200)


class UploadFields(BaseModel):
    """Text fields of the multipart upload (besides ``file``)."""

    model_config = ConfigDict(extra="forbid")
    leader_name: str | None = Name
    coachee_name: str | None = Name
    leader: str | None = Field(None, min_length=1, max_length=100, description="speaker label, channel index or 'auto'")
    recorded_at: datetime | None = None
    rubric: str | None = Field(None, pattern=RUBRIC_PATTERN)
    callback_url: str | None = Field(None, min_length=1, max_length=2000)


UPLOAD_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary",
                                 "description": "wav, mp3, m4a, mp4, webm, ogg or flac"},
                        "leader_name": {"type": "string", "minLength": 1, "maxLength": 200},
                        "coachee_name": {"type": "string", "minLength": 1, "maxLength": 200},
                        "leader": {"type": "string", "minLength": 1, "maxLength": 100,
                                   "description": "speaker label, channel index or 'auto'"},
                        "recorded_at": {"type": "string", "format": "date-time"},
                        "rubric": {"type": "string", "pattern": RUBRIC_PATTERN},
                        "callback_url": {"type": "string", "format": "uri", "maxLength": 2000},
                    },
                }
            }
        },
    }
}

TRANSCRIPT_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "object", "description": "coachscore.transcript/1 or {\"utterances\": [...]}"}
            },
            "text/vtt": {"schema": {"type": "string", "description": "WebVTT with speaker names"}},
        },
    }
}


class ErrorInfo(BaseModel):
    code: str
    message: str
    stage: str | None = None


class PersonOut(BaseModel):
    id: str
    name: str


class Links(BaseModel):
    self: str
    transcript: str
    scorecard: str
    scorecard_html: str


class SessionOut(BaseModel):
    id: str
    status: SessionStatus
    progress: float = Field(ge=0, le=1)
    stage: str | None
    stage_timings_s: dict[str, float]
    error: ErrorInfo | None
    source: str
    leader: PersonOut | None
    coachee: PersonOut | None
    leader_choice: str | None = Field(description="how the leader was given: label, channel, name or auto")
    roles: dict[str, Any] | None
    recorded_at: datetime | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    rubric: str | None
    rubric_version: str | None
    overall_score: float | None
    duration_s: float | None
    audio_filename: str | None
    audio_bytes: int | None
    audio_stored: bool
    links: Links


class SessionAccepted(BaseModel):
    id: str
    status: SessionStatus
    status_url: str
    idempotent_replay: bool = False


class SessionList(BaseModel):
    items: list[SessionOut]
    next_cursor: str | None


ActName = Literal["open_question", "closed_question", "leading_question", "advice", "takeover", "reflection",
                  "information", "statement", "backchannel"]


class SentenceCorrection(BaseModel):
    """A reviewer's labels for one sentence of the scorecard (its ``index`` in ``sentences``)."""

    model_config = ConfigDict(extra="forbid")
    index: int = Field(ge=0, description="the sentence's index in the scorecard's sentences")
    act: ActName | None = Field(None, description="the act the reviewer gives it (the machine's act: undo)")
    speaker: str | None = Field(None, min_length=1, max_length=200,
                                description="who said it: a speaker label or name of the scorecard")

    @model_validator(mode="after")
    def _something(self) -> "SentenceCorrection":
        if self.act is None and self.speaker is None:
            raise ValueError("give act, speaker or both")
        return self


class SessionPatch(BaseModel):
    """Changes that re-score the session from its stored transcript (no re-transcription).
    ``sentences`` corrects the machine's act or speaker of single sentences: stored as
    overrides that every later re-score keeps, with the machine's labels in the audit trail
    and the scorecard's ``corrections`` saying who corrected it."""

    model_config = ConfigDict(extra="forbid")
    leader: str | None = Field(None, min_length=1, max_length=100, description="speaker label, name or channel")
    swap_roles: bool = False
    leader_name: str | None = Name
    coachee_name: str | None = Name
    rubric: str | None = Field(None, pattern=RUBRIC_PATTERN)
    sentences: list[SentenceCorrection] | None = Field(
        None, min_length=1, max_length=1000,
        description="per-sentence corrections (act and/or speaker), applied before any metric is computed")


class ShareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ttl_s: int | None = Field(None, ge=60, le=90 * 24 * 3600)


class ShareOut(BaseModel):
    id: str = Field(description="the link's id, for listing and revoking it")
    url: str = Field(description="the link; shown once (only a hash of its token is stored)")
    expires_at: datetime


class ShareLinkOut(BaseModel):
    """A share link as listed: never its token or URL (only their hash is kept)."""

    id: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    status: Literal["active", "expired", "revoked"]


class ShareList(BaseModel):
    items: list[ShareLinkOut]


class TranscriptOut(BaseModel):
    session_id: str
    transcript: dict[str, Any]
    sentences: list[dict[str, Any]] | None = Field(description="sentences with acts, once scored")


class TrendPoint(BaseModel):
    session_id: str
    at: datetime
    overall: float | None
    dimensions: dict[str, float]
    rescue_count: int | None
    rescues_per_10_min: float | None
    duration_s: float | None


class TrendMonth(BaseModel):
    month: str
    sessions: int
    overall_mean: float | None
    dimensions_mean: dict[str, float]
    rescues_per_session: float | None


class TrendOut(BaseModel):
    leader: PersonOut
    sessions: int
    months: list[TrendMonth]
    points: list[TrendPoint]
    rescues_per_session: float | None
    rescues_per_10_min: float | None


def session_out(s: CoachingSession, base: str, people: dict[str, str]) -> SessionOut:
    """Build the public view of a session row; ``people`` maps person id -> name."""
    url = f"{base}/v1/sessions/{s.id}"
    error = ErrorInfo(code=s.error_code or "error", message=s.error_message or "", stage=s.error_stage) \
        if s.status == "failed" else None
    return SessionOut(
        id=s.id, status=s.status, progress=s.progress, stage=s.stage,
        stage_timings_s=dict(s.stage_timings or {}), error=error, source=s.source,
        leader=_person(s.leader_id, people), coachee=_person(s.coachee_id, people),
        leader_choice=s.leader_hint, roles=s.roles_json, recorded_at=s.recorded_at,
        created_at=s.created_at, updated_at=s.updated_at, finished_at=s.finished_at,
        rubric=s.rubric, rubric_version=s.rubric_version, overall_score=s.overall_score,
        duration_s=s.duration_s, audio_filename=s.audio_filename, audio_bytes=s.audio_bytes,
        audio_stored=bool(s.audio_path),
        links=Links(self=url, transcript=f"{url}/transcript", scorecard=f"{url}/scorecard",
                    scorecard_html=f"{url}/scorecard.html"),
    )


def _person(pid: str | None, people: dict[str, str]) -> PersonOut | None:
    return PersonOut(id=pid, name=people.get(pid, "")) if pid else None
