"""Transcript inputs: utterance JSON, pipeline JSON, WebVTT (Zoom, Teams), errors."""

import json
from pathlib import Path

import pytest

from analysis.errors import InputError, TranscriptFormatError
from analysis.inputs import load_transcript, parse_json_transcript, parse_webvtt
from analysis.transcript_json import transcript_from_dict, transcript_to_dict
from analysis.types import Segment, Speaker, Transcript, Turn, Word


def utterances(*items, **extra):
    return json.dumps({"utterances": list(items), **extra})


def test_utterance_json_with_roles_and_estimated_ends():
    text = utterances(
        {"speaker": "Dana", "start": 0, "end": 2.0, "text": "What is on your mind?"},
        {"speaker": "Sam", "start": 3.0, "text": "The launch slipped again and I am not sure why"},
        {"speaker": "Dana", "start": 5.0, "text": "Tell me more."},
        roles={"leader": "Dana"},
    )
    t, hint = parse_json_transcript(text)
    assert hint == "Dana"
    assert [s.label for s in t.speakers] == ["Dana", "Sam"]
    assert [turn.source_index for turn in t.turns] == [0, 1, 2]
    # 10 words at 2.5 words/s = 4 s, clipped at the next start (5.0)
    assert t.turns[1].end == 5.0
    # last one: 3 words -> 1.2 s
    assert t.turns[2].end == pytest.approx(6.2)
    assert t.duration_s == pytest.approx(6.2)
    assert [(s.speaker, s.start, s.end) for s in t.segments] == [
        ("Dana", 0.0, 2.0), ("Sam", 3.0, 5.0), ("Dana", 5.0, pytest.approx(6.2))]
    assert t.meta.source == "utterances"


def test_utterances_are_sorted_and_keep_their_source_index():
    text = utterances(
        {"speaker": "B", "start": 4, "end": 5, "text": "Second."},
        {"speaker": "A", "start": 0, "end": 2, "text": "First?"},
    )
    t, _ = parse_json_transcript(text)
    assert [(turn.speaker, turn.source_index) for turn in t.turns] == [("A", 1), ("B", 0)]


def test_consecutive_utterances_of_one_speaker_stay_separate_turns():
    text = utterances(
        {"speaker": "A", "start": 0, "end": 1, "text": "One."},
        {"speaker": "A", "start": 1, "end": 2, "text": "Two."},
    )
    t, _ = parse_json_transcript(text)
    assert [turn.source_index for turn in t.turns] == [0, 1]


def test_overlapping_utterances_are_marked():
    text = utterances(
        {"speaker": "A", "start": 0, "end": 4, "text": "I was saying that"},
        {"speaker": "B", "start": 3, "end": 5, "text": "Let me stop you."},
    )
    t, _ = parse_json_transcript(text)
    assert [turn.overlapped for turn in t.turns] == [True, True]
    assert [(o.start, o.end) for o in t.overlaps] == [(3.0, 4.0)]


def test_clock_strings_are_accepted_for_times():
    t, _ = parse_json_transcript(utterances({"speaker": "A", "start": "00:01:02", "text": "Hi."}))
    assert t.turns[0].start == 62.0


@pytest.mark.parametrize(
    "doc, message",
    [
        ('{"utterances": [', "invalid JSON at line 1, column 17: Expecting value"),
        ("[1, 2]", "transcript JSON must be an object at the top level"),
        ('{"foo": 1}', "transcript JSON: expected field 'schema' ('coachscore.transcript/1') "
                       "or field 'utterances' at the top level"),
        ('{"utterances": {}}', "field 'utterances': expected a list, got dict"),
        ('{"utterances": []}', "field 'utterances': the list is empty"),
        ('{"utterances": [3]}', "utterances[0]: expected an object, got int"),
        ('{"utterances": [{"start": 0, "text": "x"}]}',
         "field 'utterances[0].speaker': expected a non-empty string"),
        ('{"utterances": [{"speaker": "A", "text": "x"}]}',
         "field 'utterances[0].start': expected a number of seconds, got None"),
        ('{"utterances": [{"speaker": "A", "start": "soon", "text": "x"}]}',
         "field 'utterances[0].start': expected a number of seconds, got 'soon'"),
        ('{"utterances": [{"speaker": "A", "start": -1, "text": "x"}]}',
         "field 'utterances[0].start': must be >= 0 seconds, got -1"),
        ('{"utterances": [{"speaker": "A", "start": 5, "end": 2, "text": "x"}]}',
         "field 'utterances[0].end': 2.0 is before start 5.0"),
        ('{"utterances": [{"speaker": "A", "start": 1, "text": 7}]}',
         "field 'utterances[0].text': expected a string"),
        ('{"utterances": [{"speaker": "A", "start": 1, "text": "  "}]}',
         "transcript has no utterance with text"),
        ('{"utterances": [{"speaker": "A", "start": 1, "text": "x"}], "roles": {"leader": ""}}',
         "field 'roles.leader': expected a non-empty string"),
        ('{"schema": "other/1"}', "field 'schema': expected 'coachscore.transcript/1', got 'other/1'"),
    ],
)
def test_malformed_json_names_the_field(doc, message):
    with pytest.raises(TranscriptFormatError) as e:
        parse_json_transcript(doc)
    assert str(e.value) == message
    assert e.value.code == "transcript_format_error"


def test_pipeline_transcript_json_round_trips_and_gets_segments(tmp_path: Path):
    words = (Word("Hi", 0.0, 0.4, 0.9, "S0"), Word("there.", 0.4, 0.8, 0.9, "S0"),
             Word("Hello.", 1.0, 1.5, 0.8, "S1"))
    t = Transcript(
        duration_s=2.0, speakers=(Speaker("S0", "Dana"), Speaker("S1")),
        turns=(Turn("S0", 0.0, 0.8, "Hi there.", words[:2]), Turn("S1", 1.0, 1.5, "Hello.", words[2:])),
        words=words,
    )
    path = tmp_path / "t.json"
    path.write_text(json.dumps(transcript_to_dict(t)))
    loaded, hint = load_transcript(path)
    assert hint is None
    assert loaded.turns[1].words == words[2:]
    assert loaded.segments == (Segment("S0", 0.0, 0.8), Segment("S1", 1.0, 1.5))


def test_transcript_warnings_round_trip_and_old_transcripts_without_them_still_load(tmp_path: Path):
    words = (Word("Hi.", 0.0, 0.4, 0.9, "S0"), Word("Hello.", 1.0, 1.5, 0.8, "S1"))
    warning = "A third speaker, S2, was found: they talk for 0:03 (3.0 s, 40% of the talk)."
    t = Transcript(
        duration_s=5.0, speakers=(Speaker("S0"), Speaker("S1"), Speaker("S2")),
        turns=(Turn("S0", 0.0, 0.4, "Hi.", words[:1]), Turn("S1", 1.0, 1.5, "Hello.", words[1:])),
        words=words, warnings=(warning,),
    )
    data = transcript_to_dict(t)
    assert data["warnings"] == [warning]
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data))
    assert load_transcript(path)[0].warnings == (warning,)
    del data["warnings"]  # written before warnings existed
    path.write_text(json.dumps(data))
    assert load_transcript(path)[0].warnings == ()
    with pytest.raises(TranscriptFormatError, match=r"^field 'warnings\[0\]': expected a non-empty string$"):
        transcript_from_dict({**data, "warnings": [3]})
    with pytest.raises(TranscriptFormatError, match="^field 'warnings': expected a list, got str$"):
        transcript_from_dict({**data, "warnings": "three people"})


ZOOM = """WEBVTT

1
00:00:01.000 --> 00:00:04.000
Dana Lee: What would you like to focus on today?

2
00:00:05.000 --> 00:00:09.500
Sam: The handover with Tom &amp; the team.

3
00:00:09.500 --> 00:00:11.000
It keeps slipping.
"""

TEAMS = """WEBVTT

NOTE exported from Teams

a1b2c3/12-0
00:00:00.500 --> 00:00:03.000
<v Dana Lee>How did that land?</v>

a1b2c3/13-0
00:00:03.200 --> 00:00:06.000
<v Sam Park>Not well, honestly.</v>
"""


def test_zoom_vtt_names_and_continuation():
    t = parse_webvtt(ZOOM)
    assert [(x.speaker, x.start, x.end, x.text) for x in t.turns] == [
        ("Dana Lee", 1.0, 4.0, "What would you like to focus on today?"),
        ("Sam", 5.0, 9.5, "The handover with Tom & the team."),
        ("Sam", 9.5, 11.0, "It keeps slipping."),
    ]
    assert [x.source_index for x in t.turns] == [0, 1, 2]
    assert t.meta.source == "webvtt"
    assert t.duration_s == 11.0


def test_teams_vtt_voice_tags(tmp_path: Path):
    path = tmp_path / "meeting.vtt"
    path.write_text(TEAMS)
    t, hint = load_transcript(path)
    assert hint is None
    assert [(x.speaker, x.text) for x in t.turns] == [
        ("Dana Lee", "How did that land?"), ("Sam Park", "Not well, honestly.")]
    assert [s.name for s in t.speakers] == ["Dana Lee", "Sam Park"]


def test_zoom_colon_inside_text_is_not_a_speaker_name():
    t = parse_webvtt(
        "WEBVTT\n\n00:00.000 --> 00:02.000\nDana van der Berg: Here is the thing: it slipped.\n\n"
        "00:02.000 --> 00:04.000\nSo here's the thing: we wait.\n"
    )
    assert [(x.speaker, x.text) for x in t.turns] == [
        ("Dana van der Berg", "Here is the thing: it slipped."),
        ("Dana van der Berg", "So here's the thing: we wait."),
    ]


def test_vtt_cue_with_two_voices_shares_its_time():
    t = parse_webvtt("WEBVTT\n\n00:00.000 --> 00:04.000\n<v A>one two three</v>\n<v B>four</v>\n")
    assert [(x.speaker, x.start, x.end) for x in t.turns] == [("A", 0.0, 3.0), ("B", 3.0, 4.0)]


@pytest.mark.parametrize(
    "doc, message",
    [
        ("", "line 1: expected the 'WEBVTT' header"),
        ("Dana: hi\n", "line 1: expected the 'WEBVTT' header"),
        ("WEBVTT\n\n1\n00:00:01.000 -> 00:00:02.000\nA: hi\n",
         "line 4: expected a cue timing 'HH:MM:SS.mmm --> HH:MM:SS.mmm', got '00:00:01.000 -> 00:00:02.000'"),
        ("WEBVTT\n\n00:00:01 --> 00:00:02.000\nA: hi\n",
         "line 3: bad cue timing '00:00:01 --> 00:00:02.000' (expected 'HH:MM:SS.mmm --> HH:MM:SS.mmm')"),
        ("WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nA: hi\n",
         "line 3: cue ends (00:00:02.000) before it starts (00:00:05.000)"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello there\n",
         "line 4: cue has no speaker name (expected 'Name: text' or '<v Name>text</v>')"),
        ("WEBVTT\n\nNOTE nothing else\n", "WebVTT file has no cues with text"),
    ],
)
def test_malformed_vtt_names_the_line(doc, message):
    with pytest.raises(TranscriptFormatError) as e:
        parse_webvtt(doc)
    assert str(e.value) == message


def test_load_transcript_errors(tmp_path: Path):
    with pytest.raises(InputError, match=r"no such file"):
        load_transcript(tmp_path / "missing.json")
    other = tmp_path / "notes.txt"
    other.write_text("just some notes")
    with pytest.raises(TranscriptFormatError) as e:
        load_transcript(other)
    assert str(e.value) == "notes.txt: not a transcript (expected a .json or .vtt file)"


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

VTT_LINES = st.sampled_from([
    "", "WEBVTT", "00:00:01.000 --> 00:00:02.000", "00:03.000 --> 00:01.000", "A: hello there",
    "<v B>hi</v>", "NOTE x", "1", "just text", "00:00:01 --> x", "-->", "Dana: What now?",
])


@settings(max_examples=200, deadline=None)
@given(st.lists(VTT_LINES, max_size=12))
def test_vtt_parser_only_raises_format_errors(lines):
    try:
        t = parse_webvtt("\n".join(lines))
    except TranscriptFormatError as e:
        assert e.message.startswith(("line ", "WebVTT file has no cues")), e.message
    else:
        assert t.turns and all(turn.end >= turn.start for turn in t.turns)


@settings(max_examples=200, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.integers(-5, 50) | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["utterances", "speaker", "start", "end", "text", "roles", "leader", "schema"]),
        children, max_size=5),
    max_leaves=20,
))
def test_json_parser_only_raises_format_errors(doc):
    try:
        t, _ = parse_json_transcript(json.dumps(doc))
    except TranscriptFormatError:
        pass
    else:
        assert t.turns
