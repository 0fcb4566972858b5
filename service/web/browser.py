"""Server-side browser sessions and CSRF tokens.

The cookie holds 256 random bits; the ``web_sessions`` row is keyed by their SHA-256, so a
copy of the database signs no one in. The cookie is HttpOnly, SameSite=Lax, and Secure when
the site is served over https. Every session, signed in or not, carries one synchroniser
token that each form posts back (``check_csrf``). Signing in replaces the session (a new
token), so a token planted before sign-in is worthless after it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request, Response
from sqlalchemy import delete
from sqlalchemy.orm import Session

from service.db import User, WebSession, utcnow
from service.web.errors import CsrfError

COOKIE = "coachscore_session"


@dataclass
class Visit:
    """One request's browser state; ``new_token``/``clear`` say what the response's cookie does."""

    web: WebSession | None = None
    user: User | None = None
    new_token: str | None = None
    clear: bool = False


def _id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def load_visit(db: Session, request: Request, now: datetime | None = None) -> Visit:
    """The browser's live session (and user) from its cookie; an empty Visit if none."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 100:
        return Visit()
    web = db.get(WebSession, _id(token))
    if web is None or web.expires_at <= (now or utcnow()):
        return Visit()
    user = db.get(User, web.user_id) if web.user_id else None
    if user is not None and user.deactivated_at is not None:
        return Visit()  # deactivated on the settings pages: signed out
    return Visit(web, user)


def start_session(db: Session, visit: Visit, user: User | None, hours: float, now: datetime | None = None) -> None:
    """Give the browser a fresh session (for ``user``, or anonymous), dropping its old one."""
    now = now or utcnow()
    if visit.web is not None:
        db.delete(visit.web)
    token = secrets.token_urlsafe(32)
    visit.web = WebSession(id=_id(token), user_id=user.id if user else None, csrf_token=secrets.token_urlsafe(32),
                           created_at=now, expires_at=now + timedelta(hours=hours))
    db.add(visit.web)
    visit.user, visit.new_token, visit.clear = user, token, False


def ensure_session(db: Session, visit: Visit, hours: float) -> WebSession:
    """The browser's session, an anonymous one started when it has none (forms need a token)."""
    if visit.web is None:
        start_session(db, visit, None, hours)
    assert visit.web is not None
    return visit.web


def end_session(db: Session, visit: Visit) -> None:
    if visit.web is not None:
        db.delete(visit.web)
    visit.web, visit.user, visit.new_token, visit.clear = None, None, None, True


def purge_expired(db: Session, now: datetime | None = None) -> None:
    db.execute(delete(WebSession).where(WebSession.expires_at <= (now or utcnow())))


def check_csrf(visit: Visit, submitted: object) -> None:
    """Raise CsrfError (403) unless ``submitted`` is this browser session's token."""
    if visit.web is None or not isinstance(submitted, str) or not submitted:
        raise CsrfError()
    if not hmac.compare_digest(submitted.encode("utf-8", "replace"), visit.web.csrf_token.encode()):
        raise CsrfError()


def apply_cookie(response: Response, visit: Visit, request: Request, *, hours: float, https: bool) -> None:
    """Set or clear the session cookie on ``response`` as ``visit`` asks."""
    if visit.new_token:
        secure = https or request.url.scheme == "https"
        response.set_cookie(COOKIE, visit.new_token, max_age=int(hours * 3600), path="/",
                            httponly=True, samesite="lax", secure=secure)
    elif visit.clear:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
