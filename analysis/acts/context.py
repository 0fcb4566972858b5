"""What the trained layer sees of a leader sentence besides its words: its rule result,
its place in the turn and the other person's neighbouring turns (``SentenceContext``).
The same ``turn_contexts`` builds training rows (``scripts/train_acts.py``) and
inference inputs (``analysis.acts.layer``)."""

from __future__ import annotations

from dataclasses import dataclass

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


def turn_contexts(
    sentences: list[tuple[str, Act, str]],
    turn_text: str,
    prev_other: str | None,
    next_other: str | None,
) -> list[SentenceContext]:
    """Contexts for the (text, act, rule) sentences of one turn, in order (the same
    function builds training rows and inference inputs)."""
    qs = [act.is_question for _, act, _ in sentences]
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
        )
        for k, (text, act, rule) in enumerate(sentences)
    ]
