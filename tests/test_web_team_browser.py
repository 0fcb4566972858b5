"""The leader trend page and the team page in real headless Chromium (JavaScript off)
against a real server process: a VP's team of two leaders with sessions over five months.
Each page passes the width, contrast and label checks at 1280 and 375 px; screenshots go to
test-artifacts/web-trend-*.png and web-team-*.png."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from test_html_browser import ARTIFACTS, browser  # noqa: F401  (browser: a fixture)
from test_web_browser import PASSWORD, _check_page, _page, running_server

pytestmark = pytest.mark.browser
DIMENSIONS = ("questions_vs_statements", "open_questions", "listening", "silence_and_wait", "rescue_avoidance",
              "grow_structure")


def _seed(home: Path) -> None:
    """Acme: VP Vera Okafor (admin) -> director Dan Ortiz -> manager Mia Chen. Dan has
    sessions every few weeks for five months, improving; Mia two, one private."""
    from service.auth import create_org
    from service.db import CoachingSession, Person, User, make_engine, make_sessionmaker, new_id, upgrade, utcnow
    from service.web.passwords import hash_password

    url = f"sqlite:///{home / 'data' / 'coachscore.db'}"
    engine = make_engine(url)
    upgrade(url, engine)
    now = utcnow()
    with make_sessionmaker(engine)() as db:
        org = create_org(db, "Acme")
        vera = Person(id=new_id("per"), org_id=org.id, name="Vera Okafor")
        dan = Person(id=new_id("per"), org_id=org.id, name="Dan Ortiz", manager_id=vera.id)
        mia = Person(id=new_id("per"), org_id=org.id, name="Mia Chen", manager_id=dan.id)
        sam = Person(id=new_id("per"), org_id=org.id, name="Sam Reed")
        db.add_all([vera, dan, mia, sam])
        db.flush()
        db.add(User(id=new_id("usr"), org_id=org.id, email="vera@acme.test", role="admin", person_id=vera.id,
                    password_hash=hash_password(PASSWORD), failed_signins=0))
        plan = [(dan, d, 40 + k * 6, False) for k, d in enumerate((160, 130, 105, 75, 50, 20, 6))]
        plan += [(mia, 95, 72, False), (mia, 12, 58, False), (mia, 3, 20, True)]
        for k, (who, days, score, private) in enumerate(plan):
            dims = {key: max(0.0, min(100.0, score + (j - 2.5) * 9 + (k % 3) * 4)) for j, key in enumerate(DIMENSIONS)}
            db.add(CoachingSession(id=new_id("ses"), org_id=org.id, leader_id=who.id, coachee_id=sam.id,
                                   private=private, status="done", stage_timings={}, overall_score=float(score),
                                   dimension_scores=dims, rescue_count=max(0, 4 - k // 2), duration_s=1500.0,
                                   recorded_at=now - timedelta(days=days), scorecard_html="<p>card</p>",
                                   scorecard_json={"speakers": [], "sentences": [], "rescues": []}))
        db.commit()
    engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("teamhome")
    _seed(home)
    with running_server(home, COACHSCORE_EMBEDDED_WORKER="false") as base:
        yield base


def _sign_in(page, server: str) -> None:
    page.goto(f"{server}/signin")
    page.get_by_label("Email address").fill("vera@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.url == f"{server}/home"


@pytest.mark.parametrize("width", [1280, 375])
def test_team_page_then_a_leaders_trend(browser, server, width):
    ARTIFACTS.mkdir(exist_ok=True)
    context, page, foreign = _page(browser, server, width)
    try:
        _sign_in(page, server)
        page.get_by_role("link", name="Team").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Your team"
        rows = page.locator("table.team tbody tr")
        assert rows.count() == 2  # Dan and Mia (Vera leads no session)
        dan = rows.filter(has_text="Dan Ortiz")
        assert "Improving" in dan.inner_text() and "↑" in dan.inner_text()
        assert "of leaders improved" in page.locator("#improved-h + p").inner_text()
        _check_page(page, width)
        page.screenshot(path=str(ARTIFACTS / f"web-team-{width}.png"), full_page=True)
        page.get_by_role("link", name="Latest score").click()
        assert "sort=latest" in page.url
        page.get_by_role("link", name="Dan Ortiz").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Coaching trend: Dan Ortiz"
        chart = page.get_by_role("img", name="Scores over time")
        assert chart.is_visible() and chart.locator("g.series").count() == 1 + len(DIMENSIONS)
        assert chart.locator("g.s0 circle").count() == 7
        assert page.get_by_role("img", name="Rescue rate").locator("circle").count() == 7
        assert page.locator("table.numbers tbody tr").count() == 7
        assert page.locator("ul.legend li").count() == 1 + len(DIMENSIONS)
        _check_page(page, width)
        page.screenshot(path=str(ARTIFACTS / f"web-trend-{width}.png"), full_page=True)
        chart.locator("g.s0 a").last.click()  # a point opens its session
        assert "/sessions/ses_" in page.url
        page.go_back()
        page.goto(f"{server}/leaders/mia%20chen")  # any case; her private session is not Vera's to see
        assert page.locator("table.numbers tbody tr").count() == 2
        assert foreign == []
    finally:
        context.close()
