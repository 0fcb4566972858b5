"""Shared fixtures: a migrated database per test (SQLite always; PostgreSQL when
``COACHSCORE_TEST_POSTGRES_URL`` answers), the API app with an inline job runner and the
real pipeline on fake models (scripted ASR and diarizer, no spaCy), organisations with keys, and small audio files made with the stdlib."""

from __future__ import annotations


import io
import math
import os
import secrets
import shutil
import struct
import wave
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

PG_ENV = "COACHSCORE_TEST_POSTGRES_URL"
# the Whisper model of the few real-model tests: the small one that ships in a dependency
# (the product default, base, is fetched by setup; these tests keep CI short)
TEST_WHISPER = "tiny.en"


# --------------------------------------------------------------------------- databases


def _pg_problem() -> str | None:
    url = os.environ.get(PG_ENV)
    if not url:
        return f"{PG_ENV} is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
    try:
        from sqlalchemy import create_engine, text

        eng = create_engine(url, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
        eng.dispose()
    except Exception as e:  # report why, then skip
        return f"PostgreSQL at {PG_ENV} is unreachable: {type(e).__name__}: {str(e).splitlines()[0][:150]}"
    return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once keeps tests fast)."""
    from service.db import make_engine, upgrade

    path = tmp_path_factory.mktemp("dbtemplate") / "template.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(url, engine)
    engine.dispose()
    return path


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL schema for one test; dropped afterwards."""
    with fresh_pg_schema() as url:
        yield url


@contextmanager
def fresh_pg_schema() -> Iterator[str]:
    """The URL of a fresh PostgreSQL schema (``search_path`` in the URL), dropped on exit;
    skips the test with the reason when ``COACHSCORE_TEST_POSTGRES_URL`` does not answer."""
    problem = _pg_problem()
    if problem:
        pytest.skip(problem)
    from sqlalchemy import create_engine, text

    base = os.environ[PG_ENV]
    schema = f"cs_test_{secrets.token_hex(5)}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    """A database URL, once per backend; PostgreSQL skips with the reason when absent."""
    if request.param == "postgres":
        url = request.getfixturevalue("pg_url")
        from service.db import upgrade

        upgrade(url)
        return url
    template = request.getfixturevalue("sqlite_template")
    path = tmp_path / "coachscore.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


# --------------------------------------------------------------------------- settings/app


def make_settings(home: Path, db_url: str, **overrides: Any):
    from service.settings import Settings

    values = dict(
        home=home, database_url=db_url, embedded_worker=False, auto_migrate=True,
        model_backend="fake", webhook_allow_private=True,
        public_base_url="http://testserver", webhook_backoff_s=0.0, share_secret="test-share-secret",
        # the uploads here are short synthetic tones scored by scripted fake models, so the
        # speech check is off; tests/test_upload_check.py turns it on (min_speech_s=None)
        min_speech_s=0,
    )
    values.update(overrides)
    return Settings(**values)


@dataclass
class Api:
    """The app under test: ``client`` (httpx-based TestClient), ``runner`` (run_pending)."""

    client: Any
    runner: Any
    settings: Any
    sent: list = field(default_factory=list)  # webhook posts: (url, body, headers)

    def new_org(self, name: str | None = None) -> tuple[str, dict]:
        """Create an organisation and a key; return (org id, auth headers)."""
        from service.auth import create_key, create_org

        ctx = self.client.app.state.ctx
        with ctx.factory() as db:
            org = create_org(db, name or f"org-{secrets.token_hex(3)}")
            key = create_key(db, org)
            db.commit()
        return org.id, {"Authorization": f"Bearer {key.plain}"}

    def upload(self, headers: dict, data: bytes | None = None, filename: str = "call.wav", **fields: Any):
        files = {"file": (filename, data if data is not None else wav_bytes(), "audio/wav")}
        return self.client.post("/v1/sessions", headers=headers, files=files, data=fields)

    def process(self) -> int:
        return self.runner.run_pending()


@pytest.fixture
def make_api(tmp_path, db_url):
    """Factory: ``make_api(models=None, **settings overrides) -> Api`` (closed at teardown);
    ``models`` None: the scripted fake models."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.jobs import InlineRunner

    opened: list[TestClient] = []

    def factory(models: Any = None, webhook_status: int = 200, **overrides: Any) -> Api:
        settings = make_settings(tmp_path / f"home{len(opened)}", db_url, **overrides)
        sent: list = []

        def post(url: str, body: bytes, headers: dict) -> int:
            sent.append((url, body, headers))
            return webhook_status

        runner = InlineRunner(models, post=post)
        client = TestClient(create_app(settings, runner=runner), raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return Api(client, runner, settings, sent)

    yield factory
    for c in opened:
        c.__exit__(None, None, None)


@pytest.fixture
def api(make_api) -> Api:
    return make_api()


# --------------------------------------------------------------------------- audio


def wav_bytes(seconds: float = 1.0, rate: int = 16000, channels: int = 1, freq: float = 440.0) -> bytes:
    """A small PCM16 WAV with a sine tone (decodable by PyAV)."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = bytearray()
        for i in range(int(seconds * rate)):
            sample = int(8000 * math.sin(2 * math.pi * freq * i / rate))
            frames += struct.pack("<h", sample) * channels
        w.writeframes(bytes(frames))
    return buf.getvalue()


# --------------------------------------------------------------------------- models


def scripted_models(**script: Any):
    """The fake ModelSet with a ScriptedConversation(**script) (e.g. fail_stage="diarize")."""
    from models.config import ModelConfig
    from models.fakes import ScriptedConversation
    from service.pipeline import fake_models

    return fake_models(ModelConfig(whisper_model=TEST_WHISPER, models_dir=Path("/nonexistent")), ScriptedConversation(**script))


def validate_scorecard(card: dict) -> None:
    """Raise jsonschema.ValidationError unless ``card`` follows scorecard.schema.json."""
    import json as _json

    import jsonschema

    schema = _json.loads((Path(__file__).resolve().parents[1] / "analysis" / "data" / "scorecard.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(card)
