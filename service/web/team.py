"""The team page's numbers, pure (no database, no clock of its own): for each leader, how
often they coached in the last 90 days, their latest and mean score, rescue rate and the
direction of their score; and the share of leaders whose score improved.

**Improved** (said on the page the same way): the mean overall score of the leader's
sessions recorded in the last 90 days (``now - 90 days < at <= now``) is above the mean of
those recorded in the 90 days before (``now - 180 days < at <= now - 90 days``); a leader
needs at least one scored session in each period to count, in the numerator or the
denominator. The trend arrow shows that same comparison. Scores are 0-100; rescue rates
come from ``service.trend.compute_trend`` (the API's trend), per 10 minutes of recording.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

from service.trend import TrendInput, compute_trend

WINDOW_DAYS = 90
FREQUENCY_MONTHS = 3  # sessions per month = sessions in the last 90 days / 3
ARROWS = {"up": ("↑", "Improving"), "down": ("↓", "Declining"), "same": ("→", "No change"),
          "unknown": ("–", "Not enough sessions")}


@dataclass(frozen=True)
class LeaderStats:
    person_id: str
    name: str
    sessions: int  # scored sessions, all time
    recent_sessions: int  # in the last 90 days
    per_month: float  # recent_sessions / 3, one decimal
    latest: float | None  # the newest session's overall score
    latest_at: datetime | None
    mean: float | None  # all scored sessions
    rescues_per_10_min: float | None
    recent_mean: float | None  # last 90 days
    before_mean: float | None  # the 90 days before
    change: float | None  # recent_mean - before_mean, points

    @property
    def direction(self) -> str:
        """'up', 'down', 'same' (the two means are equal) or 'unknown' (a period is empty)."""
        if self.change is None:
            return "unknown"
        return "up" if self.change > 0 else "down" if self.change < 0 else "same"

    @property
    def improved(self) -> bool | None:
        """None when the leader cannot count (no scored session in one of the two periods)."""
        return None if self.change is None else self.change > 0

    @property
    def arrow(self) -> str:
        return ARROWS[self.direction][0]

    @property
    def arrow_text(self) -> str:
        word = ARROWS[self.direction][1]
        return f"{word} ({self.change:+.1f} points)" if self.change else word


@dataclass(frozen=True)
class TeamSummary:
    leaders: int
    comparable: int  # leaders with a scored session in both 90-day periods
    improved: int

    @property
    def share_improved(self) -> float | None:
        """improved / comparable (0-1); None when no leader can be compared."""
        return self.improved / self.comparable if self.comparable else None


def _mean(xs: Sequence[float]) -> float | None:
    return round(sum(xs) / len(xs), 1) if xs else None


def leader_stats(person_id: str, name: str, items: Sequence[TrendInput], now: datetime) -> LeaderStats:
    """One leader's row from their scored sessions (any order) as of ``now`` (aware UTC)."""
    trend = compute_trend({"id": person_id, "name": name}, items)
    scored = [p for p in trend["points"] if p["overall"] is not None]
    window = timedelta(days=WINDOW_DAYS)
    recent = [p for p in trend["points"] if now - window < p["at"] <= now]
    recent_scores = [p["overall"] for p in scored if now - window < p["at"] <= now]
    before_scores = [p["overall"] for p in scored if now - 2 * window < p["at"] <= now - window]
    recent_mean, before_mean = _mean(recent_scores), _mean(before_scores)
    change = None
    if recent_scores and before_scores:
        change = round(sum(recent_scores) / len(recent_scores) - sum(before_scores) / len(before_scores), 1)
    latest = scored[-1] if scored else None
    return LeaderStats(
        person_id, name, trend["sessions"], len(recent), round(len(recent) / FREQUENCY_MONTHS, 1),
        latest["overall"] if latest else None, latest["at"] if latest else None,
        _mean([p["overall"] for p in scored]), trend["rescues_per_10_min"], recent_mean, before_mean, change,
    )


def summary(rows: Sequence[LeaderStats]) -> TeamSummary:
    comparable = [r for r in rows if r.improved is not None]
    return TeamSummary(len(rows), len(comparable), sum(1 for r in comparable if r.improved))


SORTS = {
    "name": "Name",
    "frequency": "Sessions per month",
    "latest": "Latest score",
    "mean": "Mean score",
    "rescues": "Rescues per 10 min",
    "change": "Change",
}


def sort_rows(rows: Sequence[LeaderStats], key: str, descending: bool = False) -> list[LeaderStats]:
    """Rows sorted by ``key`` (one of SORTS; unknown keys sort by name); leaders without
    that number always come last, ties by name."""
    by_name = sorted(rows, key=lambda r: (r.name.casefold(), r.person_id))
    if key not in SORTS or key == "name":
        return by_name[::-1] if descending else by_name
    attr = {"frequency": "per_month"}.get(key, key)
    have = [r for r in by_name if getattr(r, attr) is not None]
    missing = [r for r in by_name if getattr(r, attr) is None]
    return sorted(have, key=lambda r: getattr(r, attr), reverse=descending) + missing
