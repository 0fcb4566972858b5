"""Sign-in, sign-out, CSRF, lockout and rate limit, one-time links, cookies, HTML error
pages for browsers (JSON for API clients), `admin create-user`, and migration 0002."""

from __future__ import annotations

from datetime import timedelta

import pytest
from typer.testing import CliRunner

from web_world import PASSWORD, World, cheap_hashes, csrf_of, sign_in, world  # noqa: F401  (fixtures)

NEW_PASSWORD = "a much better passphrase"


pytestmark = pytest.mark.usefixtures("cheap_hashes")


@pytest.fixture
def acme(world) -> str:
    org = world.org("Acme")
    world.user(org, "dana@acme.test", role="admin", person=world.person(org, "Dana"))
    return org


def _link(world: World, email: str, purpose: str, hours: float = 1.0, now=None) -> str:
    from service.web.accounts import find_user, issue_link

    with world.factory() as db:
        token = issue_link(db, find_user(db, email), purpose, hours, now=now)
        db.commit()
    return f"/{purpose}/{token}"


def _set_password(browser, path: str, password: str = NEW_PASSWORD, **extra):
    token = csrf_of(browser.get(path).text)
    return browser.post(path, data={"csrf_token": token, "password": password, "repeat": password, **extra},
                        follow_redirects=False)


# --------------------------------------------------------------------------- sign-in / out


def test_root_redirects_to_sign_in_then_home(world, acme):
    b = world.browser()
    assert b.get("/", follow_redirects=False).headers["location"] == "/signin"
    r = b.get("/home", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signin?next=/home"
    assert sign_in(b, "Dana@Acme.test ", PASSWORD).headers["location"] == "/home"
    assert b.get("/", follow_redirects=False).headers["location"] == "/home"
    assert "Hello, Dana" in b.get("/home").text


def test_sign_out_ends_the_session_on_the_server(world, acme):
    b = world.signed_in("dana@acme.test")
    stolen = dict(b.cookies)
    r = b.post("/signout", data={"csrf_token": csrf_of(b.get("/home").text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signin"
    replay = world.browser()
    replay.cookies.update(stolen)
    assert replay.get("/home", follow_redirects=False).headers["location"].startswith("/signin")


def test_signing_in_replaces_the_anonymous_session(world, acme):
    b = world.browser()
    b.get("/signin")
    before = b.cookies["coachscore_session"]
    sign_in(b, "dana@acme.test", PASSWORD)
    assert b.cookies["coachscore_session"] != before
    planted = world.browser()
    planted.cookies.set("coachscore_session", before)
    assert planted.get("/home", follow_redirects=False).status_code == 303


def test_wrong_password_and_unknown_email_get_the_same_answer(world, acme):
    wrong = sign_in(world.browser(), "dana@acme.test", "not the password")
    unknown = sign_in(world.browser(), "nobody@acme.test", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "The email address or password is wrong." in wrong.text
    assert wrong.text.count("wrong") == unknown.text.count("wrong")


def test_next_only_goes_to_this_site(world, acme):
    b = world.browser()
    token = csrf_of(b.get("/signin?next=//evil.example/x").text)
    r = b.post("/signin", data={"csrf_token": token, "email": "dana@acme.test", "password": PASSWORD,
                                "next": "//evil.example/x"}, follow_redirects=False)
    assert r.headers["location"] == "/home"


def test_cookie_is_httponly_lax_and_secure_only_over_https(make_api):
    plain = make_api()
    r = plain.client.get("/signin")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    tls = make_api(public_base_url="https://coach.example")
    assert "; secure" in tls.client.get("/signin").headers["set-cookie"].lower()


# --------------------------------------------------------------------------- CSRF


def test_a_form_post_without_or_with_a_wrong_csrf_token_is_refused(world, acme):
    b = world.browser()
    b.get("/signin")
    for data in ({}, {"csrf_token": "forged"}):
        r = b.post("/signin", data={**data, "email": "dana@acme.test", "password": PASSWORD}, follow_redirects=False)
        assert r.status_code == 403 and "did not come from this site" in r.text
        assert "coachscore_session" not in r.headers.get("set-cookie", "")
    signed = world.signed_in("dana@acme.test")
    assert signed.post("/signout", data={}).status_code == 403
    r = signed.post("/home/invite", data={"email": "x@acme.test", "role": "admin"})
    assert r.status_code == 403
    assert signed.get("/home").status_code == 200  # still signed in


def test_another_browsers_token_does_not_work(world, acme):
    mine, theirs = world.browser(), world.browser()
    mine.get("/signin")
    token = csrf_of(theirs.get("/signin").text)
    r = mine.post("/signin", data={"csrf_token": token, "email": "dana@acme.test", "password": PASSWORD})
    assert r.status_code == 403


# --------------------------------------------------------------------------- lockout and rate limit


def test_a_locked_out_account_stays_locked_even_with_the_right_password(make_api):
    api = make_api(signin_max_failures=3, signin_lockout_minutes=10)
    world = World(api.client.app)
    org = world.org("Acme")
    world.user(org, "dana@acme.test")
    for _ in range(3):
        assert sign_in(world.browser(), "dana@acme.test", "guess guess guess").status_code == 401
    for password in (PASSWORD, "guess guess guess"):
        r = sign_in(world.browser(), "dana@acme.test", password)
        assert r.status_code == 403 and "locked" in r.text and "10 minutes" in r.text


def test_lockout_lasts_the_configured_minutes_and_a_reset_lifts_it(world, acme):
    from service.db import utcnow
    from service.web.accounts import sign_in as check
    from service.web.errors import FormError

    t0 = utcnow()
    kw = dict(max_failures=2, lockout_minutes=15)
    with world.factory() as db:
        for _ in range(2):
            with pytest.raises(FormError):
                check(db, "dana@acme.test", "wrong", now=t0, **kw)
        with pytest.raises(FormError, match="locked"):
            check(db, "dana@acme.test", PASSWORD, now=t0 + timedelta(minutes=14, seconds=59), **kw)
        assert check(db, "dana@acme.test", PASSWORD, now=t0 + timedelta(minutes=15, seconds=1), **kw)
        for _ in range(2):
            with pytest.raises(FormError):
                check(db, "dana@acme.test", "wrong", now=t0, **kw)
        db.commit()
    r = _set_password(world.browser(), _link(world, "dana@acme.test", "reset"))
    assert r.status_code == 303
    assert sign_in(world.browser(), "dana@acme.test", NEW_PASSWORD).status_code == 303


def test_a_right_password_resets_the_failure_count(make_api):
    api = make_api(signin_max_failures=2)
    world = World(api.client.app)
    world.user(world.org("Acme"), "dana@acme.test")
    attempts = ["wrong wrong", PASSWORD, "wrong wrong", PASSWORD, "wrong wrong", "wrong wrong", PASSWORD]
    codes = [sign_in(world.browser(), "dana@acme.test", p).status_code for p in attempts]
    assert codes == [401, 303, 401, 303, 401, 401, 403]


def test_sign_in_attempts_are_rate_limited_per_client(make_api):
    api = make_api(signin_rate_per_minute=2)
    world = World(api.client.app)
    world.user(world.org("Acme"), "dana@acme.test")
    b = world.browser()
    codes = [sign_in(b, "dana@acme.test", "wrong").status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    r = sign_in(b, "dana@acme.test", PASSWORD)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and "Too many attempts" in r.text


# --------------------------------------------------------------------------- one-time links


def test_an_invitation_sets_name_and_password_and_works_once(world, acme):
    from service.db import Person, User
    from service.web.accounts import create_user, find_user
    from service.auth import find_org

    with world.factory() as db:
        create_user(db, find_org(db, acme), "new@acme.test", "member")
        db.commit()
    path = _link(world, "new@acme.test", "invite")
    b = world.browser()
    assert "new@acme.test" in b.get(path).text
    r = _set_password(b, path, name="  Nia   Okafor ")
    assert r.status_code == 303 and r.headers["location"] == "/home"
    assert "Hello, Nia Okafor" in b.get("/home").text  # signed in by the link
    again = world.browser().get(path)
    assert again.status_code == 404 and "already been used" in again.text
    late = world.browser()
    token = csrf_of(late.get("/signin").text)
    r = late.post(path, data={"csrf_token": token, "name": "X", "password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert r.status_code == 404
    with world.factory() as db:
        user = find_user(db, "new@acme.test")
        assert db.get(Person, user.person_id).name == "Nia Okafor"
        assert user.password_hash.startswith("$argon2id$") and NEW_PASSWORD not in user.password_hash
        assert db.query(User).count() == 2


def test_an_expired_or_unknown_link_is_refused(world, acme):
    from service.db import utcnow

    old = _link(world, "dana@acme.test", "reset", hours=1, now=utcnow() - timedelta(hours=2))
    r = world.browser().get(old)
    assert r.status_code == 404 and "expired" in r.text
    assert world.browser().get("/reset/not-a-token").status_code == 404
    invite_as_reset = _link(world, "dana@acme.test", "invite").replace("/invite/", "/reset/")
    assert world.browser().get(invite_as_reset).status_code == 404


def test_a_reset_link_replaces_the_password_and_kills_other_open_links(world, acme):
    first = _link(world, "dana@acme.test", "reset")
    second = _link(world, "dana@acme.test", "reset")
    assert _set_password(world.browser(), second).status_code == 303
    assert sign_in(world.browser(), "dana@acme.test", PASSWORD).status_code == 401
    assert sign_in(world.browser(), "dana@acme.test", NEW_PASSWORD).status_code == 303
    assert world.browser().get(first).status_code == 404


def test_a_bad_new_password_shows_the_form_again_and_keeps_the_link(world, acme):
    path = _link(world, "dana@acme.test", "reset")
    b = world.browser()
    token = csrf_of(b.get(path).text)
    r = b.post(path, data={"csrf_token": token, "password": "short", "repeat": "short"})
    assert r.status_code == 400 and "at least 10 characters" in r.text and 'role="alert"' in r.text
    r = b.post(path, data={"csrf_token": token, "password": NEW_PASSWORD, "repeat": NEW_PASSWORD + "x"})
    assert r.status_code == 400 and "not the same" in r.text
    assert _set_password(b, path).status_code == 303


def test_an_invited_name_that_belongs_to_someone_else_is_refused(world, acme):
    from service.auth import find_org
    from service.web.accounts import create_user

    with world.factory() as db:
        create_user(db, find_org(db, acme), "imposter@acme.test", "member")
        db.commit()
    r = _set_password(world.browser(), _link(world, "imposter@acme.test", "invite"), name="Dana")
    assert r.status_code == 400 and "already called Dana" in r.text


def test_an_admin_invites_someone_into_the_tree_and_copies_the_link(world, acme, caplog):
    from service.db import Person
    from service.web.accounts import find_user

    leader = world.person(acme, "Lee")  # already leads sessions, no account yet
    admin = world.signed_in("dana@acme.test")
    home = admin.get("/home").text
    with world.factory() as db:
        dana = db.query(Person).filter_by(name="Dana").one()
    caplog.set_level("INFO", logger="coachscore.web.mail")
    r = admin.post("/home/invite", data={"csrf_token": csrf_of(home), "email": "lee@acme.test", "name": "Lee",
                                         "manager": dana.id, "role": "member"})
    assert r.status_code == 200
    url = r.text.split('readonly value="', 1)[1].split('"', 1)[0]
    assert url.startswith("http://testserver/invite/") and url in caplog.text  # the default mailer logs it
    with world.factory() as db:
        lee = find_user(db, "lee@acme.test")
        assert lee.person_id == leader and db.get(Person, leader).manager_id == dana.id
    b = world.browser()
    assert _set_password(b, url.removeprefix("http://testserver"), name="Lee").status_code == 303
    again = admin.post("/home/invite", data={"csrf_token": csrf_of(home), "email": "LEE@acme.test"})
    assert again.status_code == 409 and "already an account" in again.text


def test_a_pluggable_mailer_receives_the_reset_link(make_api):
    api = make_api(mailer="web_world:RecordingMailer")
    world = World(api.client.app)
    world.user(world.org("Acme"), "dana@acme.test")
    from web_world import RecordingMailer

    RecordingMailer.sent.clear()
    b = world.browser()
    for email in ("dana@acme.test", "nobody@acme.test"):
        r = b.post("/reset", data={"csrf_token": csrf_of(b.get("/reset").text), "email": email})
        assert r.status_code == 200 and "If there is an account for that address" in r.text
    assert [to for to, _, _ in RecordingMailer.sent] == ["dana@acme.test"]
    link = RecordingMailer.sent[0][2].split("\n\n")[1]
    assert _set_password(world.browser(), link.removeprefix("http://testserver")).status_code == 303


# --------------------------------------------------------------------------- errors: HTML or JSON


def test_browsers_get_html_error_pages_and_api_clients_json(api):
    html = api.client.get("/nope", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert html.status_code == 404 and html.headers["content-type"].startswith("text/html")
    assert "There is no page at this address" in html.text and "{" not in html.text.split("<main", 1)[1]
    plain = api.client.get("/nope", headers={"Accept": "*/*"})
    assert plain.json() == {"error": {"code": "not_found", "message": "Not Found"}}
    v1 = api.client.get("/v1/sessions", headers={"Accept": "text/html"})
    assert v1.status_code == 401 and v1.json()["error"]["code"] == "unauthorized"
    assert api.client.get("/home", headers={"Accept": "application/json"}).json()["error"]["code"] == \
        "sign_in_required"


def test_an_expired_share_link_is_a_page_for_a_browser(api):
    r = api.client.get("/share/abc.def", headers={"Accept": "text/html"})
    assert r.status_code == 403 and "<h1>Not allowed</h1>" in r.text and "not valid" in r.text


def test_prefers_html():
    from service.web.negotiate import prefers_html

    assert prefers_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    assert not prefers_html("*/*")
    assert not prefers_html("application/json, text/html;q=0.5")
    assert not prefers_html("text/html;q=0")
    assert not prefers_html("")


def test_pages_send_security_headers_and_their_css_is_served(api):
    r = api.client.get("/signin")
    assert "form-action 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
    css = api.client.get("/web-static/app.css")
    assert css.status_code == 200 and "--accent" in css.text


# --------------------------------------------------------------------------- CLI and migration


def test_create_user_prints_a_first_admin_link_that_signs_in(tmp_path, monkeypatch, make_api):
    from service import cli as root
    from service.settings import get_settings

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("COACHSCORE_DATABASE_URL", url)
    monkeypatch.setenv("COACHSCORE_PUBLIC_BASE_URL", "http://testserver")
    get_settings.cache_clear()
    if not any(c.name == "serve" for c in root.app.registered_commands):
        root._register()
    runner = CliRunner()
    args = ["admin", "create-user", "--org", "Acme", "--email", "vp@acme.test", "--role", "admin"]
    r = runner.invoke(root.app, args)
    assert r.exit_code == 1 and "no organisation named 'Acme'" in r.output
    r = runner.invoke(root.app, [*args, "--new-org", "--name", "Vera"])
    get_settings.cache_clear()
    assert r.exit_code == 0, r.output
    link = r.stdout.strip().splitlines()[0]
    assert link.startswith("http://testserver/invite/")
    r = runner.invoke(root.app, [*args, "--new-org"])
    assert r.exit_code == 1 and "already an account for vp@acme.test" in r.output
    world = World(make_api(database_url=url).client.app)
    b = world.browser()
    assert _set_password(b, link.removeprefix("http://testserver"), name="Vera").status_code == 303
    assert "Invite someone" in b.get("/home").text  # an admin


def test_migration_0002_keeps_existing_sessions_public(db_url):
    from alembic import command
    from sqlalchemy import text

    from service.db import alembic_config, make_engine, upgrade

    engine = make_engine(db_url)
    cfg = alembic_config(db_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO orgs (id, name, webhook_secret, created_at) VALUES ('o', 'O', 's', :t)"),
                     {"t": "2026-01-01 00:00:00"})
        conn.execute(text("INSERT INTO sessions (id, org_id, status, progress, stage_timings, source, created_at, "
                          "updated_at) VALUES ('s', 'o', 'done', 1.0, '{}', 'audio', :t, :t)"),
                     {"t": "2026-01-01 00:00:00"})
    upgrade(db_url, engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT private FROM sessions WHERE id = 's'")).scalar() in (False, 0)
    engine.dispose()
