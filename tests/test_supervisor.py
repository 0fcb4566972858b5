"""The embedded worker is supervised: a killed worker child is logged and respawned, its
job requeued (the attempt counts) and finished, and /readyz says 503 with a reason while
no worker is alive or its heartbeat is stale."""

from __future__ import annotations

import os
import signal
import sqlite3
import time

import httpx
from fastapi.testclient import TestClient

from conftest import make_settings, wav_bytes
from service_processes import Server, api_key, base_env, wait_until


class _SilentWorker:
    """A runner whose worker has stopped reporting."""

    def start(self, settings) -> None: ...
    def notify(self, session_id=None) -> None: ...
    def stop(self) -> None: ...

    def problem(self) -> str | None:
        return "the job worker process has not reported for 45 s"


def test_readyz_is_503_with_the_reason_when_the_worker_is_silent(tmp_path):
    from service.app import create_app

    app = create_app(make_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}"), runner=_SilentWorker())
    with TestClient(app) as client:
        r = client.get("/readyz")
    assert r.status_code == 503
    body = r.json()
    assert body["checks"] == {"database": True, "storage": True, "worker": False}
    assert body["reasons"] == ["the job worker process has not reported for 45 s"]


def test_a_stale_heartbeat_makes_the_process_runner_report_a_problem(tmp_path):
    from service.jobs import ProcessRunner

    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", worker_heartbeat_timeout_s=5)
    runner = ProcessRunner()
    assert "not running" in runner.problem()  # never started
    runner._settings, runner._beat = settings, type("Beat", (), {"value": time.time()})()
    runner._proc = type("Alive", (), {"is_alive": lambda self: True})()
    assert runner.problem() is None
    runner._beat.value = time.time() - 12
    assert runner.problem() == "the job worker process has not reported for 12 s"


def _running_job(db_path) -> tuple[str, int] | None:
    with sqlite3.connect(db_path) as con:
        row = con.execute("SELECT claimed_by, attempts FROM jobs WHERE status = 'running'").fetchone()
    return (row[0], row[1]) if row else None


def test_kill_9_of_the_worker_child_is_respawned_and_its_job_finishes(tmp_path):
    env = base_env(tmp_path, COACHSCORE_FAKE_MODEL_DELAY_S="1.5", COACHSCORE_JOB_MAX_ATTEMPTS="3")
    h = {"Authorization": f"Bearer {api_key(env)}"}
    server = Server(env, tmp_path / "serve.log")
    try:
        server.wait_ready()
        r = httpx.post(f"{server.url}/v1/sessions", headers=h, files={"file": ("call.wav", wav_bytes(2.0))})
        assert r.status_code == 202, r.text
        sid = r.json()["id"]
        claimed_by, attempts = wait_until(lambda: _running_job(tmp_path / "data" / "coachscore.db"), 30, "a running job")
        assert attempts == 1
        os.kill(int(claimed_by.split(":")[1]), signal.SIGKILL)
        down = wait_until(lambda: (r := httpx.get(f"{server.url}/readyz")).status_code == 503 and r.json(),
                          10, "/readyz 503", every=0.05)
        assert down["checks"]["worker"] is False and "not running" in down["reasons"][0]
        wait_until(lambda: httpx.get(f"{server.url}/readyz").status_code == 200, 30, "/readyz 200 again")
        done = wait_until(lambda: (s := httpx.get(f"{server.url}/v1/sessions/{sid}", headers=h).json())["status"]
                          in ("done", "failed") and s, 60, "the job to finish", every=0.3)
        assert done["status"] == "done", done
        with sqlite3.connect(tmp_path / "data" / "coachscore.db") as con:
            assert con.execute("SELECT status, attempts FROM jobs").fetchall() == [("done", 2)]
        log = server.log()
        assert "died (exit code -9); starting a new one" in log
        assert "requeued or failed 1 job(s)" in log
    finally:
        server.stop()
