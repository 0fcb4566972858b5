"""GROW stage of a leader question: Goal, Reality, Options or Will (or None).

Named keyword rules, checked Will -> Options -> Goal -> Reality (the later stages use
more specific wording; Reality is the broadest). Works on any question text.
"""

from __future__ import annotations

import re

from analysis.sentences import features
from analysis.types import GrowStage

_RULES: tuple[tuple[GrowStage, re.Pattern[str]], ...] = (
    (
        GrowStage.WILL,
        re.compile(
            r"\b(?:what will you|what are you going to|what're you going to|what are you gonna|"
            r"when will you|how will you|who will you|will you|are you going to|next steps?|"
            r"first step|commit|commitment|by when|what's your plan|action plan|"
            r"what (?:support|help) (?:do|would) you need|get in the way|obstacles?|"
            r"how (?:confident|likely|ready|committed|sure) are you|on a scale|"
            r"how will you know|follow up|what do you plan|when can you|accountab\w*|"
            r"which (?:one|option) will you|what will it take|start with)\b"
        ),
    ),
    (
        GrowStage.OPTIONS,
        re.compile(
            r"\b(?:options?|alternatives?|possibilit\w+|ideas?|choices?|what else|"
            r"what could you|what might you|how could you|how might you|what can you|"
            r"what would you do if|if you (?:could|had|weren't|were)|ways? (?:to|of|you)|"
            r"approaches|brainstorm|what would happen if|pros and cons|"
            r"what (?:would|could) work|what has worked|what's worked|what would it look like if|"
            r"if i weren't here|could you do|might you try|what if)\b"
        ),
    ),
    (
        GrowStage.GOAL,
        re.compile(
            r"\b(?:goals?|aim|objective|outcome|ideal(?:ly)?|achieve|accomplish|"
            r"what do you want|what would you like|what are you hoping|what do you hope|"
            r"hoping (?:for|to)|success look like|looks? like if|by the end of|"
            r"take away from|get out of (?:this|today|our)|want to be|where do you want|"
            r"what matters|important to you|what would be different|vision|target|"
            # agenda for the session: "What's on your mind?", "What would you like to focus on?"
            r"on your mind|(?:want|like|hope) to (?:focus on|work on|talk about|cover|bring)|"
            r"most useful (?:for you )?(?:today|this week|right now|to talk about)|"
            r"make (?:the most of )?(?:this|our|the) (?:time|session|hour))\b"
        ),
    ),
    (
        GrowStage.REALITY,
        re.compile(
            r"\b(?:what(?:'s| is| has been) happening|what happened|what's going on|"
            r"how (?:is|are|has|have|did|does|do) (?:it|things|that|this|they|she|he)|"
            r"so far|currently|right now|at the moment|today|tried|what have you done|"
            r"tell me (?:about|more)|walk me through|how often|when did|who (?:is|else|was)|"
            r"situation|what's stopping|what's the impact|how do you feel|how did (?:that|it|you)|"
            r"what do you think (?:about|is)|what's been|example|describe|how much|how many|"
            r"where are you|what's working|what isn't working|what's not working|happened)\b"
        ),
    ),
)


def grow_stage(text: str) -> GrowStage | None:
    """The GROW stage a leader question belongs to, or None when no rule matches."""
    core = features(text).norm
    for stage, pattern in _RULES:
        if pattern.search(core):
            return stage
    return None


def grow_rule(text: str) -> str | None:
    """The matched phrase that decided ``grow_stage`` (for evidence), or None."""
    core = features(text).norm
    for _stage, pattern in _RULES:
        m = pattern.search(core)
        if m:
            return m.group()
    return None
