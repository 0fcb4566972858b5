"""Typed records passed between pipeline stages.

All times are seconds on the recording's clock (float, >= 0). Every record is a frozen
dataclass; stages return new records instead of mutating their inputs. This module is the
contract between the audio adapters (``models/``), the analysis layer and the service.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field
from enum import Enum
from typing import Callable, Mapping

TRANSCRIPT_SCHEMA = "coachscore.transcript/1"
SCORECARD_SCHEMA = "coachscore.scorecard/1"

# hook(stage, completed, total): progress of one stage, in the stage's own unit
# (seconds of audio for decode/ASR/diarization, items elsewhere).
ProgressHook = Callable[[str, float, float], None]


def no_progress(stage: str, completed: float, total: float) -> None:
    """Default progress hook: ignore progress."""


# --------------------------------------------------------------------------- audio side


@dataclass(frozen=True)
class Word:
    """One ASR word. ``speaker`` is None when it could not be attributed."""

    text: str
    start: float
    end: float
    probability: float = 1.0
    speaker: str | None = None


@dataclass(frozen=True)
class Segment:
    """A diarization/VAD speech segment: ``speaker`` talks during [start, end)."""

    speaker: str
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Overlap:
    """An interval in which two or more speakers talk at once."""

    start: float
    end: float
    speakers: tuple[str, ...]


@dataclass(frozen=True)
class Speaker:
    """A speaker found in the recording. ``label`` is the stable id ("S0", "S1", or a
    name from a transcript); ``channel`` is set for channel-per-speaker recordings."""

    label: str
    name: str | None = None
    channel: int | None = None


@dataclass(frozen=True)
class Turn:
    """A maximal run of speech by one speaker, ended when another speaker speaks.

    ``source_index`` is the index of the input utterance for utterance-level input.
    ``overlapped`` is True when part of the turn overlaps another speaker's speech.
    """

    speaker: str
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    source_index: int | None = None
    overlapped: bool = False

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class ModelInfo:
    """Which model produced a stage's output (name, version, and free-form details)."""

    name: str
    version: str = ""
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TranscriptMeta:
    """Provenance of a transcript. ``stage_timings_s`` maps stage name -> wall seconds."""

    source: str = "audio"  # "audio" | "json" | "utterances" | "webvtt"
    audio_file: str | None = None
    language: str | None = None
    asr: ModelInfo | None = None
    diarizer: ModelInfo | None = None
    stage_timings_s: Mapping[str, float] = field(default_factory=dict)
    num_channels: int | None = None


@dataclass(frozen=True)
class Transcript:
    """A speaker-attributed transcript, the input of the analysis layer.

    Invariants: words, segments and turns are sorted by start time; every turn's speaker
    is one of ``speakers``' labels; ``duration_s`` >= the last end time. ``segments`` are
    the speech boundaries used for timing metrics (diarization/VAD, not word times);
    for text-only input they are derived from the turns. ``warnings``: plain-English
    notes from transcription that a reader of the transcript should see (e.g. a third
    speaker was found).
    """

    duration_s: float
    speakers: tuple[Speaker, ...]
    turns: tuple[Turn, ...]
    words: tuple[Word, ...] = ()
    segments: tuple[Segment, ...] = ()
    overlaps: tuple[Overlap, ...] = ()
    meta: TranscriptMeta = field(default_factory=TranscriptMeta)
    warnings: tuple[str, ...] = ()

    def speaker_labels(self) -> tuple[str, ...]:
        return tuple(s.label for s in self.speakers)

    def display_name(self, label: str) -> str:
        for s in self.speakers:
            if s.label == label:
                return s.name or s.label
        return label

    def person(self, label: str, roles: "Roles") -> str:
        """How text names a speaker: the name when known, else "the leader",
        "the coachee" or "another speaker" (never a generated label like "S0")."""
        name = self.known_name(label)
        if name is not None:
            return name
        return "the leader" if label == roles.leader else "the coachee" if label == roles.coachee else "another speaker"

    def known_name(self, label: str | None) -> str | None:
        """The person's name, or None when only a generated label ("S0") is known."""
        if label is None:
            return None
        name = self.display_name(label)
        return None if is_generated_label(name) else name


def is_generated_label(label: str) -> bool:
    """True for the speaker labels diarization makes up ("S0", "S1"): not a name."""
    return re.fullmatch(r"S\d+", label) is not None


# --------------------------------------------------------------------------- roles


class Confidence(str, Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True)
class Roles:
    """Who is the leader. ``reason`` says how it was decided (given or inferred)."""

    leader: str
    coachee: str | None
    reason: str
    confidence: Confidence = Confidence.HIGH
    inferred: bool = False

    def swapped(self) -> "Roles":
        if self.coachee is None:
            raise ValueError("cannot swap roles: there is no coachee")
        return Roles(self.coachee, self.leader, "roles swapped by the user", Confidence.HIGH, False)


# --------------------------------------------------------------------------- text side


class Act(str, Enum):
    OPEN_QUESTION = "open_question"
    CLOSED_QUESTION = "closed_question"
    LEADING_QUESTION = "leading_question"
    ADVICE = "advice"
    TAKEOVER = "takeover"
    REFLECTION = "reflection"
    INFORMATION = "information"
    STATEMENT = "statement"
    BACKCHANNEL = "backchannel"

    @property
    def is_question(self) -> bool:
        return self in QUESTION_ACTS

    @property
    def is_statement(self) -> bool:
        return self in STATEMENT_ACTS

    @property
    def label(self) -> str:
        """What a person calls it: "Open question", "Advice"."""
        return _ACT_NOUNS[self][0]

    def counted(self, n: int) -> str:
        """``n`` of this act in words: "1 open question", "2 pieces of advice"."""
        _, one, many = _ACT_NOUNS[self]
        return f"{n} {one if n == 1 else many}"


QUESTION_ACTS = frozenset({Act.OPEN_QUESTION, Act.CLOSED_QUESTION, Act.LEADING_QUESTION})
STATEMENT_ACTS = frozenset(
    {Act.ADVICE, Act.TAKEOVER, Act.REFLECTION, Act.INFORMATION, Act.STATEMENT}
)
RESCUE_ACTS = frozenset({Act.ADVICE, Act.TAKEOVER, Act.LEADING_QUESTION})
_ACT_NOUNS = {  # (label, one, many)
    Act.OPEN_QUESTION: ("Open question", "open question", "open questions"),
    Act.CLOSED_QUESTION: ("Closed question", "closed question", "closed questions"),
    Act.LEADING_QUESTION: ("Leading question", "leading question", "leading questions"),
    Act.ADVICE: ("Advice", "piece of advice", "pieces of advice"),
    Act.TAKEOVER: ("Takeover", "takeover", "takeovers"),
    Act.REFLECTION: ("Reflection", "reflection", "reflections"),
    Act.INFORMATION: ("Information", "piece of information", "pieces of information"),
    Act.STATEMENT: ("Statement", "statement", "statements"),
    Act.BACKCHANNEL: ("Backchannel", "backchannel", "backchannels"),
}


class GrowStage(str, Enum):
    GOAL = "goal"
    REALITY = "reality"
    OPTIONS = "options"
    WILL = "will"


@dataclass(frozen=True)
class RuleResult:
    """What decided a sentence's act (transparency).

    ``name``: the rule (``analysis.acts.rules``), or "model" when the trained layer
    (``analysis.acts.meaning``) decided; ``evidence``: the words (normalised, lower case)
    that triggered the rule, None when the whole sentence is the evidence. For the model:
    ``probability`` is its P(act), ``replaced`` what the rules alone said, and ``nearest``
    the act of most (``nearest_votes``) of the ``nearest_of`` closest labelled prototypes.
    """

    name: str
    act: Act
    evidence: str | None = None
    probability: float | None = None
    replaced: "RuleResult | None" = None
    nearest: Act | None = None
    nearest_votes: int = 0
    nearest_of: int = 0

    @property
    def by_model(self) -> bool:
        return self.name == "model" and self.replaced is not None

    def code(self) -> str:
        """The compact string of the scorecard JSON's ``rule`` field, e.g. "wh_start_open",
        "model:advice p=0.71 near=advice 4/5 (was default_statement)"; the page never shows it."""
        if self.name == "reviewer" and self.replaced is not None:  # analysis.overrides
            return f"reviewer (was {self.replaced.code()})"
        if not self.by_model or self.replaced is None:
            return self.name
        near = f" near={self.nearest.value} {self.nearest_votes}/{self.nearest_of}" if self.nearest else ""
        return f"model:{self.act.value} p={self.probability or 0.0:.2f}{near} (was {self.replaced.code()})"


@dataclass(frozen=True)
class Sentence:
    """One sentence of a turn with its act (every sentence gets exactly one act).

    ``rule`` records what decided the act (transparency);
    ``grow`` is the GROW stage of a leader question, if any.
    """

    index: int
    speaker: str
    start: float
    end: float
    text: str
    turn_index: int
    act: Act
    rule: RuleResult
    source_index: int | None = None
    grow: GrowStage | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start
