"""The distributed topology without Docker: an API process, two Celery worker processes
and Celery beat, each with its own empty local data directory (as if on separate
machines), sharing only PostgreSQL, RabbitMQ and an S3 server (moto's server mode on
127.0.0.1, recordings in its bucket). Ten fake-model uploads reach done; a worker killed
with SIGKILL mid-job has that job finished by the other; no job completes twice, every
webhook arrives once, DELETE removes the recording from the bucket and no machine keeps a
copy. Skips with the reason when RabbitMQ or PostgreSQL is absent."""

from __future__ import annotations

import json
import os
import secrets
import signal
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy import create_engine, text

from conftest import wav_bytes
from s3_server import s3_server  # noqa: F401  (fixture)
from service_processes import Proc, Server, api_key, base_env, rabbitmq_problem, wait_until

BROKER = os.environ.get("COACHSCORE_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")


class _Hooks:
    """A webhook receiver on loopback counting deliveries per session."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                hooks.received[body["session_id"]] += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _jobs(url: str) -> list[tuple]:
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT session_id, status, attempts, claimed_by FROM jobs"))]
    finally:
        eng.dispose()


def _audio_path(url: str, sid: str) -> str:
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            return conn.execute(text("SELECT audio_path FROM sessions WHERE id = :id"), {"id": sid}).scalar_one()
    finally:
        eng.dispose()


@pytest.mark.postgres
def test_two_celery_workers_on_s3_finish_ten_jobs_and_survive_a_kill_9(tmp_path, pg_url, s3_server):  # noqa: F811
    problem = rabbitmq_problem()
    if problem:
        pytest.skip(problem)
    from service.db import upgrade

    upgrade(pg_url)
    hooks = _Hooks()
    bucket = s3_server.new_bucket()
    env = base_env(tmp_path / "api", COACHSCORE_QUEUE="celery", COACHSCORE_BROKER_URL=BROKER,
                   COACHSCORE_DATABASE_URL=pg_url, **s3_server.env(bucket),
                   COACHSCORE_CELERY_QUEUE_PREFIX=f"t{secrets.token_hex(4)}.", COACHSCORE_JOB_LEASE_S="3",
                   COACHSCORE_FAKE_MODEL_DELAY_S="0.6", COACHSCORE_JOB_MAX_ATTEMPTS="3")
    machines = {name: tmp_path / name for name in ("api", "w0", "w1", "beat")}  # homes; data under each
    procs = [Proc({**env, "COACHSCORE_HOME": str(machines[f"w{i}"])}, tmp_path / f"worker{i}.log",
                  "worker", "--queues", "transcribe,analyze") for i in range(2)]
    procs.append(Proc({**env, "COACHSCORE_HOME": str(machines["beat"])}, tmp_path / "beat.log", "beat"))
    server = Server(env, tmp_path / "api.log")
    procs.append(server)
    try:
        server.wait_ready()
        h = {"Authorization": f"Bearer {api_key(env)}"}
        sids = []
        for i in range(10):
            r = httpx.post(f"{server.url}/v1/sessions", headers=h, data={"callback_url": hooks.url},
                           files={"file": (f"call{i}.wav", wav_bytes(1.0 + i / 10))})
            assert r.status_code == 202, r.text
            sids.append(r.json()["id"])
        running = wait_until(lambda: [j for j in _jobs(pg_url) if j[1] == "running"], 60, "a running job")
        victim_sid, victim_pid = running[0][0], int(running[0][3].split(":")[1])
        victim = next(p for p in procs[:2] if os.getpgid(victim_pid) == p.proc.pid)
        victim.stop(signal.SIGKILL)
        final = wait_until(lambda: (js := _jobs(pg_url)) and all(j[1] in ("done", "failed") for j in js) and js,
                           120, "every job to finish", every=0.5)
        assert sorted(j[1] for j in final) == ["done"] * 10, final
        assert {j[0]: j[2] for j in final}[victim_sid] == 2  # the killed attempt counted
        statuses = [httpx.get(f"{server.url}/v1/sessions/{sid}", headers=h).json()["status"] for sid in sids]
        assert statuses == ["done"] * 10
        wait_until(lambda: len(hooks.received) == 10, 30, "ten webhooks")
        assert set(hooks.received) == set(sids) and set(hooks.received.values()) == {1}

        keys = s3_server.keys(bucket)
        assert len(keys) == 10 and all(k.startswith("recordings/audio/") for k in keys)
        victim_home = machines[f"w{procs.index(victim)}"]
        for home in machines.values():  # no machine kept a recording (worker copies are temporary)
            kept = [p for p in home.rglob("*") if p.is_file() and p.suffix in (".wav", ".part")]
            if home == victim_home:  # but SIGKILL leaves the copy of the job it was running
                assert len(kept) <= 1 and all(p.parent.name.startswith("fetch-") for p in kept), kept
            else:
                assert kept == [], home
        relpath = _audio_path(pg_url, sids[0])
        assert httpx.delete(f"{server.url}/v1/sessions/{sids[0]}", headers=h).status_code == 204
        assert set(keys) - set(s3_server.keys(bucket)) == {f"recordings/{relpath}"}
    finally:
        for p in procs:
            p.stop()
        hooks.server.shutdown()
