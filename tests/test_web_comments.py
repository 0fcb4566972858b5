"""Comments: timestamped notes on a session and replies, seen by its leader and the people
above them; one access rule (another leader: 404), a CSRF token on every post."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from web_world import cheap_hashes, csrf_of, world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("cheap_hashes")
CARD = {"speakers": [{"label": "S0", "name": "Mia"}], "rescues": [],
        "sentences": [{"index": i, "speaker": "S0", "start": float(t), "end": t + 4.0, "text": f"line {i}",
                       "act": "statement", "rule": "", "turn_index": i, "source_index": i, "grow": None}
                      for i, t in enumerate((0, 10, 20))]}


@pytest.fixture
def tree(world):
    from service.db import CoachingSession

    acme = world.org("Acme")
    vera = world.person(acme, "Vera Okafor")
    mia = world.person(acme, "Mia", manager=vera)
    pat = world.person(acme, "Pat", manager=vera)
    sid = world.session(acme, mia)
    with world.factory() as db:
        s = db.get(CoachingSession, sid)
        s.scorecard_json, s.duration_s = CARD, 30.0
        db.commit()
    for who, person in (("vera", vera), ("mia", mia), ("pat", pat)):
        world.user(acme, f"{who}@acme.test", person=person)
    return sid


def _comment(browser, sid: str, **fields):
    token = csrf_of(browser.get(f"/sessions/{sid}").text)
    return browser.post(f"/sessions/{sid}/comments", data={"csrf_token": token, **fields}, follow_redirects=False)


def test_a_manager_comments_at_a_moment_and_the_leader_sees_it_and_replies(world, tree):
    from service.db import Comment

    vera = world.signed_in("vera@acme.test")
    r = _comment(vera, tree, at="0:12", body="Here you could have asked what she tried.")
    assert r.status_code == 303 and r.headers["location"].startswith(f"/sessions/{tree}#comment-com_")
    with world.factory() as db:
        c = db.scalar(select(Comment))
        assert (c.at_s, c.sentence_index, c.parent_id) == (12.0, 1, None)
    mia = world.signed_in("mia@acme.test")
    page = mia.get(f"/sessions/{tree}").text
    assert "Here you could have asked what she tried." in page and "<strong>Vera Okafor</strong> at" in page
    assert re.search(r'class="seek" href="/sessions/[^"]+/audio#t=12.00" data-t="12.0"', page)
    assert _comment(mia, tree, parent=c.id, body="Fair, I jumped in.").status_code == 303
    page = vera.get(f"/sessions/{tree}").text
    assert page.index("Here you could have asked") < page.index("Fair, I jumped in.")
    assert 'aria-label="Replies"' in page and "<strong>Mia</strong>" in page


def test_another_leader_cannot_read_or_comment(world, tree):
    from service.db import Comment

    _comment(world.signed_in("vera@acme.test"), tree, body="For Mia.")
    pat = world.signed_in("pat@acme.test")
    token = csrf_of(pat.get("/sessions").text)
    assert pat.get(f"/sessions/{tree}").status_code == 404
    r = pat.post(f"/sessions/{tree}/comments", data={"csrf_token": token, "body": "sneaky"})
    assert r.status_code == 404
    with world.factory() as db:
        assert [c.body for c in db.scalars(select(Comment))] == ["For Mia."]


def test_bad_times_empty_comments_foreign_parents_and_missing_tokens_are_refused(world, tree):
    vera = world.signed_in("vera@acme.test")
    assert _comment(vera, tree, at="soon", body="x").status_code == 422
    assert _comment(vera, tree, at="5:00", body="x").status_code == 422  # after the 30 s recording
    assert _comment(vera, tree, body="   ").status_code == 422
    assert _comment(vera, tree, parent="com_elsewhere", body="x").status_code == 404
    assert vera.post(f"/sessions/{tree}/comments", data={"body": "x"}).status_code == 403
    assert _comment(vera, tree, body="The whole session went well.").status_code == 303
    assert "The whole session went well." in vera.get(f"/sessions/{tree}").text


def test_parse_time_reads_minutes_seconds_and_hours():
    from service.web.comments import parse_time

    assert parse_time("1:23", None) == 83 and parse_time("83", None) == 83
    assert parse_time("1:02:03", None) == 3723 and parse_time("", None) is None
