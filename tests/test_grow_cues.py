"""GROW stage tagging of leader questions and coachee cues (rescue triggers)."""

import pytest

from analysis.cues import CUE_KINDS, coachee_cue
from analysis.grow import grow_rule, grow_stage
from analysis.types import GrowStage


@pytest.mark.parametrize(
    "text, stage",
    [
        ("What would you like to get out of this conversation?", GrowStage.GOAL),
        ("What does success look like for you?", GrowStage.GOAL),
        ("What's your goal for the quarter?", GrowStage.GOAL),
        ("What's on your mind this week?", GrowStage.GOAL),
        ("What would you like to focus on today?", GrowStage.GOAL),
        ("What's happening with the account right now?", GrowStage.REALITY),
        ("What have you tried so far?", GrowStage.REALITY),
        ("Tell me more about the last review.", GrowStage.REALITY),
        ("What options do you see?", GrowStage.OPTIONS),
        ("What else could you do?", GrowStage.OPTIONS),
        ("What would you do if I weren't here?", GrowStage.OPTIONS),
        ("What will you do first?", GrowStage.WILL),
        ("What's your next step?", GrowStage.WILL),
        ("By when will you have talked to her?", GrowStage.WILL),
        ("On a scale of one to ten, how confident are you?", GrowStage.WILL),
    ],
)
def test_grow_stage(text, stage):
    assert grow_stage(text) is stage
    assert grow_rule(text)


def test_grow_none_for_questions_without_stage_cues():
    assert grow_stage("Did you sleep well?") is None
    assert grow_rule("Did you sleep well?") is None
    assert grow_stage("") is None


def test_grow_works_without_punctuation():
    assert grow_stage("what options do you have") is GrowStage.OPTIONS


@pytest.mark.parametrize(
    "text, kind",
    [
        ("What would you do?", "question_to_leader"),
        ("what should I do", "question_to_leader"),
        ("Do you think I should tell her?", "question_to_leader"),
        ("I'm not sure what to do.", "uncertainty"),
        ("I don't know.", "uncertainty"),
        ("Honestly, no idea.", "uncertainty"),
        ("I'm stuck.", "difficulty"),
        ("She keeps missing the deadline.", "difficulty"),
        ("It's been really hard with the new team.", "difficulty"),
        ("And then I was thinking that maybe-", "hesitation"),
        ("Um, the forecast, uh, it's the forecast.", "filled_pause"),
    ],
)
def test_coachee_cues(text, kind):
    assert coachee_cue(text) == kind
    assert kind in CUE_KINDS


@pytest.mark.parametrize(
    "text",
    ["The call went well.", "We closed the deal on Friday.", "", "Yes."],
)
def test_no_cue(text):
    assert coachee_cue(text) is None


@pytest.mark.parametrize(
    "text",
    ["No problem, I sent it.", "It wasn't too hard.", "Um, I went there on Monday.", "We worked hard and won."],
)
def test_negated_or_ordinary_speech_is_no_cue(text):
    assert coachee_cue(text) is None


def test_trailing_filled_pause_is_a_cue():
    assert coachee_cue("And then I, um") == "filled_pause"
