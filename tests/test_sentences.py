"""Sentence splitting, sentence times and surface features."""

import pytest

from analysis.sentences import features, normalize, split_turn, split_turn_timed, strip_discourse
from analysis.types import Turn, Word


def test_split_on_asr_punctuation():
    assert split_turn("Okay. So what happened? Tell me more!", None) == [
        "Okay.",
        "So what happened?",
        "Tell me more!",
    ]


def test_split_keeps_abbreviations_and_ignores_blank():
    assert split_turn("I spoke to Dr. Smith today.  ", None) == ["I spoke to Dr. Smith today."]
    assert split_turn("   ", None) == []
    assert split_turn("", None) == []


def test_unpunctuated_text_is_one_sentence_without_spacy():
    assert split_turn("okay so what happened next", None) == ["okay so what happened next"]


def test_times_from_words_when_aligned():
    words = (
        Word("Okay.", 10.0, 10.4),
        Word("What", 11.0, 11.2),
        Word("happened?", 11.2, 11.8),
    )
    turn = Turn("A", 10.0, 12.0, "Okay. What happened?", words)
    sents = split_turn_timed(turn)
    assert [(s.text, s.start, s.end) for s in sents] == [
        ("Okay.", 10.0, 10.4),
        ("What happened?", 11.0, 11.8),
    ]


def test_times_proportional_to_characters_without_words():
    turn = Turn("A", 0.0, 10.0, "Aaaa. Bbbb.")  # 11 characters
    first, second = split_turn_timed(turn)
    assert first.start == 0.0 and first.end == pytest.approx(50 / 11)
    assert second.start == pytest.approx(60 / 11) and second.end == pytest.approx(10.0)


def test_times_fall_back_when_words_do_not_match_text():
    turn = Turn("A", 0.0, 4.0, "One. Two.", (Word("zzz", 0.0, 1.0),))
    a, b = split_turn_timed(turn)
    assert (a.start, b.end) == (0.0, 4.0)
    assert a.end <= b.start


def test_normalize_collapses_stutters_and_punctuation():
    assert normalize("I-I th-that's, um, GREAT!") == "i that's um great"
    assert normalize("It’s fine") == "it's fine"
    assert normalize("a-and w-what, I-I-I mean") == "and what i mean"


def test_normalize_keeps_short_words_that_merely_start_the_next_one():
    """A word is a stutter fragment only when hyphen-attached: "we went" and "be best" are speech
    (the old rule dropped "we", "he", "be", "no", "so" before went/helped/best/nothing/something)."""
    for text in ("we went home", "he helped", "it would be best if you called", "no nothing", "so something broke"):
        assert normalize(text) == text


def test_strip_discourse_reports_so():
    assert strip_discourse("okay so you know what happened") == ("what happened", True)
    assert strip_discourse("well tell me") == ("tell me", False)


def test_features_question_mark_and_cut_off():
    assert features("You sent it?").qmark
    assert not features("You sent it.").qmark
    assert features("And then she-").cut_off


@pytest.mark.slow
def test_spacy_splits_unpunctuated_run_on(nlp):
    sents = split_turn("that was a really tough week for the whole team what do you think you could do next", nlp)
    assert len(sents) >= 2
    assert sents[-1].startswith("what")


@pytest.fixture(scope="session")
def nlp():
    from models.nlp import load_nlp

    return load_nlp()


def test_unpunctuated_turn_is_cut_before_an_auxiliary_led_question():
    assert split_turn("i could see you again in a month would that work for you", None) == [
        "i could see you again in a month",
        "would that work for you",
    ]
    # not after a subject or a wh-word, and not in punctuated text
    assert split_turn("and the things you do you know matter a lot", None) == [
        "and the things you do you know matter a lot"
    ]
    assert split_turn("I could see you in a month would that work for you.", None) == [
        "I could see you in a month would that work for you."
    ]


def test_cut_before_wh_subject_question():
    assert split_turn("so when she is at work what happens then", None) == [
        "so when she is at work",
        "what happens then",
    ]
    assert split_turn("that is exactly what happens then", None) == ["that is exactly what happens then"]
