"""The session page: the stored scorecard framed as rendered, moments and sentences that play
from their time, the recording streamed with Range requests (206), downloads, access rule."""

from __future__ import annotations

import re

import pytest

from conftest import wav_bytes
from web_world import cheap_hashes, upload_through_form, world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("cheap_hashes")


@pytest.fixture
def scored(api, world):
    """Vera uploads a 3 s recording through the form and it is scored (fake models)."""
    acme = world.org("Acme")
    vera = world.person(acme, "Vera")
    world.user(acme, "vera@acme.test", person=vera)
    world.user(acme, "pat@acme.test", person=world.person(acme, "Pat"))
    browser = world.signed_in("vera@acme.test")
    sid = upload_through_form(browser, wav_bytes(3.0), leader_name="Vera", coachee_name="Sam")
    api.process()
    return browser, sid


def test_the_page_frames_the_stored_scorecard_and_links_every_sentence_to_its_time(world, scored):
    from service.db import CoachingSession

    browser, sid = scored
    html = browser.get(f"/sessions/{sid}").text
    with world.factory() as db:
        s = db.get(CoachingSession, sid)
        card, stored = s.scorecard_json, s.scorecard_html
    assert f'<iframe id="scorecard" title="Scorecard" src="/sessions/{sid}/scorecard.html">' in html
    framed = browser.get(f"/sessions/{sid}/scorecard.html")
    assert framed.text == stored and "frame-ancestors 'self'" in framed.headers["content-security-policy"]
    assert f'<audio id="player" controls preload="metadata" src="/sessions/{sid}/audio">' in html
    seeks = re.findall(r'class="seek" href="/sessions/[^"#]+/audio#t=([\d.]+)"', html)
    assert len(seeks) >= len(card["sentences"]) > 0
    assert {f"{x['start']:.2f}" for x in card["sentences"]} <= set(seeks)
    assert "Vera" in html and "Sam" in html and "Download WebVTT" in html


def test_the_recording_streams_with_range_requests(scored):
    browser, sid = scored
    whole = browser.get(f"/sessions/{sid}/audio")
    assert whole.status_code == 200 and whole.content == wav_bytes(3.0)
    assert whole.headers["accept-ranges"] == "bytes"
    part = browser.get(f"/sessions/{sid}/audio", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == wav_bytes(3.0)[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(wav_bytes(3.0))}"


def test_downloads_json_html_and_webvtt(world, scored):
    from service.db import CoachingSession

    browser, sid = scored
    with world.factory() as db:
        card = db.get(CoachingSession, sid).scorecard_json
    assert browser.get(f"/sessions/{sid}/scorecard.json").json() == card
    html = browser.get(f"/sessions/{sid}/scorecard.html?download=1")
    assert html.headers["content-disposition"].startswith("attachment")
    vtt = browser.get(f"/sessions/{sid}/transcript.vtt")
    assert vtt.text.startswith("WEBVTT") and "<v Vera>" in vtt.text and "-->" in vtt.text


def test_another_leader_gets_404_everywhere(world, scored):
    _, sid = scored
    pat = world.signed_in("pat@acme.test")
    for path in ("", "/audio", "/scorecard.html", "/scorecard.json", "/transcript.vtt", "/progress"):
        assert pat.get(f"/sessions/{sid}{path}").status_code == 404, path
    assert world.browser().get(f"/sessions/{sid}/audio", follow_redirects=False).status_code in (303, 401)


def test_a_session_still_scoring_goes_to_its_progress_page(world):
    acme = world.org("Acme")
    vera = world.person(acme, "Vera")
    world.user(acme, "vera@acme.test", person=vera)
    sid = world.session(acme, vera, html=None)
    r = world.signed_in("vera@acme.test").get(f"/sessions/{sid}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/sessions/{sid}/progress"


def test_the_api_scorecard_link_opened_in_a_browser_uses_the_sign_in_cookie(api, scored):
    browser, sid = scored
    r = browser.get(f"/v1/sessions/{sid}/scorecard.html", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/sessions/{sid}/scorecard.html"
    assert "Coaching scorecard" in browser.get(f"/v1/sessions/{sid}/scorecard.html").text
    curl = api.client.get(f"/v1/sessions/{sid}/scorecard.html", headers={"Accept": "*/*"})
    assert curl.status_code == 401 and curl.json()["error"]["code"]  # API clients keep their JSON


def test_moments_name_acts_in_words_and_times_as_m_ss():
    """A sentence of an unnamed speaker shows its act; it must read 'Open question', never
    the JSON's 'open_question'."""
    from service.web.session_page import moments

    card = {"speakers": [{"label": "S0", "name": None}, {"label": "S1", "name": None}], "roles": {"leader": "S0"},
            "sentences": [{"start": 83.4, "speaker": "S0", "act": "open_question", "text": "What matters most?"},
                          {"start": 90.0, "speaker": "S1", "act": "statement", "text": "The launch."}],
            "rescues": [{"time": 95.0, "kind": "advice", "response": {"text": "Just ship it."}}]}
    rescues, questions, sentences = moments(card)
    assert [(m.time, m.kind) for m in sentences] == [("1:23", "Open question"), ("1:30", "Statement")]
    assert [m.kind for m in questions] == ["Open question"]
    assert [m.kind for m in rescues] == ["Rescue 1: Advice"]
