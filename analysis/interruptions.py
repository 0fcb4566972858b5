"""Interruptions: the leader starts speaking while the coachee is mid-sentence.

A leader floor that follows a coachee floor is an interruption when the leader's speech
overlaps the coachee's by >= 0.5 s, or when the coachee's last sentence was cut off
(it ends in a dash or an ellipsis instead of finishing) and the leader came in within
0.5 s. Times in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.evidence import metric, of_sentence
from analysis.floors import Conversation, Floor
from analysis.reliability import Signals, reliability
from analysis.results import Evidence, Measurement

MIN_OVERLAP_S = 0.5
CUT_OFF_GAP_S = 0.5
_CUT_OFF_ENDINGS = ("-", "—", "–", "...", "…")


@dataclass(frozen=True)
class Interruption:
    time: float  # when the leader started
    floor_index: int  # index of the leader floor in Conversation.floors
    coachee: Evidence
    leader: Evidence
    overlap_s: float
    reason: str


def find_interruptions(conv: Conversation) -> tuple[Interruption, ...]:
    found = []
    for i in range(1, len(conv.floors)):
        prev, cur = conv.floors[i - 1], conv.floors[i]
        if not conv.is_leader(cur.speaker) or conv.is_leader(prev.speaker):
            continue
        if not prev.sentences or not cur.sentences:
            continue
        hit = _interruption(conv, prev, cur, i)
        if hit is not None:
            found.append(hit)
    return tuple(found)


def _interruption(conv: Conversation, prev: Floor, cur: Floor, index: int) -> Interruption | None:
    overlap = _overlap_with(conv, prev.speaker, cur.start, cur.end)
    last = prev.sentences[-1]
    cut_off = last.text.rstrip().endswith(_CUT_OFF_ENDINGS) and cur.start - last.end < CUT_OFF_GAP_S
    if overlap < MIN_OVERLAP_S and not cut_off:
        return None
    reason = (
        f"started {overlap:.1f} s before the coachee finished" if overlap >= MIN_OVERLAP_S
        else "the coachee's sentence was cut off"
    )
    return Interruption(
        cur.start, index, of_sentence(last, "coachee was speaking"),
        of_sentence(cur.sentences[0], reason), overlap, reason,
    )


def _overlap_with(conv: Conversation, speaker: str, t: float, until: float) -> float:
    """Seconds ``speaker`` keeps talking after ``t`` (up to ``until``) in a segment
    that contains ``t``."""
    return max(
        (min(s.end, until) - t for s in conv.segments if s.speaker == speaker and s.start < t < s.end),
        default=0.0,
    )


def interruption_metric(conv: Conversation, sig: Signals, found: tuple[Interruption, ...]) -> Measurement:
    return metric("interruptions", len(found), reliability(sig, "timing"), [i.leader for i in found])
