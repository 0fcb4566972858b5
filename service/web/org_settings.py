"""What an admin changes on the settings pages, one organisation at a time: users' roles,
deactivation and the person they are; reporting lines (no cycles); installed rubrics and
the organisation's default; webhook endpoints; retention. Each function takes the
organisation's id and refuses (``FormError``, a sentence for a person) anything outside it.

Rubrics are operator files (``RUBRICS_DIR/ID.toml``), the place the worker and the API
already read them from (``service.pipeline.installed_rubric``), so an uploaded rubric is
used exactly as one the operator copied there; the organisation stores only which one is
its default.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from analysis.errors import RubricError
from analysis.rubric import Rubric, load_rubric, parse_rubric
from service.db import (
    OneTimeLink, Org, Person, User, WebhookEndpoint, WebSession, new_id, utcnow,
)
from service.errors import ApiError
from service.retention import parse_days
from service.webhooks import validate_callback_url
from service.web.accounts import ROLES
from service.web.errors import FormError

RUBRIC_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")  # as the API's ``rubric`` field
MAX_RUBRIC_BYTES = 256 * 1024
MAX_ENDPOINTS = 20


def _user(db: Session, org_id: str, user_id: str) -> User:
    user = db.get(User, user_id)
    if user is None or user.org_id != org_id:
        raise FormError("There is no such account in your organisation.", 404)
    return user


def _person(db: Session, org_id: str, person_id: str) -> Person:
    person = db.get(Person, person_id)
    if person is None or person.org_id != org_id:
        raise FormError("Choose a person from the list.", 404)
    return person


# --------------------------------------------------------------------------- users


def _active_admins(db: Session, org_id: str) -> int:
    return db.scalar(select(func.count()).select_from(User).where(
        User.org_id == org_id, User.role == "admin", User.deactivated_at.is_(None))) or 0


def set_role(db: Session, org_id: str, user_id: str, role: str) -> User:
    """Make the user admin or member; refuses to leave the organisation without an active admin."""
    if role not in ROLES:
        raise FormError(f"The role must be one of: {', '.join(ROLES)}.")
    user = _user(db, org_id, user_id)
    if user.role == "admin" and role != "admin" and user.deactivated_at is None and _active_admins(db, org_id) <= 1:
        raise FormError(f"{user.email} is the only admin: make someone else an admin first.", 409)
    user.role = role
    return user


def set_active(db: Session, org_id: str, user_id: str, active: bool, *, by: str) -> User:
    """Deactivate (they cannot sign in; their browser sessions and open links end) or
    reactivate a user. An admin cannot deactivate themselves or the last active admin."""
    user = _user(db, org_id, user_id)
    if active:
        user.deactivated_at = None
        return user
    if user.id == by:
        raise FormError("You cannot deactivate your own account.", 409)
    if user.role == "admin" and user.deactivated_at is None and _active_admins(db, org_id) <= 1:
        raise FormError(f"{user.email} is the only admin: make someone else an admin first.", 409)
    user.deactivated_at = user.deactivated_at or utcnow()
    db.execute(delete(WebSession).where(WebSession.user_id == user.id))
    db.execute(delete(OneTimeLink).where(OneTimeLink.user_id == user.id, OneTimeLink.used_at.is_(None)))
    return user


def link_person(db: Session, org_id: str, user_id: str, person_id: str | None) -> User:
    """The user is now ``person_id`` (None: nobody); one account per person."""
    user = _user(db, org_id, user_id)
    if person_id:
        person = _person(db, org_id, person_id)
        taken = db.scalar(select(User).where(User.person_id == person.id, User.id != user.id))
        if taken is not None:
            raise FormError(f"{person.name} is already linked to {taken.email}.", 409)
        user.person_id = person.id
    else:
        user.person_id = None
    return user


@dataclass(frozen=True)
class Invitation:
    email: str
    user_id: str
    expires_at: datetime
    expired: bool


def open_invitations(db: Session, org_id: str, now: datetime | None = None) -> list[Invitation]:
    """Invitation links not used yet (the newest per user), expired ones included."""
    now = now or utcnow()
    rows = db.execute(
        select(User.email, User.id, func.max(OneTimeLink.expires_at))
        .join(OneTimeLink, OneTimeLink.user_id == User.id)
        .where(User.org_id == org_id, OneTimeLink.purpose == "invite", OneTimeLink.used_at.is_(None),
               User.password_hash.is_(None), User.deactivated_at.is_(None))
        .group_by(User.email, User.id).order_by(User.email)
    ).all()
    return [Invitation(e, u, x, x <= now) for e, u, x in rows]


# --------------------------------------------------------------------------- reporting lines


def set_manager(db: Session, org_id: str, person_id: str, manager_id: str | None) -> Person:
    """``person_id`` now reports to ``manager_id`` (None: nobody). Refuses a cycle, naming
    the chain that would close it."""
    person = _person(db, org_id, person_id)
    if not manager_id:
        person.manager_id = None
        return person
    manager = _person(db, org_id, manager_id)
    chain = [manager]
    while chain[-1].id != person.id and chain[-1].manager_id and len(chain) < 10_000:
        chain.append(db.get(Person, chain[-1].manager_id))
    if chain[-1].id == person.id:
        if manager.id == person.id:
            raise FormError(f"{person.name} cannot report to themselves.", 409)
        path = " → ".join(p.name for p in chain)
        raise FormError(f"{person.name} cannot report to {manager.name}: {manager.name} already reports "
                        f"to {person.name} ({path}). Change {manager.name}'s manager first.", 409)
    person.manager_id = manager.id
    return person


# --------------------------------------------------------------------------- rubrics


@dataclass(frozen=True)
class InstalledRubric:
    id: str
    title: str
    version: str
    problem: str | None = None  # the parser's message when the file no longer reads


def installed_rubrics(rubrics_dir: Path) -> list[InstalledRubric]:
    """The bundled default and every ``RUBRICS_DIR/*.toml``, as the worker would read them."""
    default = load_rubric(None)
    found = [InstalledRubric("default", default.title, default.version)]
    for path in sorted(rubrics_dir.glob("*.toml")) if rubrics_dir.is_dir() else []:
        if path.stem == "default":
            continue
        try:
            r = load_rubric(path)
            found.append(InstalledRubric(path.stem, r.title, r.version))
        except RubricError as e:
            found.append(InstalledRubric(path.stem, "", "", e.message))
    return found


def install_rubric(rubrics_dir: Path, filename: str, data: bytes) -> Rubric:
    """Validate an uploaded rubric with the worker's parser and install it as
    ``RUBRICS_DIR/ID.toml`` (ID: the file name without ``.toml``). FormError names the
    user's file and the bad field; an installed id is never replaced (sessions refer to it)."""
    name = Path(filename or "").name
    if not name.endswith(".toml"):
        raise FormError(f"{name or 'The file'}: a rubric is a TOML file whose name ends in .toml "
                        "(e.g. sales-1on1.toml).")
    rubric_id = name[: -len(".toml")]
    if not RUBRIC_ID.match(rubric_id) or rubric_id == "default":
        raise FormError(f"{name}: name the file with letters, digits, '.', '-' or '_' (not 'default'), "
                        "e.g. sales-1on1.toml; the name is the rubric's id.")
    if len(data) > MAX_RUBRIC_BYTES:
        raise FormError(f"{name}: the file is larger than {MAX_RUBRIC_BYTES // 1024} KiB.", 413)
    try:
        rubric = parse_rubric(data.decode("utf-8"), name=name)
    except UnicodeDecodeError as e:
        raise FormError(f"{name}: the file is not UTF-8 text.") from e
    except RubricError as e:
        raise FormError(_sentence(e.message)) from e
    target = rubrics_dir / f"{rubric_id}.toml"
    if target.exists():
        raise FormError(f"{name}: a rubric with the id {rubric_id} is already installed. Sessions scored "
                        "with it refer to it, so upload the new version under a new file name.", 409)
    _write_new(target, data)
    return rubric


def _sentence(message: str) -> str:
    """'rubric x.toml: field ...' -> 'x.toml: field ...' (the parser's words, the user's file)."""
    message = message.removeprefix("rubric ")
    return message if message.endswith(".") else message + "."


def _write_new(target: Path, data: bytes) -> None:
    """Write ``target`` atomically (a temp file renamed), failing if it appeared meanwhile."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.link(tmp, target)  # fails with FileExistsError instead of replacing
    except FileExistsError as e:
        raise FormError(f"{target.name}: a rubric with that id was installed a moment ago.", 409) from e
    finally:
        os.unlink(tmp)


def set_default_rubric(db: Session, org: Org, rubrics_dir: Path, rubric_id: str) -> None:
    """The rubric new uploads of ``org`` use when they name none ('default': the bundled one)."""
    if rubric_id not in {r.id for r in installed_rubrics(rubrics_dir) if r.problem is None}:
        raise FormError("Choose an installed rubric from the list.")
    org.default_rubric = None if rubric_id == "default" else rubric_id


# --------------------------------------------------------------------------- webhooks


def add_endpoint(db: Session, org_id: str, url: str, allow_private: bool) -> WebhookEndpoint:
    """A URL that gets every (non-private) session's done/failed notification, checked
    like the API's ``callback_url``."""
    try:
        url = validate_callback_url(url, allow_private)
    except ApiError as e:
        raise FormError(e.message.replace("callback_url", "The webhook URL") + ".") from e
    taken = db.scalars(select(WebhookEndpoint.url).where(WebhookEndpoint.org_id == org_id)).all()
    if url in taken:
        raise FormError(f"{url} is already a webhook endpoint.", 409)
    if len(taken) >= MAX_ENDPOINTS:
        raise FormError(f"An organisation can have at most {MAX_ENDPOINTS} webhook endpoints.", 409)
    endpoint = WebhookEndpoint(id=new_id("whe"), org_id=org_id, url=url)
    db.add(endpoint)
    db.flush()
    return endpoint


def remove_endpoint(db: Session, org_id: str, endpoint_id: str) -> None:
    endpoint = db.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.org_id != org_id:
        raise FormError("There is no such webhook endpoint.", 404)
    db.delete(endpoint)


# --------------------------------------------------------------------------- retention


def set_retention(org: Org, audio_days: str, transcript_days: str) -> None:
    """Keep recordings / transcripts this many days (blank: forever)."""
    try:
        org.keep_audio_days = parse_days(audio_days, "recordings")
        org.keep_transcripts_days = parse_days(transcript_days, "transcripts")
    except ValueError as e:
        raise FormError(str(e)) from e
