"""Organisations and API keys.

A key looks like ``csk_<8-char prefix>_<43-char secret>``; only its SHA-256 is stored
(the key has 256 bits of entropy, so a fast hash is enough). The plain key is returned
once, at creation. Requests authenticate with ``Authorization: Bearer <key>``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.db import ApiKey, Org, new_id, utcnow
from service.errors import ApiError

KEY_PREFIX = "csk"
LAST_USED_STEP = timedelta(minutes=5)


WEB_PREFIX = "web:"  # Principal.key_id of a signed-in user acting through the web pages


@dataclass(frozen=True)
class Principal:
    """Who is calling: the organisation every query must be scoped to. An API key acts for
    the organisation and never sees a private session (a leader's self-review: only that
    leader sees it); a signed-in user acting through the web pages (``key_id`` "web:<user>")
    has already passed the web's access rule, which lets a leader see their own."""

    org_id: str
    key_id: str

    @property
    def sees_private(self) -> bool:
        return self.key_id.startswith(WEB_PREFIX)


@dataclass(frozen=True)
class CreatedKey:
    key_id: str
    org_id: str
    plain: str  # shown once


def hash_key(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def create_org(db: Session, name: str) -> Org:
    """Create an organisation; raise ApiError 409 when the name is taken."""
    name = name.strip()
    if not name:
        raise ApiError(400, "bad_request", "organisation name must not be empty")
    if db.scalar(select(Org).where(Org.name == name)) is not None:
        raise ApiError(409, "conflict", f"organisation {name!r} already exists")
    org = Org(id=new_id("org"), name=name, webhook_secret=secrets.token_urlsafe(32))
    db.add(org)
    db.flush()
    return org


def find_org(db: Session, name_or_id: str) -> Org | None:
    return db.scalar(select(Org).where((Org.id == name_or_id) | (Org.name == name_or_id)))


def create_key(db: Session, org: Org, name: str = "") -> CreatedKey:
    prefix = secrets.token_hex(4)
    plain = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(id=new_id("key"), org_id=org.id, prefix=prefix, key_hash=hash_key(plain), name=name)
    db.add(key)
    db.flush()
    return CreatedKey(key.id, org.id, plain)


def list_keys(db: Session, org: Org) -> list[ApiKey]:
    """The organisation's keys, oldest first, revoked ones included (rows hold no secret)."""
    return list(db.scalars(select(ApiKey).where(ApiKey.org_id == org.id).order_by(ApiKey.created_at, ApiKey.id)))


def revoke_key(db: Session, key_id: str, org_id: str | None = None) -> bool:
    """Mark the key revoked (it then gets 401); False when unknown (or, with ``org_id``, of
    another organisation) or already revoked."""
    key = db.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None or (org_id is not None and key.org_id != org_id):
        return False
    key.revoked_at = utcnow()
    return True


def authenticate(db: Session, authorization: str | None) -> Principal:
    """Resolve a bearer header to a Principal; raise ApiError 401 otherwise."""
    challenge = {"WWW-Authenticate": 'Bearer realm="coachscore"'}
    if not authorization:
        raise ApiError(401, "unauthorized", "missing Authorization: Bearer <api key> header", challenge)
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "Authorization header must be 'Bearer <api key>'", challenge)
    key = db.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(token)))
    if key is None or key.revoked_at is not None:
        raise ApiError(401, "unauthorized", "invalid or revoked API key", challenge)
    _stamp_used(db, key)
    return Principal(org_id=key.org_id, key_id=key.id)


def _stamp_used(db: Session, key: ApiKey) -> None:
    """Record when the key was last used, to ``LAST_USED_STEP`` (one short write per key per
    step, so a busy integration does not write on every request)."""
    now = utcnow()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_STEP:
        return
    db.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
    db.commit()


def principal_from_request(request: Request, db: Session) -> Principal:
    principal = authenticate(db, request.headers.get("authorization"))
    request.state.org_id = principal.org_id
    return principal
