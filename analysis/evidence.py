"""Small helpers to quote the transcript as Evidence and to build Measurements."""

from __future__ import annotations

from typing import Iterable

from analysis.results import Evidence, Measurement, Reliability
from analysis.types import Sentence

MAX_QUOTE = 240
MAX_EVIDENCE = 50  # evidence items kept per metric (the rest are counted, not listed)


def quote(text: str, limit: int = MAX_QUOTE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def of_sentence(s: Sentence, note: str = "") -> Evidence:
    return Evidence(s.start, s.end, s.speaker, quote(s.text), note, s.index)


def span(speaker: str, start: float, end: float, text: str, note: str = "") -> Evidence:
    return Evidence(start, end, speaker, quote(text), note)


def metric(
    key: str,
    value: float | None,
    reliability: Reliability,
    evidence: Iterable[Evidence] = (),
    detail: str = "",
) -> Measurement:
    """A Measurement with its value rounded to 4 places and at most MAX_EVIDENCE items."""
    items = tuple(evidence)
    if len(items) > MAX_EVIDENCE:
        detail = (detail + "; " if detail else "") + f"first {MAX_EVIDENCE} of {len(items)} shown"
        items = items[:MAX_EVIDENCE]
    rounded = None if value is None else round(float(value), 4)
    return Measurement(key, rounded, reliability, items, detail)

