"""Schemathesis against the OpenAPI schema: no generated input causes a 5xx.

Bounded (a few examples per operation) so the suite stays fast; the real pipeline on fake
models, in two configurations: the embedded default (SQLite, jobs inline) and the Celery
one (COACHSCORE_QUEUE=celery publishing to the real RabbitMQ, PostgreSQL when configured).
Requests carry a valid key so the handlers behind auth are reached too. FUZZ_EXAMPLES
(default 25) sets the examples per operation for a longer hunt.
"""

from __future__ import annotations

import os
import secrets
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from conftest import make_settings, wav_bytes
from service_processes import rabbitmq_problem


BROKER = os.environ.get("COACHSCORE_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")


@pytest.fixture(scope="module", params=["embedded", "celery"])
def live(request, tmp_path_factory):
    """The app with a valid key and one scored session. ``embedded``: SQLite, jobs run
    inline. ``celery``: COACHSCORE_QUEUE=celery publishing to the real RabbitMQ (no worker:
    nothing consumes, the 5xx check needs none), on PostgreSQL when
    COACHSCORE_TEST_POSTGRES_URL is set; the seed session is scored by a database worker."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.auth import create_key, create_org
    from service.jobs import InlineRunner

    home = tmp_path_factory.mktemp(f"schemathesis-{request.param}")
    with ExitStack() as stack:
        if request.param == "embedded":
            runner = InlineRunner()  # the fake models settings.model_backend names
            app = create_app(make_settings(home, f"sqlite:///{home / 'db.sqlite'}"), runner=runner)
        else:
            problem = rabbitmq_problem()
            if problem:
                pytest.skip(problem)
            prefix = f"fuzz{secrets.token_hex(4)}."
            settings = make_settings(home, stack.enter_context(_database(home)), queue="celery",
                                     broker_url=BROKER, celery_queue_prefix=prefix)
            app = create_app(settings)  # the default runner for queue=celery: the Celery publisher
            stack.callback(_delete_queues, settings)
        client = stack.enter_context(TestClient(app))
        with app.state.ctx.factory() as db:
            key = create_key(db, create_org(db, "fuzz"))
            db.commit()
        headers = {"Authorization": f"Bearer {key.plain}"}
        r = client.post("/v1/sessions", headers=headers, files={"file": ("a.wav", wav_bytes(1.0), "audio/wav")},
                        data={"leader_name": "Dana"})
        assert r.status_code == 202, r.text
        if request.param == "celery":
            from service.jobs.distributed import CeleryRunner

            assert isinstance(app.state.ctx.runner, CeleryRunner)
            assert _published(app.state.ctx.settings, "transcribe") == 1  # the API published the job
        _score_pending(app, request.param)
        assert client.get(r.json()["status_url"], headers=headers).json()["status"] == "done"
        yield app, headers


def _score_pending(app, config: str) -> None:
    from service.jobs import Worker
    from service.pipeline import models_for

    if config == "embedded":
        app.state.ctx.runner.run_pending()
        return
    settings = app.state.ctx.settings
    worker = Worker(settings, models_for(settings))
    try:
        worker.run_pending()
    finally:
        worker.close()


@contextmanager
def _database(home: Path) -> Iterator[str]:
    """A fresh PostgreSQL schema when COACHSCORE_TEST_POSTGRES_URL is set, else SQLite."""
    base = os.environ.get("COACHSCORE_TEST_POSTGRES_URL")
    if not base:
        yield f"sqlite:///{home / 'db.sqlite'}"
        return
    from sqlalchemy import create_engine, text

    schema = f"cs_fuzz_{secrets.token_hex(5)}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _published(settings, queue: str) -> int:
    """Messages waiting in this test's ``queue`` on the broker."""
    from service.jobs.distributed import make_celery

    with make_celery(settings).connection_for_write() as conn:
        return conn.default_channel.queue_declare(settings.celery_queue_prefix + queue, passive=True).message_count


def _delete_queues(settings) -> None:
    """Drop the test's own queues (and the jobs published to them) from the broker."""
    from service.jobs.distributed import QUEUES, make_celery

    with make_celery(settings).connection_for_write() as conn:
        channel = conn.default_channel
        for q in QUEUES:
            try:
                channel.queue_delete(settings.celery_queue_prefix + q)
            except Exception:  # noqa: BLE001 - a queue nothing was published to does not exist
                pass


@pytest.fixture(scope="module")
def api_schema(live):
    app, _ = live
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def _operations():
    """Operation labels, read from a throwaway app (collection must not need fixtures) in
    its own empty home: never the operator's database, and no worker process."""
    import tempfile
    from pathlib import Path

    from service.app import create_app
    from service.jobs import NullRunner

    with tempfile.TemporaryDirectory(prefix="coachscore-schema-") as home:
        app = create_app(make_settings(Path(home), f"sqlite:///{home}/db.sqlite"), runner=NullRunner())
        loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
        return sorted(r.ok().label for r in loaded.get_all_operations())


@pytest.mark.parametrize("label", _operations())
def test_no_server_errors(label, live, api_schema):
    _, headers = live
    operation = next(r.ok() for r in api_schema.get_all_operations() if r.ok().label == label)

    @given(case=operation.as_strategy())
    @settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")), deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def run(case):
        response = case.call(headers={**(case.headers or {}), **headers})
        case.validate_response(response, checks=[not_a_server_error])
        ctype = response.headers.get("content-type", [""])
        ctype = ctype[0] if isinstance(ctype, list) else ctype
        if response.status_code >= 400 and ctype.startswith("application/json"):
            body = response.json()
            assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body

    run()
