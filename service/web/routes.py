"""The web pages: sign-in and sign-out, invitations, password reset, home.

Every POST is a form carrying the browser session's CSRF token; a page that needs a user
sends a browser to sign in. Pages work without JavaScript.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.api.deps import AppContext, Db, get_ctx
from service.repository import people_names
from service.auth import find_org
from service.db import CoachingSession, Person, User
from service.errors import ApiError
from service.ratelimit import RateLimiter
from service.web import accounts
from service.web.access import Viewer, visible_sessions
from service.web.browser import (
    Visit, check_csrf, end_session, ensure_session, load_visit, purge_expired, start_session,
)
from service.web.errors import FormError, SignInRequired
from service.web.mail import make_mailer, send_link
from service.web.templating import page, redirect

router = APIRouter(include_in_schema=False)
HOME_LIMIT = 50


async def get_visit(request: Request, db: Db) -> Visit:
    return load_visit(db, request)


Web = Annotated[Visit, Depends(get_visit)]
Ctx = Annotated[AppContext, Depends(get_ctx)]


async def checked_form(request: Request, visit: Web) -> dict[str, str]:
    """The posted form's text fields, after checking its CSRF token (403 otherwise). Routes
    taking it stay plain functions, so password hashing runs off the event loop."""
    form = await request.form()
    check_csrf(visit, form.get("csrf_token"))
    return {k: v for k, v in form.items() if isinstance(v, str)}


Form = Annotated[dict[str, str], Depends(checked_form)]


def _viewer(visit: Visit) -> Viewer:
    if visit.user is None:
        raise SignInRequired()
    return Viewer.of(visit.user)


def _admin(visit: Visit) -> Viewer:
    viewer = _viewer(visit)
    if not viewer.is_admin:
        raise ApiError(403, "forbidden", "Only an admin of your organisation can do that.")
    return viewer


def _safe_next(value: str | None) -> str:
    """A path on this site to go to after sign-in (never another site)."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/home"


def _throttle(request: Request) -> None:
    """429 when this client address is over its sign-in attempts per minute."""
    limiter: RateLimiter = request.app.state.web_limiter
    wait = limiter.take(request.client.host if request.client else "-")
    if wait > 0:
        raise ApiError(429, "too_many_requests",
                       f"Too many attempts from your network. Wait {RateLimiter.retry_after(wait)} seconds "
                       "and try again.", headers={"Retry-After": RateLimiter.retry_after(wait)})


def _form_page(request: Request, db: Session, visit: Visit, ctx: AppContext, template: str, **context) -> Response:
    """A page with a form: the browser gets a session first (its token is in the form)."""
    ensure_session(db, visit, ctx.settings.web_session_hours)
    db.commit()
    return page(request, visit, template, **context)


# --------------------------------------------------------------------------- sign-in


@router.get("/")
def root(request: Request, visit: Web) -> Response:
    return redirect(request, visit, "/home" if visit.user else "/signin")


@router.get("/signin")
def signin_page(request: Request, db: Db, visit: Web, ctx: Ctx, next: str = "/home") -> Response:
    if visit.user is not None:
        return redirect(request, visit, _safe_next(next))
    return _form_page(request, db, visit, ctx, "signin.html.j2", next=_safe_next(next), email="", error=None)


@router.post("/signin")
def signin(request: Request, db: Db, visit: Web, ctx: Ctx, form: Form) -> Response:
    _throttle(request)
    s, target = ctx.settings, _safe_next(form.get("next"))
    try:
        user = accounts.sign_in(db, form.get("email", ""), form.get("password", ""),
                                max_failures=s.signin_max_failures, lockout_minutes=s.signin_lockout_minutes)
    except FormError as e:
        db.commit()  # the failure counts towards the lockout
        return page(request, visit, "signin.html.j2", status=e.status, next=target,
                    email=form.get("email", ""), error=e.message)
    purge_expired(db)
    start_session(db, visit, user, s.web_session_hours)
    db.commit()
    return redirect(request, visit, target)


@router.post("/signout")
def signout(request: Request, db: Db, visit: Web, form: Form) -> Response:
    end_session(db, visit)
    db.commit()
    return redirect(request, visit, "/signin")


# --------------------------------------------------------------------------- one-time links


@router.get("/invite/{token}")
def invite_page(token: str, request: Request, db: Db, visit: Web, ctx: Ctx) -> Response:
    _, user = accounts.open_link(db, token, "invite")
    return _form_page(request, db, visit, ctx, "set_password.html.j2", mode="invite", email=user.email,
                      name=_person_name(db, user), error=None)


@router.post("/invite/{token}")
def accept_invite(token: str, request: Request, db: Db, visit: Web, ctx: Ctx, form: Form) -> Response:
    return _use_link(request, db, visit, ctx, token, "invite", form)


@router.get("/reset/{token}")
def reset_page(token: str, request: Request, db: Db, visit: Web, ctx: Ctx) -> Response:
    _, user = accounts.open_link(db, token, "reset")
    return _form_page(request, db, visit, ctx, "set_password.html.j2", mode="reset", email=user.email,
                      name="", error=None)


@router.post("/reset/{token}")
def complete_reset(token: str, request: Request, db: Db, visit: Web, ctx: Ctx, form: Form) -> Response:
    return _use_link(request, db, visit, ctx, token, "reset", form)


def _use_link(request: Request, db: Session, visit: Visit, ctx: AppContext, token: str, purpose: str,
              form: dict[str, str]) -> Response:
    """Set the password through the link, then sign the browser in as that user."""
    name = form.get("name", "") if purpose == "invite" else None
    try:
        user = accounts.use_link(db, token, purpose, form.get("password", ""), form.get("repeat", ""), name=name)
    except FormError as e:
        db.rollback()
        _, user = accounts.open_link(db, token, purpose)
        return page(request, visit, "set_password.html.j2", status=e.status, mode=purpose, email=user.email,
                    name=name or "", error=e.message)
    start_session(db, visit, user, ctx.settings.web_session_hours)
    db.commit()
    return redirect(request, visit, "/home")


@router.get("/reset")
def reset_request_page(request: Request, db: Db, visit: Web, ctx: Ctx) -> Response:
    return _form_page(request, db, visit, ctx, "reset_request.html.j2", sent=False)


@router.post("/reset")
def reset_request(request: Request, db: Db, visit: Web, ctx: Ctx, form: Form) -> Response:
    """Send a reset link through the mailer when the account exists; the page says the same
    either way (it does not tell who has an account)."""
    _throttle(request)
    user = accounts.find_user(db, form.get("email", ""))
    if user is not None and user.password_hash is not None:
        _send_new_link(db, ctx, user, "reset", created_by=None)
    db.commit()
    return page(request, visit, "reset_request.html.j2", sent=True)


def _send_new_link(db: Session, ctx: AppContext, user: User, purpose: str, created_by: str | None) -> str:
    """Store a new one-time link (committing), then hand it to the mailer; returns its URL."""
    url = accounts.new_link(db, ctx.settings, user, purpose, created_by)
    db.commit()
    send_link(make_mailer(ctx.settings), user.email, purpose, url, accounts.link_hours(ctx.settings, purpose))
    return url


def _person_name(db: Session, user: User) -> str:
    person = db.get(Person, user.person_id) if user.person_id else None
    return person.name if person else ""


# --------------------------------------------------------------------------- home


@router.get("/home")
def home(request: Request, db: Db, visit: Web) -> Response:
    """The sessions this user may see, newest first, and (for admins) the invitation form."""
    viewer = _viewer(visit)
    newest = func.coalesce(CoachingSession.recorded_at, CoachingSession.created_at).desc()
    sessions = list(db.scalars(visible_sessions(viewer).order_by(newest, CoachingSession.id).limit(HOME_LIMIT)))
    people = _org_people(db, viewer) if viewer.is_admin else []
    return page(request, visit, "home.html.j2", me=_person_name(db, visit.user), sessions=sessions,
                names=people_names(db, sessions), people=people, limit=HOME_LIMIT, error=None)


def _org_people(db: Session, viewer: Viewer) -> list[Person]:
    return list(db.scalars(select(Person).where(Person.org_id == viewer.org_id).order_by(Person.name)))


@router.post("/home/invite")
def invite(request: Request, db: Db, visit: Web, ctx: Ctx, form: Form) -> Response:
    """Admin: create an account and show its one-time invitation link to copy."""
    viewer = _admin(visit)
    org = find_org(db, viewer.org_id)
    try:
        user = accounts.create_user(db, org, form.get("email", ""), form.get("role", "member"),
                                    form.get("name", ""), form.get("manager") or None)
    except FormError as e:
        db.rollback()
        return page(request, visit, "message.html.j2", status=e.status, title="Could not invite", text=e.message)
    url = _send_new_link(db, ctx, user, "invite", created_by=viewer.user_id)
    return page(request, visit, "link.html.j2", purpose="invite", email=user.email, url=url,
                hours=ctx.settings.invite_ttl_hours)


@router.post("/home/reset-link")
def reset_link(request: Request, db: Db, visit: Web, ctx: Ctx, form: Form) -> Response:
    """Admin: a one-time password-reset link for a user of the organisation, to copy."""
    viewer = _admin(visit)
    user = accounts.find_user(db, form.get("email", ""))
    if user is None or user.org_id != viewer.org_id:
        return page(request, visit, "message.html.j2", status=404, title="No such account",
                    text="Nobody in your organisation has an account with that email address.")
    url = _send_new_link(db, ctx, user, "reset", created_by=viewer.user_id)
    return page(request, visit, "link.html.j2", purpose="reset", email=user.email, url=url,
                hours=ctx.settings.reset_ttl_hours)
