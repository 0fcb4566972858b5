"""What the trained layer sees of a leader sentence besides its words: its rule result,
its place in the turn and the other person's neighbouring turns (``SentenceContext``).
The same ``turn_contexts`` builds training rows (``scripts/train_acts.py``) and
inference inputs (``analysis.acts.layer``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from analysis.acts.linguistic import ling_features
from analysis.types import Act


@dataclass(frozen=True)
class SentenceContext:
    """A leader sentence with what the layer may look at: its rule result, its place in
    the turn, and the neighbouring turns of the other person (None when absent)."""

    text: str
    act: Act
    rule: str
    position: int  # 0-based index of the sentence in its turn
    n_sentences: int
    turn_text: str
    question_before: bool  # an earlier sentence of the same turn is a rule question
    question_after: bool  # a later one is
    prev_other: str | None = None
    next_other: str | None = None
    # analysis.acts.linguistic features of the sentence (from its spaCy span when parsed)
    ling: np.ndarray | None = field(default=None, compare=False, repr=False)


def turn_contexts(
    sentences: list[tuple[str, Act, str]],
    turn_text: str,
    prev_other: str | None,
    next_other: str | None,
    spans: Sequence[Any] | None = None,
) -> list[SentenceContext]:
    """Contexts for the (text, act, rule) sentences of one turn, in order (the same
    function builds training rows and inference inputs); ``spans`` their spaCy spans."""
    qs = [act.is_question for _, act, _ in sentences]
    spans = spans if spans is not None else [None] * len(sentences)
    return [
        SentenceContext(
            text=text,
            act=act,
            rule=rule,
            position=k,
            n_sentences=len(sentences),
            turn_text=turn_text,
            question_before=any(qs[:k]),
            question_after=any(qs[k + 1:]),
            prev_other=prev_other,
            next_other=next_other,
            ling=ling_features(spans[k], text, k > 0 and qs[k - 1]),
        )
        for k, (text, act, rule) in enumerate(sentences)
    ]
