"""`coachscore db upgrade` and `coachscore admin create-org / create-key` on a temp home."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner


@pytest.fixture
def cli(tmp_path, monkeypatch):
    from service import cli as root
    from service.settings import get_settings

    monkeypatch.setenv("COACHSCORE_HOME", str(tmp_path))
    monkeypatch.delenv("COACHSCORE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    if not any(c.name == "serve" for c in root.app.registered_commands):
        root._register()
    runner = CliRunner()
    yield lambda *args: runner.invoke(root.app, list(args))
    get_settings.cache_clear()


def test_db_upgrade_then_create_org_and_key(cli, tmp_path):
    from service.auth import authenticate
    from service.db import make_engine, make_sessionmaker

    r = cli("db", "upgrade")
    assert r.exit_code == 0 and "database at revision 0001" in r.output
    assert (tmp_path / "data" / "coachscore.db").exists()
    r = cli("admin", "create-org", "Acme")
    assert r.exit_code == 0 and "organisation: org_" in r.output and "webhook secret" in r.output
    r = cli("admin", "create-key", "Acme")
    assert r.exit_code == 0
    key = r.stdout.strip().splitlines()[0]
    assert key.startswith("csk_")
    factory = make_sessionmaker(make_engine(f"sqlite:///{tmp_path / 'data' / 'coachscore.db'}"))
    with factory() as db:
        assert authenticate(db, f"Bearer {key}").org_id.startswith("org_")


def test_admin_errors_are_one_line_with_exit_1(cli):
    assert cli("admin", "create-org", "Acme").exit_code == 0
    r = cli("admin", "create-org", "Acme")
    assert r.exit_code == 1 and "error: organisation 'Acme' already exists" in r.output
    r = cli("admin", "create-key", "Nobody")
    assert r.exit_code == 1 and "no organisation named 'Nobody'" in r.output
