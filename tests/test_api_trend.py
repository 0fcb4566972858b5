"""Per-leader trend: months (gaps filled), scores over time, rescue rate, HTML chart."""

from __future__ import annotations

from datetime import datetime, timezone

from service.trend import TrendInput, compute_trend, render_trend_html


def _at(y, m, d=1):
    return datetime(y, m, d, 9, tzinfo=timezone.utc)


def test_compute_trend_fills_empty_months_and_averages():
    items = [
        TrendInput("s3", _at(2026, 3, 20), 80.0, {"q": 90.0}, 0, 600.0),
        TrendInput("s1", _at(2026, 1, 5), 50.0, {"q": 40.0}, 2, 1200.0),
        TrendInput("s2", _at(2026, 1, 25), 70.0, {"q": 60.0}, 1, 600.0),
    ]
    t = compute_trend({"id": "per_1", "name": "Dana"}, items)
    assert [m["month"] for m in t["months"]] == ["2026-01", "2026-02", "2026-03"]
    assert [m["sessions"] for m in t["months"]] == [2, 0, 1]
    assert t["months"][0]["overall_mean"] == 60.0 and t["months"][0]["dimensions_mean"] == {"q": 50.0}
    assert t["months"][1]["overall_mean"] is None
    assert [p["session_id"] for p in t["points"]] == ["s1", "s2", "s3"]
    assert t["points"][0]["rescues_per_10_min"] == 0.667  # the scorecard's rate: 10 * 2 / (20 min + 10)
    assert t["rescues_per_session"] == 1.0
    assert t["rescues_per_10_min"] == 0.6  # 3 rescues in 40 min, same prior: 10 * 3 / (40 + 10)


def test_trend_across_year_boundary():
    t = compute_trend({"id": "p", "name": "x"}, [TrendInput("a", _at(2025, 11), 1.0), TrendInput("b", _at(2026, 2), 2.0)])
    assert [m["month"] for m in t["months"]] == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_empty_trend():
    t = compute_trend({"id": "p", "name": "x"}, [])
    assert t["sessions"] == 0 and t["months"] == [] and t["rescues_per_session"] is None
    assert "<svg" in render_trend_html(t)


def test_trend_html_has_inline_svg_and_escapes_names():
    t = compute_trend({"id": "p", "name": "<script>x</script>"},
                      [TrendInput("a", _at(2026, 1), 40.0), TrendInput("b", _at(2026, 2), 80.0)])
    html = render_trend_html(t)
    assert "<polyline" in html and html.count("<circle") == 2 and "<script>x" not in html
    assert "&lt;script&gt;" in html and "http" not in html.split("<body>")[1]


def test_trend_endpoint_uses_recorded_at_and_only_done_sessions(api):
    _, h = api.new_org()
    for when in ("2026-01-10T10:00:00Z", "2026-03-02T10:00:00Z"):
        api.upload(h, leader_name="Dana", recorded_at=when)
    api.process()
    api.upload(h, leader_name="Dana")  # queued, not in the trend
    r = api.client.get("/v1/leaders/Dana/trend", headers=h)
    assert r.status_code == 200
    t = r.json()
    assert t["sessions"] == 2 and [m["sessions"] for m in t["months"]] == [1, 0, 1]
    first = api.client.get("/v1/sessions", headers=h, params={"status": "done"}).json()["items"][-1]
    card = api.client.get(f"/v1/sessions/{first['id']}/scorecard", headers=h).json()
    assert t["points"][0]["overall"] == card["score"]["overall"] == first["overall_score"]
    assert t["points"][0]["dimensions"] == {d["key"]: d["score"] for d in card["score"]["dimensions"]}
    assert api.client.get("/v1/leaders/dANA/trend", headers=h).json() == t  # names ignore case
    by_id = api.client.get(f"/v1/leaders/{t['leader']['id']}/trend", headers=h).json()
    assert by_id["sessions"] == 2
    page = api.client.get("/v1/leaders/Dana/trend.html", headers=h)
    assert page.status_code == 200 and "<svg" in page.text and "Dana" in page.text
    assert api.client.get("/v1/leaders/Nobody/trend", headers=h).json()["error"]["message"] == "leader not found"
