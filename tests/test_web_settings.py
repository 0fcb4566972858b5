"""The admin's settings pages: users and roles, reporting lines, rubrics, API keys,
webhooks, retention. Only admins open them; every form needs the CSRF token; each change
goes through the function the rest of the service uses (the worker's rubric parser, the
CLI's key functions, the API's callback URL check)."""

from __future__ import annotations

from pathlib import Path

import pytest

from web_world import cheap_hashes, csrf_of, sign_in, world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("cheap_hashes")
DEFAULT_RUBRIC = (Path(__file__).resolve().parents[1] / "analysis" / "data" / "rubric-default.toml").read_text()


@pytest.fixture
def acme(world):
    """Acme: admin Vera (a VP), member Dan (a director, reporting to Vera) and Pat (reporting to Dan)."""
    org = world.org("Acme")
    vera = world.person(org, "Vera")
    dan = world.person(org, "Dan", manager=vera)
    pat = world.person(org, "Pat", manager=dan)
    ids = {"org": org, "vera": vera, "dan": dan, "pat": pat,
           "vera_user": world.user(org, "vera@acme.test", role="admin", person=vera),
           "dan_user": world.user(org, "dan@acme.test", person=dan)}
    return ids, world.signed_in("vera@acme.test")


def post(browser, path: str, page: str, **data):
    token = csrf_of(browser.get(page).text)
    return browser.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


def _get(world, model, id_):
    with world.factory() as db:
        return db.get(model, id_)


def test_only_admins_open_settings_and_every_form_needs_the_csrf_token(world, acme):
    ids, vera = acme
    for section in ("users", "people", "rubrics", "api-keys", "webhooks", "retention"):
        r = vera.get(f"/settings/{section}")
        assert r.status_code == 200 and 'aria-current="page"' in r.text, section
    dan = world.signed_in("dan@acme.test")
    assert dan.get("/settings/users").status_code == 403
    assert "Only an admin" in dan.get("/settings/retention").text
    assert 'href="/settings"' in vera.get("/home").text and 'href="/settings"' not in dan.get("/home").text
    assert world.browser().get("/settings/users", follow_redirects=False).status_code in (302, 303)
    r = vera.post("/settings/retention", data={"audio_days": "30"}, follow_redirects=False)
    assert r.status_code == 403
    r = post(dan, "/settings/retention", "/home", audio_days="1")
    assert r.status_code == 403


def test_roles_change_but_the_last_admin_stays(world, acme):
    from service.db import User

    ids, vera = acme
    r = post(vera, f"/settings/users/{ids['dan_user']}/role", "/settings/users", role="admin")
    assert r.status_code == 303 and r.headers["location"] == "/settings/users?saved=role"
    assert _get(world, User, ids["dan_user"]).role == "admin"
    assert "The role was changed." in vera.get(r.headers["location"]).text
    post(vera, f"/settings/users/{ids['dan_user']}/role", "/settings/users", role="member")
    r = post(vera, f"/settings/users/{ids['vera_user']}/role", "/settings/users", role="member")
    assert r.status_code == 409 and "the only admin" in r.text
    assert _get(world, User, ids["vera_user"]).role == "admin"


def test_a_deactivated_user_is_signed_out_and_cannot_sign_in_until_reactivated(world, acme):
    from service.db import User

    ids, vera = acme
    dan = world.signed_in("dan@acme.test")
    assert dan.get("/home").status_code == 200
    r = post(vera, f"/settings/users/{ids['dan_user']}/active", "/settings/users", active="no")
    assert r.status_code == 303 and _get(world, User, ids["dan_user"]).deactivated_at is not None
    assert dan.get("/home", follow_redirects=False).status_code in (302, 303)  # sent to sign in
    r = sign_in(world.browser(), "dan@acme.test", "correct horse battery")
    assert r.status_code == 403 and "deactivated" in r.text
    r = post(vera, f"/settings/users/{ids['vera_user']}/active", "/settings/users", active="no")
    assert r.status_code == 409 and "your own account" in r.text
    post(vera, f"/settings/users/{ids['dan_user']}/active", "/settings/users", active="yes")
    assert world.signed_in("dan@acme.test").get("/home").status_code == 200


def test_link_a_user_to_a_person_one_account_each(world, acme):
    from service.db import User

    ids, vera = acme
    r = post(vera, f"/settings/users/{ids['dan_user']}/person", "/settings/users", person=ids["pat"])
    assert r.status_code == 303 and _get(world, User, ids["dan_user"]).person_id == ids["pat"]
    r = post(vera, f"/settings/users/{ids['dan_user']}/person", "/settings/users", person=ids["vera"])
    assert r.status_code == 409 and "Vera is already linked to vera@acme.test" in r.text
    other = world.person(world.org("Globex"), "Gus")
    r = post(vera, f"/settings/users/{ids['dan_user']}/person", "/settings/users", person=other)
    assert r.status_code == 404


def test_invitations_are_listed_and_get_a_new_link(world, acme):
    ids, vera = acme
    r = post(vera, "/home/invite", "/settings/users", email="new@acme.test", role="member", name="Nia")
    assert r.status_code == 200 and "/invite/" in r.text
    page = vera.get("/settings/users").text
    assert "new@acme.test · link works until" in page
    from service.web.accounts import find_user

    with world.factory() as db:
        uid = find_user(db, "new@acme.test").id
    r = post(vera, f"/settings/users/{uid}/invite-link", "/settings/users")
    assert r.status_code == 200 and "/invite/" in r.text and "new@acme.test" in r.text
    r = post(vera, f"/settings/users/{ids['dan_user']}/invite-link", "/settings/users")
    assert r.status_code == 404  # Dan has a password already


def test_reporting_lines_refuse_cycles_with_the_chain(world, acme):
    from service.db import Person

    ids, vera = acme
    r = post(vera, f"/settings/people/{ids['vera']}/manager", "/settings/people", manager=ids["pat"])
    assert r.status_code == 409
    assert "Vera cannot report to Pat: Pat already reports to Vera (Pat → Dan → Vera)" in r.text
    assert _get(world, Person, ids["vera"]).manager_id is None
    r = post(vera, f"/settings/people/{ids['pat']}/manager", "/settings/people", manager=ids["vera"])
    assert r.status_code == 303 and _get(world, Person, ids["pat"]).manager_id == ids["vera"]
    r = post(vera, f"/settings/people/{ids['pat']}/manager", "/settings/people", manager="")
    assert r.status_code == 303 and _get(world, Person, ids["pat"]).manager_id is None
    r = post(vera, f"/settings/people/{ids['pat']}/manager", "/settings/people", manager=ids["pat"])
    assert r.status_code == 409 and "cannot report to themselves" in r.text


def _upload_rubric(browser, filename: str, text: str):
    token = csrf_of(browser.get("/settings/rubrics").text)
    return browser.post("/settings/rubrics", data={"csrf_token": token},
                        files={"file": (filename, text.encode(), "application/toml")}, follow_redirects=False)


def test_a_rubric_upload_is_checked_by_the_workers_parser_and_becomes_the_default(api, world, acme):
    from service.db import CoachingSession, Org
    from service.auth import create_key

    ids, vera = acme
    folder = api.settings.resolved_rubrics_dir()
    bad = DEFAULT_RUBRIC.replace("weight = 20", "weight = -1", 1)
    r = _upload_rubric(vera, "team.toml", bad)
    assert r.status_code == 400 and "team.toml: field &#39;dimensions[0].weight&#39; must be a number &gt; 0" in r.text
    assert not (folder / "team.toml").exists()
    assert "invalid TOML" in _upload_rubric(vera, "team.toml", "id = ").text
    assert _upload_rubric(vera, "team.yaml", DEFAULT_RUBRIC).status_code == 400
    r = _upload_rubric(vera, "team.toml", DEFAULT_RUBRIC.replace('version = "1.1.0"', 'version = "7"'))
    assert r.status_code == 303 and (folder / "team.toml").read_text() == DEFAULT_RUBRIC.replace(
        'version = "1.1.0"', 'version = "7"')
    assert "version 7" in vera.get("/settings/rubrics").text
    assert _upload_rubric(vera, "team.toml", DEFAULT_RUBRIC).status_code == 409  # never replaced

    r = post(vera, "/settings/rubrics/default", "/settings/rubrics", rubric="team")
    assert r.status_code == 303 and _get(world, Org, ids["org"]).default_rubric == "team"
    assert post(vera, "/settings/rubrics/default", "/settings/rubrics", rubric="nope").status_code == 400
    assert '<option value="team" selected>team (your organisation' in vera.get("/upload").text
    with world.factory() as db:
        key = create_key(db, db.get(Org, ids["org"]))
        db.commit()
    sid = api.upload({"Authorization": f"Bearer {key.plain}"}).json()["id"]
    api.process()
    s = _get(world, CoachingSession, sid)
    assert s.rubric == "team" and s.status == "done" and s.rubric_version == "7"


def test_api_keys_are_created_once_listed_and_revoked_with_the_clis_functions(api, world, acme):
    from service.db import ApiKey

    ids, vera = acme
    r = post(vera, "/settings/api-keys", "/settings/api-keys", name="LMS sync")
    assert r.status_code == 200 and "not shown again" in r.text
    plain = r.text.split('id="new-key" type="text" readonly value="')[1].split('"')[0]
    assert plain.startswith("csk_")
    assert plain not in vera.get("/settings/api-keys").text  # shown once
    h = {"Authorization": f"Bearer {plain}"}
    assert api.client.get("/v1/sessions", headers=h).status_code == 200
    with world.factory() as db:
        key = db.query(ApiKey).filter_by(org_id=ids["org"]).one()
    assert key.name == "LMS sync" and key.last_used_at is not None
    page = vera.get("/settings/api-keys").text
    assert f"csk_{key.prefix}…" in page and "last used" in page
    _, other_h = api.new_org()
    with world.factory() as db:
        other = db.query(ApiKey).filter(ApiKey.org_id != ids["org"]).one()
    assert post(vera, f"/settings/api-keys/{other.id}/revoke", "/settings/api-keys").status_code == 404
    assert api.client.get("/v1/sessions", headers=other_h).status_code == 200
    r = post(vera, f"/settings/api-keys/{key.id}/revoke", "/settings/api-keys")
    assert r.status_code == 303 and api.client.get("/v1/sessions", headers=h).status_code == 401
    assert "Revoked" in vera.get("/settings/api-keys").text


def test_webhook_endpoints_get_every_non_private_session(api, world, acme):
    from service.db import Org, WebhookEndpoint
    from service.auth import create_key

    ids, vera = acme
    r = post(vera, "/settings/webhooks", "/settings/webhooks", url="ftp://example.com/x")
    assert r.status_code == 400 and "The webhook URL must be an absolute http(s) URL." in r.text and "http(s)" in r.text and 'value="ftp://example.com/x"' in r.text
    r = post(vera, "/settings/webhooks", "/settings/webhooks", url="https://hooks.example.com/coach")
    assert r.status_code == 303
    assert post(vera, "/settings/webhooks", "/settings/webhooks",
                url="https://hooks.example.com/coach").status_code == 409
    with world.factory() as db:
        key = create_key(db, db.get(Org, ids["org"]))
        db.commit()
    h = {"Authorization": f"Bearer {key.plain}"}
    api.upload(h, callback_url="https://own.example.com/cb")
    api.process()
    assert sorted(url for url, _, _ in api.sent) == ["https://hooks.example.com/coach", "https://own.example.com/cb"]
    assert "hooks.example.com/coach" in vera.get("/settings/webhooks").text
    with world.factory() as db:
        endpoint = db.query(WebhookEndpoint).one()
    r = post(vera, f"/settings/webhooks/{endpoint.id}/remove", "/settings/webhooks")
    assert r.status_code == 303
    with world.factory() as db:
        assert db.query(WebhookEndpoint).count() == 0


def test_webhook_endpoints_skip_private_sessions():
    from types import SimpleNamespace

    from service import webhooks

    added = []

    class Db:
        def scalars(self, q):
            return ["https://hooks.example.com/coach"]

        def add(self, row):
            added.append(row.url)

    s = SimpleNamespace(callback_url=None, private=True, org_id="org_x", id="ses_x", status="done",
                        overall_score=50.0)
    webhooks.enqueue_for_session(Db(), s, "http://testserver")
    assert added == []
    webhooks.enqueue_for_session(Db(), SimpleNamespace(**{**vars(s), "private": False}), "http://testserver")
    assert added == ["https://hooks.example.com/coach"]


def test_webhook_endpoints_are_checked_like_callback_urls(make_api, world):
    api = make_api(webhook_allow_private=False)
    from web_world import World

    w = World(api.client.app)
    org = w.org("Acme")
    w.user(org, "vera@acme.test", role="admin", person=w.person(org, "Vera"))
    vera = w.signed_in("vera@acme.test")
    r = post(vera, "/settings/webhooks", "/settings/webhooks", url="http://127.0.0.1:8080/hook")
    assert r.status_code == 400 and "loopback or private address" in r.text


def test_retention_is_saved_per_org_blank_is_forever(world, acme):
    from service.db import Org

    ids, vera = acme
    r = post(vera, "/settings/retention", "/settings/retention", audio_days="30", transcript_days="")
    assert r.status_code == 303
    org = _get(world, Org, ids["org"])
    assert org.keep_audio_days == 30 and org.keep_transcripts_days is None
    assert 'value="30"' in vera.get("/settings/retention").text
    r = post(vera, "/settings/retention", "/settings/retention", audio_days="30", transcript_days="soon")
    assert r.status_code == 400 and "whole number of days" in r.text
    assert _get(world, Org, ids["org"]).keep_transcripts_days is None
