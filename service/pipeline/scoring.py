"""The scoring half of coachscore, one function for every caller (CLI, job worker, web app):
``score(transcript, choice, names, rubric, nlp, encoder) -> ScoreResult``.

roles (the leader choice, else inferred) -> people's names on the leader/coachee speakers
-> ``analysis.analyze`` with the rubric -> the JSON scorecard and the HTML page. The worker
stores all of the result; PATCH re-runs ``score`` on the stored transcript (no
re-transcription) and replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

from analysis.errors import RubricError
from analysis.overrides import NO_OVERRIDES, Overrides
from analysis.results import Scorecard
from analysis.roles import AUTO, resolve_roles
from analysis.rubric import Rubric
from analysis.types import Roles, Transcript

RUBRIC_SUFFIX = ".toml"  # what analysis.rubric.parse_rubric reads


@dataclass(frozen=True)
class LeaderChoice:
    """Who leads: ``leader`` is a speaker label, name or channel index (None or "auto":
    infer); ``hint`` is the leader a transcript file names (used when inferring)."""

    leader: str | None = None
    hint: str | None = None


@dataclass(frozen=True)
class PeopleNames:
    """Names given for the session's leader and coachee (upload fields, PATCH, CLI)."""

    leader: str | None = None
    coachee: str | None = None


@dataclass(frozen=True)
class ScoreResult:
    """A scored transcript: the Scorecard, its JSON (``coachscore.scorecard/1``) and its
    self-contained HTML page. Scores are 0-100, durations seconds."""

    scorecard: Scorecard
    card_json: dict[str, Any]
    html: str

    @property
    def roles(self) -> Roles:
        return self.scorecard.roles

    @property
    def rubric_id(self) -> str:
        return self.scorecard.score.rubric_id

    @property
    def rubric_version(self) -> str:
        return self.scorecard.score.rubric_version

    @property
    def overall(self) -> float:
        return float(self.scorecard.score.overall)

    @property
    def dimensions(self) -> Mapping[str, float]:
        return {d.key: float(d.score) for d in self.scorecard.score.dimensions}

    @property
    def rescue_count(self) -> int:
        return len(self.scorecard.rescues)

    @property
    def duration_s(self) -> float:
        return float(self.scorecard.duration_s)


def score(
    transcript: Transcript, choice: LeaderChoice, names: PeopleNames, rubric: Rubric, nlp: Any | None,
    encoder: Any | None = None, overrides: Overrides = NO_OVERRIDES,
) -> ScoreResult:
    """Score the leader's coaching in ``transcript``; ``nlp`` is the spaCy pipeline (None:
    regex sentence rules only), ``encoder`` the sentence encoder of the acts' trained layer
    (None: the rules alone judge the acts, and the scorecard says so); ``overrides`` are a
    reviewer's sentence acts and speakers (by sentence index), applied before any metric,
    with who corrected it (on the scorecard). Raises RolesError when ``choice`` names nobody."""
    from analysis import analyze
    from analysis.scorecard import scorecard_to_dict
    from service.render import render_scorecard_html

    named, roles = resolve_with_names(transcript, choice, names)
    sc = analyze(named, roles, rubric=rubric, nlp=nlp, encoder=encoder, overrides=overrides)
    return ScoreResult(sc, scorecard_to_dict(sc), render_scorecard_html(sc))


def resolve_with_names(
    transcript: Transcript, choice: LeaderChoice, names: PeopleNames
) -> tuple[Transcript, Roles]:
    """Roles (a leader name that matches a speaker counts as the leader choice when none was
    given), then the transcript with those names on unnamed leader/coachee speakers."""
    wanted = choice.leader if (choice.leader or "").strip().lower() not in AUTO else None
    if wanted is None and names.leader and any(
        (s.name or "").casefold() == names.leader.casefold() for s in transcript.speakers
    ):
        wanted = names.leader
    roles = resolve_roles(transcript, wanted, choice.hint)
    given = {roles.leader: names.leader, roles.coachee: names.coachee}
    speakers = tuple(
        replace(s, name=given[s.label]) if given.get(s.label) and not s.name else s for s in transcript.speakers
    )
    return replace(transcript, speakers=speakers), roles


def installed_rubric(rubrics_dir: Path, rubric_id: str) -> Path | None:
    """The operator's rubric ``rubric_id`` (``RUBRICS_DIR/ID.toml``), or None when absent.
    Raises RubricError when only a file the parser cannot read (ID.yaml, .yml, .json) is there."""
    path = rubrics_dir / f"{rubric_id}{RUBRIC_SUFFIX}"
    if path.is_file():
        return path
    for other in (".yaml", ".yml", ".json"):
        if (rubrics_dir / f"{rubric_id}{other}").is_file():
            raise RubricError(
                f"rubric {rubric_id!r} is installed as {rubric_id}{other}, but rubrics are TOML "
                f"files: convert it to {rubric_id}{RUBRIC_SUFFIX}"
            )
    return None
