"""Reliability reasons: a third speaker is named with their talk time (hand-built inputs)."""

from analysis_builders import S, T, build, fake_cue, roles

from analysis.reliability import extra_speakers
from analysis.scorecard import build_scorecard
from analysis.types import Segment, Speaker, Transcript


def test_a_third_speaker_is_named_with_their_talk_time_on_the_scorecard():
    transcript, sentences = build(
        [T("L", [S("How did the week go for you?")]), T("C", [S("Busy but good, thanks for asking.")]),
         T("X", [S("Sorry to interrupt, the room is booked at four.")]), T("L", [S("Thanks, we will be quick.")])],
        names={"L": "Dana", "C": "Sam", "X": "Alex"}, duration=400,
    )
    sc = build_scorecard(transcript, roles(), sentences, cue_fn=fake_cue)
    reasons = [r for r in sc.reliability.reasons if "third person" in r]
    assert reasons == ["a third person, Alex, talks for 3.6 s (33% of the talk): the scores treat the conversation as a 1:1"]


def test_unnamed_extra_speakers_come_from_diarization_segments_least_talkative_last():
    segments = (
        Segment("S0", 0.0, 60.0), Segment("S1", 60.0, 90.0), Segment("S2", 90.0, 102.0),
        Segment("S3", 102.0, 105.0), Segment("S0", 105.0, 200.0),
    )
    transcript = Transcript(200.0, tuple(Speaker(f"S{i}") for i in range(4)), (), segments=segments)
    assert extra_speakers(transcript, ("S1",)) == (("Speaker 3", 12.0, 0.06), ("Speaker 4", 3.0, 0.015))


def test_two_speakers_have_no_extra_speaker():
    transcript = Transcript(10.0, (Speaker("S0"), Speaker("S1")), (), segments=(Segment("S0", 0, 5), Segment("S1", 5, 6)))
    assert extra_speakers(transcript) == ()
