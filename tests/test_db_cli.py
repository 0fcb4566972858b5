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
    assert r.exit_code == 0 and "database at revision 0006" in r.output
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


def _key_rows(output: str) -> list[list[str]]:
    lines = output.strip().splitlines()
    assert lines[0] == "id\tprefix\tname\tcreated\trevoked\tlast used"
    return [line.split("\t") for line in lines[1:]]


def test_list_keys_shows_ids_and_prefixes_but_never_the_secret(cli):
    cli("admin", "create-org", "Acme")
    cli("admin", "create-org", "Other")
    first = cli("admin", "create-key", "Acme", "--name", "zapier").stdout.strip().splitlines()[0]
    second = cli("admin", "create-key", "Acme").stdout.strip().splitlines()[0]
    cli("admin", "create-key", "Other")
    r = cli("admin", "list-keys", "--org", "Acme")
    assert r.exit_code == 0, r.output
    rows = _key_rows(r.stdout)
    assert [row[1] for row in rows] == ["_".join(k.split("_")[:2]) for k in (first, second)]
    assert [row[2] for row in rows] == ["zapier", "-"] and [row[4] for row in rows] == ["-", "-"]
    assert [row[5] for row in rows] == ["-", "-"]  # never used yet
    assert all(row[0].startswith("key_") and row[3].endswith("+00:00") for row in rows)
    assert first.split("_", 2)[2] not in r.output and second.split("_", 2)[2] not in r.output
    r = cli("admin", "list-keys", "--org", "Nobody")
    assert r.exit_code == 1 and "no organisation named 'Nobody'" in r.output


def test_revoked_key_gets_401_from_the_api(cli, tmp_path):
    from fastapi.testclient import TestClient

    from conftest import make_settings
    from service.app import create_app

    cli("admin", "create-org", "Acme")
    key = cli("admin", "create-key", "Acme").stdout.strip().splitlines()[0]
    key_id = _key_rows(cli("admin", "list-keys", "--org", "Acme").stdout)[0][0]
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'data' / 'coachscore.db'}")
    auth = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/sessions", headers=auth).status_code == 200
        r = cli("admin", "revoke-key", key_id)
        assert r.exit_code == 0 and f"revoked key {key_id}" in r.output
        r = client.get("/v1/sessions", headers=auth)
        assert r.status_code == 401 and r.json()["error"] == {
            "code": "unauthorized", "message": "invalid or revoked API key"}
    row = _key_rows(cli("admin", "list-keys", "--org", "Acme").stdout)[0]
    assert row[4].endswith("+00:00") and row[5].endswith("+00:00")  # revoked; used before that
    r = cli("admin", "revoke-key", key_id)
    assert r.exit_code == 0 and "already revoked" in r.output
    r = cli("admin", "revoke-key", "key_missing")
    assert r.exit_code == 1 and "no API key with id 'key_missing'" in r.output
