"""Roles: explicit leader (label, name, channel), inference with reason/confidence."""

import pytest

from analysis.errors import RolesError
from analysis.roles import resolve_roles
from analysis.types import Confidence, Speaker, Transcript, Turn


def transcript(turns, speakers=None):
    turns = tuple(Turn(s, a, b, text) for s, a, b, text in turns)
    labels = []
    for t in turns:
        if t.speaker not in labels:
            labels.append(t.speaker)
    return Transcript(
        duration_s=max(t.end for t in turns),
        speakers=speakers or tuple(Speaker(label) for label in labels),
        turns=turns,
    )


COACHING = [
    ("S0", 0, 3, "Hi. What would you like to work on?"),
    ("S1", 4, 12, "The handover. It keeps slipping."),
    ("S0", 13, 15, "What have you tried?"),
    ("S1", 16, 25, "Emails, mostly."),
    ("S0", 26, 28, "How did that go? What else could you do?"),
    ("S1", 29, 40, "Maybe a meeting."),
    ("S0", 41, 43, "What will you do first?"),
]


def test_leader_by_label_name_and_channel():
    speakers = (Speaker("S0", "Dana Lee", 0), Speaker("S1", "Sam", 1))
    t = transcript(COACHING, speakers)
    assert resolve_roles(t, "S1").leader == "S1"
    by_name = resolve_roles(t, "dana lee")
    assert (by_name.leader, by_name.coachee, by_name.inferred) == ("S0", "S1", False)
    assert by_name.reason == "leader given as 'dana lee'"
    assert resolve_roles(t, "1").leader == "S1"


def test_unknown_leader_lists_the_speakers():
    t = transcript(COACHING, (Speaker("S0", "Dana", 0), Speaker("S1")))
    with pytest.raises(RolesError) as e:
        resolve_roles(t, "Pat")
    assert str(e.value) == (
        "leader 'Pat' is not a speaker in this transcript "
        "(speakers: 'S0' (name 'Dana', channel 0), 'S1')"
    )


def test_inferred_leader_asks_most_questions():
    roles = resolve_roles(transcript(COACHING), "auto")
    assert (roles.leader, roles.coachee, roles.inferred) == ("S0", "S1", True)
    assert roles.confidence is Confidence.HIGH
    assert roles.reason == "inferred: S0 asks the most questions (5 of 5)"


def test_hint_from_the_file_wins_over_inference():
    roles = resolve_roles(transcript(COACHING), None, hint="S1")
    assert roles.leader == "S1"
    assert roles.reason == "leader named in the transcript file (S1)"


def test_hint_naming_nobody_says_it_came_from_the_file():
    with pytest.raises(RolesError) as e:
        resolve_roles(transcript(COACHING), "auto", hint="Pat")
    assert str(e.value) == (
        "the transcript file's roles.leader: leader 'Pat' is not a speaker in this transcript "
        "(speakers: 'S0', 'S1')"
    )


def test_close_call_has_low_confidence_and_first_speaker_wins_a_full_tie():
    t = transcript([("A", 0, 2, "Is it done?"), ("B", 3, 5, "Is it?"), ("A", 6, 7, "Yes.")])
    roles = resolve_roles(t, None)
    assert (roles.leader, roles.coachee, roles.confidence) == ("A", "B", Confidence.LOW)
    assert roles.reason == (
        "inferred: a close call: A and B ask as many questions (1 each) and as many open "
        "questions (0 each); A speaks first, so is taken as the leader"
    )


def test_a_tie_in_questions_goes_to_more_distinct_open_questions_not_to_who_spoke_first():
    speakers = (Speaker("S0", "Sam"), Speaker("S1", "Dana"))
    t = transcript([
        ("S0", 0, 3, "Can I ask something? Is the deadline fixed?"),  # two closed questions
        ("S1", 4, 8, "What makes it feel fixed to you? Is that right?"),  # one open, one closed
        ("S0", 9, 12, "It is. Does that help?"),
        ("S1", 13, 18, "How would you like it to go?"),
    ], speakers)
    roles = resolve_roles(t, "auto")
    assert (roles.leader, roles.coachee, roles.confidence) == ("S1", "S0", Confidence.LOW)
    assert roles.reason == (
        "inferred: a close call: Dana and Sam ask as many questions (3 each); Dana asks more "
        "open questions (2 to 0), so is taken as the leader"
    )
    assert "S0" not in roles.reason and "S1" not in roles.reason


def test_the_same_open_question_asked_again_counts_once_in_a_tie():
    t = transcript([
        ("A", 0, 2, "What do you think?"), ("B", 3, 5, "What would help most here?"),
        ("A", 6, 8, "What do you think?"), ("B", 9, 11, "How did the last one go?"),
        ("A", 12, 14, "What do you think?"), ("B", 15, 17, "Is that fair?"),
    ])
    roles = resolve_roles(t, None)
    assert roles.leader == "B" and roles.confidence is Confidence.LOW
    assert "B asks more open questions (2 to 1)" in roles.reason


def test_more_questions_still_win_over_more_open_questions():
    t = transcript([
        ("A", 0, 2, "Is it done? Is it late? Is it yours?"),
        ("B", 3, 6, "What happened? How do you feel about it?"),
    ])
    roles = resolve_roles(t, None)
    assert roles.leader == "A"
    assert roles.reason == "inferred: A asks the most questions (3 of 5)"


def test_no_questions_at_all():
    t = transcript([("A", 0, 2, "Hello."), ("B", 3, 5, "Hi.")])
    roles = resolve_roles(t, "auto")
    assert roles.leader == "A" and roles.confidence is Confidence.LOW
    assert roles.reason == "inferred: nobody asks questions; A speaks first"


def test_one_speaker_only():
    t = transcript([("A", 0, 60, "Let me tell you how I run my team.")])
    roles = resolve_roles(t, None)
    assert (roles.leader, roles.coachee, roles.confidence) == ("A", None, Confidence.LOW)
    assert "only one speaker" in roles.reason
    given = resolve_roles(t, "A")
    assert given.coachee is None and "no coachee" in given.reason
    with pytest.raises(ValueError, match="no coachee"):
        given.swapped()


def test_three_speakers_pick_the_longest_other_as_coachee():
    t = transcript([
        ("A", 0, 2, "What is going on?"), ("B", 3, 30, "A long story."),
        ("C", 31, 33, "Agreed."), ("A", 34, 36, "What else?"),
    ])
    roles = resolve_roles(t, "A")
    assert (roles.leader, roles.coachee) == ("A", "B")
    assert roles.confidence is Confidence.MEDIUM
    assert "3 speakers" in roles.reason


def test_swapping_roles():
    roles = resolve_roles(transcript(COACHING), "S0").swapped()
    assert (roles.leader, roles.coachee) == ("S1", "S0")
