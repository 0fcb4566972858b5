"""The access rule (service.web.access) on SQLite and PostgreSQL, and through the pages:
own sessions, the reporting tree below, admins, private sessions, other organisations."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from web_world import World, cheap_hashes, world  # noqa: F401  (fixtures)


pytestmark = pytest.mark.usefixtures("cheap_hashes")


@pytest.fixture
def tree(world):
    """Acme: VP Vera -> director Dan -> manager Mia; Pat is a peer of Dan under Vera; Ola
    answers to nobody. Each leads one session; Mia and Vera also have a private one.
    Globex has one session led by its own Vera."""
    acme = world.org("Acme")
    p = {"vera": world.person(acme, "Vera")}
    p["dan"] = world.person(acme, "Dan", manager=p["vera"])
    p["mia"] = world.person(acme, "Mia", manager=p["dan"])
    p["pat"] = world.person(acme, "Pat", manager=p["vera"])
    p["ola"] = world.person(acme, "Ola")
    s = {name: world.session(acme, pid) for name, pid in p.items()}
    s["mia_private"] = world.session(acme, p["mia"], private=True)
    s["vera_private"] = world.session(acme, p["vera"], private=True)
    s["nobody"] = world.session(acme, None)
    globex = world.org("Globex")
    s["globex"] = world.session(globex, world.person(globex, "Vera"))
    return acme, globex, p, s


def _seen(world: World, viewer) -> set[str]:
    from service.web.access import visible_sessions

    with world.factory() as db:
        return {x.id for x in db.scalars(visible_sessions(viewer))}


def _names(s: dict, seen: set[str]) -> set[str]:
    return {name for name, sid in s.items() if sid in seen}


def test_access_rule_follows_the_reporting_tree_at_any_depth(world, tree):
    from service.web.access import Viewer

    acme, _, p, s = tree
    member = lambda who: Viewer(f"usr_{who}", acme, "member", p[who])  # noqa: E731
    assert _names(s, _seen(world, member("vera"))) == {"vera", "vera_private", "dan", "mia", "pat"}
    assert _names(s, _seen(world, member("dan"))) == {"dan", "mia"}  # not Mia's private one
    assert _names(s, _seen(world, member("mia"))) == {"mia", "mia_private"}
    assert _names(s, _seen(world, member("pat"))) == {"pat"}
    assert _names(s, _seen(world, Viewer("usr_x", acme, "member", None))) == set()


def test_admins_see_the_whole_org_but_no_one_elses_private_session(world, tree):
    from service.web.access import Viewer

    acme, globex, p, s = tree
    assert _names(s, _seen(world, Viewer("usr_a", acme, "admin", p["ola"]))) == {
        "vera", "dan", "mia", "pat", "ola", "nobody"
    }
    assert _names(s, _seen(world, Viewer("usr_a", acme, "admin", None))) == {
        "vera", "dan", "mia", "pat", "ola", "nobody"
    }
    assert _names(s, _seen(world, Viewer("usr_g", globex, "admin", None))) == {"globex"}


def test_a_cycle_in_the_reporting_lines_does_not_hang_the_query(world, tree):
    from service.db import Person
    from service.web.access import Viewer

    acme, _, p, s = tree
    with world.factory() as db:
        db.get(Person, p["vera"]).manager_id = p["mia"]  # bad data: Vera -> Dan -> Mia -> Vera
        db.commit()
    assert _names(s, _seen(world, Viewer("usr_d", acme, "member", p["dan"]))) == {"dan", "mia", "vera", "pat"}


def test_a_member_cannot_open_or_list_another_leaders_session(world, tree):
    acme, _, p, s = tree
    world.user(acme, "pat@acme.test", person=p["pat"])
    pat = world.signed_in("pat@acme.test")
    home = pat.get("/home").text
    assert f"/sessions/{s['pat']}" in home and f"/sessions/{s['dan']}" not in home
    assert pat.get(f"/sessions/{s['pat']}").status_code == 200
    for other in ("dan", "vera", "mia_private", "globex"):
        r = pat.get(f"/sessions/{s[other]}")
        assert r.status_code == 404 and "There is no session at this address" in r.text


def test_a_manager_sees_their_reports_session_but_not_a_private_one(world, tree):
    acme, _, p, s = tree
    world.user(acme, "dan@acme.test", person=p["dan"])
    dan = world.signed_in("dan@acme.test")
    home = dan.get("/home").text
    assert f"/sessions/{s['mia']}" in home and "Mia with" in home
    assert f"/sessions/{s['mia_private']}" not in home
    assert dan.get(f"/sessions/{s['mia']}/scorecard.html").text == "<p>scorecard</p>"
    assert dan.get(f"/sessions/{s['mia_private']}").status_code == 404


def test_org_a_never_sees_org_b(world, tree):
    acme, globex, p, s = tree
    world.user(acme, "admin@acme.test", role="admin")
    admin = world.signed_in("admin@acme.test")
    assert f"/sessions/{s['globex']}" not in admin.get("/home").text
    assert admin.get(f"/sessions/{s['globex']}").status_code == 404
    assert admin.get(f"/sessions/{s['dan']}").status_code == 200


def test_a_reset_link_for_another_orgs_user_is_refused(world, tree):
    from web_world import csrf_of

    acme, globex, _, _ = tree
    world.user(acme, "admin@acme.test", role="admin")
    world.user(globex, "someone@globex.test")
    admin = world.signed_in("admin@acme.test")
    token = csrf_of(admin.get("/home").text)
    r = admin.post("/home/reset-link", data={"csrf_token": token, "email": "someone@globex.test"})
    assert r.status_code == 404 and "/reset/" not in r.text


def test_members_cannot_invite(world, tree):
    from service.db import User
    from web_world import csrf_of

    acme, _, p, _ = tree
    world.user(acme, "pat@acme.test", person=p["pat"])
    pat = world.signed_in("pat@acme.test")
    token = csrf_of(pat.get("/home").text)
    r = pat.post("/home/invite", data={"csrf_token": token, "email": "x@acme.test", "role": "admin"})
    assert r.status_code == 403
    with world.factory() as db:
        assert db.scalar(select(User).where(User.email == "x@acme.test")) is None


def test_an_api_key_never_sees_a_private_session(api, world):
    """A self-review is the leader's own: the organisation's API keys (integrations) get 404
    on it and do not list it or count it in the leader's trend; its leader still opens it."""
    from service.auth import create_key
    from service.db import Org

    acme = world.org("Acme")
    mia = world.person(acme, "Mia")
    public, private = world.session(acme, mia), world.session(acme, mia, private=True)
    with world.factory() as db:
        key = create_key(db, db.get(Org, acme)).plain
        db.commit()
    h = {"Authorization": f"Bearer {key}"}
    assert api.client.get(f"/v1/sessions/{public}", headers=h).status_code == 200
    for path in ("", "/scorecard", "/scorecard.html", "/transcript", "/shares"):
        assert api.client.get(f"/v1/sessions/{private}{path}", headers=h).status_code == 404, path
    assert api.client.delete(f"/v1/sessions/{private}", headers=h).status_code == 404
    listed = {s["id"] for s in api.client.get("/v1/sessions", headers=h).json()["items"]}
    assert listed == {public}
    world.user(acme, "mia@acme.test", person=mia)
    assert world.signed_in("mia@acme.test").get(f"/sessions/{private}").status_code == 200
