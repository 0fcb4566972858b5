"""Timing metrics: talk share, silence, wait time after questions, silence broken by the
leader, stacked questions, longest leader monologue and coachee story.

Times are seconds. Speech time comes from ``Conversation.segments`` (diarization/VAD,
or one segment per turn for text input), never from word times alone.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Sequence

from analysis.evidence import metric, of_sentence, span
from analysis.units import format_clock
from analysis.floors import Conversation, Floor
from analysis.reliability import Signals, reliability, with_sample
from analysis.results import Evidence, Measurement
from analysis.types import Act, Segment, Sentence

MIN_SILENCE_S = 0.3
LONG_WAIT_S = 3.0
STACK_GAP_S = 1.0


@dataclass(frozen=True)
class Gap:
    start: float
    end: float
    after: str  # speaker who spoke last before the gap

    @property
    def duration(self) -> float:
        return self.end - self.start


def merged_speech(segments: Sequence[Segment]) -> list[tuple[float, float]]:
    """Union of speech intervals, sorted and non-overlapping."""
    out: list[tuple[float, float]] = []
    for s in sorted(segments, key=lambda s: s.start):
        if out and s.start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], s.end))
        elif s.end > s.start:
            out.append((s.start, s.end))
    return out


def silences(segments: Sequence[Segment], minimum: float = MIN_SILENCE_S) -> list[Gap]:
    """Gaps >= ``minimum`` s between speech (leading/trailing silence excluded)."""
    ordered = sorted(segments, key=lambda s: s.start)
    gaps: list[Gap] = []
    last_end, last_speaker = None, ""
    for s in ordered:
        if last_end is not None and s.start - last_end >= minimum:
            gaps.append(Gap(last_end, s.start, last_speaker))
        if last_end is None or s.end >= last_end:
            last_end, last_speaker = s.end, s.speaker
    return gaps


def speech_time(segments: Sequence[Segment], speaker: str | None = None) -> float:
    """Seconds of speech (union of intervals) by ``speaker``, or by anyone."""
    chosen = [s for s in segments if speaker is None or s.speaker == speaker]
    return sum(e - s for s, e in merged_speech(chosen))


def talk_share(conv: Conversation, sig: Signals) -> Measurement:
    """Leader speech time / sum of every speaker's speech time (target <= 0.40)."""
    per_speaker = {s: speech_time(conv.segments, s) for s in conv.transcript.speaker_labels()}
    total = sum(per_speaker.values())
    leader = per_speaker.get(conv.leader, 0.0)
    value = leader / total if total > 0 else None
    detail = ", ".join(f"{conv.transcript.person(s, conv.roles)} {t:.0f} s" for s, t in per_speaker.items())
    return metric("leader_talk_share", value, reliability(sig, "timing"), detail=f"speech time: {detail}")


def silence_metrics(conv: Conversation, sig: Signals) -> tuple[Measurement, ...]:
    gaps = silences(conv.segments)
    first, last = conv.speech_span()
    total = sum(g.duration for g in gaps)
    rel = reliability(sig, "timing")
    longest = max(gaps, key=lambda g: g.duration, default=None)
    ev = () if longest is None else (_gap_evidence(conv, longest),)
    top = sorted(gaps, key=lambda g: -g.duration)[:5]
    return (
        metric("total_silence_s", total, rel,
               evidence=[_gap_evidence(conv, g) for g in sorted(top, key=lambda g: g.start)],
               detail=f"{len(gaps)} gaps of {MIN_SILENCE_S:g} s or more; the 5 longest are listed"),
        metric("silence_share", total / (last - first) if last > first else None,
               rel, detail="silence / time from first to last speech"),
        metric("longest_silence_s", longest.duration if longest else 0.0, rel, evidence=ev),
    )


def _gap_evidence(conv: Conversation, g: Gap) -> Evidence:
    return Evidence(g.start, g.end, g.after, f"{g.duration:.1f} s of silence at {format_clock(g.start)}",
                    f"after {conv.transcript.person(g.after, conv.roles)}")


def next_speech_start(conv: Conversation, after: float, exclude: str | None = None) -> float | None:
    """Start of the first speech segment or sentence (any speaker but ``exclude``) that
    ends after ``after`` seconds; None when nobody else speaks again."""
    starts = [s.start for s in conv.segments if s.end > after and s.speaker != exclude]
    starts += [s.start for s in conv.sentences if s.end > after and s.speaker != exclude]
    return min(starts, default=None)


def speech_end(conv: Conversation, speaker: str, start: float, end: float) -> float:
    """When ``speaker`` really stopped talking in [start, end]: the last diarization
    segment end inside it (Whisper stretches last words into pauses), else ``end``."""
    ends = [s.end for s in conv.segments if s.speaker == speaker and s.start < end and s.end > start]
    return min(max(ends), end) if ends else end


def wait_times(conv: Conversation) -> list[tuple[Sentence, float]]:
    """(question, wait s) for each leader question that ends a leader floor and is
    followed by more speech: from the end of the question's speech (segments) to the
    next speech by anyone else (0 when they overlap)."""
    out: list[tuple[Sentence, float]] = []
    for i, floor in enumerate(conv.floors):
        if not conv.is_leader(floor.speaker) or not floor.sentences or i + 1 >= len(conv.floors):
            continue
        q = floor.sentences[-1]
        if not q.act.is_question:
            continue
        end = speech_end(conv, q.speaker, q.start, q.end)
        nxt = next_speech_start(conv, end, exclude=conv.leader)
        if nxt is not None:
            out.append((q, max(0.0, nxt - end)))
    return out


def wait_metrics(conv: Conversation, sig: Signals) -> tuple[Measurement, ...]:
    waits = [] if sig.times_estimated else wait_times(conv)
    rel = with_sample(reliability(sig, "timing"), len(waits), 3, "questions followed by an answer")
    values = [w for _, w in waits]
    ev = [of_sentence(q, f"wait {w:.1f} s") for q, w in waits]
    long_share = sum(w >= LONG_WAIT_S for w in values) / len(values) if values else None
    return (
        metric("wait_time_median_s", statistics.median(values) if values else None, rel, ev),
        metric("wait_time_3s_share", long_share, rel,
               evidence=[e for e, w in zip(ev, values) if w >= LONG_WAIT_S]),
    )


def silence_broken_by_leader(conv: Conversation) -> list[tuple[Sentence, Sentence]]:
    """(question, next) where the next non-backchannel speech after a leader question
    is the leader again (re-phrasing, stacking or answering it)."""
    spoken = [s for s in conv.sentences if s.act is not Act.BACKCHANNEL]
    pairs = []
    for q, nxt in zip(spoken, spoken[1:]):
        if conv.is_leader(q.speaker) and q.act.is_question and conv.is_leader(nxt.speaker):
            pairs.append((q, nxt))
    return pairs


def stacked_questions(conv: Conversation) -> list[tuple[Sentence, ...]]:
    """Runs of >= 2 leader questions in one floor with < 1 s between them."""
    stacks: list[tuple[Sentence, ...]] = []
    for floor in conv.floors:
        if not conv.is_leader(floor.speaker):
            continue
        run: list[Sentence] = []
        for s in floor.sentences:
            if s.act.is_question and run and s.start - run[-1].end < STACK_GAP_S:
                run.append(s)
                continue
            if len(run) >= 2:
                stacks.append(tuple(run))
            run = [s] if s.act.is_question else []
        if len(run) >= 2:
            stacks.append(tuple(run))
    return stacks


def question_follow_metrics(conv: Conversation, sig: Signals) -> tuple[Measurement, ...]:
    text_rel = reliability(sig, "all")
    broken = silence_broken_by_leader(conv)
    stacks = stacked_questions(conv)
    return (
        metric("silence_broken_by_leader", len(broken), text_rel, [of_sentence(n, f"after asking: {q.text}") for q, n in broken]),
        metric("stacked_questions", len(stacks), text_rel,
               [span(st[0].speaker, st[0].start, st[-1].end, " ".join(s.text for s in st),
                     f"{len(st)} questions in a row") for st in stacks]),
    )


def longest_floor(conv: Conversation, leader: bool) -> Floor | None:
    chosen = [f for f in conv.floors if conv.is_leader(f.speaker) == leader and f.sentences]
    return max(chosen, key=lambda f: f.duration, default=None)


def monologue_metrics(conv: Conversation, sig: Signals) -> tuple[Measurement, ...]:
    rel = reliability(sig, "timing")
    out = []
    for leader, key in ((True, "longest_leader_monologue_s"), (False, "longest_coachee_story_s")):
        f = longest_floor(conv, leader)
        ev = () if f is None else (
            span(f.speaker, f.start, f.end, " ".join(s.text for s in f.sentences)),
        )
        out.append(metric(key, f.duration if f else 0.0, rel, evidence=ev))
    return tuple(out)
