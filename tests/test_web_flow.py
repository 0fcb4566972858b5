"""The reviewer's flow in real headless Chromium, JavaScript on, against a real server
process with its worker (fake models; SQLite, and PostgreSQL when
``COACHSCORE_TEST_POSTGRES_URL`` answers, in a fresh schema): sign in, upload the bundled sample through
the form, watch the progress page open the scorecard by itself, click a rescue moment and a
time inside the scorecard and check the audio element's currentTime moved there, correct a
sentence's act and see the score change and the audit entry, the sessions list, sign out. Screenshots at 1280 and 375 px go to test-artifacts/."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from conftest import fresh_pg_schema
from test_html_browser import ARTIFACTS, browser  # noqa: F401  (browser: a fixture)
from test_web_browser import PASSWORD, ROOT, _check_page, running_server

pytestmark = pytest.mark.browser
SAMPLE = ROOT / "samples" / "coaching_1on1.wav"


def _seed(url: str) -> None:
    from service.auth import create_org
    from service.db import Person, User, make_engine, make_sessionmaker, new_id, upgrade
    from service.web.passwords import hash_password

    engine = make_engine(url)
    upgrade(url, engine)
    with make_sessionmaker(engine)() as db:
        org = create_org(db, "Acme")
        vera = Person(id=new_id("per"), org_id=org.id, name="Vera Okafor")
        db.add_all([vera, Person(id=new_id("per"), org_id=org.id, name="Marcus Lee", manager_id=None)])
        db.flush()
        db.add(User(id=new_id("usr"), org_id=org.id, email="vera@acme.test", role="admin", person_id=vera.id,
                    password_hash=hash_password(PASSWORD), failed_signins=0))
        db.commit()
    engine.dispose()


@pytest.fixture(scope="module")
def server(request, tmp_path_factory):
    """The server with its worker on SQLite (in its home), or with ``request.param`` "postgres"
    on a fresh PostgreSQL schema (skipped with the reason when there is none)."""
    backend = getattr(request, "param", "sqlite")
    home = tmp_path_factory.mktemp(f"flowhome-{backend}")
    with ExitStack() as stack:
        if backend == "postgres":
            url = stack.enter_context(fresh_pg_schema())
        else:
            (home / "data").mkdir()
            url = f"sqlite:///{home / 'data' / 'coachscore.db'}"
        _seed(url)
        yield stack.enter_context(running_server(
            home, COACHSCORE_DATABASE_URL=url, COACHSCORE_MODEL_BACKEND="fake", COACHSCORE_FAKE_MODEL_DELAY_S="0.5",
            COACHSCORE_JOB_POLL_S="0.2"))


def _signed_in(browser, server: str, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    foreign: list[str] = []
    page.on("request", lambda r: r.url.startswith((server, "data:", "blob:")) or foreign.append(r.url))
    page.goto(f"{server}/signin")
    page.get_by_label("Email address").fill("vera@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server}/home")
    return context, page, foreign


def _shot(page, name: str, width: int) -> None:
    _check_page(page, width)
    page.screenshot(path=str(ARTIFACTS / f"web-{name}-{width}.png"), full_page=True)


def _upload(page, server: str, width: int) -> str:
    page.goto(f"{server}/upload")
    assert page.locator("#drop").is_visible()  # the drop zone shows with JS on
    _shot(page, "upload", width)
    page.set_input_files("#file", str(SAMPLE))
    page.get_by_label("Coachee").fill("Marcus Lee")
    page.get_by_label("Recorded on").fill("2026-05-03")
    page.get_by_label("Everyone in this recording agreed").check()
    page.get_by_role("button", name="Upload and score").click()
    page.wait_for_url("**/progress")
    assert page.locator("#progress-bar").is_visible()
    _shot(page, "progress", width)
    page.wait_for_url(lambda url: "/sessions/ses_" in url and not url.endswith("/progress"), timeout=90_000)
    return page.url


def _played_from(page, seconds: float) -> None:
    page.wait_for_function(f"Math.abs(document.getElementById('player').currentTime - {seconds}) < 0.5",
                           timeout=10_000)


def _swap_roles(page, url: str) -> None:
    """Correct the roles: the session re-scores, the page opens again with the audit entry."""
    before = page.locator("h1 + p.meta").inner_text()
    page.get_by_role("button", name="Swap leader and coachee").click()
    page.wait_for_url(url, timeout=60_000)
    assert "Leader and coachee swapped by Vera Okafor" in page.locator("ul.corrections").inner_text()
    assert page.locator("h1 + p.meta").inner_text() != before  # the score changed


def _correct_an_act(page, url: str, width: int) -> None:
    """Correct a question's act from the transcript (keyboard: open "Correct", choose, save):
    the session re-scores, the page opens again with the new score and the audit entry."""
    before = page.locator("h1 + p.meta").inner_text()
    row = page.locator("ol.transcript-follow > li").filter(has_text="Open question").last
    said = row.locator(".what > span").first.inner_text()
    row.locator("summary").focus()
    page.keyboard.press("Enter")  # opens the form
    row.get_by_label("Act").select_option(label="Advice")
    _shot(page, "correct-sentence", width)
    row.get_by_role("button", name="Save and re-score").click()
    page.wait_for_url("**/progress")
    page.wait_for_url(url, timeout=60_000)
    entry = page.locator("ul.corrections").inner_text()
    assert "act Open question → Advice by Vera Okafor" in entry, entry
    assert page.locator("h1 + p.meta").inner_text() != before  # the score changed
    fixed = page.locator("ol.transcript-follow > li").filter(has_text=said.split(" · ")[-1]).first
    assert "Advice" in fixed.inner_text() and "corrected" in fixed.inner_text()
    frame = page.frame_locator("#scorecard")
    assert "Corrected by Vera Okafor on" in frame.locator("aside.banner-corrected").inner_text()
    _shot(page, "session-corrected", width)


# the whole flow on SQLite at both widths, and once more on PostgreSQL (1280 px: the pages are
# the same, what differs is the database under the server and its worker)
FLOWS = [("sqlite", 1280), ("sqlite", 375), pytest.param("postgres", 1280, marks=pytest.mark.postgres)]


@pytest.mark.parametrize(("server", "width"), FLOWS, indirect=["server"])
def test_upload_watch_progress_and_play_from_a_moment(browser, server, width):
    ARTIFACTS.mkdir(exist_ok=True)
    context, page, foreign = _signed_in(browser, server, width)
    try:
        url = _upload(page, server, width)
        assert "Vera Okafor with Marcus Lee" in page.get_by_role("heading", level=1).inner_text()
        page.wait_for_function("document.getElementById('player').readyState >= 1")
        _shot(page, "session", width)
        moment = page.locator("ol[aria-labelledby=rescues-h] a.seek, ol[aria-labelledby=questions-h] a.seek").last
        at = float(moment.get_attribute("data-t"))
        assert at > 1
        moment.click()
        _played_from(page, at)
        assert page.url == url  # played in place, no navigation
        page.evaluate("document.getElementById('player').pause()")
        frame = page.frame_locator("#scorecard")
        stamp = frame.locator("ol.transcript time").nth(1)
        stamp.focus()
        page.keyboard.press("Enter")  # keyboard only: a time in the scorecard plays from there
        text = stamp.inner_text().strip()
        minutes, secs = text.split(":")
        _played_from(page, int(minutes) * 60 + int(secs))
        page.get_by_role("button", name="Use the playing time").click()
        assert page.locator("#comment-at").input_value() == text  # the paused player's time ("At" is in other labels)
        page.get_by_label("Comment", exact=True).fill(f"Ask before advising here ({width} px).")
        page.get_by_role("button", name="Add comment").click()
        page.wait_for_load_state()
        added = page.locator("ol.comment-list > li").last
        assert f"Ask before advising here ({width} px)." in added.inner_text() and text in added.inner_text()
        _shot(page, "session-commented", width)
        _correct_an_act(page, url, width)
        if width == 1280:
            _swap_roles(page, url)
        page.goto(f"{server}/sessions?leader=vera")
        assert page.locator("li.session").count() >= 1 and "Done" in page.locator("li.session").first.inner_text()
        _shot(page, "sessions", width)
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{server}/signin")
        page.goto(url)
        assert page.url.startswith(f"{server}/signin?next=")  # signed out: the session page asks to sign in
        assert foreign == []
    finally:
        context.close()


def test_docs_render_the_openapi_31_document_offline(browser, server):
    """/docs (vendored Swagger UI 5) shows the API's operations, loading nothing from elsewhere."""
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    foreign: list[str] = []
    page.on("request", lambda r: r.url.startswith((server, "data:")) or foreign.append(r.url))
    try:
        page.goto(f"{server}/docs")
        page.wait_for_selector(".opblock", timeout=20_000)
        assert page.locator(".opblock").count() >= 5
        assert "Unable to render" not in page.locator("body").inner_text()
        page.screenshot(path=str(ARTIFACTS / "web-docs-1280.png"))
        assert foreign == []
    finally:
        context.close()
