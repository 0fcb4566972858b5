"""Per-leader trend: sessions per month, scores over time, rescue rate; and its charts.

Pure computation over finished sessions (``TrendInput``, from stored rows by ``inputs_of``):
``compute_trend`` is the one trend for the API (``/v1/leaders/{leader}/trend``), the web
trend page and the team page. The API's HTML page draws ``chart``; the web page draws
``dated_chart`` (dates to scale, a line per rubric dimension, the rescue rate). All inline
SVG: no scripts, no external assets. Scores are 0-100; rescue rate is rescues per session
and per 10 minutes of recording.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Sequence

from analysis.rescue import rate_per_10_min

CHART_W, CHART_H, PAD = 640, 240, 36


@dataclass(frozen=True)
class TrendInput:
    session_id: str
    at: datetime  # recorded_at, else created_at (UTC)
    overall: float | None
    dimensions: Mapping[str, float] = field(default_factory=dict)
    rescue_count: int | None = None
    duration_s: float | None = None


def _mean(xs: Sequence[float]) -> float | None:
    return round(sum(xs) / len(xs), 2) if xs else None


def _per_10_min(count: int | None, duration_s: float | None) -> float | None:
    """The scorecard's rescue rate (shrunk toward none on short recordings), rounded."""
    if count is None or not duration_s:
        return None
    return round(rate_per_10_min(count, duration_s), 3)


def _months(first: datetime, last: datetime) -> list[str]:
    """Every month from first to last inclusive, 'YYYY-MM' (empty months included)."""
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def compute_trend(leader: Mapping[str, str], items: Sequence[TrendInput]) -> dict[str, Any]:
    """The trend document (shape of ``service.api.schemas.TrendOut``); items in any order."""
    items = sorted(items, key=lambda i: (i.at, i.session_id))
    points = [
        {"session_id": i.session_id, "at": i.at, "overall": i.overall, "dimensions": dict(i.dimensions),
         "rescue_count": i.rescue_count, "rescues_per_10_min": _per_10_min(i.rescue_count, i.duration_s),
         "duration_s": i.duration_s}
        for i in items
    ]
    by_month: dict[str, list[TrendInput]] = defaultdict(list)
    for i in items:
        by_month[i.at.strftime("%Y-%m")].append(i)
    months = [_month(key, by_month.get(key, [])) for key in (_months(items[0].at, items[-1].at) if items else [])]
    rescues = [i.rescue_count for i in items if i.rescue_count is not None]
    seconds = sum(i.duration_s or 0 for i in items if i.rescue_count is not None)
    return {
        "leader": dict(leader), "sessions": len(items), "months": months, "points": points,
        "rescues_per_session": _mean([float(r) for r in rescues]),
        "rescues_per_10_min": _per_10_min(sum(rescues), seconds),
    }


def _month(key: str, items: Sequence[TrendInput]) -> dict[str, Any]:
    dims: dict[str, list[float]] = defaultdict(list)
    for i in items:
        for k, v in i.dimensions.items():
            dims[k].append(v)
    rescues = [float(i.rescue_count) for i in items if i.rescue_count is not None]
    return {
        "month": key, "sessions": len(items),
        "overall_mean": _mean([i.overall for i in items if i.overall is not None]),
        "dimensions_mean": {k: _mean(v) for k, v in sorted(dims.items())},
        "rescues_per_session": _mean(rescues),
    }


# --------------------------------------------------------------------------- chart


def chart(trend: Mapping[str, Any]) -> dict[str, Any]:
    """SVG geometry: overall score per session as a polyline, sessions per month as bars."""
    pts = [p for p in trend["points"] if p["overall"] is not None]
    inner_w, inner_h = CHART_W - 2 * PAD, CHART_H - 2 * PAD
    n = len(pts)

    def xy(idx: int, score: float) -> tuple[float, float]:
        x = PAD + (inner_w * idx / (n - 1) if n > 1 else inner_w / 2)
        return round(x, 1), round(PAD + inner_h * (1 - score / 100.0), 1)

    dots = [{"x": xy(k, p["overall"])[0], "y": xy(k, p["overall"])[1], "score": p["overall"],
             "label": p["at"].strftime("%Y-%m-%d")} for k, p in enumerate(pts)]
    months = trend["months"]
    top = max([m["sessions"] for m in months] + [1])
    bar_w = inner_w / max(len(months), 1)
    bars = [{"x": round(PAD + k * bar_w + 2, 1), "w": round(max(bar_w - 4, 1), 1),
             "h": round(80 * m["sessions"] / top, 1), "month": m["month"], "sessions": m["sessions"]}
            for k, m in enumerate(months)]
    return {"width": CHART_W, "height": CHART_H, "pad": PAD, "dots": dots,
            "polyline": " ".join(f"{d['x']},{d['y']}" for d in dots), "bars": bars,
            "grid": [{"y": round(PAD + inner_h * (1 - v / 100), 1), "v": v} for v in (0, 25, 50, 75, 100)]}


def render_trend_html(trend: Mapping[str, Any]) -> str:
    """A self-contained HTML page (inline CSS + SVG, autoescaped)."""
    from service.render import get_template  # Jinja2 loads only when a page is rendered

    return get_template("trend.html.j2").render(trend=trend, chart=chart(trend))


# --------------------------------------------------------------------------- stored rows


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)


def inputs_of(rows: Iterable[Any]) -> list[TrendInput]:
    """A ``TrendInput`` for each stored session (``CoachingSession``-like rows): the API's
    trend, the web trend page and the team page all read sessions through this."""
    return [
        TrendInput(r.id, _utc(r.recorded_at or r.created_at), r.overall_score, dict(r.dimension_scores or {}),
                   r.rescue_count, r.duration_s)
        for r in rows
    ]


# --------------------------------------------------------------------------- dated chart (web page)

DATED_W, DATED_H, LEFT, RIGHT, TOP, BOTTOM = 720, 300, 44, 32, 16, 40
RATE_H = 180


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    value: float
    session_id: str
    at: datetime


@dataclass(frozen=True)
class Series:
    key: str  # "overall" or a rubric dimension's key
    label: str
    style: int  # 0 = overall; 1.. = the dimension's colour and dash pattern
    dots: tuple[Dot, ...]

    @property
    def polyline(self) -> str:
        return " ".join(f"{d.x},{d.y}" for d in self.dots)


@dataclass(frozen=True)
class Tick:
    x: float
    text: str


@dataclass(frozen=True)
class DatedChart:
    """Geometry of the web trend page's two inline SVG charts, in SVG user units: x is the
    recorded date (to scale: a month without sessions is a gap), y the score 0-100 (top
    chart) or rescues per 10 minutes (bottom chart, 0 to ``rate_top``)."""

    width: int
    height: int
    rate_height: int
    left: int
    right: int
    top: int
    bottom: int
    series: tuple[Series, ...]
    rate: Series
    rate_top: float
    x_ticks: tuple[Tick, ...]
    score_grid: tuple[tuple[float, int], ...]  # (y, score)
    rate_grid: tuple[tuple[float, float], ...]  # (y, rescues per 10 min)


def _month_starts(first: datetime, last: datetime) -> list[datetime]:
    out = [first.replace(day=1, hour=0, minute=0, second=0, microsecond=0)]
    while out[-1] < last:
        d = out[-1]
        out.append(d.replace(year=d.year + 1, month=1) if d.month == 12 else d.replace(month=d.month + 1))
    return [d for d in out if first <= d <= last] or out[:1]


def dated_chart(trend: Mapping[str, Any], labels: Mapping[str, str], max_ticks: int = 7) -> DatedChart:
    """Lines for the overall score and each rubric dimension (``labels``: key -> label; a key
    without a label shows as its words, 'open_questions' as 'Open questions'), and one for the rescue rate, over recorded dates."""
    points = trend["points"]
    inner_w = DATED_W - LEFT - RIGHT
    first, last = (points[0]["at"], points[-1]["at"]) if points else (None, None)
    span = (last - first).total_seconds() if points else 0.0

    def x_of(at: datetime) -> float:
        return round(LEFT + (inner_w * (at - first).total_seconds() / span if span else inner_w / 2), 1)

    def dots(values: list[tuple[dict, float | None]], height: int, top_value: float) -> tuple[Dot, ...]:
        inner_h = height - TOP - BOTTOM
        return tuple(Dot(x_of(p["at"]), round(TOP + inner_h * (1 - min(v, top_value) / top_value), 1), v,
                         p["session_id"], p["at"]) for p, v in values if v is not None)

    keys = sorted({k for p in points for k in p["dimensions"]}, key=lambda k: (list(labels).index(k)
                                                                               if k in labels else len(labels), k))
    series = [Series("overall", "Overall score", 0, dots([(p, p["overall"]) for p in points], DATED_H, 100.0))]
    series += [Series(k, labels.get(k) or k.replace("_", " ").capitalize(), i, dots([(p, p["dimensions"].get(k)) for p in points], DATED_H, 100.0))
               for i, k in enumerate(keys, start=1)]
    rates = [p["rescues_per_10_min"] for p in points if p["rescues_per_10_min"] is not None]
    rate_top = float(max([1.0, *rates]))
    rate_top = float(int(rate_top) + (0 if rate_top == int(rate_top) else 1))
    rate = Series("rescues", "Rescues per 10 minutes", 0,
                  dots([(p, p["rescues_per_10_min"]) for p in points], RATE_H, rate_top))
    ticks: list[Tick] = []
    if points:
        starts = _month_starts(first, last) if span else [first]
        step = max(1, -(-len(starts) // max_ticks))
        ticks = [Tick(x_of(d), f"{d:%b %Y}") for d in starts[::step]]
    score_h, rate_h = DATED_H - TOP - BOTTOM, RATE_H - TOP - BOTTOM
    return DatedChart(
        DATED_W, DATED_H, RATE_H, LEFT, RIGHT, TOP, BOTTOM, tuple(series), rate, rate_top, tuple(ticks),
        tuple((round(TOP + score_h * (1 - v / 100), 1), v) for v in (0, 25, 50, 75, 100)),
        tuple((round(TOP + rate_h * (1 - v / rate_top), 1), round(v, 2)) for v in (0.0, rate_top / 2, rate_top)),
    )
