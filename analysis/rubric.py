"""Rubrics: versioned TOML files that map metrics to 0-100 scores (thresholds, weights,
wording). ``load_rubric`` validates and names the bad field; ``score`` applies one."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, Sequence

from analysis.errors import RubricError
from analysis.metrics import SPECS, meets_target
from analysis.results import DimensionScore, Metric, Moment, Score
from analysis.units import format_clock, format_metric_value

DEFAULT_RUBRIC = "rubric-default.toml"
DEFAULT_MIN_SPEECH_S = 20.0  # [limits] min_speech_s when a rubric does not say
MAX_MIN_SPEECH_S = 3600.0


@dataclass(frozen=True)
class Criterion:
    """One metric mapped to 0-100 through (metric value, score) points."""

    metric: str
    thresholds: tuple[tuple[float, float], ...]  # (metric value, score 0-100), ascending
    if_missing: float = 0.0

    def score(self, value: float | None) -> float:
        """Piecewise-linear score in [0, 100]; ``if_missing`` when value is None."""
        if value is None:
            return self.if_missing
        pts = self.thresholds
        if value <= pts[0][0]:
            return pts[0][1]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            if value <= x1:
                return y0 + (y1 - y0) * (value - x0) / (x1 - x0) if x1 > x0 else y1
        return pts[-1][1]


@dataclass(frozen=True)
class Dimension:
    """A rubric dimension: its main metric (``metric``/``thresholds``) and optional
    ``also`` criteria; the dimension's score is the mean of its criteria's scores."""

    key: str
    label: str
    metric: str
    weight: float
    thresholds: tuple[tuple[float, float], ...]
    if_missing: float
    focus: str
    also: tuple[Criterion, ...] = ()
    focus_moment: str = ""  # the focus, told with the redo moment when it shows this dimension

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return (Criterion(self.metric, self.thresholds, self.if_missing), *self.also)

    def score(self, value: float | None) -> float:
        """Score of the main metric alone (see ``Criterion.score``)."""
        return self.criteria[0].score(value)


@dataclass(frozen=True)
class Rubric:
    """``targets``: the value each metric should reach (by metric key; which way is
    better comes from the metric registry), shown on the scorecard. ``min_speech_s``
    (table ``limits``): the seconds of speech in all a recording needs to be scored."""

    id: str
    version: str
    title: str
    dimensions: tuple[Dimension, ...]
    targets: Mapping[str, float] = field(default_factory=dict)
    min_speech_s: float = DEFAULT_MIN_SPEECH_S  # [limits]: less speech than this, no scorecard (0: off)


def load_rubric(path: Path | None = None) -> Rubric:
    """Load and validate a rubric TOML file (None = the bundled default, read once)."""
    if path is None:
        return _default_rubric()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise RubricError(f"rubric {path}: cannot read the file ({e.strerror or e})") from e
    return parse_rubric(text, str(path))


@lru_cache(maxsize=1)
def _default_rubric() -> Rubric:
    text = resources.files("analysis.data").joinpath(DEFAULT_RUBRIC).read_text("utf-8")
    return parse_rubric(text, DEFAULT_RUBRIC)


def parse_rubric(text: str, name: str = "rubric") -> Rubric:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RubricError(f"rubric {name}: invalid TOML ({e})") from e
    dims = data.get("dimensions")
    if not isinstance(dims, list) or not dims:
        raise RubricError(f"rubric {name}: field 'dimensions' must be a non-empty list of tables")
    dimensions = tuple(_dimension(d, f"dimensions[{i}]", name) for i, d in enumerate(dims))
    keys = [d.key for d in dimensions]
    for i, k in enumerate(keys):
        if k in keys[:i]:
            raise RubricError(f"rubric {name}: field 'dimensions[{i}].key': duplicate key {k!r}")
    rubric = Rubric(_text(data, "id", name), _text(data, "version", name),
                    str(data.get("title", "")), dimensions, _targets(data.get("targets", {}), name),
                    _min_speech_s(data.get("limits", {}), name))
    _check_full_marks(rubric, name)
    return rubric


def _targets(d: Any, name: str) -> dict[str, float]:
    if not isinstance(d, Mapping):
        raise RubricError(f"rubric {name}: field 'targets' must be a table of metric = value")
    for key, value in d.items():
        _known_metric(key, f"targets.{key}", name)
        if not _is_number(value):
            raise RubricError(f"rubric {name}: field 'targets.{key}' must be a number, got {value!r}")
    return {k: float(v) for k, v in d.items()}


def _min_speech_s(d: Any, name: str) -> float:
    """``[limits] min_speech_s``: seconds, 0 to 3600 (0 turns the check off)."""
    if not isinstance(d, Mapping):
        raise RubricError(f"rubric {name}: field 'limits' must be a table (min_speech_s = seconds)")
    for key in d:
        if key != "min_speech_s":
            raise RubricError(f"rubric {name}: field 'limits.{key}' is not a known limit (known: min_speech_s)")
    value = d.get("min_speech_s", DEFAULT_MIN_SPEECH_S)
    if not _is_number(value) or not 0 <= value <= MAX_MIN_SPEECH_S:
        raise RubricError(
            f"rubric {name}: field 'limits.min_speech_s' must be seconds from 0 to {MAX_MIN_SPEECH_S:g}, got {value!r}"
        )
    return float(value)


def _known_metric(metric: str, where: str, name: str) -> None:
    if metric not in SPECS:
        raise RubricError(
            f"rubric {name}: field {where!r}: unknown metric {metric!r} (known: {', '.join(sorted(SPECS))})"
        )


def _text(d: Mapping[str, Any], key: str, name: str, where: str = "") -> str:
    value = d.get(key)
    field = f"{where}.{key}" if where else key
    if isinstance(value, (int, float)) and not isinstance(value, bool) and key == "version":
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise RubricError(f"rubric {name}: field {field!r} must be a non-empty string")
    return value.strip()


def _dimension(d: Any, where: str, name: str) -> Dimension:
    if not isinstance(d, Mapping):
        raise RubricError(f"rubric {name}: field {where!r} must be a table")
    main = _criterion(d, where, name)
    weight = d.get("weight")
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
        raise RubricError(f"rubric {name}: field '{where}.weight' must be a number > 0, got {weight!r}")
    also = d.get("also", [])
    if not isinstance(also, list):
        raise RubricError(f"rubric {name}: field '{where}.also' must be a list of tables")
    return Dimension(
        key=_text(d, "key", name, where), label=_text(d, "label", name, where),
        metric=main.metric, weight=float(weight), thresholds=main.thresholds,
        if_missing=main.if_missing, focus=_wording(d, "focus", name, where),
        also=tuple(_criterion(c, f"{where}.also[{i}]", name) for i, c in enumerate(also)),
        focus_moment=_wording(d, "focus_moment", name, where) if "focus_moment" in d else "",
    )


FOCUS_FIELDS = ("coachee", "time", "alternative")  # the {placeholders} focus texts may use


def _wording(d: Mapping[str, Any], key: str, name: str, where: str) -> str:
    text = _text(d, key, name, where)
    try:
        text.format(**{f: f for f in FOCUS_FIELDS})
    except (KeyError, IndexError, ValueError) as e:
        raise RubricError(
            f"rubric {name}: field '{where}.{key}': unknown placeholder {e} "
            f"(allowed: {', '.join('{' + f + '}' for f in FOCUS_FIELDS)})"
        ) from e
    return text


def _check_full_marks(r: Rubric, name: str) -> None:
    """Meeting a target gives full marks: every criterion whose metric has a target
    scores 100 at the target and at each threshold beyond it in the better direction."""
    for i, d in enumerate(r.dimensions):
        for j, c in enumerate(d.criteria):
            target, spec = r.targets.get(c.metric), SPECS[c.metric]
            if target is None or spec.direction is None:
                continue
            beyond = [x for x, _ in c.thresholds if meets_target(spec, x, target)]
            if any(c.score(x) < 100 for x in [target, *beyond]):
                where = f"dimensions[{i}]" + (f".also[{j - 1}]" if j else "")
                raise RubricError(
                    f"rubric {name}: field '{where}.thresholds' must score 100 at the target of "
                    f"{c.metric} ({target:g}) and beyond it"
                )


def _criterion(d: Any, where: str, name: str) -> Criterion:
    if not isinstance(d, Mapping):
        raise RubricError(f"rubric {name}: field {where!r} must be a table")
    metric = _text(d, "metric", name, where)
    _known_metric(metric, f"{where}.metric", name)
    missing = d.get("if_missing", 0)
    if not _is_score(missing):
        raise RubricError(f"rubric {name}: field '{where}.if_missing' must be a score 0-100, got {missing!r}")
    return Criterion(metric, _thresholds(d.get("thresholds"), f"{where}.thresholds", name), float(missing))


def _thresholds(pts: Any, where: str, name: str) -> tuple[tuple[float, float], ...]:
    if not isinstance(pts, list) or len(pts) < 2:
        raise RubricError(f"rubric {name}: field {where!r} must list at least 2 [value, score] pairs")
    out = []
    for i, p in enumerate(pts):
        ok = isinstance(p, list) and len(p) == 2 and _is_number(p[0]) and _is_score(p[1])
        if not ok:
            raise RubricError(
                f"rubric {name}: field '{where}[{i}]' must be [value, score] with score 0-100, got {p!r}"
            )
        if out and p[0] < out[-1][0]:
            raise RubricError(f"rubric {name}: field '{where}[{i}]': values must be ascending")
        out.append((float(p[0]), float(p[1])))
    return tuple(out)


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _is_score(x: Any) -> bool:
    return _is_number(x) and 0 <= x <= 100


def score(rubric: Rubric, metrics: Sequence[Metric]) -> Score:
    """Score every dimension from its metric; overall = weighted mean (0-100)."""
    values = {m.key: m for m in metrics}
    dims = []
    for d in rubric.dimensions:
        parts = [_criterion_score(c, values.get(c.metric)) for c in d.criteria]
        s = round(sum(p[0] for p in parts) / len(parts), 1)
        explanation = "; ".join(p[1] for p in parts)
        if len(parts) > 1:
            explanation += f"; the dimension scores their mean, {s:.0f}/100"
        main = values.get(d.metric)
        dims.append(DimensionScore(
            d.key, d.label, d.metric, main.value if main else None, s, d.weight,
            round(d.weight * (100 - s) / 100, 3), explanation,
        ))
    total = sum(d.weight for d in dims)
    overall = sum(d.weight * d.score for d in dims) / total
    return Score(round(overall, 1), tuple(dims), rubric.id, rubric.version)


def _criterion_score(c: Criterion, m: Metric | None) -> tuple[float, str]:
    """The criterion's score and its explanation in words ("Leader talk share 53%
    (target 40% or less): 53/100")."""
    value = m.value if m is not None else None
    s = c.score(value)
    spec = SPECS[c.metric]
    shown = "not measured" if value is None else format_metric_value(value, spec.unit)
    target = f" (target {m.target})" if m is not None and m.target else ""
    return s, f"{spec.label} {shown}{target}: {s:.0f}/100"


def focus_behaviour(rubric: Rubric, result: Score, moment: Moment | None = None,
                    coachee: str = "the coachee") -> str:
    """The one next-time behaviour: the focus wording of the largest weighted gap. When
    ``moment`` (the redo moment) shows that dimension's metric, the dimension's
    ``focus_moment`` wording tells the focus with that moment's time and alternative, so
    the focus and the redo box talk about the same moment."""
    worst = max(result.dimensions, key=lambda d: d.gap)
    if worst.gap <= 0:
        return "Keep doing what you did: every rubric dimension is at full marks."
    dim = next(d for d in rubric.dimensions if d.key == worst.key)
    shows = moment is not None and moment.metric in {c.metric for c in dim.criteria}
    if shows and dim.focus_moment and moment is not None and moment.at is not None and moment.alternative:
        return dim.focus_moment.format(coachee=coachee, time=format_clock(moment.at), alternative=moment.alternative)
    return dim.focus.format(coachee=coachee, time="", alternative="")

