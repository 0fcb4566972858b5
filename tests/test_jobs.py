"""Job claiming, crash recovery, progress mapping and the worker process."""

from __future__ import annotations

import socket
import subprocess
import time
from datetime import timedelta

import pytest

from conftest import scripted_models
from service.db import CoachingSession, Job, utcnow
from service.jobs import Worker
from service.jobs.recovery import worker_dead as _worker_dead


def _dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def _queued(api) -> tuple[dict, str]:
    _, h = api.new_org()
    return h, api.upload(h).json()["id"]


def _job(api, sid) -> Job:
    with api.client.app.state.ctx.factory() as db:
        return db.query(Job).filter(Job.session_id == sid).order_by(Job.created_at.desc()).first()


def _set_running(api, sid, claimed_by: str, heartbeat_age_s: float = 0, attempts: int = 1, stage="transcribe"):
    with api.client.app.state.ctx.factory() as db:
        job = db.query(Job).filter(Job.session_id == sid).one()
        job.status, job.claimed_by, job.attempts = "running", claimed_by, attempts
        job.heartbeat_at = utcnow() - timedelta(seconds=heartbeat_age_s)
        s = db.get(CoachingSession, sid)
        s.status, s.stage, s.progress = "transcribing", stage, 0.3
        db.commit()


def test_a_job_is_claimed_by_exactly_one_worker(api):
    h, sid = _queued(api)
    w1, w2 = Worker(api.settings, scripted_models()), Worker(api.settings, scripted_models())
    try:
        first = w1.claim()
        assert first is not None and w2.claim() is None
        job = _job(api, sid)
        assert (job.status, job.claimed_by, job.attempts) == ("running", w1.id, 1)
    finally:
        w1.close()
        w2.close()


def test_job_of_a_dead_worker_is_requeued_then_completed(api):
    h, sid = _queued(api)
    _set_running(api, sid, f"{socket.gethostname()}:{_dead_pid()}:gone")
    assert api.process() == 1
    s = api.client.get(f"/v1/sessions/{sid}", headers=h).json()
    assert s["status"] == "done"
    job = _job(api, sid)
    assert job.attempts == 2 and job.last_error == "the worker processing this job stopped during stage transcribe"


def test_job_is_failed_with_a_reason_when_attempts_are_spent(api):
    h, sid = _queued(api)
    _set_running(api, sid, f"{socket.gethostname()}:{_dead_pid()}:gone", attempts=2)
    assert api.process() == 0
    s = api.client.get(f"/v1/sessions/{sid}", headers=h).json()
    assert s["status"] == "failed"
    assert s["error"] == {
        "code": "worker_lost",
        "message": "the worker processing this job stopped during stage transcribe; gave up after 2 attempts",
        "stage": "transcribe",
    }


def test_remote_worker_is_trusted_until_its_heartbeat_is_stale(make_api):
    api = make_api(job_lease_s=30)
    h, sid = _queued(api)
    _set_running(api, sid, "other-host:123:abc", heartbeat_age_s=5)
    assert api.process() == 0
    assert api.client.get(f"/v1/sessions/{sid}", headers=h).json()["status"] == "transcribing"
    _set_running(api, sid, "other-host:123:abc", heartbeat_age_s=31)
    assert api.process() == 1
    assert api.client.get(f"/v1/sessions/{sid}", headers=h).json()["status"] == "done"


def test_worker_dead_detection():
    me = f"{socket.gethostname()}:{__import__('os').getpid()}:mine"
    assert _worker_dead(None, me)
    assert _worker_dead(f"{socket.gethostname()}:{_dead_pid()}:x", me)
    assert _worker_dead(f"{socket.gethostname()}:{__import__('os').getpid()}:earlier", me)
    assert not _worker_dead(me, me)
    assert not _worker_dead("elsewhere:1:x", me)


def test_undecodable_recording_fails_in_stage_decode_naming_the_users_file(api):
    from conftest import wav_bytes

    _, h = api.new_org()
    sid = api.upload(h, data=wav_bytes(0.5), filename="monday 1on1.wav").json()["id"]
    api.process()
    s = api.client.get(f"/v1/sessions/{sid}", headers=h).json()
    assert s["status"] == "failed" and s["error"] == {
        "code": "audio_decode_error", "stage": "decode",
        "message": "monday 1on1.wav: the recording is too short (0.50 s; at least 1 s is needed)"}


def test_missing_recording_fails_with_reason(api):
    h, sid = _queued(api)
    for p in (api.settings.resolved_data_dir() / "audio").rglob("*.wav"):
        p.unlink()
    api.process()
    s = api.client.get(f"/v1/sessions/{sid}", headers=h).json()
    assert s["error"] == {"code": "audio_missing", "message": "the recording is no longer stored", "stage": "decode"}
    assert s["status"] == "failed"


class _BrokenASR:
    def transcribe(self, audio, hook):
        hook("transcribe", 0, 1)
        raise KeyError("internal detail")


class _DeletingASR:
    """The scripted ASR, deleting the session first (as a user could, mid-job)."""

    def __init__(self, delete) -> None:
        self.inner, self.delete = scripted_models().asr, delete

    def transcribe(self, audio, hook):
        self.delete()
        return self.inner.transcribe(audio, hook)


def test_unexpected_pipeline_error_is_reported_without_internals(make_api):
    from dataclasses import replace

    api = make_api(models=replace(scripted_models(), asr=_BrokenASR()))
    h, sid = _queued(api)
    api.process()
    err = api.client.get(f"/v1/sessions/{sid}", headers=h).json()["error"]
    assert err == {"code": "internal_error", "message": "internal error during stage transcribe (see the server log)",
                   "stage": "transcribe"}


def test_session_deleted_while_processing_is_dropped_quietly(make_api):
    from dataclasses import replace

    deleting = _DeletingASR(lambda: api.client.delete(f"/v1/sessions/{sid}", headers=h))
    api = make_api(models=replace(scripted_models(), asr=deleting))
    h, sid = _queued(api)
    api.process()
    assert api.client.get(f"/v1/sessions/{sid}", headers=h).status_code == 404
    with api.client.app.state.ctx.factory() as db:
        assert db.query(Job).count() == 0


@pytest.mark.timeout(90)
def test_embedded_worker_process_runs_jobs(tmp_path, db_url):
    """The real runner: the app starts a worker process that claims the job from the DB."""
    from fastapi.testclient import TestClient

    from conftest import make_settings, wav_bytes
    from service.app import create_app
    from service.auth import create_key, create_org

    settings = make_settings(tmp_path, db_url, embedded_worker=True, job_poll_s=0.2)
    with TestClient(create_app(settings)) as client:
        with client.app.state.ctx.factory() as db:
            org = create_org(db, "proc")
            key = create_key(db, org)
            db.commit()
        h = {"Authorization": f"Bearer {key.plain}"}
        sid = client.post("/v1/sessions", headers=h, files={"file": ("a.wav", wav_bytes(), "audio/wav")}).json()["id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = client.get(f"/v1/sessions/{sid}", headers=h).json()["status"]
            if status in ("done", "failed"):
                break
            time.sleep(0.2)
        assert status == "done"
        proc = client.app.state.ctx.runner._proc
        assert proc is not None and proc.is_alive()
    assert not proc.is_alive()  # stopped with the app


def test_a_worker_whose_job_was_taken_over_drops_its_result(api):
    """A worker whose lease lapsed (its job requeued and claimed by another worker) must not
    finish the job a second time: no 'done' over the other claim, no second webhook."""
    from service.db import WebhookDelivery

    h, sid = _queued(api)
    late, other = Worker(api.settings, scripted_models()), Worker(api.settings, scripted_models())
    try:
        job_id = late.claim()
        _set_running(api, sid, "elsewhere:1:taken-over", attempts=2)  # recovery handed it on
        late.run_job(job_id)
        job = _job(api, sid)
        assert (job.status, job.claimed_by) == ("running", "elsewhere:1:taken-over")
        with api.client.app.state.ctx.factory() as db:
            assert db.get(CoachingSession, sid).status != "done"
            assert db.query(WebhookDelivery).filter(WebhookDelivery.session_id == sid).count() == 0
        with api.client.app.state.ctx.factory() as db:  # the new owner's lease lapses too: requeued
            db.get(Job, job_id).status = "queued"
            db.commit()
        assert other.claim() == job_id
        other.run_job(job_id)
        job = _job(api, sid)
        assert (job.status, job.claimed_by) == ("done", other.id)
        assert api.client.get(f"/v1/sessions/{sid}", headers=h).json()["status"] == "done"
    finally:
        late.close()
        other.close()
