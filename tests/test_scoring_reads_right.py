"""Scores a leader can trust: a met target is full marks, short recordings are not blown
up, and the focus and the redo box talk about the same moment at the same time."""

import dataclasses

import pytest
from analysis_builders import A, S, T, build, fake_cue, roles

from analysis.errors import RubricError
from analysis.metrics import SPECS, meets_target
from analysis.rescue import RATE_PRIOR_MIN, rate_per_10_min
from analysis.results import Metric
from analysis.rubric import load_rubric, parse_rubric, score
from analysis.scorecard import build_scorecard
from service.render import build_page

NAMES = {"L": "Dana", "C": "Sam"}


def test_meeting_a_target_gives_full_marks_in_every_default_dimension():
    r = load_rubric()
    for d in r.dimensions:
        for c in d.criteria:
            target = r.targets[c.metric]
            assert c.score(target) == 100, (d.key, c.metric)
            beyond = target + (0.05 if SPECS[c.metric].direction == "higher" else -0.05)
            if meets_target(SPECS[c.metric], beyond, target) and beyond >= 0:
                assert c.score(beyond) == 100
    # the case of the issue: talk share 40 % with a target of 40 % or less
    listening = next(d for d in r.dimensions if d.key == "listening")
    assert listening.score(0.40) == 100 and listening.score(0.45) < 100


def _talk_rubric(thresholds: str, focus: str = "Talk less.", targets: str = "") -> str:
    return (f'id = "acme"\nversion = "1"\n[[dimensions]]\nkey = "talk"\nlabel = "Talk"\n'
            f'metric = "leader_talk_share"\nweight = 1\nthresholds = {thresholds}\nfocus = "{focus}"\n{targets}')


def test_a_rubric_whose_target_does_not_score_full_marks_is_rejected():
    target = "[targets]\nleader_talk_share = 0.4\n"
    with pytest.raises(RubricError, match=r"'dimensions\[0\]\.thresholds' must score 100 at the target"):
        parse_rubric(_talk_rubric("[[0.3, 100], [0.4, 85], [0.8, 0]]", targets=target), "t")
    assert parse_rubric(_talk_rubric("[[0.4, 100], [0.8, 0]]", targets=target), "t").targets


def test_a_focus_text_with_an_unknown_placeholder_is_rejected():
    with pytest.raises(RubricError, match="unknown placeholder"):
        parse_rubric(_talk_rubric("[[0.4, 100], [0.8, 0]]", focus="Let {coach} talk."), "t")
    assert parse_rubric(_talk_rubric("[[0.4, 100], [0.8, 0]]", focus="Let {coachee} talk."), "t")


def test_rates_on_short_recordings_are_shrunk_toward_the_count():
    # one rescue in 82 s was "7.3 per 10 min" and 0/100
    short = rate_per_10_min(1, 82.0)
    assert short == pytest.approx(10 / (82 / 60 + RATE_PRIOR_MIN))
    assert short <= 1.0
    rescue = next(d for d in load_rubric().dimensions if d.key == "rescue_avoidance")
    assert rescue.score(short) > 70
    # never above the count, whatever the length; near the raw rate on a long call
    for seconds in (0.0, 30.0, 300.0, 600.0, 3600.0):
        assert rate_per_10_min(3, seconds) <= 3
    assert rate_per_10_min(6, 3600.0) == pytest.approx(6 * 10 / 70)
    assert rate_per_10_min(0, 82.0) == 0.0


def _rescue_session():
    return build([
        T("L", [S("What would you like to work on?", A.OPEN_QUESTION)]),
        T("C", [S("The launch plan. I'm not sure how to start.")]),
        T("L", [S("You should write the outline first.", A.ADVICE)]),
        T("C", [S("Okay. I'm stuck on the budget too.")]),
        T("L", [S("I'll do the budget myself.", A.TAKEOVER)]),
        T("C", [S("Thanks.")]),
    ], names=NAMES, duration=82.0)


def test_one_rescue_in_82_seconds_does_not_score_zero():
    transcript, sentences = build([
        T("L", [S("What would you like to work on?", A.OPEN_QUESTION)]),
        T("C", [S("The launch plan. I'm not sure how to start.")]),
        T("L", [S("You should write the outline first.", A.ADVICE)]),
        T("C", [S("Okay, thanks.")]),
    ], names=NAMES, duration=82.0)
    sc = build_scorecard(transcript, roles(), sentences, cue_fn=fake_cue)
    rate = sc.metric("rescues_per_10_min")
    assert sc.metric("rescue_count").value == 1 and rate.value < 1.0
    assert "1 in 1:22 min" in rate.detail
    rescue = next(d for d in sc.score.dimensions if d.key == "rescue_avoidance")
    assert rescue.explanation.startswith("Rescue rate 0.9 per 10 min (target none): 78/100")


def test_focus_and_redo_talk_about_the_same_moment_at_the_same_time():
    transcript, sentences = _rescue_session()
    sc = build_scorecard(transcript, roles(), sentences, cue_fn=fake_cue)
    redo = sc.redo_moment
    worst = max(sc.score.dimensions, key=lambda d: d.gap)
    assert worst.key == "rescue_avoidance"
    assert redo.evidence[-1].text == "I'll do the budget myself." and redo.at == sc.rescues[-1].time
    page = build_page(sc)
    # the redo heading's time, the time in its text and the time in the focus agree
    assert page.redo.time == "0:" + f"{int(redo.at):02d}"
    assert f"At {page.redo.time} you answered with a takeover" in page.redo.explanation
    assert f"at {page.redo.time}, try '{redo.alternative}'" in page.focus
    assert page.focus.startswith("When Sam is stuck")


def test_without_a_matching_moment_the_focus_is_the_general_behaviour():
    transcript, sentences = _rescue_session()
    sc = build_scorecard(transcript, roles(), sentences, cue_fn=fake_cue)
    r = load_rubric()
    from analysis.rubric import focus_behaviour

    other = dataclasses.replace(sc.redo_moment, metric="leader_talk_share")
    assert focus_behaviour(r, sc.score, other, "Sam") == (
        "When Sam says they're stuck, ask 'What options do you see?' instead of giving your answer."
    )
    assert "{" not in focus_behaviour(r, sc.score, None)


def test_the_default_rubric_scores_a_met_target_as_100_through_score():
    r = load_rubric()
    values = {"question_statement_ratio": 1.0, "open_question_share": 0.6, "leader_talk_share": 0.4,
              "wait_time_median_s": 3.0, "rescues_per_10_min": 0.0, "directive_share": 0.0,
              "grow_stages_covered": 4}
    result = score(r, [Metric(k, k, v, SPECS[k].unit) for k, v in values.items()])
    assert [d.score for d in result.dimensions] == [100.0] * 6 and result.overall == 100.0
