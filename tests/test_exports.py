"""WebVTT/SRT export: speaker names, timestamps, escaping, long-turn splitting."""

from analysis.exports import cues, to_srt, to_webvtt
from analysis.types import Speaker, Transcript, Turn, Word


def _transcript() -> Transcript:
    w1 = (Word("How", 0.5, 0.7, speaker="S0"), Word("are", 0.7, 0.9, speaker="S0"),
          Word("you?", 0.9, 1.25, speaker="S0"))
    w2 = (Word("Fine", 2.0, 2.4, speaker="S1"), Word("<thanks>", 2.4, 3.0, speaker="S1"))
    return Transcript(
        duration_s=3661.0,
        speakers=(Speaker("S0", "Dana"), Speaker("S1")),
        turns=(
            Turn("S0", 0.5, 1.25, "How are you?", w1),
            Turn("S1", 2.0, 3.0, "Fine <thanks>", w2),
            Turn("S0", 3600.0, 3661.0, "Bye & see you."),
        ),
        words=w1 + w2,
    )


def test_webvtt_has_voice_spans_with_names_and_escapes_markup():
    assert to_webvtt(_transcript()) == (
        "WEBVTT\n\n"
        "1\n00:00:00.500 --> 00:00:01.250\n<v Dana>How are you?\n\n"
        "2\n00:00:02.000 --> 00:00:03.000\n<v S1>Fine &lt;thanks&gt;\n\n"
        "3\n01:00:00.000 --> 01:01:01.000\n<v Dana>Bye &amp; see you.\n"
    )


def test_srt_numbers_cues_and_prefixes_names():
    assert to_srt(_transcript()) == (
        "1\n00:00:00,500 --> 00:00:01,250\nDana: How are you?\n\n"
        "2\n00:00:02,000 --> 00:00:03,000\nS1: Fine <thanks>\n\n"
        "3\n01:00:00,000 --> 01:01:01,000\nDana: Bye & see you.\n"
    )


def test_long_turn_is_split_at_word_boundaries():
    words = tuple(Word(f"w{i}", i * 0.5, i * 0.5 + 0.4, speaker="S0") for i in range(40))
    t = Transcript(20.0, (Speaker("S0"),), (Turn("S0", 0.0, 19.9, "", words),), words)
    parts = cues(t)
    assert len(parts) == 3
    assert all(c.end - c.start <= 7.0 for c in parts)
    assert " ".join(c.text for c in parts) == " ".join(w.text for w in words)
    assert abs(parts[1].start - (parts[0].end + 0.1)) < 1e-9


def test_zero_length_turn_gets_a_positive_cue_and_empty_transcript_is_valid():
    t = Transcript(5.0, (Speaker("S0"),), (Turn("S0", 1.0, 1.0, "Hm."),))
    assert "00:00:01.000 --> 00:00:01.010" in to_webvtt(t)
    empty = Transcript(5.0, (), ())
    assert to_webvtt(empty) == "WEBVTT\n"
    assert to_srt(empty) == ""
