"""scripts/eval_diarization.py's word-level speaker attribution error on hand-built input."""

from __future__ import annotations


import pytest
from scripts_loader import load_script

from analysis.types import Segment, Word

@pytest.fixture(scope="module")
def ev():
    return load_script("eval_diarization")


REFERENCE = [("ann", 0.0, 4.0), ("bob", 4.0, 6.0), ("bob", 8.0, 9.0)]
WORDS = [Word(" One", 0.5, 1.0), Word(" two.", 1.0, 1.5), Word(" Three.", 4.2, 4.8), Word(" four.", 5.0, 5.5),
         Word(" Five.", 6.5, 7.0), Word(" Six.", 8.2, 8.8)]


def test_labels_are_mapped_to_the_reference_before_words_are_judged(ev):
    hyp = [Segment("S1", 0.0, 4.0), Segment("S0", 4.0, 6.0), Segment("S0", 8.0, 9.0)]
    assert ev.word_error(REFERENCE, hyp, WORDS) == 0.0  # "Five." lies in no reference speech


def test_a_word_given_to_the_wrong_speaker_counts(ev):
    hyp = [Segment("S0", 0.0, 4.0), Segment("S1", 4.0, 5.0), Segment("S0", 5.0, 6.0), Segment("S1", 8.0, 9.0)]
    assert ev.word_error(REFERENCE, hyp, WORDS) == pytest.approx(1 / 5)
