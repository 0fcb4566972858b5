"""The one seam between the service and the pipeline (audio -> transcript -> scorecard).

The job worker calls a ``Pipeline``; ``real_pipeline`` wires in the project's real stages
(faster-whisper/pyannote via ``service.pipeline``, ``analysis.analyze``, the HTML renderer)
and ``fake_pipeline`` is a fast deterministic stand-in for tests and load/crash scripts.
``Settings.pipeline_factory`` ("module:function") picks one; the worker builds it once per
process, so models load once.

Storage decision: at scoring time the worker stores the transcript JSON, the scorecard JSON,
the roles, the rubric id/version and the rendered HTML. PATCH re-runs ``score`` on the
stored transcript (no re-transcription) and replaces all of them.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Protocol

from analysis.types import ProgressHook, Roles, Transcript

log = logging.getLogger("coachscore.processing")

# pipeline stage -> (session status, share of the job's progress)
STAGES: dict[str, tuple[str, float]] = {
    "decode": ("transcribing", 0.05),
    "transcribe": ("transcribing", 0.55),
    "diarize": ("diarizing", 0.25),
    "attribute": ("diarizing", 0.05),
    "analyze": ("analyzing", 0.10),
}


@dataclass(frozen=True)
class ScoreResult:
    """What scoring produces and the service stores (scores are 0-100)."""

    roles: Roles
    scorecard: dict[str, Any]
    html: str
    rubric_id: str
    rubric_version: str
    overall: float
    dimensions: Mapping[str, float] = field(default_factory=dict)
    rescue_count: int = 0
    duration_s: float = 0.0


class Pipeline(Protocol):
    def transcribe(self, audio: Path, hook: ProgressHook) -> Transcript:
        """Audio file -> speaker-attributed transcript, reporting progress per stage."""

    def score(
        self, transcript: Transcript, leader: str | None, hint: str | None, rubric: Path | None,
        names: "PeopleNames | None" = None,
    ) -> ScoreResult:
        """Transcript + leader choice + rubric file (None = default) -> ScoreResult.
        ``names`` (the session's leader/coachee names) label the speakers."""


@dataclass(frozen=True)
class PeopleNames:
    """Names given for the session's leader and coachee (upload fields or PATCH)."""

    leader: str | None = None
    coachee: str | None = None


def resolve_with_names(
    transcript: Transcript, leader: str | None, hint: str | None, names: PeopleNames | None
) -> tuple[Transcript, Roles]:
    """Roles (a leader name that matches a speaker counts as the leader choice when none was
    given), then the transcript with those names on unnamed leader/coachee speakers."""
    from dataclasses import replace

    from analysis.roles import AUTO, resolve_roles

    names = names or PeopleNames()
    wanted = leader if (leader or "").strip().lower() not in AUTO else None
    if wanted is None and names.leader and any(
        (s.name or "").casefold() == names.leader.casefold() for s in transcript.speakers
    ):
        wanted = names.leader
    roles = resolve_roles(transcript, wanted, hint)
    given = {roles.leader: names.leader, roles.coachee: names.coachee}
    speakers = tuple(
        replace(s, name=given[s.label]) if given.get(s.label) and not s.name else s for s in transcript.speakers
    )
    return replace(transcript, speakers=speakers), roles


def load_pipeline(settings: Any) -> Pipeline:
    """Build the pipeline named by ``settings.pipeline_factory`` ("module:function")."""
    module_name, _, func = settings.pipeline_factory.partition(":")
    factory = getattr(importlib.import_module(module_name), func or "real_pipeline")
    return factory(settings)


def parse_transcript_upload(text: str, kind: str) -> tuple[Transcript, str | None]:
    """Parse an imported transcript; ``kind`` is "json" or "vtt". Raises TranscriptFormatError."""
    from analysis.inputs import parse_json_transcript, parse_webvtt

    if kind == "vtt":
        return parse_webvtt(text), None
    return parse_json_transcript(text)


def summarize(scorecard: Any) -> dict[str, Any]:
    """Trend fields of an ``analysis.results.Scorecard``."""
    return {
        "rubric_id": scorecard.score.rubric_id,
        "rubric_version": scorecard.score.rubric_version,
        "overall": float(scorecard.score.overall),
        "dimensions": {d.key: float(d.score) for d in scorecard.score.dimensions},
        "rescue_count": len(scorecard.rescues),
        "duration_s": float(scorecard.duration_s),
    }


# --------------------------------------------------------------------------- real


class RealPipeline:
    """The project's real stages; heavy modules import lazily, NLP loads once."""

    def __init__(self, settings: Any) -> None:
        self.config = settings.model_config_()
        self._nlp: Any = None
        self._lock = threading.Lock()

    def transcribe(self, audio: Path, hook: ProgressHook) -> Transcript:
        from service.pipeline import transcribe_file

        return transcribe_file(audio, self.config, hook, diarization="auto", num_speakers=2)

    def _nlp_model(self) -> Any:
        with self._lock:
            if self._nlp is None:
                from models.nlp import load_nlp

                self._nlp = load_nlp(self.config.spacy_model)
            return self._nlp

    def score(
        self, transcript: Transcript, leader: str | None, hint: str | None, rubric: Path | None,
        names: PeopleNames | None = None,
    ) -> ScoreResult:
        from analysis import analyze
        from analysis.rubric import load_rubric
        from analysis.scorecard import scorecard_to_dict
        from service.render import render_scorecard_html

        transcript, roles = resolve_with_names(transcript, leader, hint, names)
        from models.embeddings import load_encoder

        sc = analyze(transcript, roles, rubric=load_rubric(rubric), nlp=self._nlp_model(), encoder=load_encoder())
        s = summarize(sc)
        return ScoreResult(
            roles=roles,
            scorecard=scorecard_to_dict(sc),
            html=render_scorecard_html(sc),
            rubric_id=s["rubric_id"],
            rubric_version=s["rubric_version"],
            overall=s["overall"],
            dimensions=s["dimensions"],
            rescue_count=s["rescue_count"],
            duration_s=s["duration_s"],
        )


def real_pipeline(settings: Any) -> Pipeline:
    return RealPipeline(settings)


# --------------------------------------------------------------------------- fake


class FakePipeline:
    """Deterministic stand-in: a fixed two-speaker transcript and a simple score.

    ``stage_delay_s`` sleeps per stage (crash/load scripts); ``fail_stage`` raises
    ModelError in that stage (tests of failure reporting).
    """

    def __init__(self, stage_delay_s: float = 0.0, fail_stage: str | None = None) -> None:
        self.stage_delay_s = stage_delay_s
        self.fail_stage = fail_stage

    def transcribe(self, audio: Path, hook: ProgressHook) -> Transcript:
        from analysis.errors import ModelError

        if not Path(audio).is_file():
            raise ModelError(f"recording {Path(audio).name} is missing from storage")
        for stage in ("decode", "transcribe", "diarize", "attribute"):
            steps = 4
            for i in range(steps + 1):
                if stage == self.fail_stage and i == 2:
                    raise ModelError(f"fake failure in stage {stage}")
                hook(stage, i, steps)
                if i < steps and self.stage_delay_s:
                    time.sleep(self.stage_delay_s / steps)
        return fake_transcript()

    def score(
        self, transcript: Transcript, leader: str | None, hint: str | None, rubric: Path | None,
        names: PeopleNames | None = None,
    ) -> ScoreResult:
        from analysis.errors import ModelError
        from analysis.transcript_json import transcript_to_dict

        if self.fail_stage == "analyze":
            raise ModelError("fake failure in stage analyze")
        if self.stage_delay_s:
            time.sleep(self.stage_delay_s)
        transcript, roles = resolve_with_names(transcript, leader, hint, names)
        turns = [t for t in transcript.turns if t.speaker == roles.leader]
        questions = sum(t.text.count("?") for t in turns)
        overall = round(min(100.0, 40.0 + 10.0 * questions), 1)
        dims = {"questions": overall, "talk_share": 60.0, "rescue_avoidance": 80.0}
        card = {
            "schema": "coachscore.scorecard/1",
            "generated_by": "coachscore fake pipeline",
            "roles": {"leader": roles.leader, "coachee": roles.coachee, "reason": roles.reason},
            "score": {"overall": overall, "rubric_id": "fake", "rubric_version": "0",
                      "dimensions": [{"key": k, "score": v} for k, v in dims.items()]},
            "speakers": [{"label": s.label, "name": s.name} for s in transcript.speakers],
            "transcript_words": len(transcript_to_dict(transcript)["words"]),
        }
        html = (
            "<!doctype html><html><head><meta charset='utf-8'><title>Scorecard</title></head>"
            f"<body><h1>Scorecard</h1><p>Leader {roles.leader}: {overall}</p></body></html>"
        )
        return ScoreResult(roles, card, html, "fake", "0", overall, dims, 1, transcript.duration_s)


def fake_pipeline(settings: Any = None) -> Pipeline:
    """Factory for ``pipeline_factory``; env COACHSCORE_FAKE_STAGE_DELAY_S and
    COACHSCORE_FAKE_FAIL_STAGE tune it in worker processes."""
    delay = float(os.environ.get("COACHSCORE_FAKE_STAGE_DELAY_S", "0") or 0)
    return FakePipeline(delay, os.environ.get("COACHSCORE_FAKE_FAIL_STAGE") or None)


def fake_transcript() -> Transcript:
    """Two speakers, three turns, 12 s: enough for roles and a score."""
    from analysis.types import Segment, Speaker, Turn, Word

    lines = [
        ("S0", 0.0, 3.0, "What would you like to work on today?"),
        ("S1", 3.8, 8.0, "I keep missing my deadlines and I am not sure why."),
        ("S0", 9.5, 12.0, "What have you tried so far?"),
    ]
    turns, words = [], []
    for spk, start, end, text in lines:
        toks = text.split()
        step = (end - start) / len(toks)
        tw = tuple(
            Word(tok, round(start + i * step, 3), round(start + (i + 1) * step, 3), 0.9, spk)
            for i, tok in enumerate(toks)
        )
        words.extend(tw)
        turns.append(Turn(spk, start, end, text, tw))
    return Transcript(
        duration_s=12.5,
        speakers=(Speaker("S0", None, 0), Speaker("S1", None, 1)),
        turns=tuple(turns),
        words=tuple(words),
        segments=tuple(Segment(t.speaker, t.start, t.end) for t in turns),
    )
