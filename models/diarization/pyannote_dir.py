"""The operator's own pyannote pipeline, loaded offline from a local directory.

``pipeline_dir`` holds a pyannote pipeline checkpoint (``config.yaml`` plus the sub-model
folders it references as ``$model/...``), e.g. a local copy of
``pyannote/speaker-diarization-community-1``. It runs exactly as configured there.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import numpy as np

from analysis.errors import ModelError, ModelMissingError
from analysis.types import ModelInfo, ProgressHook, Segment, no_progress
from models.audio_types import Audio
from models.diarization.base import (
    STAGE,
    TWO_SPEAKERS,
    DiarizationResult,
    SpeakerCount,
    relabel_by_appearance,
)
from models.diarization.embedded import prepare_pyannote_env

log = logging.getLogger(__name__)


def check_pipeline_dir(pipeline_dir: Path) -> Path:
    """The pipeline's config.yaml; ModelMissingError when the directory or file is absent."""
    config = Path(pipeline_dir) / "config.yaml"
    if not Path(pipeline_dir).is_dir():
        raise ModelMissingError(
            f"pyannote pipeline directory {pipeline_dir} does not exist "
            "(set COACHSCORE_PYANNOTE_PIPELINE_DIR to a local pipeline, or use --diarization default)"
        )
    if not config.is_file():
        raise ModelMissingError(
            f"pyannote pipeline directory {pipeline_dir} has no config.yaml "
            "(expected a pipeline checkpoint such as speaker-diarization-community-1)"
        )
    return config


@lru_cache(maxsize=2)
def _load_pipeline(pipeline_dir: str, device: str):
    prepare_pyannote_env()
    try:
        import torch
        from pyannote.audio import Pipeline

        pipeline = Pipeline.from_pretrained(pipeline_dir)
        if pipeline is None:
            raise ModelError(f"pyannote returned no pipeline for {pipeline_dir}")
        if device != "cpu":
            pipeline.to(torch.device("cuda" if device == "auto" else device))
        return pipeline
    except ModelError:
        raise
    except Exception as e:
        raise ModelError(
            f"could not load the pyannote pipeline in {pipeline_dir}: {type(e).__name__}: {e}"
        ) from e


class PyannotePipelineDiarizer:
    """Runs a local pyannote pipeline on in-memory audio (no FFmpeg decoding)."""

    name = "pyannote-pipeline"

    def __init__(self, pipeline_dir: Path, device: str = "cpu") -> None:
        check_pipeline_dir(pipeline_dir)
        self.pipeline_dir = Path(pipeline_dir)
        self.device = device

    def diarize(
        self,
        audio: Audio,
        *,
        speakers: SpeakerCount = TWO_SPEAKERS,
        hook: ProgressHook = no_progress,
    ) -> DiarizationResult:
        """Segments from the configured pipeline, labels S0.. by first appearance."""
        pipeline = _load_pipeline(str(self.pipeline_dir), self.device)
        annotation = self._apply(pipeline, audio, speakers, hook)
        hook(STAGE, audio.duration_s, audio.duration_s)
        segments = [
            Segment(str(label), float(turn.start), float(turn.end))
            for turn, _, label in annotation.itertracks(yield_label=True)
        ]
        renamed, speakers = relabel_by_appearance(segments)
        info = ModelInfo(self.name, self.pipeline_dir.name, {"path": str(self.pipeline_dir)})
        return DiarizationResult(renamed, speakers, info)

    def _apply(self, pipeline, audio: Audio, speakers: SpeakerCount, hook):
        import torch

        waveform = torch.from_numpy(np.ascontiguousarray(audio.mono(), dtype=np.float32))[None]
        options = _supported(
            pipeline,
            {
                "num_speakers": speakers.exact,
                "min_speakers": speakers.at_least,
                "max_speakers": speakers.at_most,
                "hook": _progress_adapter(hook, audio.duration_s),
            },
        )
        try:
            output = pipeline({"waveform": waveform, "sample_rate": audio.sample_rate}, **options)
        except Exception as e:
            raise ModelError(
                f"pyannote pipeline {self.pipeline_dir.name} failed: {type(e).__name__}: {e}"
            ) from e
        # pyannote 4 returns DiarizeOutput; 3.x pipelines / legacy mode return an Annotation
        return getattr(output, "speaker_diarization", output)


def _supported(pipeline, options: dict) -> dict:
    """The speaker-count options the pipeline's ``apply`` accepts (others are logged)."""
    import inspect

    params = inspect.signature(pipeline.apply).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    kept = {k: v for k, v in options.items() if v is not None and k in params}
    dropped = [k for k, v in options.items() if v is not None and k not in params]
    if dropped and not takes_any:
        log.warning("%s ignores %s", type(pipeline).__name__, ", ".join(dropped))
    return kept


def _progress_adapter(hook: ProgressHook, seconds: float):
    """pyannote's hook(step, artefact, file=, completed=, total=) -> hook("diarize", s, total):
    segmentation fills the first half, embeddings the next 45 %."""
    spans = {"segmentation": (0.0, 0.5), "embeddings": (0.5, 0.45)}

    def pyannote_hook(step_name, step_artefact, file=None, completed=None, total=None):
        if step_name in spans and completed is not None and total:
            offset, width = spans[step_name]
            hook(STAGE, seconds * (offset + width * min(1.0, completed / total)), seconds)

    return pyannote_hook
