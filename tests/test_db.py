"""Migrations on SQLite and PostgreSQL: upgrade matches the models, downgrade is clean,
upgrade is idempotent; and a few persistence properties (UTC times, constraints)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from service.db import (
    Base,
    CoachingSession,
    Org,
    current_revision,
    head_revision,
    make_engine,
    make_sessionmaker,
    upgrade,
)

TABLES = {
    "orgs", "api_keys", "people", "sessions", "jobs", "webhook_deliveries", "users", "web_sessions", "one_time_links",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path) -> str:
    if request.param == "postgres":
        return request.getfixturevalue("pg_url")
    return f"sqlite:///{tmp_path / 'empty.db'}"


def _diff(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)


def test_upgrade_creates_the_models_schema_and_is_idempotent(empty_url):
    engine = make_engine(empty_url)
    assert current_revision(engine) is None
    upgrade(empty_url, engine)
    assert current_revision(engine) == head_revision() == "0006"
    assert TABLES <= set(inspect(engine).get_table_names())
    assert _diff(engine) == []
    upgrade(empty_url, engine)  # second run is a no-op
    assert current_revision(engine) == "0006"
    engine.dispose()


def test_downgrade_to_base_and_back(empty_url):
    from alembic import command

    from service.db import alembic_config

    engine = make_engine(empty_url)
    upgrade(empty_url, engine)
    cfg = alembic_config(empty_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert TABLES.isdisjoint(inspect(engine).get_table_names())
    upgrade(empty_url, engine)
    assert TABLES <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_times_come_back_as_utc_aware(db_url):
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    naive_local = datetime(2026, 5, 1, 12, 0)
    aware = datetime(2026, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    with factory() as db:
        db.add(Org(id="org_t", name="t", webhook_secret="s"))
        db.flush()  # no ORM relationships, so parents are flushed first
        db.add(CoachingSession(id="ses_a", org_id="org_t", stage_timings={}, recorded_at=naive_local))
        db.add(CoachingSession(id="ses_b", org_id="org_t", stage_timings={}, recorded_at=aware))
        db.commit()
    with factory() as db:
        a, b = db.get(CoachingSession, "ses_a"), db.get(CoachingSession, "ses_b")
        assert a.recorded_at == datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
        assert b.recorded_at == datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
        assert a.created_at.tzinfo is not None
    engine.dispose()


def test_idempotency_key_is_unique_per_org(db_url):
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    with factory() as db:
        db.add_all([Org(id="o1", name="one", webhook_secret="s"), Org(id="o2", name="two", webhook_secret="s")])
        db.flush()
        db.add(CoachingSession(id="s1", org_id="o1", stage_timings={}, idempotency_key="k"))
        db.add(CoachingSession(id="s2", org_id="o2", stage_timings={}, idempotency_key="k"))
        db.commit()
        db.add(CoachingSession(id="s3", org_id="o1", stage_timings={}, idempotency_key="k"))
        with pytest.raises(IntegrityError):
            db.commit()
    engine.dispose()


def test_settings_default_database_is_sqlite_under_home(tmp_path):
    from service.settings import Settings

    s = Settings(home=tmp_path)
    assert s.resolved_database_url() == f"sqlite:///{tmp_path / 'data' / 'coachscore.db'}"
    assert Settings(home=tmp_path, database_url="postgresql+psycopg://x/y").resolved_database_url() == \
        "postgresql+psycopg://x/y"
