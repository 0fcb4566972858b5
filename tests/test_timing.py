"""Timing metrics on hand-built transcripts whose right answers are known."""

from dataclasses import replace

import pytest
from analysis_builders import A, S, T, build, fake_cue, roles

from analysis.results import Scorecard
from analysis.scorecard import build_scorecard
from analysis.types import Confidence, Segment


def card(script, leader="L", coachee="C", **kw) -> Scorecard:
    transcript, sentences = build(script, **kw)
    return build_scorecard(transcript, roles(leader, coachee), sentences, cue_fn=fake_cue)


def value(sc: Scorecard, key: str):
    return sc.metric(key).value


# 5 words = 2 s each at 2.5 words/s
Q5 = "What is on your mind?"
ST5 = "That was a tough quarter."


def test_talk_share_and_silence_from_known_times():
    sc = card([
        T("L", [S(Q5, A.OPEN_QUESTION)], start=0.0),            # 0-2
        T("C", [S(ST5), S(ST5), S(ST5)], start=5.0),             # 5-11
        T("L", [S(Q5, A.OPEN_QUESTION)], start=11.2),           # 11.2-13.2 (gap 0.2 < 0.3)
        T("C", [S(ST5)], start=14.2),                           # 14.2-16.2
    ])
    assert value(sc, "leader_talk_share") == pytest.approx(4 / 12, abs=1e-4)
    assert value(sc, "total_silence_s") == pytest.approx(4.0)
    assert value(sc, "silence_share") == pytest.approx(4.0 / 16.2, abs=1e-4)
    assert value(sc, "longest_silence_s") == pytest.approx(3.0)
    assert sc.metric("longest_silence_s").evidence[0].start == pytest.approx(2.0)
    # wait times 3.0 and 1.0 s
    assert value(sc, "wait_time_median_s") == pytest.approx(2.0)
    assert value(sc, "wait_time_3s_share") == pytest.approx(0.5)
    assert value(sc, "longest_coachee_story_s") == pytest.approx(6.0)
    assert value(sc, "longest_leader_monologue_s") == pytest.approx(2.0)


def test_diarization_segments_decide_talk_time_not_turns():
    transcript, sentences = build([T("L", [S(Q5, A.OPEN_QUESTION)]), T("C", [S(ST5)], gap=1.0)])
    with_segments = replace(transcript, segments=(Segment("L", 0, 1), Segment("C", 3, 6)))
    sc = build_scorecard(with_segments, roles(), sentences, cue_fn=fake_cue)
    assert value(sc, "leader_talk_share") == pytest.approx(0.25)
    assert value(sc, "total_silence_s") == pytest.approx(2.0)


def test_no_questions_at_all():
    sc = card([T("L", [S(ST5), S("You should send it.", A.ADVICE)]), T("C", [S(ST5)])])
    assert value(sc, "question_statement_ratio") == 0.0
    assert value(sc, "open_question_share") is None
    assert sc.metric("open_question_share").reliability.confidence is Confidence.LOW
    assert value(sc, "wait_time_median_s") is None
    assert value(sc, "wait_time_3s_share") is None
    assert value(sc, "silence_broken_by_leader") == 0
    assert value(sc, "grow_stages_covered") == 0
    assert sc.best_question is None and sc.redo_moment is None


def test_only_questions():
    sc = card([
        T("L", [S(Q5, A.OPEN_QUESTION), S("Did you send it?", A.CLOSED_QUESTION)]),
        T("C", [S("Yes.")], gap=2.0),
        T("L", [S("How did it land?", A.OPEN_QUESTION)]),
    ])
    # no statements: the statement count is taken as 1
    assert value(sc, "question_statement_ratio") == 3.0
    assert value(sc, "open_question_share") == pytest.approx(2 / 3, abs=1e-4)
    assert value(sc, "stacked_questions") == 1
    assert value(sc, "silence_broken_by_leader") == 1
    # the last question is never answered: only one wait (2 s)
    assert value(sc, "wait_time_median_s") == pytest.approx(2.0)
    assert sc.redo_moment is not None and sc.redo_moment.evidence[0].text == "Did you send it?"


def test_a_monologue():
    long_text = " ".join(["we need to ship this faster and you should own it."] * 30)
    sc = card([T("L", [S(long_text, A.ADVICE)]), T("C", [S("Okay.", A.BACKCHANNEL)])])
    assert value(sc, "longest_leader_monologue_s") == pytest.approx(len(long_text.split()) / 2.5)
    assert value(sc, "longest_coachee_story_s") == 0.0
    assert value(sc, "question_statement_ratio") == 0.0
    assert value(sc, "leader_talk_share") > 0.99


def test_one_speaker_only():
    transcript, sentences = build([T("L", [S(Q5, A.OPEN_QUESTION), S(ST5)])])
    sc = build_scorecard(transcript, roles("L", None), sentences, cue_fn=fake_cue)
    assert value(sc, "leader_talk_share") == 1.0
    assert value(sc, "rescue_count") == 0
    assert sc.reliability.confidence is Confidence.LOW
    assert "1 speaker(s) found, expected 2 (leader and coachee)" in sc.reliability.reasons


def test_silence_broken_by_leader_and_stacked_questions():
    sc = card([
        T("L", [S(Q5, A.OPEN_QUESTION), S("I mean, is it the budget?", A.CLOSED_QUESTION, pause=2.5),
                S("Or the team?", A.CLOSED_QUESTION, pause=0.2)]),
        T("C", [S(ST5)]),
        T("L", [S("Why did that happen?", A.OPEN_QUESTION), S("Because of the budget, I think.")]),
        T("C", [S(ST5)]),
    ])
    broken = sc.metric("silence_broken_by_leader")
    assert broken.value == 3
    assert [e.text for e in broken.evidence] == [
        "I mean, is it the budget?", "Or the team?", "Because of the budget, I think."]
    stacked = sc.metric("stacked_questions")
    assert stacked.value == 1
    assert stacked.evidence[0].text == "I mean, is it the budget? Or the team?"


def test_overlapping_speech_counts_as_interruption_and_lowers_confidence():
    sc = card([
        T("L", [S(Q5, A.OPEN_QUESTION)]),
        T("C", [S("So I went to the meeting and then the whole plan changed again.")]),
        T("L", [S("Right, and what did you do?", A.OPEN_QUESTION)], gap=-2.0),
        T("C", [S(ST5)]),
    ], duration=600)
    ints = sc.metric("interruptions")
    assert ints.value == 1
    assert ints.evidence[0].note == "started 2.0 s before the coachee finished"
    # 2 s of overlap in 9.6 s of speech
    rel = sc.metric("leader_talk_share").reliability
    assert (rel.confidence, rel.reasons) == (Confidence.LOW, ("21% of the speech is overlapped",))


def test_cut_off_sentence_is_an_interruption_without_overlap():
    sc = card([
        T("C", [S("I was thinking we could -")]),
        T("L", [S("Tell me more.", A.OPEN_QUESTION)], gap=0.1),
        T("C", [S("Well, I guess we could.")]),
        T("L", [S("Okay, good.", A.STATEMENT)], gap=1.0),
    ], duration=600)
    assert value(sc, "interruptions") == 1
    assert sc.metric("interruptions").evidence[0].note == "the coachee's sentence was cut off"


def test_backchannels_do_not_break_a_floor():
    sc = card([
        T("L", [S(ST5)], start=0.0),
        T("C", [S("Mm-hmm.", A.BACKCHANNEL)], start=2.5),
        T("L", [S(ST5)], start=3.5),
        T("C", [S(ST5)], start=7.0),
    ])
    assert value(sc, "longest_leader_monologue_s") == pytest.approx(5.5)
    assert value(sc, "leader_backchannels") == 0


def test_gapless_text_transcript_has_estimated_times_and_no_wait_time():
    script = [T("L" if i % 2 == 0 else "C", [S(Q5, A.OPEN_QUESTION) if i % 2 == 0 else S(ST5)], gap=0.0)
              for i in range(8)]
    sc = card(script, duration=600)
    assert value(sc, "wait_time_median_s") is None
    rel = sc.metric("wait_time_median_s").reliability
    assert rel.confidence is Confidence.LOW
    assert rel.reasons[0] == ("no pauses between turns: the times look estimated, "
                              "so silence and wait time cannot be measured")
    assert not any("estimated" in r for r in sc.metric("question_statement_ratio").reliability.reasons)


def test_wait_time_uses_diarization_segments_not_stretched_word_times():
    # the transcript says the question ran to 2.0 s (a stretched last word), the
    # diarization says the leader stopped at 1.2 s; the coachee starts at 4.2 s.
    transcript, sentences = build([T("L", [S(Q5, A.OPEN_QUESTION)]), T("C", [S(ST5)], start=4.2)])
    segmented = replace(transcript, segments=(Segment("L", 0.0, 1.2), Segment("C", 4.2, 6.2)))
    sc = build_scorecard(segmented, roles(), sentences, cue_fn=fake_cue)
    assert value(sc, "wait_time_median_s") == pytest.approx(3.0)
    assert value(sc, "wait_time_3s_share") == 1.0
