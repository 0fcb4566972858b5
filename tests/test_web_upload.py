"""The upload page and the progress page: the form goes through the API's upload path,
stores the consent (who, when) and the private toggle, refuses a missing confirmation or
CSRF token, and the progress page follows the job to the scorecard."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from conftest import wav_bytes
from web_world import cheap_hashes, csrf_of, world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("cheap_hashes")


@pytest.fixture
def vera(world):
    acme = world.org("Acme")
    person = world.person(acme, "Vera")
    world.person(acme, "Dan", manager=person)
    user = world.user(acme, "vera@acme.test", person=person)
    return world.signed_in("vera@acme.test"), user, person


def _post(browser, token: str | None, **fields):
    data = {"csrf_token": token, "consent": "yes", "leader_name": "Vera", "coachee_name": "Sam",
            "recorded_at": "2026-05-03", "rubric": "default", **fields}
    data = {k: v for k, v in data.items() if v is not None}
    return browser.post("/upload", data=data, files={"file": ("call.wav", wav_bytes(3.0), "audio/wav")},
                        follow_redirects=False)


def test_the_upload_page_offers_people_rubrics_and_a_required_consent(vera):
    browser, _, _ = vera
    html = browser.get("/upload").text
    assert '<option value="Dan">' in html and 'value="Vera"' in html  # the people, and me as leader
    assert 'name="consent" type="checkbox" value="yes" required' in html
    assert '<label for="file">' in html and '<label for="private">' in html and '<label for="rubric">' in html
    assert 'enctype="multipart/form-data"' in html


def test_an_upload_stores_consent_and_privacy_and_follows_the_job_to_the_scorecard(api, world, vera):
    from service.db import CoachingSession, Person

    browser, user, person = vera
    r = _post(browser, csrf_of(browser.get("/upload").text), private="yes")
    assert r.status_code == 303 and r.headers["location"].endswith("/progress"), r.text
    progress = r.headers["location"]
    sid = progress.split("/")[2]
    with world.factory() as db:
        s = db.get(CoachingSession, sid)
        assert s.private and s.consent_by == user and s.consent_at is not None
        assert s.leader_id == person and db.get(Person, s.coachee_id).name == "Sam"
        assert s.recorded_at.date().isoformat() == "2026-05-03" and s.status == "queued"
    waiting = browser.get(progress)
    assert waiting.status_code == 200 and "Waiting for a free worker" in waiting.text
    assert '<meta http-equiv="refresh"' in waiting.text  # without JS the page refreshes itself
    assert browser.get(progress + ".json").json()["done"] is False
    api.process()
    assert browser.get(progress + ".json").json() == {
        "status": "done", "words": "Done", "percent": 100, "error": None, "done": True, "url": f"/sessions/{sid}"}
    done = browser.get(progress, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/sessions/{sid}"


def test_an_upload_without_the_consent_is_refused_and_nothing_is_stored(world, vera):
    from service.db import CoachingSession

    browser, _, _ = vera
    r = _post(browser, csrf_of(browser.get("/upload").text), consent=None)
    assert r.status_code == 422 and "agreed to be recorded and analysed" in r.text and 'role="alert"' in r.text
    with world.factory() as db:
        assert db.scalar(select(CoachingSession)) is None


def test_an_upload_without_a_csrf_token_fails(world, vera):
    from service.db import CoachingSession

    browser, _, _ = vera
    assert _post(browser, None).status_code == 403
    assert _post(browser, "forged").status_code == 403
    with world.factory() as db:
        assert db.scalar(select(CoachingSession)) is None


def test_a_file_that_is_not_audio_shows_the_form_again_with_the_reason(vera):
    browser, _, _ = vera
    token = csrf_of(browser.get("/upload").text)
    r = browser.post("/upload", data={"csrf_token": token, "consent": "yes"},
                     files={"file": ("notes.wav", b"not audio at all", "audio/wav")})
    assert r.status_code == 415 and 'role="alert"' in r.text and "Upload and score" in r.text


def test_a_failed_job_shows_its_reason_on_the_progress_page(make_api, cheap_hashes):
    from conftest import scripted_models
    from web_world import World

    api = make_api(models=scripted_models(fail_stage="diarize"))
    w = World(api.client.app)
    acme = w.org("Acme")
    w.user(acme, "vera@acme.test", person=w.person(acme, "Vera"))
    browser = w.signed_in("vera@acme.test")
    progress = _post(browser, csrf_of(browser.get("/upload").text)).headers["location"]
    api.process()
    page = browser.get(progress)
    assert "Scoring failed" in page.text and '<meta http-equiv="refresh"' not in page.text
    assert browser.get(progress + ".json").json()["error"]


def test_progress_follows_the_access_rule(world, vera):
    browser, _, _ = vera
    acme_other = world.org("Globex")
    other = world.session(acme_other, world.person(acme_other, "Gus"), html=None)
    assert browser.get(f"/sessions/{other}/progress").status_code == 404
    assert browser.get(f"/sessions/{other}/progress.json").status_code == 404
    assert world.browser().get("/upload", follow_redirects=False).status_code in (303, 401)
