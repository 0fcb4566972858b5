"""Typed results of the analysis layer: metrics with evidence, rescue moments, GROW,
rubric scores and the Scorecard. Times are seconds on the recording's clock."""

from __future__ import annotations

from dataclasses import dataclass, field

from analysis.overrides import CorrectionNote, MachineLabel
from analysis.types import Act, Confidence, GrowStage, Roles, Sentence


@dataclass(frozen=True)
class Evidence:
    """A quoted, timestamped piece of the transcript that supports a metric."""

    start: float
    end: float
    speaker: str
    text: str
    note: str = ""
    sentence_index: int | None = None


@dataclass(frozen=True)
class Reliability:
    """Confidence of a metric (or the whole scorecard) with the reasons for it."""

    confidence: Confidence
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measurement:
    """A metric's value as a metric function computes it; the registry
    (``analysis.metrics``) adds its label, unit and the rubric's target."""

    key: str
    value: float | None
    reliability: Reliability
    evidence: tuple[Evidence, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class Metric:
    """One measured value. ``value`` is None when it is undefined for this recording
    (e.g. open-question share with no questions); ``target`` is human-readable."""

    key: str
    label: str
    value: float | None
    unit: str  # "ratio" | "share" | "s" | "count" | "per_10_min"
    target: str = ""
    evidence: tuple[Evidence, ...] = ()
    reliability: Reliability = field(default_factory=lambda: Reliability(Confidence.HIGH))
    detail: str = ""


@dataclass(frozen=True)
class RescueMoment:
    """The leader gave advice, a leading question or took over instead of letting the
    coachee think. ``severity`` is 1 (mild) to 3 (severe)."""

    time: float
    kind: Act  # ADVICE | TAKEOVER | LEADING_QUESTION
    cue: Evidence | None  # the coachee's problem/hesitation (None when it interrupts)
    response: Evidence
    severity: int
    severity_reasons: tuple[str, ...]
    interrupted: bool
    alternative: str


@dataclass(frozen=True)
class GrowStageCoverage:
    stage: GrowStage
    covered: bool
    first_at: float | None
    question: Evidence | None


@dataclass(frozen=True)
class GrowCoverage:
    stages: tuple[GrowStageCoverage, ...]
    in_order: bool
    order_detail: str


@dataclass(frozen=True)
class DimensionScore:
    """One rubric dimension scored 0-100 from one metric."""

    key: str
    label: str
    metric_key: str
    metric_value: float | None
    score: float
    weight: float
    gap: float  # weighted distance from full marks, used to pick the focus behaviour
    explanation: str


@dataclass(frozen=True)
class Score:
    overall: float
    dimensions: tuple[DimensionScore, ...]
    rubric_id: str
    rubric_version: str


@dataclass(frozen=True)
class Moment:
    """A highlighted moment (best question, redo moment) with an optional alternative.
    ``at``: when the leader's part of it starts (seconds); ``metric``: the metric whose
    problem it shows (a rescue: "rescues_per_10_min"), "" for none."""

    title: str
    evidence: tuple[Evidence, ...]
    explanation: str
    alternative: str | None = None
    at: float | None = None
    metric: str = ""


@dataclass(frozen=True)
class DebriefPrompt:
    question: str
    prefill: str | None = None


@dataclass(frozen=True)
class Scorecard:
    """Everything the JSON and HTML scorecards show. Built by ``analysis.analyze``."""

    schema: str
    roles: Roles
    duration_s: float
    speakers: tuple[tuple[str, str], ...]  # (label, display name)
    reliability: Reliability
    score: Score
    metrics: tuple[Metric, ...]
    sentences: tuple[Sentence, ...]
    rescues: tuple[RescueMoment, ...]
    grow: GrowCoverage
    best_question: Moment | None
    redo_moment: Moment | None
    focus: str
    debrief: tuple[DebriefPrompt, ...]
    timeline: tuple[tuple[str, float, float], ...]  # (speaker, start, end) speech segments
    generated_by: str = "coachscore"
    silences: tuple[tuple[float, float], ...] = ()  # (start, end) gaps between anyone's speech
    corrections: tuple[CorrectionNote, ...] = ()  # who corrected the machine's labels, and when
    machine_labels: tuple[MachineLabel, ...] = ()  # what the machine said of each corrected sentence

    def metric(self, key: str) -> Metric:
        for m in self.metrics:
            if m.key == key:
                return m
        raise KeyError(key)
