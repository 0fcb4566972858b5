"""The metric registry: every metric's key, label, unit, which way is better, and the
function that computes it. The rubric supplies targets (``Rubric.targets``) and the
scoring thresholds; the target text on the scorecard is written here from both.

Units: "ratio", "share" (0-1), "s" (seconds), "count", "per_10_min".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from analysis.coverage import grow_metric
from analysis.floors import Conversation
from analysis.interruptions import Interruption, interruption_metric
from analysis.question_metrics import question_metrics
from analysis.reliability import Signals
from analysis.rescue import rescue_metrics
from analysis.results import GrowCoverage, Measurement, Metric, RescueMoment
from analysis.timing import monologue_metrics, question_follow_metrics, silence_metrics, talk_share, wait_metrics
from analysis.units import format_metric_value

HIGHER, LOWER = "higher", "lower"  # which way is better; None: neither (context only)


@dataclass(frozen=True)
class Found:
    """What the metric functions read: the conversation, its reliability signals, and
    the interruptions, rescue moments and GROW coverage already found in it."""

    conv: Conversation
    sig: Signals
    interruptions: tuple[Interruption, ...]
    rescues: tuple[RescueMoment, ...]
    grow: GrowCoverage


Compute = Callable[[Found], Sequence[Measurement]]


def _questions(f: Found) -> Sequence[Measurement]:
    return question_metrics(f.conv, f.sig)


def _talk(f: Found) -> Sequence[Measurement]:
    return (talk_share(f.conv, f.sig),)


def _silence(f: Found) -> Sequence[Measurement]:
    return silence_metrics(f.conv, f.sig)


def _wait(f: Found) -> Sequence[Measurement]:
    return wait_metrics(f.conv, f.sig)


def _follow(f: Found) -> Sequence[Measurement]:
    return question_follow_metrics(f.conv, f.sig)


def _monologues(f: Found) -> Sequence[Measurement]:
    return monologue_metrics(f.conv, f.sig)


def _interruptions(f: Found) -> Sequence[Measurement]:
    return (interruption_metric(f.conv, f.sig, f.interruptions),)


def _rescues(f: Found) -> Sequence[Measurement]:
    return rescue_metrics(f.conv, f.sig, f.rescues)


def _grow(f: Found) -> Sequence[Measurement]:
    return (grow_metric(f.conv, f.sig, f.grow),)


@dataclass(frozen=True)
class MetricSpec:
    """One metric: ``compute`` returns its Measurement (with those of its siblings);
    ``most`` is the largest possible value when there is one (GROW stages: 4)."""

    key: str
    label: str
    unit: str
    direction: str | None
    compute: Compute
    most: float | None = None


REGISTRY: tuple[MetricSpec, ...] = (
    MetricSpec("question_statement_ratio", "Questions per statement", "ratio", HIGHER, _questions),
    MetricSpec("open_question_share", "Open-question share", "share", HIGHER, _questions),
    MetricSpec("directive_share", "Advice and leading questions share", "share", LOWER, _questions),
    MetricSpec("leader_backchannels", "Leader backchannels", "count", None, _questions),
    MetricSpec("leader_talk_share", "Leader talk share", "share", LOWER, _talk),
    MetricSpec("total_silence_s", "Total silence", "s", None, _silence),
    MetricSpec("silence_share", "Silence share", "share", None, _silence),
    MetricSpec("longest_silence_s", "Longest silence", "s", None, _silence),
    MetricSpec("wait_time_median_s", "Median wait time after questions", "s", HIGHER, _wait),
    MetricSpec("wait_time_3s_share", "Questions with a wait of 3 s or more", "share", HIGHER, _wait),
    MetricSpec("silence_broken_by_leader", "Silence broken by the leader", "count", LOWER, _follow),
    MetricSpec("stacked_questions", "Stacked questions", "count", LOWER, _follow),
    MetricSpec("longest_leader_monologue_s", "Longest leader monologue", "s", LOWER, _monologues),
    MetricSpec("longest_coachee_story_s", "Longest coachee story", "s", HIGHER, _monologues),
    MetricSpec("interruptions", "Interruptions", "count", LOWER, _interruptions),
    MetricSpec("rescue_count", "Rescue moments", "count", LOWER, _rescues),
    MetricSpec("rescues_per_10_min", "Rescue rate", "per_10_min", LOWER, _rescues),
    MetricSpec("first_rescue_at_s", "First rescue at", "s", None, _rescues),
    MetricSpec("grow_stages_covered", "GROW stages covered", "count", HIGHER, _grow, most=4),
)
SPECS: Mapping[str, MetricSpec] = {s.key: s for s in REGISTRY}


def measure(found: Found, targets: Mapping[str, float]) -> tuple[Metric, ...]:
    """Every registered metric, in registry order; each compute function runs once.
    ``targets`` (the rubric's, by metric key) become the metrics' target text."""
    computed: dict[str, Measurement] = {}
    for spec in REGISTRY:
        if spec.key not in computed:
            computed.update((m.key, m) for m in spec.compute(found))
    unknown = set(computed) - set(SPECS)
    if unknown:
        raise KeyError(f"metrics not in the registry: {sorted(unknown)}")
    return tuple(_metric(spec, computed[spec.key], targets.get(spec.key)) for spec in REGISTRY)


def _metric(spec: MetricSpec, m: Measurement, target: float | None) -> Metric:
    return Metric(spec.key, spec.label, m.value, spec.unit, target_text(spec, target), m.evidence,
                  m.reliability, m.detail)


def target_text(spec: MetricSpec, target: float | None) -> str:
    """The target in words, e.g. "60% or more", "40% or less", "none", "all 4"; "" when
    the rubric sets none (or the metric has no better direction)."""
    if target is None or spec.direction is None:
        return ""
    if spec.direction == LOWER and target == 0:
        return "none"
    if spec.direction == HIGHER and spec.most is not None and target >= spec.most:
        return f"all {spec.most:g}"
    word = "or more" if spec.direction == HIGHER else "or less"
    return f"{_round_number(target, spec.unit)} {word}"


def _round_number(value: float, unit: str) -> str:
    """A target as people write it: 60%, 3 s, 1, 0.5 per 10 min."""
    if unit == "share":
        return format_metric_value(value, unit)
    suffix = {"s": " s", "per_10_min": " per 10 min"}.get(unit, "")
    return f"{value:g}{suffix}"


def meets_target(spec: MetricSpec, value: float | None, target: float | None) -> bool:
    """True when ``value`` is at or beyond ``target`` in the better direction."""
    if value is None or target is None or spec.direction is None:
        return False
    return value >= target if spec.direction == HIGHER else value <= target
