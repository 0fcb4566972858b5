"""Persistence: SQLAlchemy 2 models, engine/session factory and Alembic upgrade.

Every row that belongs to a customer carries ``org_id``; queries in ``service.api`` always
filter on it. Ids handed to clients are random 128-bit tokens (unguessable). Times are
timezone-aware UTC. Transcript and scorecard JSON, and the HTML rendered at scoring time,
are stored in the ``sessions`` row so that re-scoring never needs the audio again.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    false,
    or_,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, defer, mapped_column, sessionmaker
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator



def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id(prefix: str) -> str:
    """A random, URL-safe id with 128 bits of entropy, e.g. ``ses_3q...``."""
    return f"{prefix}_{secrets.token_urlsafe(16)}"


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on SQLite (naive storage) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    pass


class Org(Base):
    __tablename__ = "orgs"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    webhook_secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # settings pages (issue 10): retention in days (None: keep forever), the default rubric of new uploads
    keep_audio_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    keep_transcripts_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    default_rubric: Mapped[str | None] = mapped_column(String(100), nullable=True)


class ApiKey(Base):
    """An API key: only its SHA-256 is stored; ``prefix`` identifies it in listings/logs."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Person(Base):
    """A leader or coachee, known by name within one organisation."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_people_org_name"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # reporting tree (web access, issue 10): the person this one reports to
    manager_id: Mapped[str | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL", name="fk_people_manager_id"), nullable=True, index=True
    )


class CoachingSession(Base):
    """One uploaded recording (or imported transcript) and everything derived from it."""

    __tablename__ = "sessions"
    __table_args__ = (
        UniqueConstraint("org_id", "idempotency_key", name="uq_sessions_org_idem"),
        Index("ix_sessions_org_created", "org_id", "created_at"),
        Index("ix_sessions_org_leader", "org_id", "leader_id"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str | None] = mapped_column(String(30), nullable=True)
    stage_timings: Mapped[dict] = mapped_column(JSON, default=dict)
    error_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_stage: Mapped[str | None] = mapped_column(String(30), nullable=True)
    source: Mapped[str] = mapped_column(String(20), default="audio")
    audio_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    audio_path: Mapped[str | None] = mapped_column(String(300), nullable=True)
    audio_filename: Mapped[str | None] = mapped_column(String(300), nullable=True)
    audio_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    leader_hint: Mapped[str | None] = mapped_column(String(200), nullable=True)
    leader_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    coachee_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    rubric: Mapped[str | None] = mapped_column(String(100), nullable=True)
    callback_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    transcript_json: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    transcript_hint: Mapped[str | None] = mapped_column(String(200), nullable=True)
    roles_json: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    scorecard_json: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    scorecard_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    rubric_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    rubric_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    overall_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    dimension_scores: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    rescue_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # a private session (self-review) is seen by its leader only (web access, issue 10)
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # the uploader's confirmation that everyone recorded agreed to recording and analysis (web upload)
    consent_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL",
                                                              name="fk_sessions_consent_by"), nullable=True)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # a reviewer's corrections: {"acts": {"3": "advice"}, "speakers": {"5": "S1"}} (sentence index ->)
    overrides_json: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # the leader's answers to the debrief prompts: {question: {"answer", "by" (user id), "at" (ISO)}}
    debrief_answers: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # retention (service.retention): when the recording / transcript was deleted, and the
    # organisation's setting in days then (None: the server keeps no recordings at all)
    audio_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    audio_purged_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    transcript_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    transcript_purged_days: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Job(Base):
    """A unit of work claimed from the database by a worker (so nothing accepted is lost)."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_created", "status", "created_at"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    session_id: Mapped[str] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # transcribe | analyze
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued|running|done|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebhookDelivery(Base):
    """A signed POST owed to a session's own ``callback_url``, retried with backoff."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhooks_status_next", "status", "next_attempt_at"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    session_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    url: Mapped[str] = mapped_column(String(2000))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|delivered|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookEndpoint(Base):
    """A URL of the organisation's that gets every non-private session's done/failed
    notification (besides the session's own ``callback_url``); set on the settings pages."""

    __tablename__ = "webhook_endpoints"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --------------------------------------------------------------------------- engine


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and foreign keys on."""
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        # Reads run on the event loop: a checkout must never wait, so overflow is generous.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=10, max_overflow=100, pool_timeout=10)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=40, pool_timeout=10)


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(url: str) -> Any:
    """An Alembic Config for this package's migrations, pointed at ``url``."""
    from alembic.config import Config

    here = Path(__file__).resolve().parent
    cfg = Config(str(here / "alembic.ini"))
    cfg.set_main_option("script_location", str(here / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, engine: Engine | None = None) -> None:
    """Apply all migrations (idempotent). ``engine`` lets tests reuse a configured engine."""
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)  # before import: plugins log then
    from alembic import command

    cfg = alembic_config(url)
    if engine is not None:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    else:
        command.upgrade(cfg, "head")


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


BIG_COLUMNS = ("transcript_json", "scorecard_json", "scorecard_html")


def defer_big_columns(load: tuple[str, ...] = ()) -> list:
    """Query options that leave a session's large JSON/HTML columns unloaded (loaded on
    first access) unless named in ``load``: status polls and lists never need them."""
    return [defer(getattr(CoachingSession, c)) for c in BIG_COLUMNS if c not in load]


def recording_in_use(db: Session, relpath: str, *, besides: str | None = None, unfinished_only: bool = False) -> bool:
    """Whether a session (other than the one with id ``besides``) still refers to the stored
    recording at ``relpath``; with ``unfinished_only``, only sessions not yet done or failed
    count. Recordings are content-addressed and shared, so delete one only when this is False."""
    q = select(CoachingSession.id).where(CoachingSession.audio_path == relpath)
    if besides is not None:
        q = q.where(CoachingSession.id != besides)
    if unfinished_only:
        q = q.where(CoachingSession.status.notin_(("done", "failed")))
    return db.scalar(q.limit(1)) is not None


def person_named(org_id: str, who: str) -> ColumnElement[bool]:
    """Filter: the organisation's person whose name or id is ``who``."""
    return (Person.org_id == org_id) & or_(Person.name == who, Person.id == who)


# --------------------------------------------------------------------------- web sign-in (issue 10)


class User(Base):
    """Someone who signs in to the web pages: an email (stored lower-case, unique), an argon2
    password hash (None until set through an invitation link), a role in one organisation
    and the person they are (whose sessions, and whose reports' sessions, they see)."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[str | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    role: Mapped[str] = mapped_column(String(20), default="member")  # admin | member
    failed_signins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_signin_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # a deactivated user cannot sign in and their browser sessions end (settings pages)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebSession(Base):
    """A browser's server-side session: the cookie holds a random token, the row its
    SHA-256 (``id``). ``user_id`` is None before sign-in (the session still carries the
    CSRF token of the sign-in form)."""

    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class OneTimeLink(Base):
    """An invitation or password-reset link: only the token's SHA-256 is stored; it
    expires at ``expires_at`` and works once (``used_at``)."""

    __tablename__ = "one_time_links"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # invite | reset
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Comment(Base):
    """A reviewer's note on a session, optionally at a moment (``at_s`` seconds into the
    recording, and the sentence playing then), or a reply to another comment (``parent_id``).
    Seen by whoever may see the session (service.web.access)."""

    __tablename__ = "comments"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), nullable=True)
    at_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    sentence_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ShareLink(Base):
    """A link that opens one session's HTML scorecard without a key until ``expires_at``.
    Only the SHA-256 (hex) of its random token is stored; ``revoked_at`` turns it off."""

    __tablename__ = "share_links"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Correction(Base):
    """A reviewer's correction of the machine's labels (audit trail): who (a user, or the API
    key of an integration), when, what kind (``swap_roles``, ``leader``, ``sentence``), the
    labels before it (``before``: the roles JSON, or a sentence's index, text, act and speaker
    as the machine gave them) and the reviewer's (``after``)."""

    __tablename__ = "corrections"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    kind: Mapped[str] = mapped_column(String(30))
    before: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    api_key_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
