"""People who sign in: users, invitation and reset links, sign-in with lockout.

A user belongs to one organisation and is (at most) one ``Person`` there. Emails are unique
across the server (sign-in asks for no organisation) and stored lower-case. One-time links
carry 256 random bits; only their SHA-256 is stored, they expire and work once.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.db import OneTimeLink, Org, Person, User, new_id, utcnow
from service.web.errors import FormError, link_error
from service.web.passwords import check_new_password, hash_password, needs_rehash, verify_password

ROLES = ("admin", "member")
PURPOSES = ("invite", "reset")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WRONG_PASSWORD = "The email address or password is wrong."


def normalise_email(email: str) -> str:
    """``email`` stripped and lower-cased; FormError unless it looks like an address."""
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise FormError("Enter an email address like name@example.com.")
    return email


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def find_user(db: Session, email: str) -> User | None:
    return db.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(db: Session, org: Org, email: str, role: str, name: str = "",
                manager_id: str | None = None) -> User:
    """A user without a password (they set it through an invitation link). With ``name``,
    they are the organisation's person of that name (created when new, and put under
    ``manager_id`` when given). FormError when the email or the person is taken."""
    if role not in ROLES:
        raise FormError(f"The role must be one of: {', '.join(ROLES)}.")
    email = normalise_email(email)
    if find_user(db, email) is not None:
        raise FormError(f"There is already an account for {email}.", 409)
    user = User(id=new_id("usr"), org_id=org.id, email=email, role=role, failed_signins=0)
    if name.strip():
        person = _person_named(db, org.id, name)
        _check_unclaimed(db, person)
        if manager_id and manager_id != person.id:
            person.manager_id = _person_in_org(db, org.id, manager_id).id
        user.person_id = person.id
    db.add(user)
    db.flush()
    return user


def _person_named(db: Session, org_id: str, name: str) -> Person:
    name = _clean_name(name)
    person = db.scalar(select(Person).where(Person.org_id == org_id, Person.name == name))
    if person is None:
        person = Person(id=new_id("per"), org_id=org_id, name=name)
        db.add(person)
        db.flush()
    return person


def _person_in_org(db: Session, org_id: str, person_id: str) -> Person:
    person = db.get(Person, person_id)
    if person is None or person.org_id != org_id:
        raise FormError("Choose the manager from the list.")
    return person


def _check_unclaimed(db: Session, person: Person, besides: str | None = None) -> None:
    q = select(User.id).where(User.person_id == person.id)
    if besides:
        q = q.where(User.id != besides)
    if db.scalar(q) is not None:
        raise FormError(f"{person.name} already has an account.", 409)


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise FormError("Enter a name (at most 200 characters).")
    return name


# --------------------------------------------------------------------------- one-time links


def issue_link(db: Session, user: User, purpose: str, ttl_hours: float, *, created_by: str | None = None,
               now: datetime | None = None) -> str:
    """A new one-time token for ``user`` (``purpose`` invite|reset) valid ``ttl_hours`` hours;
    returns the plain token, which is not stored."""
    assert purpose in PURPOSES
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    db.add(OneTimeLink(
        id=new_id("lnk"), user_id=user.id, purpose=purpose, token_hash=token_hash(token),
        created_by=created_by, created_at=now, expires_at=now + timedelta(hours=ttl_hours),
    ))
    db.flush()
    return token


def link_hours(settings: Any, purpose: str) -> float:
    """How long a new link for ``purpose`` works, hours (``invite_ttl_hours`` / ``reset_ttl_hours``)."""
    return settings.invite_ttl_hours if purpose == "invite" else settings.reset_ttl_hours


def new_link(db: Session, settings: Any, user: User, purpose: str, created_by: str | None = None) -> str:
    """A new one-time link (full URL on ``public_base_url``) for ``user``."""
    token = issue_link(db, user, purpose, link_hours(settings, purpose), created_by=created_by)
    return f"{settings.public_base_url.rstrip('/')}/{purpose}/{token}"


def open_link(db: Session, token: str, purpose: str, now: datetime | None = None) -> tuple[OneTimeLink, User]:
    """The unused, unexpired link with this token and its user; ApiError 404 otherwise."""
    link = db.scalar(select(OneTimeLink).where(
        OneTimeLink.token_hash == token_hash(token), OneTimeLink.purpose == purpose
    ))
    if link is None:
        raise link_error("This link is not valid. Check that you copied all of it, or ask your admin for a new one.")
    if link.used_at is not None:
        raise link_error("This link has already been used. Ask your admin for a new one if you need it.")
    if link.expires_at <= (now or utcnow()):
        raise link_error("This link has expired. Ask your admin for a new one.")
    user = db.get(User, link.user_id)
    assert user is not None  # the foreign key cascades
    return link, user


def use_link(db: Session, token: str, purpose: str, password: str, repeat: str, *, name: str | None = None,
             now: datetime | None = None) -> User:
    """Set the user's password (and, for an invitation, their name) through a one-time
    link; the link and every other open link of the user stop working. Clears a lockout."""
    now = now or utcnow()
    _, user = open_link(db, token, purpose, now)
    check_new_password(password, repeat)
    if name is not None:
        _set_name(db, user, name)
    user.password_hash = hash_password(password)
    user.failed_signins, user.locked_until = 0, None
    db.execute(update(OneTimeLink).where(OneTimeLink.user_id == user.id, OneTimeLink.used_at.is_(None))
               .values(used_at=now))
    return user


def _set_name(db: Session, user: User, name: str) -> None:
    """Name the user's person (a new person when they have none); FormError when another
    person of the organisation has that name."""
    name = _clean_name(name)
    person = db.get(Person, user.person_id) if user.person_id else None
    taken = db.scalar(select(Person).where(Person.org_id == user.org_id, Person.name == name))
    if taken is not None and taken is not person:
        raise FormError(f"Someone in your organisation is already called {name}. "
                        "Add something to tell you apart, or ask your admin to link your account.")
    if person is None:
        person = Person(id=new_id("per"), org_id=user.org_id, name=name)
        db.add(person)
        db.flush()
        user.person_id = person.id
    person.name = name


# --------------------------------------------------------------------------- sign-in


def sign_in(db: Session, email: str, password: str, *, max_failures: int, lockout_minutes: float,
            now: datetime | None = None) -> User:
    """The user with this email and password. FormError (the session is left to commit, so
    failures count) for a wrong pair, or while the account is locked: ``max_failures``
    wrong passwords in a row lock it for ``lockout_minutes`` minutes, right password or not."""
    now = now or utcnow()
    user = find_user(db, email)
    if user is not None and user.locked_until is not None and user.locked_until > now:
        raise FormError(_locked_message(user.locked_until - now), 403)
    if not verify_password(user.password_hash if user else None, password):
        if user is not None:
            _count_failure(user, max_failures, lockout_minutes, now)
        raise FormError(WRONG_PASSWORD, 401)
    assert user is not None and user.password_hash is not None
    if user.deactivated_at is not None:
        raise FormError("This account has been deactivated. Ask your admin if you need it again.", 403)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_signins, user.locked_until, user.last_signin_at = 0, None, now
    return user


def _count_failure(user: User, max_failures: int, lockout_minutes: float, now: datetime) -> None:
    user.failed_signins = (user.failed_signins or 0) + 1
    if user.failed_signins >= max_failures:
        user.failed_signins, user.locked_until = 0, now + timedelta(minutes=lockout_minutes)


def _locked_message(left: timedelta) -> str:
    minutes = max(1, math.ceil(left.total_seconds() / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return (f"This account is locked after too many wrong passwords. Try again in {minutes} {unit}, "
            "or ask your admin for a password-reset link.")
