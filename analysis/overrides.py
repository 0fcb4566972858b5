"""A reviewer's corrections of the machine's labels, applied inside the analysis before any
metric is computed: a sentence's act (``Overrides.acts``) or its speaker
(``Overrides.speakers``), by the sentence's ``index`` on the scorecard.

A speaker correction moves the sentence to the other person in the transcript itself: its
turn is split at the sentence's edges and that piece (its words, and its share of the
speech segments) belongs to the new speaker. The transcript is then labelled again, with
the split turns' sentences fixed where the machine found them (so every index stays), and
the floors, talk time and the acts' rules all see the corrected speaker. An act correction then
replaces the act of that sentence (its rule becomes ``reviewer``, keeping what the machine
said in ``RuleResult.replaced``). Pure: nothing here reads or writes anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Mapping, Sequence

from analysis.grow import grow_stage
from analysis.types import Act, RuleResult, Segment, Sentence, Transcript, Turn

REVIEWER_RULE = "reviewer"  # RuleResult.name of an act a reviewer set
Spans = tuple[tuple[int, int], ...]  # character spans of a turn's sentences


@dataclass(frozen=True)
class CorrectionNote:
    """One line of "Corrected by ..." on the scorecard: ``what`` in plain words ("2 sentences
    re-labelled, roles swapped"), ``by`` the reviewer's name, ``at`` when (UTC)."""

    what: str
    by: str
    at: datetime


@dataclass(frozen=True)
class Overrides:
    """Sentence index -> the reviewer's act, and sentence index -> the reviewer's speaker
    label; ``notes`` say who corrected the session and when (shown on the scorecard)."""

    acts: Mapping[int, Act] = field(default_factory=dict)
    speakers: Mapping[int, str] = field(default_factory=dict)
    notes: tuple[CorrectionNote, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.acts or self.speakers or self.notes)


NO_OVERRIDES = Overrides()


@dataclass(frozen=True)
class MachineLabel:
    """What the machine said of a corrected sentence, before the reviewer changed it."""

    index: int
    act: Act
    speaker: str


@dataclass(frozen=True)
class Reattributed:
    """A transcript with sentences moved to another speaker, and where the sentences of its
    new (split) turns are: turn index -> character spans, for ``label_transcript(splits=)``
    so that labelling it again finds exactly the machine's sentences."""

    transcript: Transcript
    splits: Mapping[int, Spans]


def reattribute(transcript: Transcript, sentences: Sequence[Sentence], speakers: Mapping[int, str]) -> Reattributed:
    """``transcript`` with each sentence of ``speakers`` (index -> speaker label) spoken by
    that speaker: its turn is split where the speaker changes, its words and the speech
    segments in its time span go to the new speaker. Unknown labels and indices are ignored."""
    known = set(transcript.speaker_labels())
    wanted = {i: who for i, who in speakers.items() if who in known}
    by_turn: dict[int, list[Sentence]] = {}
    for s in sentences:
        by_turn.setdefault(s.turn_index, []).append(s)
    turns: list[Turn] = []
    splits: dict[int, Spans] = {}
    moved: list[Segment] = []  # (new speaker, span) pieces taken from the old speaker
    for ti, turn in enumerate(transcript.turns):
        said = sorted(by_turn.get(ti, ()), key=lambda s: s.index)
        if not any(wanted.get(s.index, turn.speaker) != turn.speaker for s in said):
            turns.append(turn)
            continue
        for piece, spans in _split(turn, said, wanted):
            splits[len(turns)] = spans
            turns.append(piece)
            if piece.speaker != turn.speaker:
                moved.append(Segment(piece.speaker, piece.start, piece.end))
    segments = _carve(transcript.segments, moved) if transcript.segments else ()
    words = tuple(sorted((w for t in turns for w in t.words), key=lambda w: w.start))
    return Reattributed(replace(transcript, turns=tuple(turns), segments=segments,
                                words=words if transcript.words else transcript.words), splits)


def _split(turn: Turn, said: list[Sentence], wanted: Mapping[int, str]) -> list[tuple[Turn, Spans]]:
    """``turn`` cut into runs of consecutive sentences with the same (corrected) speaker,
    each with the character spans of its sentences."""
    runs: list[tuple[str, list[Sentence]]] = []
    for s in said:
        who = wanted.get(s.index, turn.speaker)
        if runs and runs[-1][0] == who:
            runs[-1][1].append(s)
        else:
            runs.append((who, [s]))
    edges = [turn.start, *(run[0].start for _, run in runs[1:]), turn.end]
    out = []
    for k, (who, run) in enumerate(runs):
        a, b = edges[k], max(edges[k + 1], edges[k])
        last = k == len(runs) - 1
        words = tuple(replace(w, speaker=who) for w in turn.words if a <= w.start and (last or w.start < b))
        spans, at = [], 0
        for s in run:
            spans.append((at, at + len(s.text)))
            at += len(s.text) + 1
        text = " ".join(s.text for s in run)
        out.append((Turn(who, a, b, text, words, turn.source_index, turn.overlapped), tuple(spans)))
    return out


def _carve(segments: Sequence[Segment], moved: Sequence[Segment]) -> tuple[Segment, ...]:
    """Speech segments with each ``moved`` span cut out of everyone else's segments and
    given to the moved piece's speaker."""
    out = list(segments)
    for m in moved:
        kept: list[Segment] = []
        for g in out:
            if g.end <= m.start or g.start >= m.end or g.speaker == m.speaker:
                kept.append(g)
                continue
            if g.start < m.start:
                kept.append(Segment(g.speaker, g.start, m.start))
            if g.end > m.end:
                kept.append(Segment(g.speaker, m.end, g.end))
        out = kept + [m] if m.end > m.start else kept
    return tuple(sorted(out, key=lambda g: (g.start, g.end)))


def relabel(sentences: Sequence[Sentence], acts: Mapping[int, Act], leader: str) -> tuple[Sentence, ...]:
    """``sentences`` with the reviewer's act on each index of ``acts`` (rule ``reviewer``,
    the machine's rule kept as ``replaced``; a leader question gets its GROW stage)."""
    out = []
    for s in sentences:
        act = acts.get(s.index)
        if act is None:
            out.append(s)
            continue
        grow = grow_stage(s.text) if s.speaker == leader and act.is_question else None
        out.append(replace(s, act=act, rule=RuleResult(REVIEWER_RULE, act, replaced=s.rule), grow=grow))
    return tuple(out)


def machine_labels(before: Sequence[Sentence], overrides: Overrides) -> tuple[MachineLabel, ...]:
    """The machine's act and speaker of every sentence the reviewer corrected."""
    touched = set(overrides.acts) | set(overrides.speakers)
    return tuple(MachineLabel(s.index, s.act, s.speaker) for s in before if s.index in touched)
