"""The leader trend page and the team page: the team maths on fixed dates (pure), and
through the pages who sees which leader and which sessions (the reporting tree, admins,
private sessions, other organisations), the dated chart and the same numbers in a table."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from service.trend import TrendInput, compute_trend, dated_chart
from service.web.team import leader_stats, sort_rows, summary
from web_world import World, cheap_hashes, world  # noqa: F401  (fixtures)

NOW = datetime(2026, 6, 30, 12, tzinfo=timezone.utc)
pytestmark = pytest.mark.usefixtures("cheap_hashes")


def _ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def _item(sid: str, days_ago: float, score: float | None, rescues: int | None = None, secs: float | None = None):
    return TrendInput(sid, _ago(days_ago), score, {"questions": score} if score is not None else {}, rescues, secs)


# --------------------------------------------------------------------------- team maths (pure)


def test_improved_compares_the_last_90_days_with_the_90_before():
    r = leader_stats("p", "Dan", [_item("a", 100, 50.0), _item("b", 170, 60.0), _item("c", 10, 70.0),
                                  _item("d", 80, 62.0)], NOW)
    assert r.before_mean == 55.0 and r.recent_mean == 66.0 and r.change == 11.0
    assert r.improved is True and r.direction == "up" and r.arrow == "↑"
    assert r.arrow_text == "Improving (+11.0 points)"
    assert r.latest == 70.0 and r.latest_at == _ago(10) and r.mean == 60.5
    assert r.recent_sessions == 2 and r.per_month == 0.7 and r.sessions == 4


def test_the_window_edges_and_sessions_older_than_180_days():
    # exactly 90 days ago belongs to the earlier period; 180 days ago and older to neither
    r = leader_stats("p", "Dan", [_item("a", 90, 80.0), _item("b", 180, 10.0), _item("c", 89.9, 70.0)], NOW)
    assert r.before_mean == 80.0 and r.recent_mean == 70.0 and r.improved is False and r.direction == "down"
    assert r.arrow_text == "Declining (-10.0 points)"
    assert r.recent_sessions == 1 and r.mean == 53.3


def test_a_leader_without_a_session_in_one_period_is_not_counted():
    only_recent = leader_stats("p1", "Ann", [_item("a", 5, 90.0), _item("b", 50, 20.0)], NOW)
    only_old = leader_stats("p2", "Ben", [_item("c", 120, 40.0)], NOW)
    nothing = leader_stats("p3", "Cy", [], NOW)
    unscored = leader_stats("p4", "Di", [_item("d", 10, None), _item("e", 100, 50.0)], NOW)
    for r in (only_recent, only_old, nothing, unscored):
        assert r.improved is None and r.direction == "unknown" and r.arrow_text == "Not enough sessions"
    assert nothing.latest is None and nothing.mean is None and nothing.per_month == 0.0
    assert unscored.recent_sessions == 1 and unscored.latest == 50.0  # the newest scored one
    same = leader_stats("p5", "Ed", [_item("f", 10, 60.0), _item("g", 100, 60.0)], NOW)
    assert same.direction == "same" and same.improved is False and same.arrow_text == "No change"
    up = leader_stats("p6", "Flo", [_item("h", 10, 61.0), _item("i", 100, 60.0)], NOW)
    s = summary([only_recent, only_old, nothing, unscored, same, up])
    assert (s.leaders, s.comparable, s.improved) == (6, 2, 1) and s.share_improved == 0.5
    assert summary([nothing]).share_improved is None


def test_rescue_rate_is_the_api_trends():
    items = [_item("a", 10, 50.0, rescues=2, secs=1200.0), _item("b", 20, 60.0, rescues=1, secs=600.0)]
    r = leader_stats("p", "Dan", items, NOW)
    assert r.rescues_per_10_min == compute_trend({"id": "p", "name": "Dan"}, items)["rescues_per_10_min"] == 0.75


def test_sorting_puts_missing_numbers_last_and_ties_by_name():
    rows = [leader_stats(p, n, its, NOW) for p, n, its in (
        ("1", "bea", [_item("a", 10, 70.0)]), ("2", "Al", [_item("b", 10, 70.0)]), ("3", "Cat", []),
        ("4", "Dee", [_item("c", 10, 90.0), _item("d", 20, 10.0)]))]
    assert [r.name for r in sort_rows(rows, "name")] == ["Al", "bea", "Cat", "Dee"]
    assert [r.name for r in sort_rows(rows, "name", descending=True)] == ["Dee", "Cat", "bea", "Al"]
    assert [r.name for r in sort_rows(rows, "latest", descending=True)] == ["Dee", "Al", "bea", "Cat"]
    assert [r.name for r in sort_rows(rows, "mean")] == ["Dee", "Al", "bea", "Cat"]
    assert [r.name for r in sort_rows(rows, "frequency", descending=True)] == ["Dee", "Al", "bea", "Cat"]
    assert [r.name for r in sort_rows(rows, "no such key")] == ["Al", "bea", "Cat", "Dee"]


# --------------------------------------------------------------------------- dated chart (pure)


def test_the_chart_puts_sessions_at_their_dates_with_a_line_per_dimension():
    items = [TrendInput("a", datetime(2026, 1, 1, tzinfo=timezone.utc), 40.0, {"questions": 20.0, "grow": 60.0}, 1, 600.0),
             TrendInput("b", datetime(2026, 1, 11, tzinfo=timezone.utc), 50.0, {"questions": 30.0}, 0, 600.0),
             TrendInput("c", datetime(2026, 3, 12, tzinfo=timezone.utc), 80.0, {"questions": 100.0}, 3, 600.0)]
    chart = dated_chart(compute_trend({"id": "p", "name": "x"}, items), {"questions": "Questions", "grow": "GROW"})
    overall, questions, grow = chart.series
    assert [s.label for s in chart.series] == ["Overall score", "Questions", "GROW"]  # the rubric's order
    xs = [d.x for d in overall.dots]
    assert xs[0] == chart.left and xs[-1] == chart.width - chart.right
    assert xs[1] - xs[0] == pytest.approx((xs[2] - xs[0]) * 10 / 70, abs=0.2)  # 10 of 70 days
    assert [d.session_id for d in grow.dots] == ["a"] and len(questions.dots) == 3
    assert overall.dots[2].y < overall.dots[0].y  # higher score, higher on the chart
    assert questions.dots[2].y == chart.top and [t.text for t in chart.x_ticks] == ["Jan 2026", "Feb 2026", "Mar 2026"]
    assert [d.value for d in chart.rate.dots] == [p["rescues_per_10_min"] for p in
                                                  compute_trend({"id": "p", "name": "x"}, items)["points"]]
    assert chart.rate_top >= max(d.value for d in chart.rate.dots)


def test_one_session_sits_in_the_middle():
    chart = dated_chart(compute_trend({"id": "p", "name": "x"}, [TrendInput("a", NOW, 50.0)]), {})
    (d,) = chart.series[0].dots
    assert d.x == chart.left + (chart.width - chart.left - chart.right) / 2 and len(chart.x_ticks) == 1


# --------------------------------------------------------------------------- the pages


def _scored(world: World, org: str, leader: str | None, days_ago: float, score: float, *, private=False) -> str:
    from service.db import CoachingSession, utcnow

    sid = world.session(org, leader, private=private)
    with world.factory() as db:
        s = db.get(CoachingSession, sid)
        s.recorded_at, s.overall_score = utcnow() - timedelta(days=days_ago), score
        s.dimension_scores, s.rescue_count, s.duration_s = {"questions_vs_statements": score / 2}, 1, 900.0
        db.commit()
    return sid


@pytest.fixture
def tree(world):
    """Acme: VP Vera -> director Dan -> manager Mia; Pat under Vera. Mia has a private
    session; Globex has a Dan of its own."""
    acme = world.org("Acme")
    p = {"vera": world.person(acme, "Vera")}
    p["dan"] = world.person(acme, "Dan Ortiz", manager=p["vera"])
    p["mia"] = world.person(acme, "Mia", manager=p["dan"])
    p["pat"] = world.person(acme, "Pat", manager=p["vera"])
    s = {"dan_old": _scored(world, acme, p["dan"], 120, 50.0), "dan_new": _scored(world, acme, p["dan"], 10, 70.0),
         "mia_old": _scored(world, acme, p["mia"], 100, 80.0), "mia_new": _scored(world, acme, p["mia"], 5, 60.0),
         "mia_private": _scored(world, acme, p["mia"], 3, 11.0, private=True),
         "pat": _scored(world, acme, p["pat"], 20, 65.0), "vera": _scored(world, acme, p["vera"], 7, 90.0)}
    globex = world.org("Globex")
    p["globex_dan"] = world.person(globex, "Dan Ortiz")
    s["globex"] = _scored(world, globex, p["globex_dan"], 10, 33.0)
    for who in ("vera", "dan", "mia", "pat"):
        world.user(acme, f"{who}@acme.test", person=p[who])
    world.user(acme, "admin@acme.test", role="admin")
    world.user(globex, "admin@globex.test", role="admin")
    return acme, p, s


def _session_links(html: str) -> set[str]:
    return set(re.findall(r'href="/sessions/(ses_[^"/?#]+)"', html))


def test_the_trend_page_shows_the_leaders_visible_sessions_by_date(world, tree):
    _, p, s = tree
    vera = world.signed_in("vera@acme.test")
    r = vera.get("/leaders/mia")  # by name, any case
    assert r.status_code == 200 and "Coaching trend: Mia" in r.text
    assert _session_links(r.text) == {s["mia_old"], s["mia_new"]}  # not her private one
    assert "<svg" in r.text and "<script" not in r.text and "http" not in r.text.split("<main")[1]
    assert 'class="series s0"' in r.text and 'class="series s1"' in r.text  # overall + one dimension
    assert "Questions vs statements" in r.text  # the dimension's label, not its key
    assert vera.get(f"/leaders/{p['mia']}").text.count("<tr>") == r.text.count("<tr>") == 3  # head + 2
    assert vera.get("/leaders/MIA").status_code == 200


def test_a_leader_sees_their_own_private_session_on_their_trend(world, tree):
    _, p, s = tree
    mia = world.signed_in("mia@acme.test")
    assert _session_links(mia.get("/leaders/Mia").text) == {s["mia_old"], s["mia_new"], s["mia_private"]}
    for other in ("Dan Ortiz", "Vera", "Pat", p["globex_dan"]):
        assert mia.get(f"/leaders/{other}").status_code == 404  # above her, beside her, another org


def test_a_director_sees_their_tree_only_and_org_b_never(world, tree):
    _, p, s = tree
    dan = world.signed_in("dan@acme.test")
    assert dan.get("/leaders/Mia").status_code == 200
    assert dan.get("/leaders/pat").status_code == 404 and dan.get("/leaders/vera").status_code == 404
    team = dan.get("/team").text
    assert f"/leaders/{p['mia']}" in team and f"/leaders/{p['pat']}" not in team
    assert f"/leaders/{p['dan']}" not in team  # the team is below him, not himself
    globex = world.signed_in("admin@globex.test")
    assert globex.get(f"/leaders/{p['mia']}").status_code == 404
    r = globex.get("/leaders/dan ortiz")  # their own Dan, not Acme's
    assert r.status_code == 200 and _session_links(r.text) == {s["globex"]}
    assert f"/leaders/{p['dan']}" not in globex.get("/team").text


def test_the_team_page_counts_improvement_and_hides_private_sessions(world, tree):
    _, p, s = tree
    vera = world.signed_in("vera@acme.test")
    html = vera.get("/team").text
    rows = {name: row for name, row in re.findall(r'<th scope="row"><a href="/leaders/[^"]+">([^<]+)</a>(.*?)</tr>',
                                                   html, re.S)}
    assert set(rows) == {"Dan Ortiz", "Mia", "Pat"}
    assert "Improving (+20.0 points)" in rows["Dan Ortiz"]  # 70 now against 50 before
    assert "Declining (-20.0 points)" in rows["Mia"]  # 60 against 80: her private 11 is not counted
    assert "Not enough sessions" in rows["Pat"]
    assert "<b>50%</b> of leaders improved: 1 of the 2 leaders" in html
    assert "above the mean of their sessions recorded in the 90 days before" in html
    by_latest = vera.get("/team?sort=latest&order=desc").text
    assert by_latest.index(">Dan Ortiz<") < by_latest.index(">Pat<") < by_latest.index(">Mia<")  # 70, 65, 60
    by_name = vera.get("/team?sort=name&order=desc").text
    assert by_name.index(">Pat<") < by_name.index(">Mia<") < by_name.index(">Dan Ortiz<")


def test_admins_see_every_leader_and_members_without_reports_see_an_empty_team(world, tree):
    _, p, _ = tree
    admin = world.signed_in("admin@acme.test")
    html = admin.get("/team").text
    for who in ("vera", "dan", "mia", "pat"):
        assert f"/leaders/{p[who]}" in html
    assert admin.get("/leaders/Vera").status_code == 200
    pat = world.signed_in("pat@acme.test")
    assert "Nobody reports to you yet" in pat.get("/team").text
    assert world.browser().get("/team", follow_redirects=False).status_code in (303, 307)


def test_the_session_page_and_the_list_link_to_the_leaders_trend(world, tree):
    _, p, s = tree
    vera = world.signed_in("vera@acme.test")
    assert f'href="/leaders/{p["dan"]}"' in vera.get(f"/sessions/{s['dan_new']}").text
    assert f'href="/leaders/{p["dan"]}"' in vera.get("/sessions").text
    assert 'href="/team"' in vera.get("/home").text
