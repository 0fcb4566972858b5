"""Diarization strategies behind one interface, chosen by ``get_diarizer``.

- ``channels``: one speaker per channel (energy VAD per channel, crosstalk rejected).
- ``pyannote``: the operator's local pyannote pipeline directory (config.pyannote_pipeline_dir).
- ``default``: embedded segmentation-3.0 + CAM++ diarizer for mono audio.
- ``auto``: channels when the audio has 2+ channels that look like one speaker each,
  else pyannote when a pipeline directory is configured, else default.
"""

from __future__ import annotations

import logging

from analysis.errors import InputError
from models.audio_types import Audio
from models.config import ModelConfig
from models.diarization.base import TWO_SPEAKERS, DiarizationResult, Diarizer, SpeakerCount

log = logging.getLogger(__name__)

STRATEGIES = ("auto", "channels", "pyannote", "default")

__all__ = [
    "STRATEGIES", "TWO_SPEAKERS", "DiarizationResult", "Diarizer", "SpeakerCount", "get_diarizer", "resolve_strategy",
]


def resolve_strategy(strategy: str, audio: Audio, config: ModelConfig) -> str:
    """The concrete strategy ("channels" | "pyannote" | "default") for ``strategy``."""
    if strategy not in STRATEGIES:
        raise InputError(
            f"unknown diarization strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}"
        )
    if strategy != "auto":
        return strategy
    if audio.num_channels >= 2:
        from models.diarization.channels import channel_evidence

        evidence = channel_evidence(audio)
        log.info(
            "channel evidence: level gap %.1f dB, dominant shares %s",
            evidence.level_gap_db,
            ", ".join(f"{s:.2f}" for s in evidence.dominant_share),
        )
        if evidence.speaker_per_channel():
            return "channels"
    return "pyannote" if config.pyannote_pipeline_dir is not None else "default"


def init_torch_threads(cpu_threads: int = 0) -> None:
    """Set torch's CPU thread count from the calling thread (0 = one per core).

    The pipeline runs diarization in a worker thread beside ASR; when torch's thread pool
    was first set up there instead of here, diarization of a 10-minute recording beside
    ASR took 34 s instead of 25 s on 2 cores."""
    import os

    import torch

    torch.set_num_threads(cpu_threads or os.cpu_count() or 1)


def get_diarizer(strategy: str, audio: Audio, config: ModelConfig) -> Diarizer:
    """A diarizer for ``audio``. Raises InputError for an unknown strategy or
    ``channels`` on mono audio, ModelMissingError when needed weights are absent."""
    chosen = resolve_strategy(strategy, audio, config)
    log.info("diarization strategy: %s (requested %s)", chosen, strategy)
    if chosen == "channels":
        if audio.num_channels < 2:
            raise InputError(
                "diarization 'channels' needs one speaker per channel, but the audio is mono"
            )
        from models.diarization.channels import ChannelDiarizer

        return ChannelDiarizer()
    if chosen == "pyannote":
        if config.pyannote_pipeline_dir is None:
            raise InputError(
                "diarization 'pyannote' needs a pipeline directory: set "
                "COACHSCORE_PYANNOTE_PIPELINE_DIR"
            )
        from models.diarization.pyannote_dir import PyannotePipelineDiarizer

        init_torch_threads(config.cpu_threads)
        return PyannotePipelineDiarizer(config.pyannote_pipeline_dir, config.device)
    from models.diarization.embedded import EmbeddedDiarizer
    from models.diarization.weights import diarization_weights

    init_torch_threads(config.cpu_threads)
    return EmbeddedDiarizer(diarization_weights(config.models_dir), device=config.device)
