"""Acts for a whole transcript: split turns into sentences, run the rules, then (with an
encoder) the trained layer on the leader sentences the rules do not decide clearly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from analysis.acts.context import SentenceContext, turn_contexts
from analysis.acts.layer import apply_meaning
from analysis.acts.meaning import MeaningModel, SentenceEncoder, load_meaning_model
from analysis.acts.rules import classify_sentence
from analysis.grow import grow_stage
from analysis.sentences import features, split_turn_timed
from analysis.types import Act, RuleResult, Sentence, Transcript, Turn


# ------------------------------------------------------------------ transcripts
def label_transcript(
    transcript: Transcript,
    leader: str,
    nlp: Any = None,
    *,
    encoder: SentenceEncoder | None = None,
    meaning: MeaningModel | None = None,
    splits: Mapping[int, Sequence[tuple[int, int]]] | None = None,
) -> tuple[Sentence, ...]:
    """Split every turn into sentences and give each exactly one act.

    Times are seconds (from the turn's words, else proportional inside the turn);
    ``index`` numbers sentences across the transcript; ``grow`` is set on leader questions.
    With ``nlp`` (a spaCy Language) turns are parsed once with ``nlp.pipe``. With an
    ``encoder`` (texts -> unit embeddings) the trained layer (``meaning``, default: the
    packaged model) decides the leader sentences whose rule is not clear, in one batch;
    without one the rules alone decide. Each sentence's ``rule`` says what decided it.
    ``splits`` (turn index -> character spans) fixes the sentences of those turns (a
    reviewer's speaker correction keeps the sentences the machine found: analysis.overrides).
    """
    turns = transcript.turns
    ruled = _rule_turns(transcript, leader, nlp, splits or {})
    model = (meaning or load_meaning_model()) if encoder is not None else None
    if model is not None:
        _apply_layer(ruled, encoder, model)
    out: list[Sentence] = []
    for ti, turn_labels in enumerate(ruled):
        out.extend(_sentences(turns[ti], ti, turn_labels, leader, len(out)))
    return tuple(out)


def leader_contexts(transcript: Transcript, leader: str, nlp: Any = None) -> dict[int, list[SentenceContext]]:
    """Turn index -> the rules' contexts of that leader turn's sentences: what the trained
    layer sees (for training it on exactly the inputs it gets at inference)."""
    return {ti: t.contexts for ti, t in enumerate(_rule_turns(transcript, leader, nlp)) if t.contexts}


def _rule_turns(transcript: Transcript, leader: str, nlp: Any,
                splits: Mapping[int, Sequence[tuple[int, int]]] | None = None) -> list[_TurnLabels]:
    turns = transcript.turns
    docs: Iterable[Any] = [None] * len(turns)
    if nlp is not None:
        unused = [p for p in _UNUSED_PIPES if p in nlp.pipe_names]
        docs = nlp.pipe([t.text for t in turns], disable=unused, batch_size=256)
    splits = splits or {}
    return [_rule_turn(turns, ti, doc, leader, splits.get(ti)) for ti, doc in enumerate(docs)]


# Only tags, dependencies and sentence starts are used; skipping these halves the time.
_UNUSED_PIPES = ("ner", "lemmatizer", "attribute_ruler")


@dataclass
class _TurnLabels:
    timed: list[Any]  # TimedSentence
    labels: list[RuleResult]
    contexts: list[SentenceContext]  # leader turns only (else empty)


def _rule_turn(turns: tuple[Turn, ...], ti: int, doc: Any, leader: str,
               offsets: Sequence[tuple[int, int]] | None = None) -> _TurnLabels:
    """The rules' (act, rule) for each sentence of turn ``ti``, and the leader's contexts."""
    turn = turns[ti]
    prev_other = _neighbour(turns, ti, -1, turn.speaker)
    next_other = _neighbour(turns, ti, +1, turn.speaker)
    is_last = ti == len(turns) - 1
    other_holds_floor = turn.overlapped or (prev_other is not None and (next_other is not None or is_last))
    n_words = len(features(turn.text).words)
    prev_text = prev_other.text if prev_other is not None else None
    prev_act: Act | None = None
    timed = split_turn_timed(turn, None, doc, offsets)
    labels: list[RuleResult] = []
    for k, s in enumerate(timed):
        span = doc.char_span(s.char_start, s.char_end, alignment_mode="expand") if doc is not None else None
        labels.append(
            classify_sentence(
                s.text,
                is_leader=turn.speaker == leader,
                other_holds_floor=other_holds_floor,
                turn_word_count=n_words,
                prev_other_text=prev_text,
                doc=span,
                prev_act=prev_act,
                ends_turn=k == len(timed) - 1,
            )
        )
        prev_act = labels[-1].act
    ctxs: list[SentenceContext] = []
    if turn.speaker == leader and timed:
        sents = [(s.text, r.act, r.name) for s, r in zip(timed, labels)]
        ctxs = turn_contexts(sents, turn.text, prev_text, next_other.text if next_other is not None else None)
    return _TurnLabels(timed, labels, ctxs)


def _apply_layer(ruled: list[_TurnLabels], encoder: SentenceEncoder, model: MeaningModel) -> None:
    """Replace the leader labels with the trained layer's, all turns in one batch."""
    ctxs = [c for t in ruled for c in t.contexts]
    new = iter(apply_meaning(ctxs, [r for t in ruled if t.contexts for r in t.labels], encoder, model))
    for t in ruled:
        if t.contexts:
            t.labels = [next(new) for _ in t.contexts]


def _sentences(turn: Turn, ti: int, t: _TurnLabels, leader: str, first_index: int) -> list[Sentence]:
    out: list[Sentence] = []
    for s, rule in zip(t.timed, t.labels):
        grow = grow_stage(s.text) if turn.speaker == leader and rule.act.is_question else None
        out.append(
            Sentence(
                index=first_index + len(out),
                speaker=turn.speaker,
                start=s.start,
                end=s.end,
                text=s.text,
                turn_index=ti,
                act=rule.act,
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
