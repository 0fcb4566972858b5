"""Hand-built transcripts with labelled sentences for the analysis tests (no NLP)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from analysis.types import Act, Confidence, GrowStage, Roles, RuleResult, Sentence, Speaker, Transcript, Turn

A = Act


@dataclass(frozen=True)
class S:
    """One sentence in a script: text, act, optional GROW stage, optional pause before."""

    text: str
    act: Act = Act.STATEMENT
    grow: GrowStage | None = None
    pause: float = 0.0


@dataclass(frozen=True)
class T:
    """One turn: speaker, sentences, gap before it (negative = overlap), explicit start."""

    speaker: str
    sentences: Sequence[S]
    gap: float = 1.0
    start: float | None = None


def words(text: str) -> int:
    return max(1, len(text.split()))


def build(script: Sequence[T], wps: float = 2.5, names: dict[str, str] | None = None,
          duration: float | None = None) -> tuple[Transcript, tuple[Sentence, ...]]:
    """Times: each sentence lasts words / wps seconds; turns follow with ``gap``."""
    turns: list[Turn] = []
    sentences: list[Sentence] = []
    t = 0.0
    for ti, turn in enumerate(script):
        start = turn.start if turn.start is not None else max(0.0, t + turn.gap) if ti else 0.0
        cur = start
        for s in turn.sentences:
            cur += s.pause
            end = cur + words(s.text) / wps
            sentences.append(Sentence(len(sentences), turn.speaker, cur, end, s.text, ti, s.act,
                                      RuleResult("test", s.act), ti, s.grow))
            cur = end
        turns.append(Turn(turn.speaker, start, cur, " ".join(s.text for s in turn.sentences),
                          source_index=ti))
        t = cur
    labels: list[str] = []
    for turn in turns:
        if turn.speaker not in labels:
            labels.append(turn.speaker)
    names = names or {}
    transcript = Transcript(
        duration_s=max(duration or 0.0, max((x.end for x in turns), default=0.0)),
        speakers=tuple(Speaker(label, names.get(label)) for label in labels),
        turns=tuple(turns),
    )
    return transcript, tuple(sentences)


def roles(leader: str = "L", coachee: str | None = "C") -> Roles:
    return Roles(leader, coachee, "given in test", Confidence.HIGH, False)


_CUE = re.compile(r"\b(don't know|not sure|stuck|keeps|what would you do)\b", re.I)


def fake_cue(text: str) -> str | None:
    m = _CUE.search(text)
    if not m:
        return None
    return {"what would you do": "question"}.get(m.group(1).lower(), "unsure")
