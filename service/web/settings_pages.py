"""The admin's settings pages (``/settings/...``): users and roles, reporting lines,
rubrics, API keys, webhooks, retention.

Only an organisation's admins open them; a member gets the 403 page ("Only an admin of your
organisation can do that."): the pages' existence is no secret, and a member who follows a
link learns why it does not open. Every form posts with the browser session's CSRF token
and, when it worked, redirects back to its page (303) with a one-line confirmation; when it
did not, the page comes back with the reason. The work itself is done by the functions the
rest of the service uses: ``service.web.org_settings``, ``service.auth`` (API keys, as the
CLI), ``service.web.accounts`` (invitation links), ``service.retention``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth import KEY_PREFIX, create_key, find_org, list_keys, revoke_key
from service.db import Org, Person, User, WebhookDelivery, WebhookEndpoint
from service.web import org_settings as ops
from service.web.browser import Visit, check_csrf
from service.web.errors import FormError
from service.web.routes import Ctx, Db, Form, Web, _admin, _form_page, _send_new_link
from service.web.templating import page, redirect

router = APIRouter(include_in_schema=False)
SECTIONS = (("users", "Users and roles"), ("people", "Reporting lines"), ("rubrics", "Rubrics"),
            ("api-keys", "API keys"), ("webhooks", "Webhooks"), ("retention", "Retention"))
SAVED = {
    "role": "The role was changed.", "person": "The account's person was changed.",
    "deactivated": "The account was deactivated: its browser sessions ended and it cannot sign in.",
    "reactivated": "The account can sign in again.", "manager": "The reporting line was saved.",
    "rubric": "The rubric was checked and installed.", "default": "The default rubric was saved.",
    "revoked": "The key was revoked: requests with it now get 401.", "added": "The webhook endpoint was added.",
    "removed": "The webhook endpoint was removed.", "retention": "The retention settings were saved.",
}
RECENT_DELIVERIES = 20


def _org(db: Session, visit: Visit) -> Org:
    org = find_org(db, _admin(visit).org_id)
    assert org is not None  # a user's organisation cascades
    return org


def _show(request: Request, db: Session, visit: Visit, ctx, section: str, *, status: int = 200,
          error: str | None = None, **extra: Any) -> Response:
    """Section ``section``'s page (an error, or the ``saved`` confirmation, above its forms)."""
    org = _org(db, visit)
    context = {**BUILDERS[section](db, org, ctx), **extra}
    saved = SAVED.get(request.query_params.get("saved", "")) if status == 200 and not error else None
    common = dict(sections=SECTIONS, section=section, heading=dict(SECTIONS)[section], error=error, saved=saved, org=org)
    if status != 200:
        return page(request, visit, f"settings_{section.replace('-', '_')}.html.j2", status=status,
                    **common, **context)
    return _form_page(request, db, visit, ctx, f"settings_{section.replace('-', '_')}.html.j2", **common, **context)


def _done(request: Request, visit: Visit, section: str, saved: str) -> Response:
    return redirect(request, visit, f"/settings/{section}?saved={saved}")


def _attempt(request: Request, db: Session, visit: Visit, ctx, section: str, saved: str, change) -> Response:
    """Run ``change()``; commit and go back to the page, or show the page with its FormError."""
    try:
        change()
    except FormError as e:
        db.rollback()
        return _show(request, db, visit, ctx, section, status=e.status, error=e.message)
    db.commit()
    return _done(request, visit, section, saved)


@router.get("/settings")
def settings_home(request: Request, visit: Web) -> Response:
    _admin(visit)
    return redirect(request, visit, "/settings/users")


# --------------------------------------------------------------------------- users


def _users(db: Session, org: Org, ctx) -> dict:
    users = list(db.scalars(select(User).where(User.org_id == org.id).order_by(User.email)))
    return dict(users=users, invitations=ops.open_invitations(db, org.id), **_people(db, org, ctx))


@router.get("/settings/users")
def users_page(request: Request, db: Db, visit: Web, ctx: Ctx) -> Response:
    return _show(request, db, visit, ctx, "users")


@router.post("/settings/users/{user_id}/role")
def change_role(user_id: str, request: Request, db: Db, visit: Web, ctx: Ctx, form: Form) -> Response:
    org = _org(db, visit)
    return _attempt(request, db, visit, ctx, "users", "role",
                    lambda: ops.set_role(db, org.id, user_id, form.get("role", "")))


@router.post("/settings/users/{user_id}/person")
def change_person(user_id: str, request: Request, db: Db, visit: Web, ctx: Ctx, form: Form) -> Response:
    org = _org(db, visit)
    return _attempt(request, db, visit, ctx, "users", "person",
                    lambda: ops.link_person(db, org.id, user_id, form.get("person") or None))


@router.post("/settings/users/{user_id}/active")
def change_active(user_id: str, request: Request, db: Db, visit: Web, ctx: Ctx, form: Form) -> Response:
    viewer, org = _admin(visit), _org(db, visit)
    active = form.get("active") == "yes"
    return _attempt(request, db, visit, ctx, "users", "reactivated" if active else "deactivated",
                    lambda: ops.set_active(db, org.id, user_id, active, by=viewer.user_id))


@router.post("/settings/users/{user_id}/invite-link")
def new_invite_link(user_id: str, request: Request, db: Db, visit: Web, ctx: Ctx, form: Form) -> Response:
    """A fresh invitation link for someone who has not set a password yet (the old one may
    have expired): the same links as the home page's invitation form makes."""
    viewer = _admin(visit)
    user = db.get(User, user_id)
    if user is None or user.org_id != viewer.org_id or user.password_hash is not None or user.deactivated_at:
        return _show(request, db, visit, ctx, "users", status=404,
                     error="That account has no open invitation (it may have been accepted already).")
    url = _send_new_link(db, ctx, user, "invite", created_by=viewer.user_id)
    return page(request, visit, "link.html.j2", purpose="invite", email=user.email, url=url,
                hours=ctx.settings.invite_ttl_hours)


# --------------------------------------------------------------------------- reporting lines


def _people(db: Session, org: Org, ctx) -> dict:
    people = list(db.scalars(select(Person).where(Person.org_id == org.id).order_by(Person.name)))
    return dict(people=people, names={p.id: p.name for p in people})


@router.get("/settings/people")
def people_page(request: Request, db: Db, visit: Web, ctx: Ctx) -> Response:
    return _show(request, db, visit, ctx, "people")


@router.post("/settings/people/{person_id}/manager")
def change_manager(person_id: str, request: Request, db: Db, visit: Web, ctx: Ctx, form: Form) -> Response:
    org = _org(db, visit)
    return _attempt(request, db, visit, ctx, "people", "manager",
                    lambda: ops.set_manager(db, org.id, person_id, form.get("manager") or None))


# --------------------------------------------------------------------------- rubrics


def _rubrics(db: Session, org: Org, ctx) -> dict:
    return dict(rubrics=ops.installed_rubrics(ctx.settings.resolved_rubrics_dir()),
                default=org.default_rubric or "default", max_kib=ops.MAX_RUBRIC_BYTES // 1024)


@router.get("/settings/rubrics")
def rubrics_page(request: Request, db: Db, visit: Web, ctx: Ctx) -> Response:
    return _show(request, db, visit, ctx, "rubrics")


@router.post("/settings/rubrics")
async def upload_rubric(request: Request, db: Db, visit: Web, ctx: Ctx) -> Response:
    """Check the uploaded TOML with the worker's parser and install it (multipart form)."""
    import anyio

    _admin(visit)
    form = await request.form(max_files=1, max_fields=5)
    check_csrf(visit, form.get("csrf_token"))
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        error = "Choose a rubric file (.toml) to upload."
        return await anyio.to_thread.run_sync(
            lambda: _show(request, db, visit, ctx, "rubrics", status=400, error=error))
    data = await upload.read(ops.MAX_RUBRIC_BYTES + 1)
    folder = ctx.settings.resolved_rubrics_dir()
    return await anyio.to_thread.run_sync(
        lambda: _attempt(request, db, visit, ctx, "rubrics", "rubric",
                         lambda: ops.install_rubric(folder, upload.filename, data)))


@router.post("/settings/rubrics/default")
def choose_default_rubric(request: Request, db: Db, visit: Web, ctx: Ctx, form: Form) -> Response:
    org = _org(db, visit)
    return _attempt(request, db, visit, ctx, "rubrics", "default", lambda: ops.set_default_rubric(
        db, org, ctx.settings.resolved_rubrics_dir(), form.get("rubric", "")))


# --------------------------------------------------------------------------- API keys


def _keys(db: Session, org: Org, ctx) -> dict:
    keys = sorted(list_keys(db, org), key=lambda k: (k.revoked_at is not None, k.created_at), reverse=False)
    return dict(keys=keys, key_prefix=KEY_PREFIX, created=None)


@router.get("/settings/api-keys")
def keys_page(request: Request, db: Db, visit: Web, ctx: Ctx) -> Response:
    return _show(request, db, visit, ctx, "api-keys")


@router.post("/settings/api-keys")
def new_key(request: Request, db: Db, visit: Web, ctx: Ctx, form: Form) -> Response:
    """Create a key (``service.auth.create_key``, as ``coachscore admin create-key``); the
    page that answers shows it once."""
    org = _org(db, visit)
    name = " ".join(form.get("name", "").split())[:200]
    created = create_key(db, org, name)
    db.commit()
    return _show(request, db, visit, ctx, "api-keys", created=created, created_name=name)


@router.post("/settings/api-keys/{key_id}/revoke")
def revoke(key_id: str, request: Request, db: Db, visit: Web, ctx: Ctx, form: Form) -> Response:
    org = _org(db, visit)

    def change() -> None:
        if not revoke_key(db, key_id, org_id=org.id):
            raise FormError("That key is unknown or already revoked.", 404)

    return _attempt(request, db, visit, ctx, "api-keys", "revoked", change)


# --------------------------------------------------------------------------- webhooks


def _webhooks(db: Session, org: Org, ctx) -> dict:
    endpoints = list(db.scalars(select(WebhookEndpoint).where(WebhookEndpoint.org_id == org.id)
                                .order_by(WebhookEndpoint.created_at)))
    deliveries = list(db.scalars(select(WebhookDelivery).where(WebhookDelivery.org_id == org.id)
                                 .order_by(WebhookDelivery.created_at.desc()).limit(RECENT_DELIVERIES)))
    return dict(endpoints=endpoints, deliveries=deliveries, url="")


@router.get("/settings/webhooks")
def webhooks_page(request: Request, db: Db, visit: Web, ctx: Ctx) -> Response:
    return _show(request, db, visit, ctx, "webhooks")


@router.post("/settings/webhooks")
def add_webhook(request: Request, db: Db, visit: Web, ctx: Ctx, form: Form) -> Response:
    org = _org(db, visit)
    url = form.get("url", "")
    try:
        ops.add_endpoint(db, org.id, url, ctx.settings.webhook_allow_private)
    except FormError as e:
        db.rollback()
        return _show(request, db, visit, ctx, "webhooks", status=e.status, error=e.message, url=url)
    db.commit()
    return _done(request, visit, "webhooks", "added")


@router.post("/settings/webhooks/{endpoint_id}/remove")
def remove_webhook(endpoint_id: str, request: Request, db: Db, visit: Web, ctx: Ctx, form: Form) -> Response:
    org = _org(db, visit)
    return _attempt(request, db, visit, ctx, "webhooks", "removed",
                    lambda: ops.remove_endpoint(db, org.id, endpoint_id))


# --------------------------------------------------------------------------- retention


def _retention(db: Session, org: Org, ctx) -> dict:
    return dict(audio_days=org.keep_audio_days, transcript_days=org.keep_transcripts_days,
                keep_audio=ctx.settings.keep_audio, every_h=ctx.settings.retention_purge_s / 3600)


@router.get("/settings/retention")
def retention_page(request: Request, db: Db, visit: Web, ctx: Ctx) -> Response:
    return _show(request, db, visit, ctx, "retention")


@router.post("/settings/retention")
def change_retention(request: Request, db: Db, visit: Web, ctx: Ctx, form: Form) -> Response:
    org = _org(db, visit)
    return _attempt(request, db, visit, ctx, "retention", "retention", lambda: ops.set_retention(
        org, form.get("audio_days", ""), form.get("transcript_days", "")))


BUILDERS = {"users": _users, "people": _people, "rubrics": _rubrics, "api-keys": _keys,
            "webhooks": _webhooks, "retention": _retention}
