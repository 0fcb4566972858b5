"""Reliability: how far the metrics can be trusted on this recording, with reasons.

Signals (metrics.md "Reliability"): ASR mean word probability, share of overlapped
speech, share of words not attributed to a speaker, a speaker count other than two, a
recording shorter than 3 minutes, and inferred roles. Text metrics (acts) care about ASR
quality; timing metrics care about overlap and diarization; both care about the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from analysis.units import format_duration
from analysis.floors import Conversation
from analysis.results import Reliability
from analysis.types import Confidence, Segment, Transcript

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
    extra_speakers: tuple[tuple[str, float, float], ...] = ()  # (name, talk s, share) beyond the top two


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
        extra_speakers=extra_speakers(conv.transcript, (conv.roles.leader, conv.roles.coachee)),
    )


def extra_speakers(
    transcript: Transcript, roles: tuple[str | None, ...] = ()
) -> tuple[tuple[str, float, float], ...]:
    """(display name, talk seconds, share of all talk) of every speaker beyond leader and
    coachee (the labels in ``roles``; the two who talk most fill what roles leave open),
    most talkative first. Talk time comes from the diarization segments, else from the
    turns (text transcripts). Unnamed speakers are "Speaker N" (order found)."""
    spans = transcript.segments or transcript.turns
    talk: dict[str, float] = {s.label: 0.0 for s in transcript.speakers}
    for x in spans:
        talk[x.speaker] = talk.get(x.speaker, 0.0) + max(0.0, x.end - x.start)
    total = sum(talk.values())
    main = [r for r in dict.fromkeys(roles) if r in talk]
    rest = sorted((kv for kv in talk.items() if kv[0] not in main), key=lambda kv: -kv[1])
    ranked = rest[max(0, 2 - len(main)):]
    order = list(talk)
    return tuple(
        (_person(transcript, label, order), seconds, seconds / total if total > 0 else 0.0)
        for label, seconds in ranked
    )


def _person(transcript: Transcript, label: str, order: list[str]) -> str:
    name = transcript.display_name(label)
    return name if name != label or not label[1:].isdigit() else f"Speaker {order.index(label) + 1}"


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
    for nth, (name, seconds, share) in zip(("third", "fourth"), sig.extra_speakers):
        found.append((Confidence.MEDIUM, f"a {nth} person, {name}, talks for {format_duration(seconds)} "
                      f"({share:.0%} of the talk): the scores treat the conversation as a 1:1"))
    if len(sig.extra_speakers) > 2:
        found.append((Confidence.MEDIUM, f"{len(sig.extra_speakers) - 2} more people talk briefly"))
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
