"""Coachee cues: a sentence that signals a problem, difficulty or hesitation (the trigger
of a rescue moment, metrics.md). ``coachee_cue`` returns the cue kind or None.

Kinds, checked in this order: "question_to_leader" (asks the leader for an answer),
"uncertainty" ("I don't know", "not sure"), "difficulty" ("I'm stuck", "she keeps..."),
"hesitation" (trails off), "filled_pause" (two or more "um"/"uh", or ending on one).
"""

from __future__ import annotations

import re

from analysis.sentences import FILLED_PAUSES, TextFeatures, features

CUE_KINDS = ("question_to_leader", "uncertainty", "difficulty", "hesitation", "filled_pause")

_ASKS_LEADER = re.compile(
    r"\b(?:what (?:would|should|do|could|can) (?:you|i|we)|what do you (?:think|suggest|recommend)|"
    r"(?:do|would) you (?:think|suggest|recommend|have any)|should i|how (?:do|should|can|would) i|"
    r"any (?:ideas|advice|tips|suggestions)|can you (?:help|tell me)|could you (?:help|tell me)|"
    r"what's the best|is there (?:a|any) way|what else (?:can|could|should) i|"
    r"how would you|what did you do|have you (?:ever )?had)\b"
)
_UNCERTAIN = re.compile(
    r"\b(?:i (?:don't|do not|dunno|didn't) (?:really |even )?(?:know|understand|get it|see how)|"
    r"dunno|not (?:really |quite |totally |entirely )?sure|no idea|unsure|uncertain|"
    r"i can't (?:decide|figure|tell|see)|confus\w*|i'm torn|torn between|i guess|"
    r"who knows|i have no clue|no clue|don't know what to do|not certain|i'm lost)\b"
)
_DIFFICULT = re.compile(
    r"\b(?:stuck|struggl\w*|(?:is|was|been|it's|so|really|too|very|pretty|super|quite) hard|"
    r"hard (?:to|for)|difficult|tough|problem\w*|issue\w*|keeps? (?:\w+ing|on)|"
    r"won't|can't|couldn't|frustrat\w*|overwhelm\w*|tried everything|nothing (?:works|worked)|"
    r"not working|doesn't work|didn't work|worried|worry|stress\w*|anxious|"
    r"(?:behind (?:on|schedule)|fall(?:en|ing) behind|i'm behind)|failing|"
    r"fail\w*|no time|too much|out of my depth|at a loss|give up|gave up|messed up|"
    r"falling apart|pushback|push back|resist\w*|avoid\w*|ignor\w*|refus\w*|complain\w*|"
    r"blocked|blocker|conflict|tension|scared|afraid|nervous|upset|exhausted|burn(?:ed|t)? out)\b"
)


_NEGATED = re.compile(
    r"\b(?:no|not a|not an|not really a|never a) (?:problem|issue|worries|big deal)\b|"
    r"(?:\bnot|n't) (?:too |that |so |very |really )?(?:hard|difficult|bad|tough)\b|\bno worries\b|\bdon't worry\b"
)
# A single "um" is ordinary speech; two, or one at the end (trailing off), is hesitation.
MIN_FILLED_PAUSES = 2


def coachee_cue(text: str) -> str | None:
    """Cue kind of a coachee sentence (see CUE_KINDS), or None if it signals nothing."""
    f = features(text)
    if not f.words:
        return None
    if _NEGATED.search(f.norm) and not _UNCERTAIN.search(f.norm):
        return _hesitation(f)
    if (f.qmark or _starts_like_question(f.core)) and _ASKS_LEADER.search(f.norm):
        return "question_to_leader"
    if _UNCERTAIN.search(f.norm):
        return "uncertainty"
    if _DIFFICULT.search(f.norm):
        return "difficulty"
    return _hesitation(f)


def _hesitation(f: TextFeatures) -> str | None:
    if f.cut_off and len(f.words) >= 2:
        return "hesitation"
    pauses = sum(w in FILLED_PAUSES for w in f.words)
    if pauses >= MIN_FILLED_PAUSES or (pauses and f.words[-1] in FILLED_PAUSES):
        return "filled_pause"
    return None


def _starts_like_question(core: str) -> bool:
    return bool(
        re.match(r"^(?:what|how|should|would|could|can|do|does|is|any|have)\b", core)
    )
