"""Rescue moments: cue, response, type, severity, alternative, metrics."""

import pytest
from analysis_builders import A, S, T, build, fake_cue, roles

from analysis.floors import build_conversation
from analysis.interruptions import find_interruptions
from analysis.rescue import alternative_for, find_rescues
from analysis.scorecard import build_scorecard
from analysis.types import Act, GrowStage


def rescues(script, **kw):
    transcript, sentences = build(script, **kw)
    conv = build_conversation(transcript, roles(), sentences)
    return find_rescues(conv, find_interruptions(conv), fake_cue)


def test_rescue_right_after_i_dont_know():
    found = rescues([
        T("L", [S("What would you like to get out of this?", A.OPEN_QUESTION, GrowStage.GOAL)]),
        T("C", [S("The launch keeps slipping."), S("I don't know what to do.")]),
        T("L", [S("You should call the vendor today.", A.ADVICE)]),
    ])
    assert len(found) == 1
    r = found[0]
    assert r.kind is Act.ADVICE
    assert r.cue.text == "I don't know what to do."
    assert r.response.text == "You should call the vendor today."
    assert r.severity == 1
    assert r.severity_reasons == ("advice after a coachee cue",)
    assert not r.interrupted
    assert r.alternative == "What options do you see?"
    assert r.time == pytest.approx(r.response.start)


def test_takeover_without_open_question_is_severe():
    found = rescues([
        T("L", [S("Did you send it?", A.CLOSED_QUESTION)]),
        T("C", [S("No, I'm stuck on the pricing.")]),
        T("L", [S("Leave it with me.", A.TAKEOVER)]),
    ])
    assert [(r.kind, r.severity) for r in found] == [(Act.TAKEOVER, 3)]
    assert found[0].severity_reasons == ("no open question in the 2 minutes before", "took the problem over")
    assert found[0].alternative == "What would you need to handle this yourself?"


def test_interrupting_advice_is_a_rescue_even_without_a_cue():
    found = rescues([
        T("L", [S("How is the project going?", A.OPEN_QUESTION)]),
        T("C", [S("So the vendor sent the new quote and the numbers are")]),
        T("L", [S("Just push back on the price.", A.ADVICE)], gap=-1.0),
    ])
    assert len(found) == 1
    assert found[0].interrupted and found[0].cue is None
    assert found[0].severity == 2 and found[0].severity_reasons == ("interrupted the coachee",)


def test_coachee_question_to_the_leader_is_a_cue():
    found = rescues([
        T("C", [S("Honestly, what would you do?")]),
        T("L", [S("Have you thought about calling her directly?", A.LEADING_QUESTION)]),
    ])
    assert [(r.kind, r.alternative) for r in found] == [
        (Act.LEADING_QUESTION, "What would you do if I weren't here?")]


def test_mild_reason_names_the_kind_of_response():
    found = rescues([
        T("L", [S("What is getting in the way?", A.OPEN_QUESTION)]),
        T("C", [S("Honestly, what would you do?")]),
        T("L", [S("Have you thought about calling her directly?", A.LEADING_QUESTION)]),
    ])
    assert [(r.severity, r.severity_reasons) for r in found] == [
        (1, ("leading question after a coachee cue",))]


def test_question_with_a_filled_pause_is_a_question_cue():
    def cue(text):
        return "filled_pause" if text.startswith("Um") else None

    transcript, sentences = build([
        T("C", [S("Um, so why am I doing this?")]),
        T("L", [S("You should just do it.", A.ADVICE)]),
    ])
    conv = build_conversation(transcript, roles(), sentences)
    found = find_rescues(conv, (), cue)
    assert [(r.cue.note, r.alternative) for r in found] == [
        ("cue: question", "What would you do if I weren't here?")]


def test_long_pause_mid_answer_is_a_cue():
    found = rescues([
        T("C", [S("The plan was fine."), S("Then the team changed.", pause=3.0)]),
        T("L", [S("You should reset the plan.", A.ADVICE)]),
    ])
    assert len(found) == 1
    assert found[0].cue.note == "cue: 3.0 s pause mid-answer"
    assert found[0].alternative == "Take your time. What comes to mind?"


def test_advice_without_a_cue_or_interruption_is_not_a_rescue():
    assert rescues([
        T("C", [S("We shipped it on time.")]),
        T("L", [S("You should celebrate with the team.", A.ADVICE)]),
    ]) == ()


def test_open_question_answer_is_not_a_rescue_and_late_advice_is_outside_the_window():
    assert rescues([
        T("C", [S("I don't know what to do.")]),
        T("L", [S("What options do you see?", A.OPEN_QUESTION)]),
    ]) == ()
    assert rescues([
        T("C", [S("I don't know what to do.")]),
        T("L", [S("Hmm."), S("That is hard."), S("It happens."), S("You should rest.", A.ADVICE)]),
    ]) == ()


def test_rescue_metrics_per_ten_minutes_and_redo_moment():
    transcript, sentences = build([
        T("C", [S("I'm not sure how to start.")], start=30.0),
        T("L", [S("You should write the outline first.", A.ADVICE)]),
        T("C", [S("I'm stuck on the budget.")]),
        T("L", [S("I'll do the budget myself.", A.TAKEOVER)]),
    ], duration=300.0)
    sc = build_scorecard(transcript, roles(), sentences, cue_fn=fake_cue)
    assert sc.metric("rescue_count").value == 2
    # 2 in 5 minutes, with a prior of 10 rescue-free minutes: 10 * 2 / 15
    assert sc.metric("rescues_per_10_min").value == pytest.approx(1.3333, abs=1e-4)
    assert sc.metric("first_rescue_at_s").value == pytest.approx(sc.rescues[0].time)
    assert sc.redo_moment.evidence[-1].text == "I'll do the budget myself."
    assert sc.redo_moment.alternative == "What would you need to handle this yourself?"
    assert sc.debrief[2].prefill.endswith("Try instead: What would you need to handle this yourself?")


@pytest.mark.parametrize("kind, expected", [
    ("dont_know", "What options do you see?"),
    ("stuck", "What have you already tried?"),
    ("asks_for_advice", "What would you do if I weren't here?"),
    ("filled_pause", "Take your time. What comes to mind?"),
    ("difficulty", "What have you already tried, and what else could you try?"),
    (None, "What options do you see?"),
    # the kinds analysis.cues.coachee_cue returns
    ("question_to_leader", "What would you do if I weren't here?"),
    ("uncertainty", "What options do you see?"),
    ("difficulty", "What have you already tried, and what else could you try?"),
    ("hesitation", "Take your time. What comes to mind?"),
])
def test_alternatives_by_cue_kind(kind, expected):
    assert alternative_for(Act.ADVICE, kind) == expected
