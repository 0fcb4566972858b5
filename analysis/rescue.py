"""Rescue moments: the leader answers the coachee's difficulty with advice, a takeover or
a leading question instead of letting the coachee think (metrics.md, headline 5).

Rule: a leader floor that follows a coachee floor is a rescue when one of its first
``RESPONSE_WINDOW`` sentences is advice/takeover/leading question AND either the coachee
floor carried a cue (problem, difficulty, hesitation, a question to the leader, a long
pause mid-answer) or the leader interrupted the coachee. Severity is 1 + one point each
for interrupting, for having asked no open question in the ``TOPIC_WINDOW_S`` before,
and for a takeover (capped at 3). Times are seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from analysis.evidence import metric, of_sentence
from analysis.floors import Conversation, Floor
from analysis.interruptions import Interruption
from analysis.reliability import Signals, reliability
from analysis.results import Evidence, Measurement, RescueMoment
from analysis.types import RESCUE_ACTS, Act, Sentence
from analysis.units import format_duration

CueFn = Callable[[str], "str | None"]

RESPONSE_WINDOW = 3  # leader sentences at the start of a floor that count as the response
CUE_LOOKBACK = 3  # coachee sentences at the end of their floor searched for a cue
LONG_PAUSE_S = 2.5  # a pause this long inside a coachee answer is hesitation
TOPIC_WINDOW_S = 120.0
# The rate's prior: RATE_PRIOR_MIN minutes at the target rate (none). The rate is then
# the posterior mean of a Poisson rate under a Gamma prior worth that much exposure,
# 10 * n / (minutes + 10): never above the count itself, near n per 10 min on long calls.
RATE_PRIOR_MIN = 10.0

ALTERNATIVES = {
    "question": "What would you do if I weren't here?",
    "unsure": "What options do you see?",
    "stuck": "What have you already tried?",
    "problem": "What have you already tried, and what else could you try?",
    "pause": "Take your time. What comes to mind?",
    "takeover": "What would you need to handle this yourself?",
    "will": "What will you do first, and by when?",
}
DEFAULT_ALTERNATIVE = ALTERNATIVES["unsure"]


@dataclass(frozen=True)
class Cue:
    kind: str
    evidence: Evidence


def default_cue_fn() -> CueFn:
    """The coachee-cue classifier from ``analysis.cues`` (imported when needed)."""
    from analysis.cues import coachee_cue

    return coachee_cue


def find_rescues(
    conv: Conversation,
    interruptions: Sequence[Interruption] = (),
    cue_fn: CueFn | None = None,
) -> tuple[RescueMoment, ...]:
    """Every rescue moment, in time order (at most one per leader floor)."""
    cue_fn = cue_fn or default_cue_fn()
    interrupted = {i.floor_index for i in interruptions}
    found = []
    for i in range(1, len(conv.floors)):
        prev, cur = conv.floors[i - 1], conv.floors[i]
        if not conv.is_leader(cur.speaker) or conv.is_leader(prev.speaker):
            continue
        response = _response(cur)
        if response is None:
            continue
        cue = find_cue(prev, cue_fn)
        if cue is None and i not in interrupted:
            continue
        found.append(_moment(conv, response, cue, i in interrupted))
    return tuple(found)


def _response(floor: Floor) -> Sentence | None:
    return next((s for s in floor.sentences[:RESPONSE_WINDOW] if s.act in RESCUE_ACTS), None)


def find_cue(floor: Floor, cue_fn: CueFn) -> Cue | None:
    """The last problem/hesitation cue in the end of a coachee floor, if any."""
    tail = floor.sentences[-CUE_LOOKBACK:]
    for s in reversed(tail):
        kind = cue_fn(s.text)
        if s.text.rstrip().endswith("?") and (kind is None or "pause" in kind or "hesita" in kind):
            kind = "question"  # a question to the leader outweighs an "um" in it
        if kind is not None:
            return Cue(kind, of_sentence(s, f"cue: {kind}"))
    for a, b in zip(tail, tail[1:]):
        if b.start - a.end >= LONG_PAUSE_S:
            return Cue("pause", of_sentence(a, f"cue: {b.start - a.end:.1f} s pause mid-answer"))
    return None


def _moment(conv: Conversation, response: Sentence, cue: Cue | None, interrupted: bool) -> RescueMoment:
    reasons = []
    if interrupted:
        reasons.append("interrupted the coachee")
    if not _open_question_before(conv, response.start):
        reasons.append(f"no open question in the {TOPIC_WINDOW_S / 60:.0f} minutes before")
    if response.act is Act.TAKEOVER:
        reasons.append("took the problem over")
    severity = min(3, 1 + len(reasons))
    return RescueMoment(
        time=response.start,
        kind=response.act,
        cue=None if cue is None else cue.evidence,
        response=of_sentence(response, response.act.label.lower()),
        severity=severity,
        severity_reasons=tuple(reasons) or (f"{response.act.label.lower()} after a coachee cue",),
        interrupted=interrupted,
        alternative=alternative_for(response.act, cue.kind if cue else None),
    )


def _open_question_before(conv: Conversation, t: float) -> bool:
    return any(
        conv.is_leader(s.speaker) and s.act is Act.OPEN_QUESTION and t - TOPIC_WINDOW_S <= s.start < t
        for s in conv.sentences
    )


def alternative_for(act: Act, cue_kind: str | None) -> str:
    """An open GROW Options/Will question to ask instead of the rescue."""
    if act is Act.TAKEOVER:
        return ALTERNATIVES["takeover"]
    kind = (cue_kind or "").lower()
    for key in ("question", "stuck", "pause", "problem", "will"):
        if key in kind:
            return ALTERNATIVES[key]
    if "ask" in kind or "advice" in kind:
        return ALTERNATIVES["question"]
    if "hesita" in kind:
        return ALTERNATIVES["pause"]
    if "difficult" in kind or "keeps" in kind:
        return ALTERNATIVES["problem"]
    return DEFAULT_ALTERNATIVE


def rate_per_10_min(count: int, seconds: float) -> float:
    """Events per 10 minutes of a recording ``seconds`` long, shrunk toward the target
    rate (none) by a prior of RATE_PRIOR_MIN minutes; never above ``count``."""
    minutes = max(0.0, seconds) / 60.0
    return 10.0 * count / (minutes + RATE_PRIOR_MIN)


def rescue_metrics(
    conv: Conversation, sig: Signals, rescues: Sequence[RescueMoment]
) -> tuple[Measurement, ...]:
    rel = reliability(sig, "all")
    ev = [r.response for r in rescues]
    n, seconds = len(rescues), conv.transcript.duration_s
    return (
        metric("rescue_count", n, rel, ev),
        metric("rescues_per_10_min", rate_per_10_min(n, seconds), rel,
               detail=f"{n} in {format_duration(seconds)}, counted as if {RATE_PRIOR_MIN:g} minutes "
                      "without one came first, so a short recording is not blown up"),
        metric("first_rescue_at_s", rescues[0].time if rescues else None, rel, evidence=ev[:1]),
    )
