"""Words -> speakers, turns and overlaps, on hand-built words and segments."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.attribution import attribute_words, build_transcript, find_overlaps, join_words
from analysis.types import Overlap, Segment, Speaker, TranscriptMeta, Word

SPEAKERS = (Speaker("S0"), Speaker("S1"))


def words(*items: tuple[str, float, float]) -> list[Word]:
    return [Word(text, start, end) for text, start, end in items]


def transcript(ws, segs, duration=30.0):
    return build_transcript(ws, segs, SPEAKERS, duration, TranscriptMeta())


def test_words_go_to_the_speaker_with_most_overlap_and_turns_are_maximal_runs():
    segs = [Segment("S0", 0.0, 3.0), Segment("S1", 3.2, 6.0)]
    ws = words((" What", 0.1, 0.4), (" now?", 0.4, 0.9), (" We", 3.1, 3.5), (" ship.", 3.5, 4.0))
    t = transcript(ws, segs)
    assert [w.speaker for w in t.words] == ["S0", "S0", "S1", "S1"]
    assert [(x.speaker, x.start, x.end, x.text) for x in t.turns] == [
        ("S0", 0.1, 0.9, "What now?"),
        ("S1", 3.1, 4.0, "We ship."),
    ]
    assert t.overlaps == () and not any(x.overlapped for x in t.turns)


def test_short_reply_inside_the_other_speakers_long_segment_is_not_swallowed():
    # S0's diarization segment bridges S1's "Yes." (0.4 s); Whisper stretched the word
    # back across the pause so it overlaps S0's segment far more than S1's.
    segs = [Segment("S0", 0.0, 10.0), Segment("S1", 5.6, 6.0)]
    ws = words((" Is", 4.0, 4.3), (" it?", 4.3, 4.6), (" Yes.", 4.6, 6.0), (" Good.", 7.0, 7.5))
    t = transcript(ws, segs)
    assert [w.speaker for w in t.words] == ["S0", "S0", "S1", "S0"]
    assert [(x.speaker, x.text) for x in t.turns] == [("S0", "Is it?"), ("S1", "Yes."), ("S0", "Good.")]
    assert t.turns[1].overlapped is True
    assert t.overlaps == (Overlap(5.6, 6.0, ("S0", "S1")),)


def test_short_reply_at_the_edge_of_the_next_long_segment():
    # "Mm-hmm" stretched forward into S0's next segment: S1's short segment wins.
    segs = [Segment("S1", 2.0, 2.5), Segment("S0", 2.4, 9.0)]
    ws = words((" Mm-hmm.", 2.1, 3.0), (" So", 3.0, 3.3), (" anyway", 3.3, 3.8))
    assert attribute_words(ws, segs) == ["S1", "S0", "S0"]


def test_a_short_segment_claims_at_most_three_words():
    segs = [Segment("S0", 0.0, 10.0), Segment("S1", 4.0, 5.2)]
    ws = words(*[(f" w{i}", 4.0 + 0.25 * i, 4.25 + 0.25 * i) for i in range(5)])
    labels = attribute_words(ws, segs)
    assert labels.count("S1") == 3 and labels.count("S0") == 2


def test_long_segments_of_both_speakers_use_plain_overlap():
    segs = [Segment("S0", 0.0, 5.0), Segment("S1", 4.0, 9.0)]
    ws = words((" end", 3.8, 4.6), (" start", 4.6, 5.5))
    assert attribute_words(ws, segs) == ["S0", "S1"]


def test_nearest_segment_within_a_second_else_unattributed():
    segs = [Segment("S0", 0.0, 2.0), Segment("S1", 5.0, 7.0)]
    ws = words((" near0", 2.3, 2.6), (" near1", 4.2, 4.5), (" alone", 12.0, 12.5))
    t = transcript(ws, segs)
    assert [w.speaker for w in t.words] == ["S0", "S1", None]
    assert [x.text for x in t.turns] == ["near0", "near1"]  # unattributed word in no turn


def test_unattributed_word_does_not_split_a_turn():
    segs = [Segment("S0", 0.0, 2.0), Segment("S0", 5.0, 6.0)]
    ws = words((" a", 0.5, 0.8), (" lost", 3.2, 3.6), (" b", 5.1, 5.4))
    t = transcript(ws, segs)
    assert [w.speaker for w in t.words] == ["S0", None, "S0"]
    assert [(x.speaker, x.text) for x in t.turns] == [("S0", "a b")]


def test_overlaps_are_merged_intervals_of_different_speakers():
    segs = [Segment("S0", 0.0, 4.0), Segment("S0", 3.0, 6.0), Segment("S1", 2.0, 5.0)]
    assert find_overlaps(sorted(segs, key=lambda s: s.start)) == (Overlap(2.0, 5.0, ("S0", "S1")),)
    assert find_overlaps([Segment("S0", 0, 2), Segment("S1", 2, 3)]) == ()


def test_inputs_are_not_mutated_and_speakers_from_segments_are_added():
    segs = [Segment("S2", 1.0, 2.0), Segment("S0", 0.0, 1.0)]
    ws = words((" b", 1.2, 1.5), (" a", 0.2, 0.5))
    before = (list(ws), list(segs))
    t = transcript(ws, segs, duration=1.0)
    assert (ws, segs) == before
    assert [w.text for w in t.words] == [" a", " b"]
    assert t.segments == (Segment("S0", 0.0, 1.0), Segment("S2", 1.0, 2.0))
    assert t.speaker_labels() == ("S0", "S1", "S2")
    assert t.duration_s == 2.0


def test_empty_input_gives_an_empty_transcript():
    t = transcript([], [], duration=5.0)
    assert (t.turns, t.words, t.overlaps, t.duration_s) == ((), (), (), 5.0)


@pytest.mark.parametrize(
    "texts, expected",
    [([" Hello,", " world."], "Hello, world."), (["Hello", "world"], "Hello world"), ([], "")],
)
def test_join_words(texts, expected):
    assert join_words([Word(t, 0, 1) for t in texts]) == expected


times = st.floats(min_value=0.0, max_value=60.0, allow_nan=False)


@given(
    st.lists(st.tuples(st.sampled_from(["S0", "S1"]), times, st.floats(0.05, 8.0)), max_size=12),
    st.lists(st.tuples(times, st.floats(0.0, 2.0)), max_size=30),
)
def test_invariants(raw_segs, raw_words):
    segs = [Segment(s, a, a + d) for s, a, d in raw_segs]
    ws = [Word(" w", a, a + d) for a, d in raw_words]
    t = transcript(ws, segs)
    labels = set(t.speaker_labels())
    assert all(turn.speaker in labels for turn in t.turns)
    assert [w.start for w in t.words] == sorted(w.start for w in t.words)
    assert sum(len(turn.words) for turn in t.turns) == sum(w.speaker is not None for w in t.words)
    assert all(a.speaker != b.speaker for a, b in zip(t.turns, t.turns[1:]))
    assert t.duration_s >= max([w.end for w in ws] + [s.end for s in segs] + [0.0])


def test_a_word_claimed_by_two_short_segments_goes_to_the_larger_overlap():
    segs = [Segment("S0", 3.0, 4.0), Segment("S1", 3.9, 4.4)]
    # both short segments claim the word (0.6 s of S0's 1 s, all of S1's 0.5 s)
    assert attribute_words(words((" both", 3.4, 4.4)), segs) == ["S0"]
    assert attribute_words(words((" late", 3.85, 4.45)), segs) == ["S1"]


# ----------------------------------------------------------------------------- whole sentences


def test_a_sentence_split_by_a_short_blip_stays_with_its_speaker():
    # The case: "...feedback from the" S0, "specification?" S1 (a diarization blip
    # at the sentence's end), which became a one-word closed question quoted back to S0.
    segs = [Segment("S0", 0.0, 2.0), Segment("S1", 2.0, 2.6), Segment("S1", 4.0, 7.0)]
    ws = words(
        (" Did", 0.1, 0.3), (" you", 0.3, 0.5), (" get", 0.5, 0.8), (" feedback", 0.8, 1.3),
        (" from", 1.3, 1.6), (" the", 1.6, 1.9), (" specification?", 1.9, 2.6),
        (" Not", 4.1, 4.4), (" yet.", 4.4, 4.8),
    )
    t = transcript(ws, segs)
    assert [(x.speaker, x.text) for x in t.turns] == [
        ("S0", "Did you get feedback from the specification?"),
        ("S1", "Not yet."),
    ]


def test_a_blip_mid_sentence_and_at_its_start_go_back_to_the_sentence_speaker():
    segs = [Segment("S1", 0.0, 0.35), Segment("S0", 0.35, 1.5), Segment("S1", 1.5, 2.0), Segment("S0", 2.0, 4.0)]
    ws = words(
        (" So", 0.0, 0.3), (" what", 0.35, 0.6), (" would", 0.6, 0.9), (" you", 0.9, 1.5),
        (" really", 1.5, 1.9), (" like", 2.0, 2.4), (" to", 2.4, 2.6), (" change?", 2.6, 3.2),
    )
    assert [w.speaker for w in transcript(ws, segs).words] == ["S0"] * 8


def test_overlapped_blip_is_reported_as_overlap_but_the_sentence_stays_whole():
    segs = [Segment("S0", 0.0, 4.0), Segment("S1", 1.4, 2.2)]
    ws = words((" We", 0.1, 0.5), (" could", 0.5, 1.0), (" try", 1.4, 2.2), (" that", 2.2, 2.8), (" first.", 2.8, 3.5))
    t = transcript(ws, segs)
    assert [(x.speaker, x.text) for x in t.turns] == [("S0", "We could try that first.")]
    assert t.overlaps == (Overlap(1.4, 2.2, ("S0", "S1")),)
    assert t.turns[0].overlapped is True


def test_short_real_replies_stay_with_the_coachee():
    segs = [Segment("S0", 0.0, 2.0), Segment("S1", 2.4, 2.8), Segment("S0", 3.3, 5.0), Segment("S1", 5.4, 6.2)]
    ws = words(
        (" Is", 0.1, 0.4), (" that", 0.4, 0.7), (" right?", 0.7, 1.9), (" Yes.", 2.4, 2.8),
        (" And", 3.3, 3.6), (" the", 3.6, 3.8), (" budget?", 3.8, 4.9), (" No", 5.4, 5.7), (" idea.", 5.7, 6.2),
    )
    t = transcript(ws, segs)
    assert [(x.speaker, x.text) for x in t.turns] == [
        ("S0", "Is that right?"), ("S1", "Yes."), ("S0", "And the budget?"), ("S1", "No idea."),
    ]


def test_an_unpunctuated_reply_set_off_by_pauses_is_not_a_blip():
    # Whisper did not end the question; "yeah" (S1) follows after a pause and S0 goes on after another.
    segs = [Segment("S0", 0.0, 1.5), Segment("S1", 2.0, 2.4), Segment("S0", 3.0, 4.5)]
    ws = words((" makes", 0.2, 0.6), (" sense", 0.6, 1.4), (" yeah", 2.0, 2.4), (" so", 3.0, 3.3), (" next", 3.3, 3.8))
    assert [w.speaker for w in transcript(ws, segs).words] == ["S0", "S0", "S1", "S0", "S0"]


def test_three_words_by_the_other_speaker_inside_a_sentence_are_kept():
    segs = [Segment("S0", 0.0, 1.0), Segment("S1", 1.0, 2.5), Segment("S0", 2.5, 4.0)]
    ws = words(
        (" I", 0.1, 0.3), (" think", 0.3, 1.0), (" how", 1.0, 1.5), (" about", 1.5, 2.0), (" Monday", 2.0, 2.5),
        (" works", 2.5, 3.0), (" fine.", 3.0, 3.5),
    )
    assert [w.speaker for w in transcript(ws, segs).words] == ["S0", "S0", "S1", "S1", "S1", "S0", "S0"]
