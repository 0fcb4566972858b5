"""Corrections: swapping the roles from the session page re-scores through the API's PATCH,
keeps the machine's roles in an audit row, and the page says who corrected it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from test_web_session import scored  # noqa: F401  (fixture)
from web_world import cheap_hashes, csrf_of, world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("cheap_hashes")


def test_swapping_roles_rescores_and_keeps_the_machines_roles(api, world, scored):
    from service.db import CoachingSession, Correction

    browser, sid = scored
    with world.factory() as db:
        machine = dict(db.get(CoachingSession, sid).roles_json)
    page = browser.get(f"/sessions/{sid}").text
    assert "have not been corrected" in page
    r = browser.post(f"/sessions/{sid}/swap-roles", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/sessions/{sid}/progress"
    busy = browser.post(f"/sessions/{sid}/swap-roles", data={"csrf_token": csrf_of(page)})
    assert busy.status_code == 409  # the re-score is queued
    api.process()
    with world.factory() as db:
        s = db.get(CoachingSession, sid)
        assert s.status == "done" and s.roles_json["leader"] == machine["coachee"]
        c = db.scalar(select(Correction))
        assert c.kind == "swap_roles" and c.before == {"roles": machine} and c.user_id
    page = browser.get(f"/sessions/{sid}").text
    assert "Leader and coachee swapped by <strong>Vera</strong>" in page


def test_another_leader_cannot_correct(world, scored):
    from service.db import Correction

    _, sid = scored
    pat = world.signed_in("pat@acme.test")
    r = pat.post(f"/sessions/{sid}/swap-roles", data={"csrf_token": csrf_of(pat.get("/sessions").text)})
    assert r.status_code == 404
    assert world.signed_in("vera@acme.test").post(f"/sessions/{sid}/swap-roles", data={}).status_code == 403
    with world.factory() as db:
        assert db.scalar(select(Correction)) is None
