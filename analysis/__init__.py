"""coachscore analysis layer: pure functions from a speaker-attributed transcript to a
Scorecard. Imports only the standard library, numpy and spaCy (loaded by the caller)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from analysis.overrides import Overrides
    from analysis.results import Scorecard
    from analysis.rubric import Rubric
    from analysis.types import Roles, Transcript

__all__ = ["analyze"]


def analyze(
    transcript: "Transcript", roles: "Roles", rubric: "Rubric | None" = None, nlp: Any = None, encoder: Any = None,
    overrides: "Overrides | None" = None,
) -> "Scorecard":
    """Score the leader's coaching in ``transcript``, with a reviewer's ``overrides`` (sentence
    acts and speakers) applied before any metric (see analysis.scorecard.analyze)."""
    from analysis.overrides import NO_OVERRIDES
    from analysis.scorecard import analyze as _analyze

    return _analyze(transcript, roles, rubric, nlp, encoder, overrides or NO_OVERRIDES)
