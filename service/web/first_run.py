"""The first sign-in on a fresh install (``coachscore admin first-run``, run by scripts/demo.sh):
an organisation and its first admin when the server has no admin yet, and a one-time link
for that admin. Run again, it makes no second admin: it gives the existing first admin a
new link (an invitation while they have not chosen a password, else a password reset), so
a lost link is never a dead end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth import create_org, find_org
from service.db import Org, User
from service.web.accounts import create_user, link_hours, new_link, normalise_email

DEFAULT_ORG = "My organisation"
DEFAULT_EMAIL = "admin@example.com"


@dataclass(frozen=True)
class FirstRun:
    url: str  # the one-time link (invite or reset)
    purpose: str  # "invite" | "reset"
    email: str
    org: str
    created: bool  # a new admin (and maybe organisation) was made just now
    hours: float  # how long the link works


def first_admin(db: Session) -> User | None:
    """The server's first admin (oldest), if any."""
    return db.scalar(select(User).where(User.role == "admin").order_by(User.created_at, User.id).limit(1))


def first_run(db: Session, settings: Any, email: str = DEFAULT_EMAIL, org_name: str = DEFAULT_ORG) -> FirstRun:
    """Make sure an admin exists and return a fresh one-time link for them (the caller
    commits). With no admin on the server: the organisation ``org_name`` (created unless it
    exists) and the admin ``email``. With one already: the admin ``email`` if that is an
    admin, else the first admin; ``org_name`` is then ignored. FormError for a bad email."""
    wanted = normalise_email(email)
    user = db.scalar(select(User).where(User.email == wanted, User.role == "admin")) or first_admin(db)
    created = user is None
    if user is None:
        org = find_org(db, org_name.strip()) or create_org(db, org_name)
        user = create_user(db, org, wanted, "admin")
    purpose = "invite" if user.password_hash is None else "reset"
    url = new_link(db, settings, user, purpose)
    org = db.get(Org, user.org_id)
    return FirstRun(url, purpose, user.email, org.name if org else "", created, link_hours(settings, purpose))
