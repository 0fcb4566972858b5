"""The API's one error envelope ``{"error": {"code", "message"}}`` and its handlers.

``ApiError`` is raised by routes; ``analysis.errors.CoachscoreError`` subclasses map to a
status by their ``code``; validation errors become 422; anything unexpected becomes a 500
with the request id and no stack trace (the trace goes to the log).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from analysis.errors import CoachscoreError

log = logging.getLogger("coachscore.api")

# analysis.errors code -> HTTP status
CODE_STATUS: dict[str, int] = {
    "bad_input": 400,
    "transcript_format_error": 400,
    "roles_error": 422,
    "rubric_error": 422,
    "audio_decode_error": 415,
    "unsupported_media": 415,
    "model_missing": 503,
    "model_error": 500,
    "storage_error": 503,  # recording storage (disk or S3 bucket) unreachable or refusing
}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media",
    422: "validation_error",
    429: "too_many_requests",
}


class ApiError(Exception):
    """An error answered to the client as the envelope with ``status``."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def not_found(what: str = "session") -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def envelope(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(envelope(code, message), status_code=status, headers=headers)


def status_for(err: CoachscoreError) -> int:
    return CODE_STATUS.get(err.code, 400)


# Schema used in OpenAPI "responses" so clients (and schemathesis) know the envelope.
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def error_responses(*statuses: int) -> dict:
    """OpenAPI error responses; an authenticated route (401) may also answer 429 (rate limit)."""
    if 401 in statuses and 429 not in statuses:
        statuses = (*statuses, 429)
    return {
        s: {"description": _HTTP_CODES.get(s, "error"), "content": {"application/json": {"schema": ERROR_SCHEMA}}}
        for s in statuses
    }


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(CoachscoreError, _coachscore_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def _coachscore_error(request: Request, exc: CoachscoreError) -> JSONResponse:
    status = status_for(exc)
    if status >= 500:
        log.error("pipeline error on %s: %s", request.url.path, exc.message)
    return error_response(status, exc.code, exc.message)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{loc}: {err.get('msg', 'invalid')}" if loc else str(err.get("msg")))
    return error_response(422, "validation_error", "; ".join(parts) or "invalid request")


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return error_response(exc.status_code, code, message, getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    rid = getattr(request.state, "request_id", "-")
    log.exception("unhandled error on %s %s (request %s)", request.method, request.url.path, rid)
    return error_response(500, "internal_error", f"internal error; quote request id {rid}")
