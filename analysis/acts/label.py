"""Acts for a whole transcript: split turns into sentences, run the rules, then the
trained layer on leader sentences."""

from __future__ import annotations

from typing import Any, Iterable

from analysis.acts.layer import model_layer
from analysis.acts.model import ActsModel, load_model, turn_contexts
from analysis.acts.rules import classify_sentence
from analysis.grow import grow_stage
from analysis.sentences import features, split_turn_timed
from analysis.types import Act, Sentence, Transcript, Turn


# ------------------------------------------------------------------ transcripts
def label_transcript(
    transcript: Transcript, leader: str, nlp: Any = None, *, use_model: bool = True
) -> tuple[Sentence, ...]:
    """Split every turn into sentences and give each exactly one act.

    Times are seconds (from the turn's words, else proportional inside the turn);
    ``index`` numbers sentences across the transcript; ``grow`` is set on leader questions.
    With ``nlp`` (a spaCy Language) turns are parsed once with ``nlp.pipe``. With
    ``use_model`` (and the packaged model file present) the trained layer of
    ``analysis.acts.model`` may flip question/non-question and open/closed on leader
    sentences whose rule is not strong; the flip is recorded in ``rule`` ("model:...").
    """
    turns = transcript.turns
    docs: Iterable[Any] = [None] * len(turns)
    if nlp is not None:
        unused = [p for p in _UNUSED_PIPES if p in nlp.pipe_names]
        docs = nlp.pipe([t.text for t in turns], disable=unused, batch_size=256)
    model = load_model() if use_model else None
    out: list[Sentence] = []
    for ti, (turn, doc) in enumerate(zip(turns, docs)):
        out.extend(_label_turn(turns, ti, turn, doc, leader, len(out), model))
    return tuple(out)


# Only tags, dependencies and sentence starts are used; skipping these halves the time.
_UNUSED_PIPES = ("ner", "lemmatizer", "attribute_ruler")


def _label_turn(
    turns: tuple[Turn, ...], ti: int, turn: Turn, doc: Any, leader: str, first_index: int,
    model: ActsModel | None = None,
) -> list[Sentence]:
    is_leader = turn.speaker == leader
    prev_other = _neighbour(turns, ti, -1, turn.speaker)
    next_other = _neighbour(turns, ti, +1, turn.speaker)
    is_last = ti == len(turns) - 1
    other_holds_floor = turn.overlapped or (prev_other is not None and (next_other is not None or is_last))
    n_words = len(features(turn.text).words)
    prev_text = prev_other.text if prev_other is not None else None
    prev_act: Act | None = None
    timed = split_turn_timed(turn, None, doc)
    spans = [
        doc.char_span(s.char_start, s.char_end, alignment_mode="expand") if doc is not None else None for s in timed
    ]
    labels: list[tuple[Act, str]] = []
    for k, (s, span) in enumerate(zip(timed, spans)):
        labels.append(
            classify_sentence(
                s.text,
                is_leader=is_leader,
                other_holds_floor=other_holds_floor,
                turn_word_count=n_words,
                prev_other_text=prev_text,
                doc=span,
                prev_act=prev_act,
                ends_turn=k == len(timed) - 1,
            )
        )
        prev_act = labels[-1][0]
    if is_leader and model is not None and timed:
        sents = [(s.text, a, r) for s, (a, r) in zip(timed, labels)]
        ctxs = turn_contexts(sents, turn.text, prev_text, next_other.text if next_other is not None else None)
        labels = [model_layer(c, span, model) for c, span in zip(ctxs, spans)]
    out: list[Sentence] = []
    for s, (act, rule) in zip(timed, labels):
        grow = grow_stage(s.text) if is_leader and act.is_question else None
        out.append(
            Sentence(
                index=first_index + len(out),
                speaker=turn.speaker,
                start=s.start,
                end=s.end,
                text=s.text,
                turn_index=ti,
                act=act,
                rule=rule,
                source_index=turn.source_index,
                grow=grow,
            )
        )
    return out


def _neighbour(turns: tuple[Turn, ...], ti: int, step: int, speaker: str) -> Turn | None:
    """The adjacent turn (ti+step) if it is by another speaker."""
    j = ti + step
    if 0 <= j < len(turns) and turns[j].speaker != speaker:
        return turns[j]
    return None
