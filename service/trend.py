"""Per-leader trend: sessions per month, scores over time, rescue rate; and its HTML page.

Pure computation over finished sessions (``TrendInput``); the HTML page draws an inline
SVG chart (no scripts, no external assets). Scores are 0-100; rescue rate is rescues per
session and per 10 minutes of recording.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Sequence

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
