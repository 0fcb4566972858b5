"""The retention purge (service.retention) with a fake clock: recordings and transcripts older
than the organisation's setting are deleted from disk and database, newer ones stay, the
scorecard still opens and says what was deleted; the embedded worker and Celery's task run it."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest

from conftest import wav_bytes
from web_world import cheap_hashes, csrf_of, upload_through_form, world  # noqa: F401  (fixtures)

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
        ids.append(upload_through_form(browser, wav_bytes(seconds), leader_name="Vera", coachee_name="Sam"))
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


def test_a_slow_purge_runs_off_the_heartbeat_and_never_twice_at_once(api, world, acme, monkeypatch):
    """storage.delete blocks until released: meanwhile the worker's loop keeps ticking (the
    supervisor's heartbeat) and, though a purge is due again, starts no second one."""
    from service import retention
    from service.jobs.worker import Worker
    from service.pipeline import models_for

    org, _, (old, _) = acme
    _set(world, org, keep_audio_days=30)
    worker = Worker(api.settings.model_copy(update={"job_lease_s": 0.3, "retention_purge_s": 0.01}),
                    models_for(api.settings))
    deleting, release, purges, ticks = threading.Event(), threading.Event(), [], []
    real_delete, real_purge = worker.executor.storage.delete, retention.purge

    def slow_delete(relpath):
        deleting.set()
        assert release.wait(20)
        return real_delete(relpath)

    monkeypatch.setattr(worker.executor.storage, "delete", slow_delete)
    monkeypatch.setattr(retention, "purge", lambda *a, **k: purges.append(1) or real_purge(*a, **k))
    stop = threading.Event()
    t = threading.Thread(target=worker.run_forever, args=(stop,), kwargs={"on_tick": lambda: ticks.append(1)})
    t.start()
    try:
        assert deleting.wait(10)
        during = len(ticks)
        for _ in range(200):
            if len(ticks) >= during + 5:
                break
            stop.wait(0.02)
        assert len(ticks) >= during + 5 and purges == [1]  # the loop goes on; no purge overlaps the slow one
        release.set()
        for _ in range(200):
            if len(purges) > 1:
                break
            stop.wait(0.02)
        assert len(purges) > 1  # once it finished, the next one starts on time
    finally:
        release.set()
        stop.set()
        t.join(20)
        worker.close()
    assert not t.is_alive() and _row(world, old).audio_path is None


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


# --------------------------------------------------------------------------- no quotes left behind

TALK = (  # a 1:1 with a rescue (advice after a stuck coachee), open questions and a plan
    ("spk0", "What would you like to work on today?"),
    ("spk1", "I keep missing my deadlines and I am not sure why."),
    ("spk0", "You should just block your calendar every morning."),
    ("spk1", "I guess I could try that but I am stuck on the planning part."),
    ("spk0", "What is really getting in the way for you right now?"),
    ("spk1", "Honestly the weekly review eats two hours of my Mondays."),
    ("spk0", "What options do you see for that review?"),
    ("spk1", "I could shorten it or move it to Friday afternoons."),
    ("spk0", "What will you do first, and by when?"),
    ("spk1", "I will move the review to Friday starting next week."),
)


@pytest.fixture
def talked(make_api):
    """A real scored session of TALK (the API app's real pipeline on the scripted fake
    models), with one sentence correction by Vera (admin of Acme) so an audit row holds a
    sentence's text; returns (api, world, Vera's browser, API headers, session id)."""
    from conftest import scripted_models
    from service.auth import create_key
    from service.db import Org
    from web_world import World

    api = make_api(models=scripted_models(lines=TALK))
    world = World(api.client.app)
    org = world.org("Acme")
    world.user(org, "vera@acme.test", role="admin", person=world.person(org, "Vera"))
    browser = world.signed_in("vera@acme.test")
    sid = upload_through_form(browser, wav_bytes(20.0), leader_name="Vera", coachee_name="Sam")
    api.process()
    page = browser.get(f"/sessions/{sid}").text
    assert browser.post(f"/sessions/{sid}/sentences/0", data={"csrf_token": csrf_of(page), "act": "advice"}
                        ).status_code == 200
    api.process()
    with world.factory() as db:
        headers = {"Authorization": f"Bearer {create_key(db, db.get(Org, org)).plain}"}
        db.commit()
    return api, world, browser, headers, sid


def _strings(value):
    """Every string anywhere in a JSON value (keys too)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_a_purged_transcript_leaves_no_quote_behind_and_the_scores_stay(talked):
    import html

    from conftest import validate_scorecard
    from service.db import utcnow
    from service.retention import when

    api, world, browser, headers, sid = talked
    before = _row(world, sid)
    card = before.scorecard_json
    said = [s["text"] for s in card["sentences"]]
    assert len(said) >= len(TALK) and card["rescues"] and card["best_question"] and card["redo_moment"]
    assert any(q in html.unescape(before.scorecard_html) for q in (card["rescues"][0]["response"]["text"],))
    _set(world, before.org_id, keep_transcripts_days=30)
    now = utcnow() + timedelta(days=31)  # the fake clock: a month after the upload
    assert _purge(api, now=now).transcript_sessions == [sid]

    after = _row(world, sid)
    new = after.scorecard_json
    validate_scorecard(new)
    page_text = html.unescape(after.scorecard_html)
    for words in said:
        assert not [x for x in _strings(new) if words in x], words
        assert words not in page_text, words
    line = (f"The transcript was deleted on {when(now)} under your retention setting (30 days); "
            "quotes are no longer kept.")
    assert line in page_text and 'id="overall-score"' in after.scorecard_html
    # scores, metrics, counts and times are what they were
    assert after.overall_score == before.overall_score and after.rescue_count == before.rescue_count
    for key in ("score", "metric_values", "timeline", "duration_s", "focus", "corrections"):
        assert new[key] == card[key], key
    assert [r["time"] for r in new["rescues"]] == [r["time"] for r in card["rescues"]]
    assert [(m["key"], m["value"], len(m["evidence"])) for m in new["metrics"]] == [
        (m["key"], m["value"], len(m["evidence"])) for m in card["metrics"]]
    assert new["rescues"][0]["response"]["start"] == card["rescues"][0]["response"]["start"]

    # the session page, its downloads and the corrections export give no words either
    session_page = html.unescape(browser.get(f"/sessions/{sid}").text)
    assert not [w for w in said if w in session_page] and "A sentence: act" in session_page
    for got in (browser.get(f"/sessions/{sid}/scorecard.html"), browser.get(f"/sessions/{sid}/scorecard.json")):
        assert got.status_code == 200 and not [w for w in said if w in html.unescape(got.text)]
    vtt = browser.get(f"/sessions/{sid}/transcript.vtt")
    assert vtt.status_code == 410 and "so there is no transcript to download" in vtt.text
    assert f"The transcript of this session was deleted on {when(now)}" in vtt.text
    api_vtt = api.client.get(f"/v1/sessions/{sid}/transcript", headers=headers)
    assert api_vtt.status_code == 410 and api_vtt.json()["error"]["code"] == "transcript_deleted"
    assert browser.get("/corrections.jsonl").text == ""
    assert api.client.get("/v1/corrections.jsonl", headers=headers).text == ""


def test_a_purged_session_cannot_be_scored_again(talked):
    from service.db import utcnow

    api, world, browser, headers, sid = talked
    _set(world, _row(world, sid).org_id, keep_transcripts_days=30)
    _purge(api, now=utcnow() + timedelta(days=31))
    score = _row(world, sid).overall_score
    expected = "so the session cannot be scored again: its scores stay as they were."
    page = browser.get(f"/sessions/{sid}").text
    swapped = browser.post(f"/sessions/{sid}/swap-roles", data={"csrf_token": csrf_of(page)})
    assert swapped.status_code == 409 and expected in swapped.text and "<html" in swapped.text
    for body in ({"swap_roles": True}, {"sentences": [{"index": 0, "act": "open_question"}]}, {"rubric": "default"},
                 {"leader_name": "Sam"}):
        r = api.client.patch(f"/v1/sessions/{sid}", headers=headers, json=body)
        assert r.status_code == 409 and r.json()["error"]["code"] == "transcript_deleted", body
        assert expected in r.json()["error"]["message"]
    assert api.process() == 0 and _row(world, sid).overall_score == score


def test_a_scorecard_read_back_from_its_json_gives_the_same_json(talked):
    from analysis.scorecard import scorecard_from_dict, scorecard_to_dict, without_quotes

    from service.render import render_scorecard_html

    api, world, *_ = talked
    full = _row(world, talked[-1]).scorecard_json
    card = without_quotes(full)
    assert scorecard_to_dict(scorecard_from_dict(card)) == card
    back = scorecard_to_dict(scorecard_from_dict(full))  # a whole card too (sentences keep act and rule code)
    assert {k: v for k, v in back.items() if k != "sentences"} == {k: v for k, v in full.items() if k != "sentences"}
    assert [(s["text"], s["act"]) for s in back["sentences"]] == [(s["text"], s["act"]) for s in full["sentences"]]
    assert full["sentences"][1]["text"] in render_scorecard_html(scorecard_from_dict(full)).replace("&#39;", "'")
