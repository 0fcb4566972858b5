"""The sign-in flow in real headless Chromium (Debian's, as in test_html_browser) against a
real server process (uvicorn on a free 127.0.0.1 port, SQLite), with JavaScript off: sign
in, see home, sign out. Screenshots at 1280 and 375 px go to test-artifacts/."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from service_processes import answers, wait_until
from test_html_browser import ARTIFACTS, CONTRAST_JS, browser  # noqa: F401  (browser: a fixture)

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"
TEXT = "p, li, h1, h2, label, a, button, span, b, option"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed(home: Path) -> None:
    """A migrated database with Acme, admin Vera (a VP) and one scored session she leads."""
    from service.auth import create_org
    from service.db import CoachingSession, Person, User, make_engine, make_sessionmaker, new_id, upgrade
    from service.web.passwords import hash_password

    url = f"sqlite:///{home / 'data' / 'coachscore.db'}"
    engine = make_engine(url)
    upgrade(url, engine)
    with make_sessionmaker(engine)() as db:
        org = create_org(db, "Acme")
        vera, marcus = (Person(id=new_id("per"), org_id=org.id, name=n) for n in ("Vera Okafor", "Marcus Lee"))
        db.add_all([vera, marcus])
        db.flush()
        db.add(User(id=new_id("usr"), org_id=org.id, email="vera@acme.test", role="admin", person_id=vera.id,
                    password_hash=hash_password(PASSWORD), failed_signins=0))
        db.add(CoachingSession(id=new_id("ses"), org_id=org.id, leader_id=vera.id, coachee_id=marcus.id,
                               status="done", stage_timings={}, overall_score=71.4, scorecard_html="<p>card</p>"))
        db.commit()
    engine.dispose()


@contextmanager
def running_server(home: Path, **env_extra: str) -> Iterator[str]:
    """A uvicorn process serving the app on a free port with COACHSCORE_HOME=home (and the
    database in it, unless ``env_extra`` names COACHSCORE_DATABASE_URL); yields its base URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "COACHSCORE_DATABASE_URL"}
    env.update({"PYTHONPATH": str(ROOT), "COACHSCORE_HOME": str(home), "COACHSCORE_PUBLIC_BASE_URL": base,
                **env_extra})
    log = open(home / "server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "service.app:create_app", "--host", "127.0.0.1",
         "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        _wait_ready(base, proc, home / "server.log")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("webhome")
    _seed(home)
    with running_server(home, COACHSCORE_EMBEDDED_WORKER="false") as base:
        yield base


def _wait_ready(base: str, proc: subprocess.Popen, log: Path) -> None:
    wait_until(lambda: answers(f"{base}/healthz", lambda: proc.poll() is None, log.read_text),
               60, f"{base}/healthz", 0.2)


def _page(browser, server: str, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    foreign: list[str] = []
    page.on("request", lambda r: r.url.startswith(server) or foreign.append(r.url))
    return context, page, foreign


def _check_page(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate(CONTRAST_JS, TEXT) == []
    unlabeled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select')]
        .filter(e => !(e.labels && e.labels.length)).map(e => e.name)""")
    assert unlabeled == []


@pytest.mark.parametrize("width", [1280, 375])
def test_sign_in_see_home_sign_out(browser, server, width):
    ARTIFACTS.mkdir(exist_ok=True)
    context, page, foreign = _page(browser, server, width)
    try:
        page.goto(f"{server}/")
        assert page.url == f"{server}/signin"
        _check_page(page, width)
        page.screenshot(path=str(ARTIFACTS / f"web-signin-{width}.png"), full_page=True)
        assert page.evaluate("document.activeElement.id") == "email"  # keyboard only from here
        page.keyboard.type("vera@acme.test")
        page.keyboard.press("Tab")
        page.keyboard.type("a wrong password")
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        assert page.get_by_role("alert").inner_text() == "The email address or password is wrong."
        page.screenshot(path=str(ARTIFACTS / f"web-signin-error-{width}.png"), full_page=True)
        assert page.evaluate("document.activeElement.id") == "password"  # the email is kept
        page.keyboard.type(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        assert page.url == f"{server}/home"
        assert page.get_by_role("heading", level=1).inner_text() == "Hello, Vera Okafor"
        assert page.get_by_role("link", name="Vera Okafor with Marcus Lee").is_visible()
        assert "Score 71" in page.locator("li.session").inner_text()
        _check_page(page, width)
        page.screenshot(path=str(ARTIFACTS / f"web-home-{width}.png"), full_page=True)
        page.get_by_role("button", name="Sign out").click()
        assert page.url == f"{server}/signin"
        page.goto(f"{server}/home")
        assert page.url == f"{server}/signin?next=/home"
        page.goto(f"{server}/no-such-page")
        assert page.get_by_role("heading", level=1).inner_text() == "Not found"
        _check_page(page, width)
        page.screenshot(path=str(ARTIFACTS / f"web-404-{width}.png"), full_page=True)
        assert foreign == []
    finally:
        context.close()


def test_an_admin_invites_a_director_who_accepts_the_link(browser, server):
    ARTIFACTS.mkdir(exist_ok=True)
    context, page, foreign = _page(browser, server, 1280)
    try:
        page.goto(f"{server}/signin")
        page.get_by_label("Email address").fill("vera@acme.test")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("Email address", exact=True).fill("dan@acme.test")
        page.get_by_label("Name").fill("Dan Ortiz")
        page.get_by_label("Reports to").select_option(label="Vera Okafor")
        page.get_by_role("button", name="Create invitation link").click()
        link = page.get_by_label("One-time link").input_value()
        assert link.startswith(f"{server}/invite/")
        _check_page(page, 1280)
        page.screenshot(path=str(ARTIFACTS / "web-invite-link-1280.png"), full_page=True)
    finally:
        context.close()
    context, page, more = _page(browser, server, 375)
    try:
        page.goto(link)
        assert page.get_by_label("Your name").input_value() == "Dan Ortiz"
        _check_page(page, 375)
        page.screenshot(path=str(ARTIFACTS / "web-welcome-375.png"), full_page=True)
        page.get_by_label("New password").fill("dans own passphrase")
        page.get_by_label("The same password again").fill("dans own passphrase")
        page.get_by_role("button", name="Create my account").click()
        assert page.url == f"{server}/home"
        assert page.get_by_role("heading", level=1).inner_text() == "Hello, Dan Ortiz"
        assert "No sessions yet" in page.locator("main").inner_text()  # Vera's session is above him
        assert page.get_by_role("heading", name="Invite someone").count() == 0  # a member
        page.goto(link)
        assert "already been used" in page.locator("main").inner_text()
        assert foreign == more == []
    finally:
        context.close()


SETTINGS = ("users", "people", "rubrics", "api-keys", "webhooks", "retention")


@pytest.mark.parametrize("width", [1280, 375])
def test_an_admin_uses_every_settings_page(browser, server, width):
    """Each settings page at 1280 and 375 px (no sideways scroll, AA contrast, every control
    labelled), filled in as an admin would; the retention form by keyboard alone."""
    ARTIFACTS.mkdir(exist_ok=True)
    context, page, foreign = _page(browser, server, width)
    try:
        page.goto(f"{server}/signin")
        page.get_by_label("Email address").fill("vera@acme.test")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Settings").click()
        assert page.url == f"{server}/settings/users"
        page.goto(f"{server}/settings/api-keys")
        page.get_by_label("Name").fill(f"LMS sync {width}")
        page.get_by_role("button", name="Create key").click()
        assert page.get_by_label("API key", exact=True).input_value().startswith("csk_")
        _check_page(page, width)
        page.screenshot(path=str(ARTIFACTS / f"web-settings-new-key-{width}.png"), full_page=True)
        page.goto(f"{server}/settings/webhooks")
        page.get_by_label("URL").fill(f"https://hooks.example.com/coachscore/{width}")
        page.get_by_role("button", name="Add endpoint").click()
        assert page.get_by_role("status").inner_text() == "The webhook endpoint was added."
        page.goto(f"{server}/settings/rubrics")
        page.get_by_label("Rubric file").set_input_files(
            files=[{"name": f"broken-{width}.toml", "mimeType": "application/toml", "buffer": b"id = 1\n"}])
        page.get_by_role("button", name="Check and install").click()
        assert f"broken-{width}.toml" in page.get_by_role("alert").inner_text()
        _check_page(page, width)
        page.screenshot(path=str(ARTIFACTS / f"web-settings-rubric-error-{width}.png"), full_page=True)
        page.goto(f"{server}/settings/retention")
        page.focus("#audio-days")
        page.keyboard.press("Control+A")
        page.keyboard.type("30")
        page.keyboard.press("Enter")  # keyboard only: Enter submits the form
        page.wait_for_load_state()
        assert page.get_by_role("status").inner_text() == "The retention settings were saved."
        assert page.get_by_label("Keep recordings for").input_value() == "30"
        for section in SETTINGS:
            page.goto(f"{server}/settings/{section}")
            assert page.locator('.settings-nav [aria-current="page"]').count() == 1
            _check_page(page, width)
            page.screenshot(path=str(ARTIFACTS / f"web-settings-{section}-{width}.png"), full_page=True)
        assert foreign == []
    finally:
        context.close()
