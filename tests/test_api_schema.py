"""Schemathesis against the OpenAPI schema: no generated input causes a 5xx.

Bounded (a few examples per operation) so the suite stays fast; runs on SQLite with the
real pipeline on fake models. Requests carry a valid key so the handlers behind auth are reached too.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from conftest import make_settings, wav_bytes


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.auth import create_key, create_org
    from service.jobs import InlineRunner

    home = tmp_path_factory.mktemp("schemathesis")
    runner = InlineRunner()  # the fake models settings.model_backend names
    app = create_app(make_settings(home, f"sqlite:///{home / 'db.sqlite'}"), runner=runner)
    with TestClient(app) as client:
        with app.state.ctx.factory() as db:
            key = create_key(db, create_org(db, "fuzz"))
            db.commit()
        headers = {"Authorization": f"Bearer {key.plain}"}
        client.post("/v1/sessions", headers=headers, files={"file": ("a.wav", wav_bytes(1.0), "audio/wav")},
                    data={"leader_name": "Dana"})
        runner.run_pending()
        yield app, headers


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
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def run(case):
        response = case.call(headers={**(case.headers or {}), **headers})
        case.validate_response(response, checks=[not_a_server_error])
        ctype = response.headers.get("content-type", [""])
        ctype = ctype[0] if isinstance(ctype, list) else ctype
        if response.status_code >= 400 and ctype.startswith("application/json"):
            body = response.json()
            assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body

    run()
