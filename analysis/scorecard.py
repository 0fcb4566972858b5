"""Build the Scorecard from a labelled transcript, and serialise it to the versioned JSON
(``coachscore.scorecard/1``, JSON Schema in ``analysis/data/scorecard.schema.json``)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Sequence

from analysis.coverage import grow_coverage
from analysis.floors import build_conversation
from analysis.interruptions import find_interruptions
from analysis.metrics import Found, measure
from analysis.overrides import (
    NO_OVERRIDES, CorrectionNote, MachineLabel, Overrides, machine_labels, reattribute, relabel,
)
from analysis.moments import best_question, debrief, redo_moment
from analysis.reliability import reliability, signals
from analysis.rescue import CueFn, find_rescues
from analysis.results import (
    DebriefPrompt,
    DimensionScore,
    Evidence,
    GrowCoverage,
    GrowStageCoverage,
    Metric,
    Moment,
    Reliability,
    RescueMoment,
    Score,
    Scorecard,
)
from analysis.rubric import Rubric, focus_behaviour, load_rubric, score
from analysis.timing import silences
from analysis.types import SCORECARD_SCHEMA, Roles, Sentence, Transcript


def analyze(
    transcript: Transcript, roles: Roles, rubric: Rubric | None = None, nlp: Any = None, encoder: Any = None,
    overrides: Overrides = NO_OVERRIDES,
) -> Scorecard:
    """Label every sentence (spaCy ``nlp``, or the regex fallback with None; with a sentence
    ``encoder`` the trained layer decides what the rules leave open), apply a reviewer's
    ``overrides`` (sentence speakers, then acts: ``analysis.overrides``) and score the leader
    against ``rubric`` (None = the bundled default). Pure: same inputs, same Scorecard;
    inputs are not modified and nothing is written."""
    from analysis.acts import label_transcript

    sentences = label_transcript(transcript, roles.leader, nlp, encoder=encoder)
    machine = machine_labels(sentences, overrides)
    shifted = False
    if overrides.speakers:
        before = [s.text for s in sentences]
        moved = reattribute(transcript, sentences, overrides.speakers)
        transcript = moved.transcript
        sentences = label_transcript(transcript, roles.leader, nlp, encoder=encoder, splits=moved.splits)
        shifted = [s.text for s in sentences] != before  # the machine's sentences, so never expected
    sentences = relabel(sentences, overrides.acts, roles.leader)
    card = build_scorecard(transcript, roles, sentences, rubric)
    if overrides:
        card = dataclasses.replace(card, corrections=overrides.notes, machine_labels=machine)
    if shifted:
        why = (*card.reliability.reasons, SHIFTED_REASON)
        card = dataclasses.replace(card, reliability=dataclasses.replace(card.reliability, reasons=why))
    if encoder is None:  # say so on the scorecard
        why = (*card.reliability.reasons, RULES_ONLY_REASON)
        card = dataclasses.replace(card, reliability=dataclasses.replace(card.reliability, reasons=why))
    return card


SHIFTED_REASON = ("A sentence given to the other speaker was split differently when the session was scored "
                  "again, so some later corrections may sit on a neighbouring sentence.")
RULES_ONLY_REASON = "Coaching acts were judged by wording rules alone: the sentence-meaning model was not used."


def build_scorecard(
    transcript: Transcript,
    roles: Roles,
    sentences: Sequence[Sentence],
    rubric: Rubric | None = None,
    cue_fn: CueFn | None = None,
) -> Scorecard:
    """Every metric, rescue moment, GROW coverage and the rubric score, from sentences
    that already carry their acts."""
    rubric = rubric or load_rubric()
    conv = build_conversation(transcript, roles, sentences)
    sig = signals(conv)
    interruptions = find_interruptions(conv)
    rescues = find_rescues(conv, interruptions, cue_fn)
    grow = grow_coverage(conv)
    metrics = measure(Found(conv, sig, interruptions, rescues, grow), rubric.targets)
    result = score(rubric, metrics)
    best, redo = best_question(conv), redo_moment(conv, rescues)
    return Scorecard(
        schema=SCORECARD_SCHEMA,
        roles=roles,
        duration_s=transcript.duration_s,
        speakers=tuple((s.label, s.name or s.label) for s in transcript.speakers),
        reliability=reliability(sig, "all"),
        score=result,
        metrics=metrics,
        sentences=tuple(sorted(sentences, key=lambda s: s.index)),
        rescues=rescues,
        grow=grow,
        best_question=best,
        redo_moment=redo,
        focus=focus_behaviour(rubric, result, redo, transcript.known_name(roles.coachee) or "the coachee"),
        debrief=debrief(best, redo),
        timeline=tuple((s.speaker, s.start, s.end) for s in conv.segments),
        silences=tuple((g.start, g.end) for g in silences(conv.segments)),
    )


# --------------------------------------------------------------------------- JSON


def scorecard_to_dict(sc: Scorecard) -> dict[str, Any]:
    """The JSON scorecard (matches analysis/data/scorecard.schema.json)."""
    names = dict(sc.speakers)
    machine = {m.index: m for m in sc.machine_labels}
    return {
        "schema": sc.schema,
        "generated_by": sc.generated_by,
        "duration_s": _r(sc.duration_s),
        "speakers": [{"label": label, "name": name} for label, name in sc.speakers],
        "roles": _roles(sc.roles, names),
        "reliability": _reliability(sc.reliability),
        "score": {
            "overall": sc.score.overall,
            "rubric_id": sc.score.rubric_id,
            "rubric_version": sc.score.rubric_version,
            "dimensions": [_dimension(d) for d in sc.score.dimensions],
        },
        "focus": sc.focus,
        "metric_values": {m.key: m.value for m in sc.metrics},
        "metrics": [_metric(m) for m in sc.metrics],
        "rescues": [_rescue(r) for r in sc.rescues],
        "grow": _grow(sc.grow),
        "best_question": _moment(sc.best_question),
        "redo_moment": _moment(sc.redo_moment),
        "debrief": [_prompt(p) for p in sc.debrief],
        "timeline": [{"speaker": s, "start": _r(a), "end": _r(b)} for s, a, b in sc.timeline],
        "sentences": [_sentence(s, machine.get(s.index)) for s in sc.sentences],
        "corrections": [_correction(c) for c in sc.corrections],
    }


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), 3)


def _roles(r: Roles, names: dict[str, str]) -> dict[str, Any]:
    return {
        "leader": r.leader, "leader_name": names.get(r.leader, r.leader),
        "coachee": r.coachee, "coachee_name": names.get(r.coachee) if r.coachee else None,
        "reason": r.reason, "confidence": r.confidence.value, "inferred": r.inferred,
    }


def _reliability(r: Reliability) -> dict[str, Any]:
    return {"confidence": r.confidence.value, "reasons": list(r.reasons)}


def _evidence(e: Evidence | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"start": _r(e.start), "end": _r(e.end), "speaker": e.speaker, "text": e.text,
            "note": e.note, "sentence_index": e.sentence_index}


def _dimension(d: DimensionScore) -> dict[str, Any]:
    return {"key": d.key, "label": d.label, "metric": d.metric_key, "metric_value": d.metric_value,
            "score": d.score, "weight": d.weight, "gap": d.gap, "explanation": d.explanation}


def _metric(m: Metric) -> dict[str, Any]:
    return {"key": m.key, "label": m.label, "value": m.value, "unit": m.unit, "target": m.target,
            "detail": m.detail, "reliability": _reliability(m.reliability),
            "evidence": [_evidence(e) for e in m.evidence]}


def _rescue(r: RescueMoment) -> dict[str, Any]:
    return {"time": _r(r.time), "kind": r.kind.value, "cue": _evidence(r.cue),
            "response": _evidence(r.response), "severity": r.severity,
            "severity_reasons": list(r.severity_reasons), "interrupted": r.interrupted,
            "alternative": r.alternative}


def _grow(g: GrowCoverage) -> dict[str, Any]:
    return {
        "in_order": g.in_order, "order_detail": g.order_detail,
        "stages": [{"stage": s.stage.value, "covered": s.covered, "first_at": _r(s.first_at),
                    "question": _evidence(s.question)} for s in g.stages],
    }


def _moment(m: Moment | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"title": m.title, "evidence": [_evidence(e) for e in m.evidence],
            "explanation": m.explanation, "alternative": m.alternative}


def _prompt(p: DebriefPrompt) -> dict[str, Any]:
    return {"question": p.question, "prefill": p.prefill}


def _sentence(s: Sentence, machine: MachineLabel | None = None) -> dict[str, Any]:
    out = {"index": s.index, "speaker": s.speaker, "start": _r(s.start), "end": _r(s.end),
           "text": s.text, "act": s.act.value, "rule": s.rule.code(), "turn_index": s.turn_index,
           "source_index": s.source_index, "grow": s.grow.value if s.grow else None}
    if machine is not None:  # a reviewer corrected it: what the machine had said
        out["machine"] = {"act": machine.act.value, "speaker": machine.speaker}
    return out


def _correction(c: CorrectionNote) -> dict[str, Any]:
    return {"what": c.what, "by": c.by, "at": c.at.isoformat()}


# --------------------------------------------------------------------------- back from JSON


def without_quotes(card: dict[str, Any]) -> dict[str, Any]:
    """A copy of the JSON scorecard ``card`` that holds no words said in the conversation:
    no sentences, every evidence quote's ``text`` None (its time and speaker stay), the
    debrief prompts' pre-filled quotes None. Scores, metrics, counts and times are kept."""
    def quote(e: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if e is None else {**e, "text": None}

    def moment(m: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if m is None else {**m, "evidence": [quote(e) for e in m.get("evidence", [])]}

    grow = card.get("grow") or {}
    return {
        **card,
        "metrics": [{**m, "evidence": [quote(e) for e in m.get("evidence", [])]} for m in card.get("metrics", [])],
        "rescues": [{**r, "cue": quote(r.get("cue")), "response": quote(r.get("response"))}
                    for r in card.get("rescues", [])],
        "grow": {**grow, "stages": [{**s, "question": quote(s.get("question"))} for s in grow.get("stages", [])]},
        "best_question": moment(card.get("best_question")),
        "redo_moment": moment(card.get("redo_moment")),
        "debrief": [{**p, "prefill": None} for p in card.get("debrief", [])],
        "sentences": [],
    }


def scorecard_from_dict(card: dict[str, Any]) -> Scorecard:
    """The Scorecard of a stored JSON scorecard (the inverse of :func:`scorecard_to_dict`),
    to render it again, e.g. once its quotes were deleted (:func:`without_quotes`). Sentences
    come back with their act and rule code only; silences are recomputed from the timeline;
    a moment's time is its first quote's."""
    from analysis.types import Act, Confidence, GrowStage, RuleResult, Segment

    def rel(r: dict[str, Any]) -> Reliability:
        return Reliability(Confidence(r["confidence"]), tuple(r.get("reasons", ())))

    def ev(e: dict[str, Any] | None) -> Evidence | None:
        if e is None:
            return None
        return Evidence(e["start"], e["end"], e["speaker"], e.get("text"), e.get("note", ""), e.get("sentence_index"))

    def moment(m: dict[str, Any] | None) -> Moment | None:
        if m is None:
            return None
        quotes = tuple(ev(e) for e in m.get("evidence", []))
        return Moment(m["title"], quotes, m.get("explanation", ""), m.get("alternative"),
                      quotes[0].start if quotes else None)

    roles, score_ = card["roles"], card["score"]
    timeline = tuple((t["speaker"], t["start"], t["end"]) for t in card.get("timeline", []))
    gaps = silences([Segment(s, a, b) for s, a, b in timeline])
    return Scorecard(
        schema=card["schema"],
        roles=Roles(roles["leader"], roles.get("coachee"), roles.get("reason", ""),
                    Confidence(roles.get("confidence", "high")), bool(roles.get("inferred"))),
        duration_s=card["duration_s"],
        speakers=tuple((s["label"], s["name"]) for s in card.get("speakers", [])),
        reliability=rel(card["reliability"]),
        score=Score(score_["overall"], tuple(
            DimensionScore(d["key"], d["label"], d["metric"], d["metric_value"], d["score"], d["weight"], d["gap"],
                           d["explanation"]) for d in score_["dimensions"]), score_["rubric_id"], score_["rubric_version"]),
        metrics=tuple(Metric(m["key"], m["label"], m["value"], m["unit"], m.get("target", ""),
                             tuple(ev(e) for e in m.get("evidence", [])), rel(m["reliability"]), m.get("detail", ""))
                      for m in card.get("metrics", [])),
        sentences=tuple(Sentence(s["index"], s["speaker"], s["start"], s["end"], s["text"], s["turn_index"],
                                 Act(s["act"]), RuleResult(s["rule"], Act(s["act"])), s.get("source_index"),
                                 GrowStage(s["grow"]) if s.get("grow") else None) for s in card.get("sentences", [])),
        rescues=tuple(RescueMoment(r["time"], Act(r["kind"]), ev(r.get("cue")), ev(r["response"]), r["severity"],
                                   tuple(r.get("severity_reasons", ())), r["interrupted"], r.get("alternative", ""))
                      for r in card.get("rescues", [])),
        grow=GrowCoverage(tuple(GrowStageCoverage(GrowStage(s["stage"]), s["covered"], s.get("first_at"),
                                                  ev(s.get("question"))) for s in card["grow"]["stages"]),
                          card["grow"]["in_order"], card["grow"].get("order_detail", "")),
        best_question=moment(card.get("best_question")),
        redo_moment=moment(card.get("redo_moment")),
        focus=card.get("focus", ""),
        debrief=tuple(DebriefPrompt(p["question"], p.get("prefill")) for p in card.get("debrief", [])),
        timeline=timeline,
        generated_by=card.get("generated_by", "coachscore"),
        silences=tuple((g.start, g.end) for g in gaps),
        corrections=tuple(CorrectionNote(c["what"], c["by"], datetime.fromisoformat(c["at"]))
                          for c in card.get("corrections", [])),
    )
