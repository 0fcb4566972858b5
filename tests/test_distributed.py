"""The Celery task's contract without a broker: it claims the job row atomically, so a
redelivered task for a running or finished job does nothing; the sweeper requeues a job
whose worker died and publishes it again; `worker` refuses unknown queue names."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from service.db import Job, utcnow
from service.jobs import distributed, queue


@pytest.fixture
def celery_state(api, monkeypatch):
    """The app under test's database as a Celery worker process's state; sent tasks recorded."""
    ctx = api.client.app.state.ctx
    state = distributed._Process(ctx.settings)
    monkeypatch.setattr(distributed, "_state", state)
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(distributed, "send", lambda app, job_id, kind: sent.append((job_id, kind)))
    monkeypatch.setattr(distributed, "_publisher", lambda: None)
    yield state, sent
    state.engine.dispose()


def _job_id(api, sid) -> str:
    with api.client.app.state.ctx.factory() as db:
        return db.query(Job.id).filter(Job.session_id == sid).scalar()


def _job(api, job_id) -> Job:
    with api.client.app.state.ctx.factory() as db:
        return db.get(Job, job_id)


def test_run_job_runs_a_queued_job_once_and_a_redelivery_does_nothing(api, celery_state):
    _, h = api.new_org()
    sid = api.upload(h).json()["id"]
    job_id = _job_id(api, sid)
    assert distributed.run_job(job_id) == "ran"
    assert api.client.get(f"/v1/sessions/{sid}", headers=h).json()["status"] == "done"
    assert distributed.run_job(job_id) == "skipped"  # redelivered after it finished
    assert _job(api, job_id).attempts == 1


def test_of_many_workers_racing_for_one_job_exactly_one_claims_it(api, celery_state):
    _, h = api.new_org()
    job_id = _job_id(api, api.upload(h).json()["id"])
    factory = api.client.app.state.ctx.factory
    wins: list[bool] = []
    threads = [threading.Thread(target=lambda i=i: wins.append(queue.claim_job(factory, job_id, f"w{i}")))
               for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 7 + [True]


def test_the_sweeper_requeues_a_dead_workers_job_and_publishes_it(api, celery_state):
    _, sent = celery_state
    _, h = api.new_org()
    job_id = _job_id(api, api.upload(h).json()["id"])
    factory = api.client.app.state.ctx.factory
    assert queue.claim_job(factory, job_id, "otherhost:1:gone")
    with factory() as db:
        job = db.get(Job, job_id)
        job.heartbeat_at = job.created_at = utcnow() - timedelta(hours=1)  # no heartbeat for an hour
        db.commit()
    assert distributed.sweep() == 1
    job = _job(api, job_id)
    assert (job.status, job.attempts) == ("queued", 1)
    assert sent == [(job_id, "transcribe")]
    assert distributed.sweep() == 0 and len(sent) == 1  # published once per lease, not every sweep


def test_worker_refuses_unknown_queue_names(api):
    with pytest.raises(ValueError, match="unknown queue"):
        distributed.worker_main(api.client.app.state.ctx.settings, ["transcribe", "gpu"], 1)
