"""Share links for HTML scorecards: opaque random tokens, stored hashed, listed and revocable.

A link is ``{base}/share/{token}`` with ``token = secrets.token_urlsafe(32)`` (256 random
bits, no session or organisation id in it). Only ``sha256(token)`` is stored (``share_links``),
so the database cannot hand out working links. Anyone with the link can read that one HTML
scorecard until it expires or is revoked (``DELETE /v1/sessions/{id}/shares/{share_id}``);
deleting the session removes its links. A link that is unknown, expired or revoked is 403:
an HTML page for a browser, the JSON error for an API client (``service.web.negotiate``).
Links made before this scheme (signed tokens carrying the session id) no longer open.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from typing import Annotated

from fastapi import APIRouter, Body, Path
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.api.deps import HTML_SECURITY_HEADERS, Caller, Ctx, Db
from service.api.schemas import ShareLinkOut, ShareList, ShareOut, ShareRequest
from service.auth import Principal
from service.db import ShareLink, new_id, utcnow
from service.errors import ApiError, error_responses, not_found
from service.repository import get_session, scorecard_html

router = APIRouter(tags=["sharing"])
ShareId = Annotated[str, Path(max_length=100)]


def token_hash(token: str) -> str:
    """Hex SHA-256 of a share token (what the database keeps)."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def link_status(link: ShareLink, now: datetime | None = None) -> str:
    if link.revoked_at is not None:
        return "revoked"
    return "expired" if _aware(link.expires_at) <= (now or utcnow()) else "active"


def open_link(db: Session, token: str, now: datetime | None = None) -> ShareLink:
    """The live link for ``token``; ApiError 403 when unknown, revoked or expired."""
    link = db.scalar(select(ShareLink).where(ShareLink.token_sha256 == token_hash(token)))
    if link is None:
        raise ApiError(403, "invalid_share_link", "this share link is not valid")
    status = link_status(link, now)
    if status == "revoked":
        raise ApiError(403, "share_link_revoked", "this share link has been turned off; ask for a new one")
    if status == "expired":
        raise ApiError(403, "share_link_expired", "this share link has expired; ask for a new one")
    return link


def _out(link: ShareLink) -> ShareLinkOut:
    return ShareLinkOut(id=link.id, created_at=_aware(link.created_at), expires_at=_aware(link.expires_at),
                        revoked_at=_aware(link.revoked_at) if link.revoked_at else None, status=link_status(link))


def _link_of(db: Session, caller: Principal, session_id: str, share_id: str) -> ShareLink:
    link = db.scalar(select(ShareLink).where(
        ShareLink.id == share_id, ShareLink.session_id == session_id, ShareLink.org_id == caller.org_id))
    if link is None:
        raise not_found("share link")
    return link


@router.post("/v1/sessions/{session_id}/share", response_model=ShareOut, responses=error_responses(401, 404, 409, 422))
def create_share_link(session_id: str, ctx: Ctx, db: Db, caller: Caller,
                      body: Annotated[ShareRequest | None, Body()] = None):
    """A link to the HTML scorecard that works without an API key until it expires or is
    revoked. The URL is in this answer only: keep it."""
    s = get_session(db, caller, session_id)
    if s.status != "done":
        raise ApiError(409, "not_ready", f"the scorecard is not ready (status {s.status})")
    ttl = (body.ttl_s if body and body.ttl_s else None) or ctx.settings.share_ttl_s
    token = secrets.token_urlsafe(32)
    link = ShareLink(id=new_id("shr"), org_id=s.org_id, session_id=s.id, token_sha256=token_hash(token),
                     created_by=caller.key_id[:100], created_at=utcnow(), expires_at=utcnow() + timedelta(seconds=ttl))
    db.add(link)
    db.commit()
    return ShareOut(id=link.id, url=f"{ctx.base_url}/share/{token}", expires_at=_aware(link.expires_at))


@router.get("/v1/sessions/{session_id}/shares", response_model=ShareList, responses=error_responses(401, 404))
def list_share_links(session_id: str, db: Db, caller: Caller):
    """The session's share links, newest first, with their status (never their URLs)."""
    s = get_session(db, caller, session_id)
    links = db.scalars(select(ShareLink).where(ShareLink.session_id == s.id, ShareLink.org_id == caller.org_id)
                       .order_by(ShareLink.created_at.desc(), ShareLink.id))
    return ShareList(items=[_out(link) for link in links])


@router.delete("/v1/sessions/{session_id}/shares/{share_id}", status_code=204, responses=error_responses(401, 404))
def revoke_share_link(session_id: str, share_id: ShareId, db: Db, caller: Caller) -> Response:
    """Turn a share link off (the session stays). Revoking a revoked link is a no-op."""
    link = _link_of(db, caller, get_session(db, caller, session_id).id, share_id)
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        db.commit()
    return Response(status_code=204)


@router.get("/share/{token}", response_class=HTMLResponse, responses=error_responses(403, 404))
def open_share_link(token: Annotated[str, Path(max_length=1000)], db: Db):
    link = open_link(db, token)
    html = scorecard_html(db, link.org_id, link.session_id)
    if html is None:
        raise not_found()
    return HTMLResponse(html, headers=HTML_SECURITY_HEADERS)
