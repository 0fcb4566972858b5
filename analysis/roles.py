"""Which speaker is the leader: given (label, display name, channel index) or inferred.

Inference rule (stated in ``Roles.reason``): the leader is the speaker who asks the most
questions (sentences ending in "?" or starting with a question word); confidence falls
when the counts are close or few. A tie in questions is a close call (confidence low): it
goes to whoever asks more distinct open questions (what / how / why, "tell me", "walk me
through", "describe": the questions a coach asks), and only when those tie too to whoever
speaks first.
"""

from __future__ import annotations

import re
from collections import Counter

from analysis.errors import RolesError
from analysis.types import Confidence, Roles, Transcript

AUTO = {"", "auto"}
_QUESTION_START = re.compile(
    r"^(what|how|why|when|where|who|which|tell me|walk me|help me understand|"
    r"do|does|did|is|are|was|were|can|could|would|will|should|have|has)\b",
    re.IGNORECASE,
)
_OPEN_START = re.compile(
    r"^(what|how|why|tell me|walk me|help me understand|describe|"
    r"(can|could|would) you (tell|describe|explain|say more|walk))\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?]+[.!?]*")


def resolve_roles(transcript: Transcript, leader: str | None, hint: str | None = None) -> Roles:
    """Resolve the leader. ``leader``: a speaker label, a display name (case-insensitive),
    a channel index, or ``auto``/None (then ``hint`` from the file, then inference).
    Raises RolesError when the named speaker is not in the transcript."""
    labels = transcript.speaker_labels()
    if not labels:
        raise RolesError("the transcript has no speakers, so there is no leader to score")
    wanted = (leader or "").strip()
    if wanted.lower() in AUTO and hint:
        try:
            label = find_speaker(transcript, hint)
        except RolesError as e:
            raise RolesError(f"the transcript file's roles.leader: {e.message}") from e
        return _roles(transcript, label, f"leader named in the transcript file ({hint})")
    if wanted.lower() not in AUTO:
        label = find_speaker(transcript, wanted)
        return _roles(transcript, label, f"leader given as {wanted!r}")
    return infer_roles(transcript)


def find_speaker(transcript: Transcript, wanted: str) -> str:
    """Match a speaker by label, then display name (case-insensitive), then channel."""
    for s in transcript.speakers:
        if s.label == wanted:
            return s.label
    for s in transcript.speakers:
        if s.name and s.name.casefold() == wanted.casefold():
            return s.label
    for s in transcript.speakers:
        if s.label.casefold() == wanted.casefold():
            return s.label
    if wanted.isdigit():
        for s in transcript.speakers:
            if s.channel == int(wanted):
                return s.label
    known = ", ".join(_describe(s.label, s.name, s.channel) for s in transcript.speakers)
    raise RolesError(f"leader {wanted!r} is not a speaker in this transcript (speakers: {known})")


def infer_roles(transcript: Transcript) -> Roles:
    """Guess the leader: most questions asked; a tie goes to more distinct open questions,
    then to whoever speaks first (and is a close call: confidence low)."""
    labels = transcript.speaker_labels()
    if len(labels) == 1:
        return Roles(
            labels[0], None,
            f"only one speaker ({transcript.display_name(labels[0])}) in the recording: "
            "scored as the leader, but there is no coachee",
            Confidence.LOW, True,
        )
    questions, open_questions = _question_counts(transcript)
    order = _first_speech_order(transcript)
    ranked = sorted(labels, key=lambda s: (-questions[s], -open_questions[s], order.get(s, len(order))))
    leader, runner_up = ranked[0], ranked[1]
    total = sum(questions.values())
    lead_q, next_q = questions[leader], questions[runner_up]
    name = transcript.display_name(leader)
    if total == 0:
        reason = f"inferred: nobody asks questions; {name} speaks first"
        return _roles(transcript, leader, reason, Confidence.LOW, inferred=True)
    if lead_q == next_q:
        reason = "inferred: " + _close_call(
            name, transcript.display_name(runner_up), lead_q, open_questions[leader], open_questions[runner_up]
        )
        return _roles(transcript, leader, reason, Confidence.LOW, inferred=True)
    share = lead_q / total
    reason = f"inferred: {name} asks the most questions ({lead_q} of {total})"
    confidence = (
        Confidence.HIGH if share >= 0.7 and lead_q >= 5
        else Confidence.MEDIUM if share >= 0.6 and lead_q >= 3
        else Confidence.LOW
    )
    return _roles(transcript, leader, reason, confidence, inferred=True)


def _close_call(name: str, other: str, asked: int, lead_open: int, other_open: int) -> str:
    """The reason for a tie in questions, naming both people and what decided it."""
    tie = f"a close call: {name} and {other} ask as many questions ({asked} each)"
    if lead_open > other_open:
        return f"{tie}; {name} asks more open questions ({lead_open} to {other_open}), so is taken as the leader"
    return f"{tie} and as many open questions ({lead_open} each); {name} speaks first, so is taken as the leader"


# --------------------------------------------------------------------------- helpers


def _roles(
    transcript: Transcript,
    leader: str,
    reason: str,
    confidence: Confidence = Confidence.HIGH,
    inferred: bool = False,
) -> Roles:
    others = [s for s in transcript.speaker_labels() if s != leader]
    if not others:
        return Roles(leader, None, reason + "; only one speaker, so there is no coachee",
                     Confidence.LOW, inferred)
    talk = _speech_time(transcript)
    coachee = max(others, key=lambda s: talk[s])
    if len(others) > 1:
        reason += (
            f"; {len(others) + 1} speakers: {transcript.display_name(coachee)} (most speech) "
            "is the coachee and everyone else counts on the coachee's side"
        )
        confidence = Confidence.LOW if confidence is Confidence.LOW else Confidence.MEDIUM
    return Roles(leader, coachee, reason, confidence, inferred)


def _question_counts(transcript: Transcript) -> tuple[Counter[str], Counter[str]]:
    """(questions, distinct open questions) per speaker. Open: a question of >= 3 words
    that starts like _OPEN_START; distinct: the same words (case and punctuation aside)
    asked again count once."""
    counts: Counter[str] = Counter({s: 0 for s in transcript.speaker_labels()})
    open_asked: dict[str, set[str]] = {s: set() for s in transcript.speaker_labels()}
    for turn in transcript.turns:
        for sentence in _SENTENCE.findall(turn.text):
            s = sentence.strip()
            words = s.split()
            if s.endswith("?") or (_QUESTION_START.match(s) and len(words) >= 3):
                counts[turn.speaker] += 1
                if _OPEN_START.match(s) and len(words) >= 3:
                    open_asked.setdefault(turn.speaker, set()).add(" ".join(re.findall(r"[\w']+", s.lower())))
    return counts, Counter({s: len(asked) for s, asked in open_asked.items()})


def _first_speech_order(transcript: Transcript) -> dict[str, int]:
    order: dict[str, int] = {}
    for turn in transcript.turns:
        order.setdefault(turn.speaker, len(order))
    return order


def _speech_time(transcript: Transcript) -> Counter[str]:
    talk: Counter[str] = Counter({s: 0.0 for s in transcript.speaker_labels()})
    for turn in transcript.turns:
        talk[turn.speaker] += turn.duration
    return talk


def _describe(label: str, name: str | None, channel: int | None) -> str:
    extra = [x for x in (f"name {name!r}" if name and name != label else "",
                         f"channel {channel}" if channel is not None else "") if x]
    return f"{label!r}" + (f" ({', '.join(extra)})" if extra else "")
