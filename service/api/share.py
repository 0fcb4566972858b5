"""Expiring signed share links for HTML scorecards.

Token = base64url(JSON {s: session id, o: org id, e: expiry unix seconds}) + "." +
base64url(HMAC-SHA256(share key, payload)). Anyone with the link can read that one HTML
scorecard until it expires; deleting the session kills every link to it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Body, Path
from fastapi.responses import HTMLResponse

from service.api.deps import HTML_SECURITY_HEADERS, Caller, Ctx, Db
from service.api.schemas import ShareOut, ShareRequest
from service.errors import ApiError, error_responses, not_found
from service.repository import get_session, scorecard_html

router = APIRouter(tags=["sharing"])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(key: bytes, session_id: str, org_id: str, expires: int) -> str:
    payload = _b64(json.dumps({"s": session_id, "o": org_id, "e": expires}, separators=(",", ":")).encode())
    return f"{payload}.{_b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())}"


def read_token(key: bytes, token: str, now: float | None = None) -> tuple[str, str]:
    """(session id, org id) of a valid token; ApiError 403 when forged or expired."""
    payload, _, sig = token.partition(".")
    good = _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    if not sig or not hmac.compare_digest(sig.encode("utf-8", "replace"), good.encode()):
        raise ApiError(403, "invalid_share_link", "this share link is not valid")
    try:
        data = json.loads(_unb64(payload))
        sid, org, exp = str(data["s"]), str(data["o"]), int(data["e"])
    except (ValueError, KeyError, TypeError) as e:
        raise ApiError(403, "invalid_share_link", "this share link is not valid") from e
    if exp < (now if now is not None else time.time()):
        raise ApiError(403, "share_link_expired", "this share link has expired; ask for a new one")
    return sid, org


@router.post("/v1/sessions/{session_id}/share", response_model=ShareOut, responses=error_responses(401, 404, 409, 422))
def create_share_link(session_id: str, ctx: Ctx, db: Db, caller: Caller,
                      body: Annotated[ShareRequest | None, Body()] = None):
    """A link to the HTML scorecard that works without an API key until it expires."""
    s = get_session(db, caller, session_id)
    if s.status != "done":
        raise ApiError(409, "not_ready", f"the scorecard is not ready (status {s.status})")
    ttl = (body.ttl_s if body and body.ttl_s else None) or ctx.settings.share_ttl_s
    expires = int(time.time()) + ttl
    token = make_token(ctx.share_key, s.id, s.org_id, expires)
    return ShareOut(url=f"{ctx.base_url}/share/{token}", expires_at=datetime.fromtimestamp(expires, timezone.utc))


@router.get("/share/{token}", response_class=HTMLResponse, responses=error_responses(403, 404))
def open_share_link(token: Annotated[str, Path(max_length=1000)], ctx: Ctx, db: Db):
    sid, org = read_token(ctx.share_key, token)
    html = scorecard_html(db, org, sid)
    if html is None:
        raise not_found()
    return HTMLResponse(html, headers=HTML_SECURITY_HEADERS)
