"""The sessions list: filters, sort, pages, failed sessions with their reason and a retry
that queues the job again; only what the access rule lets the viewer see."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from web_world import cheap_hashes, csrf_of, world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("cheap_hashes")


@pytest.fixture
def acme(world):
    from service.db import CoachingSession

    org = world.org("Acme")
    vera = world.person(org, "Vera")
    dan, pat = world.person(org, "Dan", manager=vera), world.person(org, "Pat", manager=vera)
    sam = world.person(org, "Sam")
    made = {}
    for key, leader, day, score in (("d1", dan, 3, 40.0), ("d2", dan, 10, 80.0), ("p1", pat, 5, 60.0),
                                    ("v1", vera, 7, 70.0)):
        sid = world.session(org, leader, sam)
        with world.factory() as db:
            s = db.get(CoachingSession, sid)
            s.recorded_at, s.overall_score = datetime(2026, 5, day, tzinfo=timezone.utc), score
            db.commit()
        made[key] = sid
    made["mine_private"] = world.session(org, vera, private=True)
    made["danx_private"] = world.session(org, dan, private=True)
    world.user(org, "vera@acme.test", person=vera)
    world.user(org, "dan@acme.test", person=dan)
    return org, made, {"vera": vera, "dan": dan, "pat": pat}


def _ids(html: str) -> list[str]:
    return re.findall(r'href="/sessions/(ses_[A-Za-z0-9_-]+)"', html)


def test_filters_by_leader_coachee_dates_score_and_status(world, acme):
    _, s, _ = acme
    vera = world.signed_in("vera@acme.test")
    assert set(_ids(vera.get("/sessions").text)) == {s["d1"], s["d2"], s["p1"], s["v1"], s["mine_private"]}
    assert set(_ids(vera.get("/sessions?leader=dAn").text)) == {s["d1"], s["d2"]}  # not Dan's private one
    assert set(_ids(vera.get("/sessions?coachee=sam&leader=pat").text)) == {s["p1"]}
    assert set(_ids(vera.get("/sessions?since=2026-05-05&until=2026-05-07").text)) == {s["p1"], s["v1"]}
    assert set(_ids(vera.get("/sessions?min_score=60&max_score=75").text)) == {s["p1"], s["v1"]}
    assert set(_ids(vera.get("/sessions?status=done&leader=Vera").text)) == {s["v1"], s["mine_private"]}
    bad = vera.get("/sessions?since=yesterday")
    assert bad.status_code == 200 and "From is not a date" in bad.text


def test_sorts_by_date_score_and_leader(world, acme):
    _, s, _ = acme
    vera = world.signed_in("vera@acme.test")
    assert _ids(vera.get("/sessions?sort=score_high&leader=a").text) == [s["d2"], s["v1"], s["p1"], s["d1"], s["mine_private"]]
    assert _ids(vera.get("/sessions?sort=oldest&min_score=1").text) == [s["d1"], s["p1"], s["v1"], s["d2"]]
    assert _ids(vera.get("/sessions?sort=leader&min_score=1").text)[:2] == [s["d2"], s["d1"]]


def test_pages_of_twenty_keep_the_filters(world, acme, monkeypatch):
    from service.web import listing

    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    _, s, _ = acme
    vera = world.signed_in("vera@acme.test")
    first = vera.get("/sessions?min_score=1&sort=score_low").text
    assert _ids(first) == [s["d1"], s["p1"]] and "page 1 of 2" in first
    assert 'href="/sessions?min_score=1&amp;sort=score_low&amp;page=2"' in first
    assert _ids(vera.get("/sessions?min_score=1&sort=score_low&page=2").text) == [s["v1"], s["d2"]]


def test_a_failed_session_shows_its_reason_and_retries_through_the_queue(api, world, acme):
    from service.db import CoachingSession, Job

    org, _, p = acme
    sid = world.session(org, p["dan"], html=None)
    with world.factory() as db:
        row = db.get(CoachingSession, sid)
        row.status, row.error_message, row.transcript_json = "failed", "The recording has no speech.", None
        row.audio_path = None
        db.commit()
    dan = world.signed_in("dan@acme.test")
    page = dan.get("/sessions?status=failed").text
    assert "The recording has no speech." in page and "Try again" in page
    r = dan.post(f"/sessions/{sid}/retry", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert r.status_code == 409  # nothing to retry from: neither audio nor transcript
    with world.factory() as db:
        db.get(CoachingSession, sid).transcript_json = {"schema": "x"}
        db.commit()
    r = dan.post(f"/sessions/{sid}/retry", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/sessions/{sid}/progress"
    with world.factory() as db:
        assert db.get(CoachingSession, sid).status == "queued"
        assert [j.kind for j in db.query(Job).filter(Job.session_id == sid)] == ["analyze"]
    assert dan.post(f"/sessions/{sid}/retry", data={"csrf_token": csrf_of(page)}).status_code == 409


def test_a_retry_needs_access_and_a_csrf_token(world, acme):
    org, _, p = acme
    sid = world.session(org, p["vera"], html=None)
    dan = world.signed_in("dan@acme.test")
    token = csrf_of(dan.get("/sessions").text)
    assert dan.post(f"/sessions/{sid}/retry", data={"csrf_token": token}).status_code == 404  # his manager's
    vera = world.signed_in("vera@acme.test")
    assert vera.post(f"/sessions/{sid}/retry", data={}).status_code == 403
