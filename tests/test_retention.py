"""The retention purge (service.retention) with a fake clock: recordings and transcripts older
than the organisation's setting are deleted from disk and database, newer ones stay, the
scorecard still opens and says what was deleted; the embedded worker and Celery's task run it."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest

from conftest import wav_bytes
from web_world import cheap_hashes, csrf_of, world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("cheap_hashes")


@pytest.fixture
def acme(api, world):
    """Vera (admin of Acme) uploads two recordings through the form; both are scored. The
    first was uploaded 40 days ago, the second 10 days ago."""
    from service.db import CoachingSession, utcnow

    org = world.org("Acme")
    world.user(org, "vera@acme.test", role="admin", person=world.person(org, "Vera"))
    browser = world.signed_in("vera@acme.test")
    ids = []
    for seconds in (3.0, 2.0):  # different recordings: different files
        data = {"csrf_token": csrf_of(browser.get("/upload").text), "consent": "yes", "leader_name": "Vera",
                "coachee_name": "Sam"}
        r = browser.post("/upload", data=data, files={"file": ("call.wav", wav_bytes(seconds), "audio/wav")},
                         follow_redirects=False)
        ids.append(r.headers["location"].split("/")[2])
    api.process()
    with world.factory() as db:
        for sid, age in zip(ids, (40, 10)):
            db.get(CoachingSession, sid).created_at = utcnow() - timedelta(days=age)
        db.commit()
    return org, browser, ids


def _set(world, org_id, **values):
    from service.db import Org

    with world.factory() as db:
        org = db.get(Org, org_id)
        for k, v in values.items():
            setattr(org, k, v)
        db.commit()


def _purge(api, now=None):
    from service.retention import purge

    ctx = api.client.app.state.ctx
    return purge(ctx.factory, ctx.storage, api.settings, now=now)


def _row(world, sid):
    from service.db import CoachingSession

    with world.factory() as db:
        return db.get(CoachingSession, sid)


def test_audio_older_than_the_setting_is_deleted_and_the_scorecard_says_so(api, world, acme, caplog):
    from service.db import utcnow

    org, browser, (old, new) = acme
    ctx = api.client.app.state.ctx
    old_file, new_file = (ctx.storage.path(_row(world, s).audio_path) for s in (old, new))
    assert old_file.is_file() and new_file.is_file()
    _set(world, org, keep_audio_days=30)
    with caplog.at_level(logging.INFO, logger="coachscore.retention"):
        report = _purge(api)
    assert report.audio_sessions == [old] and report.files_deleted == 1
    assert old in caplog.text and "1 recording(s) deleted" in caplog.text
    assert not old_file.exists() and new_file.is_file()
    assert _row(world, old).audio_path is None and _row(world, new).audio_path is not None

    page = browser.get(f"/sessions/{old}")
    assert page.status_code == 200 and '<iframe id="scorecard"' in page.text
    assert f"The recording was deleted on {utcnow().day} " in page.text
    assert "under your retention setting (30 days)" in page.text and "<audio" not in page.text
    assert browser.get(f"/sessions/{old}/audio").status_code == 404
    assert browser.get(f"/sessions/{old}/scorecard.html").status_code == 200
    assert "<audio" in browser.get(f"/sessions/{new}").text

    # a fake clock 21 days on: the second recording is now past 30 days too; the first is not purged twice
    later = _purge(api, now=utcnow() + timedelta(days=21))
    assert later.audio_sessions == [new] and not new_file.exists()
    assert _purge(api, now=utcnow() + timedelta(days=21)).nothing


def test_transcripts_older_than_the_setting_are_deleted_scores_stay(api, world, acme):
    org, browser, (old, new) = acme
    before = _row(world, old)
    score, rescues = before.overall_score, before.scorecard_json["rescues"]
    spoken = before.scorecard_json["sentences"][0]["text"]
    assert spoken in before.scorecard_html
    _set(world, org, keep_transcripts_days=20)
    report = _purge(api)
    assert report.transcript_sessions == [old] and report.audio_sessions == []
    after = _row(world, old)
    assert after.transcript_json is None and after.scorecard_json["sentences"] == []
    assert after.overall_score == score and after.scorecard_json["rescues"] == rescues
    assert 'id="transcript"' in after.scorecard_html and "The transcript was deleted on" in after.scorecard_html
    assert _row(world, new).transcript_json is not None and after.audio_path is not None  # audio kept forever
    page = browser.get(f"/sessions/{old}").text
    assert "under your retention setting (20 days). The scores and rescue moments stay." in page
    assert "Download WebVTT" not in page and "Download WebVTT" in browser.get(f"/sessions/{new}").text


def test_blank_settings_keep_everything_and_other_orgs_are_untouched(api, world, acme):
    org, _, (old, _) = acme
    other = world.org("Globex")
    _set(world, other, keep_audio_days=1, keep_transcripts_days=1)
    assert _purge(api).nothing
    assert _row(world, old).audio_path is not None and _row(world, old).transcript_json is not None


def test_a_recording_shared_with_a_kept_session_stays_on_disk(api, world):
    """Recordings are content-addressed: the file goes only when no session refers to it."""
    from service.db import CoachingSession, utcnow

    org_a, h_a = api.new_org()
    _, h_b = api.new_org()
    a, b = api.upload(h_a).json()["id"], api.upload(h_b).json()["id"]
    api.process()
    with world.factory() as db:
        db.get(CoachingSession, a).created_at = utcnow() - timedelta(days=9)
        db.commit()
    _set(world, org_a, keep_audio_days=7)
    path = api.client.app.state.ctx.storage.path(_row(world, b).audio_path)
    report = _purge(api)
    assert report.audio_sessions == [a] and report.files_deleted == 0 and path.is_file()


def test_the_embedded_worker_runs_the_purge(api, world, acme, monkeypatch):
    from service import retention
    from service.jobs.worker import Worker
    from service.pipeline import models_for

    calls = []
    monkeypatch.setattr(retention, "purge", lambda *a, **k: calls.append(a) or retention.PurgeReport())
    worker = Worker(api.settings, models_for(api.settings))
    stop = threading.Event()
    t = threading.Thread(target=worker.run_forever, args=(stop,))
    t.start()
    try:
        for _ in range(100):
            if calls:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        t.join(10)
        worker.close()
    assert len(calls) == 1  # once at start, then every retention_purge_s (an hour)


def test_the_celery_task_is_the_same_purge(api, world, acme, monkeypatch):
    from service.jobs import distributed

    org, _, (old, _) = acme
    _set(world, org, keep_audio_days=30)
    ctx = api.client.app.state.ctx

    class Process:
        factory, storage, settings = ctx.factory, ctx.storage, api.settings

    monkeypatch.setattr(distributed, "_process", lambda: Process)
    assert distributed.purge() == 1 and _row(world, old).audio_path is None
    app = distributed.make_celery(api.settings)
    assert app.conf.beat_schedule["retention-purge"] == {"task": "coachscore.purge", "schedule": 3600.0}


def test_retention_days_are_whole_days_or_blank():
    from service.retention import parse_days

    assert parse_days("", "recordings") is None and parse_days(" 30 ", "recordings") == 30
    for bad in ("0", "-1", "1.5", "forever", "99999999"):
        with pytest.raises(ValueError, match="whole number of days"):
            parse_days(bad, "recordings")
