"""How people read numbers: times on the recording's clock, lengths of time, and metric
values by unit. One formatter for the scorecard page, its text and the rubric's targets."""

from __future__ import annotations

import math


def format_clock(seconds: float | None) -> str:
    """A time stamp on the recording's clock: ``m:ss`` (``h:mm:ss`` past an hour)."""
    if seconds is None or not math.isfinite(seconds):
        return "--:--"
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_duration(seconds: float | None) -> str:
    """A length of time: ``4.2 s`` under 10 s, ``42 s`` under a minute, else ``m:ss min``."""
    if seconds is None or not math.isfinite(seconds):
        return "n/a"
    if seconds < 9.95:
        return f"{seconds:.1f} s"
    if seconds < 59.5:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}:{secs:02d} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d} h"


def metric_parts(value: float | None, unit: str) -> tuple[str, str]:
    """(number, suffix) of a metric value for display; ``("n/a", "")`` when undefined.

    Units: share (0-1, shown as %), s, ratio, count, per_10_min; others shown raw."""
    if value is None or not math.isfinite(value):
        return "n/a", ""
    if unit == "share":
        return f"{value * 100:.0f}", "%"
    if unit == "s":
        text = format_duration(value)
        number, _, suffix = text.partition(" ")
        return number, suffix
    if unit == "ratio":
        return f"{value:.1f}", ""
    if unit == "count":
        return (f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"), ""
    if unit == "per_10_min":
        return f"{value:.1f}", "per 10 min"
    return f"{value:g}", unit


def format_metric_value(value: float | None, unit: str) -> str:
    """A metric value as one string, e.g. ``42%``, ``1.2``, ``4.2 s``, ``n/a``."""
    number, suffix = metric_parts(value, unit)
    if not suffix:
        return number
    return f"{number}{suffix}" if suffix == "%" else f"{number} {suffix}"
