"""/v1/corrections.jsonl: every sentence correction of the caller's organisation, for
retraining the acts' layer (an API key sees its organisation's corrections only)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from service.api.deps import Caller, Db
from service.corrections import export_lines
from service.errors import error_responses

router = APIRouter(prefix="/v1", tags=["corrections"])
JSONL = "application/jsonl"


@router.get(
    "/corrections.jsonl", summary="Sentence corrections for retraining (JSON Lines)",
    responses={200: {"description": "one JSON object a line, oldest first", "content": {JSONL: {"schema": {
        "type": "object",
        "required": ["session_id", "sentence_index", "text", "machine_act", "reviewer_act", "machine_speaker",
                     "reviewer_speaker", "by", "at"],
        "properties": {
            "session_id": {"type": "string"}, "sentence_index": {"type": "integer"}, "text": {"type": "string"},
            "machine_act": {"type": "string"}, "reviewer_act": {"type": "string"},
            "machine_speaker": {"type": "string", "description": "speaker label the machine gave"},
            "reviewer_speaker": {"type": "string"}, "by": {"type": "string", "description": "the reviewer's name"},
            "at": {"type": "string", "format": "date-time"},
        }}}}}, **error_responses(401)},
)
def corrections_export(db: Db, caller: Caller) -> Response:
    """Each corrected sentence: its text, the machine's and the reviewer's act and speaker,
    the session id, who corrected it and when."""
    body = "".join(export_lines(db, caller.org_id))
    return Response(body.encode("utf-8"), media_type=JSONL,
                    headers={"Content-Disposition": 'attachment; filename="corrections.jsonl"'})
