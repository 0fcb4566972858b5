"""Render a Scorecard as one self-contained HTML page.

The page makes no requests: CSS and SVG are inline, there are no fonts, images or
scripts, and a CSP meta tag forbids loading anything. All text from the recording goes
through Jinja2's autoescaping; this module only computes a typed view (numbers, labels,
SVG geometry) and never builds markup itself. Times are seconds on the recording's clock.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2

from analysis.acts import explain_act
from analysis.units import format_clock, format_duration, format_metric_value, metric_parts
from analysis.results import (
    DimensionScore,
    Reliability,
    Evidence,
    GrowCoverage,
    Metric,
    Moment,
    RescueMoment,
    Scorecard,
)
from analysis.overrides import CorrectionNote
from analysis.types import Act, Confidence, GrowStage, is_generated_label

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

ACT_LABELS: dict[str, str] = {a.value: a.label for a in Act}
GROW_ORDER = (GrowStage.GOAL, GrowStage.REALITY, GrowStage.OPTIONS, GrowStage.WILL)
GROW_HINTS = {
    GrowStage.GOAL: "What does the coachee want?",
    GrowStage.REALITY: "What is happening now?",
    GrowStage.OPTIONS: "What could they do?",
    GrowStage.WILL: "What will they do, and when?",
}
SILENCE_MARK_S = 2.0  # gaps at least this long are drawn on the timeline

# Timeline geometry, in SVG user units (the viewBox is TL_WIDTH wide).
TL_WIDTH, TL_LEFT, TL_RIGHT = 1000.0, 140.0, 14.0
TL_LANE_H, TL_MARK_H, TL_GAP = 30.0, 22.0, 8.0


# --------------------------------------------------------------------------- formatting


def iso_duration(seconds: float) -> str:
    """An offset on the recording's clock as an ISO 8601 duration (for ``<time>``)."""
    total = max(0, int(seconds)) if math.isfinite(seconds) else 0
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{secs}S" if hours else f"PT{minutes}M{secs}S"


def act_label(act: Act | str) -> str:
    """Human label of an act; unknown acts are shown by their value, never hidden."""
    value = act.value if isinstance(act, Act) else str(act)
    return ACT_LABELS.get(value, value.replace("_", " ").capitalize())


def score_band(score: float | None) -> str:
    """CSS band of a 0-100 score: good (>= 75), mid (>= 50), poor, or none."""
    if score is None or not math.isfinite(score):
        return "none"
    return "good" if score >= 75 else "mid" if score >= 50 else "poor"


# --------------------------------------------------------------------------- view model


@dataclass(frozen=True)
class Quote:
    """An Evidence ready to show: who, when, what, and the transcript anchor if known."""

    time: str
    speaker: str
    role: str
    text: str | None  # None: the quote was deleted with the transcript (retention)
    note: str
    anchor: str | None


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    number: str
    suffix: str
    defined: bool
    target: str
    detail: str
    confidence: str
    reasons: tuple[str, ...]
    show_confidence: bool
    band: str
    score: float | None
    evidence: tuple[Quote, ...]


@dataclass(frozen=True)
class DimensionView:
    label: str
    measured: str
    score: float
    band: str
    weight: float
    explanation: str
    metric: str
    is_focus: bool


@dataclass(frozen=True)
class RescueView:
    number: int
    time: str
    kind: str
    kind_class: str
    severity: int
    severity_reasons: tuple[str, ...]
    interrupted: bool
    cue: Quote | None
    response: Quote
    alternative: str


@dataclass(frozen=True)
class MomentView:
    title: str
    quotes: tuple[Quote, ...]
    explanation: str
    alternative: str | None
    time: str


@dataclass(frozen=True)
class GrowView:
    letter: str
    name: str
    hint: str
    covered: bool
    first_at: str | None
    question: Quote | None
    order_position: int | None


@dataclass(frozen=True)
class Row:
    """One transcript sentence."""

    index: int
    anchor: str
    time: str
    iso: str
    speaker: str
    role: str
    new_turn: bool
    act: str
    act_label: str
    rule: str  # plain-English explanation of what decided the act
    grow: str | None
    text: str
    rescue: int | None
    rescue_part: str | None


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    title: str
    css: str = ""


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    shape: str  # "circle" | "square" | "triangle" | "flag"
    css: str
    title: str
    label: str = ""


@dataclass(frozen=True)
class LaneView:
    y: float
    h: float
    label: str
    sub: str
    css: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class TimelineView:
    width: float
    height: float
    plot_left: float
    plot_right: float
    axis_y: float
    lanes: tuple[LaneView, ...]
    bars: tuple[Rect, ...]
    silences: tuple[Rect, ...]
    marks: tuple[Mark, ...]
    ticks: tuple[Tick, ...]
    summary: str
    note: str
    silence_min: str
    mark_r: float  # radius of question markers: smaller when they are dense


@dataclass(frozen=True)
class Page:
    title: str
    heading: str
    csp: str
    leader: str
    coachee: str | None
    duration: str
    roles_reason: str
    roles_confidence: str
    roles_inferred: bool
    confidence: str
    reasons: tuple[str, ...]
    overall: float
    overall_text: str
    overall_band: str
    rubric_id: str
    rubric_version: str
    schema: str
    generated_by: str
    focus: str
    focus_dimension: DimensionView | None
    dimensions: tuple[DimensionView, ...]
    scored_tiles: tuple[Tile, ...]
    other_tiles: tuple[Tile, ...]
    rescues: tuple[RescueView, ...]
    best: MomentView | None
    redo: MomentView | None
    grow: tuple[GrowView, ...]
    grow_reported: bool
    grow_in_order: bool
    grow_order_detail: str
    grow_sequence: str
    debrief: tuple[tuple[str, str | None], ...]
    timeline: TimelineView
    rows: tuple[Row, ...]
    act_counts: tuple[tuple[str, str, int], ...]
    question_count: int
    corrections: tuple[str, ...] = ()  # "Corrected by Dana Lee on 3 Dec 2026: 2 sentences re-labelled"
    quotes_note: str | None = None  # why the quotes are gone ("The transcript was deleted on ...")


# --------------------------------------------------------------------------- people


@dataclass(frozen=True)
class _People:
    names: dict[str, str]
    leader: str
    coachee: str | None
    indices: frozenset[int]  # sentence indices that have a transcript row to link to

    def name(self, label: str) -> str:
        """The person's name; "Leader"/"Coachee" (or "Speaker 3") when only a generated
        label like "S0" is known: the page never shows speaker codes."""
        name = self.names.get(label, label)
        if not is_generated_label(name):
            return name
        if label == self.leader:
            return "Leader"
        if label == self.coachee:
            return "Coachee"
        return f"Speaker {int(name[1:]) + 1}"

    def in_text(self, text: str) -> str:
        """``text`` with every generated speaker label replaced by the person's name."""
        return _LABEL.sub(lambda m: self.name(m.group(0)) if m.group(0) in self.names else m.group(0), text)

    def role(self, label: str) -> str:
        return "leader" if label == self.leader else "coachee" if label == self.coachee else "other"


_LABEL = re.compile(r"\bS\d+\b")


def _people(sc: Scorecard) -> _People:
    return _People(dict(sc.speakers), sc.roles.leader, sc.roles.coachee, frozenset(s.index for s in sc.sentences))


def in_plain_names(sc: Scorecard, text: str) -> str:
    """``text`` with speaker codes ("S0") replaced by the people's names, as the page shows
    them ("Leader"/"Coachee" when no name is known); for text outside the page (the CLI)."""
    return _people(sc).in_text(text)


def _quote(e: Evidence, people: _People) -> Quote:
    anchor = f"s-{e.sentence_index}" if e.sentence_index in people.indices else None
    return Quote(format_clock(e.start), people.name(e.speaker), people.role(e.speaker), e.text, e.note, anchor)


# --------------------------------------------------------------------------- sections


def _dimension_views(dims: tuple[DimensionScore, ...], metrics: tuple[Metric, ...]) -> tuple[DimensionView, ...]:
    focus_key = max(dims, key=lambda d: d.gap).key if dims else None
    return tuple(
        DimensionView(d.label, _measured(d, metrics), d.score, score_band(d.score), d.weight, d.explanation,
                      d.metric_key, d.key == focus_key)
        for d in dims
    )


def _measured(d: DimensionScore, metrics: tuple[Metric, ...]) -> str:
    """'Open questions 57% (target >= 60%)' from the dimension's metric, if it is listed."""
    m = next((m for m in metrics if m.key == d.metric_key), None)
    if m is None:
        value = "n/a" if d.metric_value is None else f"{d.metric_value:g}"
        return f"{d.metric_key.replace('_', ' ')} {value}"
    target = f" (target {m.target})" if m.target else ""
    return f"{m.label} {format_metric_value(m.value, m.unit)}{target}"


_RANK = {Confidence.HIGH.value: 0, Confidence.MEDIUM.value: 1, Confidence.LOW.value: 2}


def _tile(m: Metric, dims: dict[str, DimensionScore], people: _People, page: Reliability) -> Tile:
    """A metric tile. Its confidence is shown only when it says more than the page banner:
    a lower level, or reasons the banner does not list."""
    number, suffix = metric_parts(m.value, m.unit)
    dim = dims.get(m.key)
    level, page_level = _conf(m.reliability.confidence), _conf(page.confidence)
    banner = set(page.reasons) if page_level != Confidence.HIGH.value else set()
    reasons = tuple(people.in_text(r) for r in m.reliability.reasons if r not in banner)
    show = level != Confidence.HIGH.value and (_RANK.get(level, 2) > _RANK.get(page_level, 2) or bool(reasons))
    return Tile(
        m.key, m.label, number, suffix, number != "n/a", m.target, m.detail,
        level, reasons, show, score_band(dim.score if dim else None),
        dim.score if dim else None, tuple(_quote(e, people) for e in m.evidence),
    )


def _conf(c: Confidence | str) -> str:
    return c.value if isinstance(c, Confidence) else str(c)


def _rescue_view(n: int, r: RescueMoment, people: _People) -> RescueView:
    kind = r.kind.value if isinstance(r.kind, Act) else str(r.kind)
    return RescueView(
        n, format_clock(r.time), act_label(r.kind), kind, int(r.severity), tuple(r.severity_reasons),
        r.interrupted, _quote(r.cue, people) if r.cue else None, _quote(r.response, people),
        r.alternative,
    )


def _moment_view(m: Moment | None, people: _People) -> MomentView | None:
    if m is None:
        return None
    quotes = tuple(_quote(e, people) for e in m.evidence)
    time = format_clock(m.at) if m.at is not None else quotes[0].time if quotes else ""
    return MomentView(m.title, quotes, m.explanation, m.alternative, time)


def _grow_views(g: GrowCoverage, people: _People) -> tuple[GrowView, ...]:
    by_stage = {c.stage: c for c in g.stages}
    covered = sorted((c for c in g.stages if c.covered and c.first_at is not None), key=lambda c: c.first_at)
    position = {c.stage: i + 1 for i, c in enumerate(covered)}
    views = []
    for stage in GROW_ORDER:
        c = by_stage.get(stage)
        views.append(GrowView(
            stage.value[0].upper(), stage.value.capitalize(), GROW_HINTS[stage], bool(c and c.covered),
            format_clock(c.first_at) if c and c.first_at is not None else None,
            _quote(c.question, people) if c and c.question else None, position.get(stage),
        ))
    return tuple(views)


def _grow_sequence(g: GrowCoverage) -> str:
    covered = sorted((c for c in g.stages if c.covered and c.first_at is not None), key=lambda c: c.first_at)
    return " → ".join(c.stage.value.capitalize() for c in covered)


def _rows(sc: Scorecard, people: _People) -> tuple[Row, ...]:
    parts: dict[int, tuple[int, str]] = {}
    for n, r in enumerate(sc.rescues, start=1):
        if r.cue is not None and r.cue.sentence_index is not None:
            parts.setdefault(r.cue.sentence_index, (n, "cue"))
        if r.response.sentence_index is not None:
            parts[r.response.sentence_index] = (n, "response")
    rows, prev = [], None
    for s in sc.sentences:
        act = s.act.value if isinstance(s.act, Act) else str(s.act)
        rescue, part = parts.get(s.index, (None, None))
        new_turn = prev is None or (s.speaker, s.turn_index) != (prev.speaker, prev.turn_index)
        rows.append(Row(
            s.index, f"s-{s.index}", format_clock(s.start), iso_duration(s.start), people.name(s.speaker),
            people.role(s.speaker), new_turn, act, act_label(s.act), explain_act(s.rule),
            s.grow.value.capitalize() if s.grow else None, s.text, rescue, part,
        ))
        prev = s
    return tuple(rows)


def _act_counts(sc: Scorecard) -> tuple[tuple[str, str, int], ...]:
    counts: dict[str, int] = {}
    for s in sc.sentences:
        if s.speaker == sc.roles.leader:
            key = s.act.value if isinstance(s.act, Act) else str(s.act)
            counts[key] = counts.get(key, 0) + 1
    order = list(ACT_LABELS) + sorted(k for k in counts if k not in ACT_LABELS)
    return tuple((k, act_label(k), counts[k]) for k in order if k in counts)


# --------------------------------------------------------------------------- timeline


def _segments(sc: Scorecard) -> tuple[tuple[tuple[str, float, float], ...], str]:
    """Speech segments to draw, and a note when they had to be derived from sentences."""
    if sc.timeline:
        return tuple(sorted(sc.timeline, key=lambda t: t[1])), ""
    if sc.sentences:
        segs = tuple((s.speaker, s.start, s.end) for s in sc.sentences)
        return segs, "No speech segments were recorded; the bars show sentence times instead."
    return (), "No speech was found, so there is nothing to draw."


def _silences(sc: Scorecard) -> list[tuple[float, float]]:
    """(start, end) of the analysis' silences that are drawn (>= SILENCE_MARK_S), seconds."""
    return [(a, b) for a, b in sc.silences if b - a >= SILENCE_MARK_S]


def _tick_step(duration: float) -> float:
    for step in (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if duration / step <= 10:
            return float(step)
    return 7200.0


def _lane_order(sc: Scorecard, segs) -> list[str]:
    seen = [label for label, _ in sc.speakers]
    seen += [s for s, _, _ in segs if s not in seen]
    first = [x for x in (sc.roles.leader, sc.roles.coachee) if x]
    return first + [x for x in dict.fromkeys(seen) if x not in first]


def _layout_lanes(sc: Scorecard, people: _People, segs) -> tuple[dict[str, LaneView], float | None, float]:
    """One lane per speaker below the rescue-flag row, with the question row right under
    the leader's lane. Returns (lanes by speaker label, question row y, y below the last)."""
    lanes: dict[str, LaneView] = {}
    y, q_row_y = TL_MARK_H + TL_GAP, None
    for label in _lane_order(sc, segs):
        role = people.role(label)
        name = people.name(label)
        lanes[label] = LaneView(y, TL_LANE_H, name, "" if name == role.capitalize() else role.capitalize(), role)
        y += TL_LANE_H + TL_GAP
        if label == sc.roles.leader:
            q_row_y, y = y, y + TL_MARK_H + TL_GAP
    return lanes, q_row_y, y


def _timeline(sc: Scorecard, people: _People) -> TimelineView:
    """Geometry of the who-spoke-when SVG (user units; the viewBox is TL_WIDTH wide)."""
    segs, note = _segments(sc)
    duration = max([sc.duration_s] + [e for _, _, e in segs] + [1.0])
    plot_w = TL_WIDTH - TL_LEFT - TL_RIGHT

    def x(t: float) -> float:
        return round(TL_LEFT + plot_w * max(0.0, min(t, duration)) / duration, 2)

    lanes, q_row_y, y = _layout_lanes(sc, people, segs)
    lane_y = {label: lane.y for label, lane in lanes.items()}
    bars = tuple(
        Rect(x(s), lane_y[spk], max(1.0, round(x(e) - x(s), 2)), TL_LANE_H,
             f"{people.name(spk)} {format_clock(s)}–{format_clock(e)}", people.role(spk))
        for spk, s, e in segs if spk in lane_y
    )
    gaps = _silences(sc)
    top, bottom = TL_MARK_H + TL_GAP - 4, y - TL_GAP + 4
    silences = tuple(
        Rect(x(a), top, max(1.5, round(x(b) - x(a), 2)), bottom - top,
             f"Silence {format_duration(b - a)} at {format_clock(a)}")
        for a, b in gaps
    )
    q_marks = _question_marks(sc, x, q_row_y)
    marks = q_marks + _rescue_marks(sc, x)
    step = _tick_step(duration)
    ticks = tuple(Tick(x(t * step), format_clock(t * step)) for t in range(int(duration // step) + 1))
    summary = _timeline_summary(sc, people, gaps, duration)
    return TimelineView(TL_WIDTH, y + 22, TL_LEFT, TL_WIDTH - TL_RIGHT, y, tuple(lanes.values()), bars, silences,
                        marks, ticks, summary, note, f"{SILENCE_MARK_S:g} s", _mark_radius(len(q_marks), plot_w))


def _mark_radius(count: int, plot_w: float) -> float:
    """6 units when markers have room; down to 3 when there are many of them."""
    if count == 0:
        return 6.0
    return round(max(3.0, min(6.0, plot_w / count / 1.6)), 1)


_Q_SHAPES = {Act.OPEN_QUESTION: "circle", Act.CLOSED_QUESTION: "square", Act.LEADING_QUESTION: "triangle"}


def _question_marks(sc: Scorecard, x, row_y: float | None) -> tuple[Mark, ...]:
    if row_y is None:
        return ()
    cy = row_y + TL_MARK_H / 2
    return tuple(
        Mark(x(s.start), cy, _Q_SHAPES.get(s.act, "square"), s.act.value,
             f"{format_clock(s.start)} {act_label(s.act)}: {s.text}")
        for s in sc.sentences
        if s.speaker == sc.roles.leader and isinstance(s.act, Act) and s.act.is_question
    )


def _rescue_marks(sc: Scorecard, x) -> tuple[Mark, ...]:
    return tuple(
        Mark(x(r.time), TL_MARK_H / 2, "flag", f"sev{max(1, min(3, int(r.severity)))}",
             f"Rescue {n} at {format_clock(r.time)}: {act_label(r.kind)} (severity {r.severity} of 3)", str(n))
        for n, r in enumerate(sc.rescues, start=1)
    )


def _talk_shares(sc: Scorecard, people: _People) -> str:
    """Who spoke how much, from the leader talk-share metric (the coachee has the rest
    when there are two speakers)."""
    share = next((m.value for m in sc.metrics if m.key == "leader_talk_share"), None)
    if share is None:
        return ""
    text = f"{people.name(sc.roles.leader)} spoke {100 * share:.0f}% of the speech time"
    if sc.roles.coachee and len(sc.speakers) == 2:
        text += f"; {people.name(sc.roles.coachee)} {100 * (1 - share):.0f}%"
    return text


def _timeline_summary(sc: Scorecard, people: _People, gaps, duration: float) -> str:
    shares = _talk_shares(sc, people)
    questions = sum(1 for s in sc.sentences if s.speaker == sc.roles.leader and s.act.is_question)
    rescues = ", ".join(format_clock(r.time) for r in sc.rescues)
    rescue_text = f"Rescue moments at {rescues}" if rescues else "No rescue moments"
    longest = max(gaps, key=lambda g: g[1] - g[0], default=None)
    mark = f"{SILENCE_MARK_S:g} s"
    plural = "silence" if len(gaps) == 1 else "silences"
    sil = (f"{len(gaps)} {plural} of {mark} or more, the longest {format_duration(longest[1] - longest[0])} "
           f"at {format_clock(longest[0])}" if longest else f"No silences of {mark} or more")
    asked = f" {questions} leader questions." if sc.sentences else ""  # no sentences kept: no count to give
    return f"{format_duration(duration)} conversation. {shares or 'No speech'}.{asked} {rescue_text}. {sil}."


# --------------------------------------------------------------------------- page


def build_page(sc: Scorecard, title: str | None = None, quotes_note: str | None = None) -> Page:
    """The typed view of a Scorecard that the template renders (no markup here);
    ``quotes_note`` is shown where the quotes were once they were deleted."""
    people = _people(sc)
    dims = _dimension_views(sc.score.dimensions, sc.metrics)
    dim_by_metric = {d.metric_key: d for d in sc.score.dimensions}
    tiles = tuple(_tile(m, dim_by_metric, people, sc.reliability) for m in sc.metrics)
    leader = people.name(sc.roles.leader)
    coachee = people.name(sc.roles.coachee) if sc.roles.coachee else None
    pair = leader + (f" with {coachee}" if coachee else "")
    return Page(
        title=title or f"Coaching scorecard: {pair}", heading=title or pair, csp=CSP, leader=leader, coachee=coachee,
        duration=format_duration(sc.duration_s), roles_reason=_roles_reason(sc, people),
        roles_confidence=_conf(sc.roles.confidence), roles_inferred=sc.roles.inferred,
        confidence=_conf(sc.reliability.confidence), reasons=tuple(people.in_text(r) for r in sc.reliability.reasons),
        overall=sc.score.overall, overall_text=_score_text(sc.score.overall),
        overall_band=score_band(sc.score.overall),
        rubric_id=sc.score.rubric_id, rubric_version=sc.score.rubric_version, schema=sc.schema,
        generated_by=sc.generated_by, focus=sc.focus.strip(),
        focus_dimension=next((d for d in dims if d.is_focus), None), dimensions=dims,
        scored_tiles=tuple(t for t in tiles if t.score is not None),
        other_tiles=tuple(t for t in tiles if t.score is None),
        rescues=tuple(_rescue_view(n, r, people) for n, r in enumerate(sc.rescues, start=1)),
        best=_moment_view(sc.best_question, people), redo=_moment_view(sc.redo_moment, people),
        grow=_grow_views(sc.grow, people), grow_reported=bool(sc.grow.stages), grow_in_order=sc.grow.in_order,
        grow_order_detail=sc.grow.order_detail, grow_sequence=_grow_sequence(sc.grow),
        debrief=tuple((d.question, d.prefill) for d in sc.debrief),
        timeline=_timeline(sc, people), rows=_rows(sc, people), act_counts=_act_counts(sc),
        question_count=sum(1 for s in sc.sentences if s.speaker == sc.roles.leader and s.act.is_question),
        corrections=tuple(corrected_line(c) for c in sc.corrections), quotes_note=quotes_note,
    )


def corrected_line(c: CorrectionNote) -> str:
    """"Corrected by Dana Lee on 3 Dec 2026: 2 sentences re-labelled, roles swapped"."""
    return f"Corrected by {c.by} on {c.at.day} {c.at:%b %Y}: {c.what}"


def _roles_reason(sc: Scorecard, people: _People) -> str:
    """Why these roles, with names instead of speaker codes ("inferred:" is said by the page)."""
    text = people.in_text(sc.roles.reason.removeprefix("inferred: "))
    return text[:1].upper() + text[1:]


def _score_text(score: float) -> str:
    return f"{score:.0f}" if math.isfinite(score) else "n/a"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(clock=format_clock, duration=format_duration, metric=format_metric_value)
    return env


def get_template(name: str) -> jinja2.Template:
    """A template from service/templates in the one shared (cached, autoescaping) environment."""
    return _environment().get_template(name)


def render_scorecard_html(scorecard: Scorecard, *, title: str | None = None, quotes_note: str | None = None) -> str:
    """The scorecard as one self-contained HTML document (UTF-8 text, no external requests);
    ``quotes_note``: the line shown where the quotes were (a scorecard whose quotes and
    transcript were deleted, e.g. ``analysis.scorecard.without_quotes``)."""
    page = build_page(scorecard, title, quotes_note)
    return get_template("scorecard.html.j2").render(page=page)
