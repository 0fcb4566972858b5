"""GROW coverage: which of Goal, Reality, Options, Will the leader's questions covered,
when each first appeared, the question that covered it, and whether the order was
roughly G -> R -> O -> W (first appearances in order, allowing one swapped pair)."""

from __future__ import annotations

from itertools import combinations

from analysis.evidence import metric, of_sentence
from analysis.units import format_clock
from analysis.floors import Conversation
from analysis.reliability import Signals, reliability
from analysis.results import GrowCoverage, GrowStageCoverage, Measurement
from analysis.types import GrowStage

STAGES = (GrowStage.GOAL, GrowStage.REALITY, GrowStage.OPTIONS, GrowStage.WILL)


def grow_coverage(conv: Conversation) -> GrowCoverage:
    """First leader question per GROW stage (sentences carry ``grow`` from the labeller)."""
    first = {}
    for s in conv.leader_sentences():
        if s.act.is_question and s.grow is not None and s.grow not in first:
            first[s.grow] = s
    stages = tuple(
        GrowStageCoverage(
            stage, stage in first,
            first[stage].start if stage in first else None,
            of_sentence(first[stage], f"{stage.value.capitalize()} question") if stage in first else None,
        )
        for stage in STAGES
    )
    in_order, detail = _order(stages)
    return GrowCoverage(stages, in_order, detail)


def _order(stages: tuple[GrowStageCoverage, ...]) -> tuple[bool, str]:
    covered = [c for c in stages if c.covered]
    if len(covered) < 2:
        n = len(covered)
        return False, f"{n} stage{'' if n == 1 else 's'} covered: too few to judge the order"
    by_time = sorted(covered, key=lambda c: c.first_at or 0.0)
    sequence = ", then ".join(f"{c.stage.value.capitalize()} at {format_clock(c.first_at or 0.0)}" for c in by_time)
    inversions = sum(
        1 for a, b in combinations(covered, 2) if (a.first_at or 0.0) > (b.first_at or 0.0)
    )
    if inversions == 0:
        return True, f"in order: {sequence}"
    if inversions == 1 and len(covered) >= 3:
        return True, f"roughly in order (one stage swapped): {sequence}"
    return False, f"out of order: {sequence}"


def grow_metric(conv: Conversation, sig: Signals, cov: GrowCoverage) -> Measurement:
    covered = [c for c in cov.stages if c.covered]
    return metric(
        "grow_stages_covered", len(covered), reliability(sig, "text"),
        [c.question for c in covered if c.question is not None], cov.order_detail,
    )
