"""Reliability: how far the metrics can be trusted on this recording, with reasons.

Signals (metrics.md "Reliability"): ASR mean word probability, share of overlapped
speech, share of words not attributed to a speaker, a speaker count other than two, a
recording shorter than 3 minutes, and inferred roles. Text metrics (acts) care about ASR
quality; timing metrics care about overlap and diarization; both care about the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from analysis.floors import Conversation
from analysis.results import Reliability
from analysis.types import Confidence, Segment

_RANK = {Confidence.HIGH: 0, Confidence.MEDIUM: 1, Confidence.LOW: 2}
SHORT_RECORDING_S = 180.0


@dataclass(frozen=True)
class Signals:
    asr_mean_probability: float | None  # None for text transcripts (no ASR confidences)
    overlap_share: float  # overlapped speech time / speech time
    unattributed_share: float  # words with no speaker / all words
    num_speakers: int
    duration_s: float
    roles_confidence: Confidence
    roles_reason: str
    times_estimated: bool = False  # text transcript whose turns follow each other gaplessly


def signals(conv: Conversation) -> Signals:
    words = conv.transcript.words
    probs = [w.probability for w in words]
    return Signals(
        asr_mean_probability=sum(probs) / len(probs) if probs and conv.transcript.meta.source == "audio" else None,
        overlap_share=overlap_share(conv.segments),
        unattributed_share=sum(w.speaker is None for w in words) / len(words) if words else 0.0,
        num_speakers=len(conv.transcript.speakers),
        duration_s=conv.transcript.duration_s,
        roles_confidence=conv.roles.confidence,
        roles_reason=conv.roles.reason,
        times_estimated=times_look_estimated(conv),
    )


def times_look_estimated(conv: Conversation) -> bool:
    """True for a text transcript (no words) of >= 6 floors where >= 90% of the floors
    start exactly when the previous one ends: its times were estimated, not measured."""
    floors = conv.floors
    if conv.transcript.words or len(floors) < 6:
        return False
    gaps = [b.start - a.end for a, b in zip(floors, floors[1:])]
    return sum(abs(g) < 0.05 for g in gaps) / len(gaps) >= 0.9


def reliability(sig: Signals, kind: str) -> Reliability:
    """Reliability of one kind of metric: ``text`` (acts), ``timing`` or ``all``."""
    found: list[tuple[Confidence, str]] = []
    if kind in ("text", "all") and sig.asr_mean_probability is not None:
        p = sig.asr_mean_probability
        if p < 0.75:
            level = Confidence.LOW if p < 0.6 else Confidence.MEDIUM
            found.append((level, f"ASR mean word probability is {p:.2f} (words may be misheard)"))
    if kind == "timing" and sig.times_estimated:
        found.append((Confidence.LOW, "no pauses between turns: the times look estimated, "
                      "so silence and wait time cannot be measured"))
    if kind in ("timing", "all") and sig.overlap_share > 0.10:
        level = Confidence.LOW if sig.overlap_share > 0.20 else Confidence.MEDIUM
        found.append((level, f"{sig.overlap_share:.0%} of the speech is overlapped"))
    if sig.unattributed_share > 0.05:
        level = Confidence.LOW if sig.unattributed_share > 0.15 else Confidence.MEDIUM
        found.append((level, f"{sig.unattributed_share:.0%} of words could not be attributed to a speaker"))
    if sig.num_speakers != 2:
        level = Confidence.LOW if sig.num_speakers < 2 else Confidence.MEDIUM
        found.append((level, f"{sig.num_speakers} speaker(s) found, expected 2 (leader and coachee)"))
    if sig.duration_s < SHORT_RECORDING_S:
        level = Confidence.LOW if sig.duration_s < 60 else Confidence.MEDIUM
        found.append((level, f"recording is {sig.duration_s:.0f} s long, shorter than 3 minutes"))
    if sig.roles_confidence is not Confidence.HIGH:
        found.append((sig.roles_confidence, f"roles uncertain: {sig.roles_reason}"))
    return combine(found)


def combine(found: Iterable[tuple[Confidence, str]]) -> Reliability:
    """The worst confidence among the findings, with all their reasons."""
    items = list(found)
    if not items:
        return Reliability(Confidence.HIGH, ())
    worst = max((c for c, _ in items), key=_RANK.__getitem__)
    return Reliability(worst, tuple(r for _, r in items))


def with_sample(rel: Reliability, n: int, minimum: int, what: str) -> Reliability:
    """Lower confidence to medium (low with none) when a metric rests on few items."""
    if n >= minimum:
        return rel
    level = Confidence.LOW if n == 0 else Confidence.MEDIUM
    worst = max(rel.confidence, level, key=_RANK.__getitem__)
    return Reliability(worst, rel.reasons + (f"based on only {n} {what}",))


def overlap_share(segments: Sequence[Segment]) -> float:
    """Time when >= 2 speakers talk / time when anyone talks (0 with no speech)."""
    events: list[tuple[float, int]] = []
    for s in segments:
        if s.end > s.start:
            events += [(s.start, 1), (s.end, -1)]
    events.sort(key=lambda e: (e[0], e[1]))
    active, last, speech, overlapped = 0, 0.0, 0.0, 0.0
    for t, delta in events:
        if active >= 1:
            speech += t - last
        if active >= 2:
            overlapped += t - last
        active += delta
        last = t
    return overlapped / speech if speech > 0 else 0.0
