"""Highlighted moments: best question, redo moment, and the debrief prompts."""

from __future__ import annotations

from typing import Sequence

from analysis.evidence import of_sentence, span
from analysis.units import format_clock
from analysis.floors import Conversation
from analysis.rescue import DEFAULT_ALTERNATIVE
from analysis.results import DebriefPrompt, Moment, RescueMoment
from analysis.types import Act, Sentence



def best_question(conv: Conversation) -> Moment | None:
    """The leader open question that hands over the floor and is followed by the
    longest coachee answer (seconds of the next floor); ties go to the earliest."""
    best: tuple[float, Sentence, int] | None = None
    for i, floor in enumerate(conv.floors[:-1]):
        nxt = conv.floors[i + 1]
        if not conv.is_leader(floor.speaker) or conv.is_leader(nxt.speaker) or not floor.sentences:
            continue
        q = floor.sentences[-1]
        if q.act is Act.OPEN_QUESTION and (best is None or nxt.duration > best[0]):
            best = (nxt.duration, q, i + 1)
    if best is None:
        return None
    seconds, q, answer_index = best
    answer = conv.floors[answer_index]
    return Moment(
        "Best question",
        (of_sentence(q, "open question"),
         span(answer.speaker, answer.start, answer.end, " ".join(s.text for s in answer.sentences),
              "the answer")),
        f"{_capital(conv.transcript.person(answer.speaker, conv.roles))} talked for {seconds:.0f} s "
        "after this question.",
        at=q.start,
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def redo_moment(conv: Conversation, rescues: Sequence[RescueMoment]) -> Moment | None:
    """The most severe rescue (earliest on ties); with none, the longest run of
    closed/leading leader questions without an open one in between."""
    if rescues:
        r = max(rescues, key=lambda r: (r.severity, -r.time))
        ev = tuple(e for e in (r.cue, r.response) if e is not None)
        return Moment(
            "Redo moment", ev,
            f"At {format_clock(r.time)} you answered with {_ANSWER[r.kind]} ({'; '.join(r.severity_reasons)}).",
            r.alternative, at=r.time, metric="rescues_per_10_min",
        )
    run = _worst_closed_run(conv)
    if not run:
        return None
    n = len(run)
    what = "a closed or leading question" if n == 1 else f"{n} closed or leading questions in a row"
    return Moment(
        "Redo moment", tuple(of_sentence(s, s.act.label.lower()) for s in run),
        f"At {format_clock(run[0].start)} you asked {what}.",
        DEFAULT_ALTERNATIVE, at=run[0].start, metric="open_question_share",
    )


_ANSWER = {Act.ADVICE: "advice", Act.TAKEOVER: "a takeover", Act.LEADING_QUESTION: "a leading question"}


def _worst_closed_run(conv: Conversation) -> list[Sentence]:
    best: list[Sentence] = []
    run: list[Sentence] = []
    for s in conv.leader_sentences():
        if not s.act.is_question:
            continue
        run = run + [s] if s.act is not Act.OPEN_QUESTION else []
        if len(run) > len(best):
            best = run
    return best


def debrief(best: Moment | None, redo: Moment | None) -> tuple[DebriefPrompt, ...]:
    """The three self-review prompts of metrics.md, pre-filled where we can."""
    best_text = f'"{best.evidence[0].text}" ({best.explanation})' if best else None
    redo_text = None
    if redo is not None:
        said = redo.evidence[-1].text
        redo_text = f'At {format_clock(redo.at if redo.at is not None else redo.evidence[-1].start)}: "{said}"'
        if redo.alternative:
            redo_text += f" Try instead: {redo.alternative}"
    return (
        DebriefPrompt("What did you notice about the coachee's reaction?"),
        DebriefPrompt("Which question was most effective, and why?", best_text),
        DebriefPrompt("If you could redo one moment, what would you change?", redo_text),
    )
