"""Settings from environment variables (prefix ``COACHSCORE_``) and an optional
config file (``COACHSCORE_CONFIG``, TOML/YAML/JSON is not parsed here: env file format).
Nothing is created at import time: call ``get_settings()``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.config import ModelConfig


def _default_home() -> Path:
    return Path.home() / ".local" / "share" / "coachscore"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COACHSCORE_", env_file=None, extra="ignore")

    home: Path = Field(default_factory=_default_home, description="Base directory for data and models.")
    models_dir: Path | None = Field(None, description="Model cache; default HOME/models.")
    whisper_model: str = "tiny.en"
    device: str = "cpu"
    compute_type: str = "int8"
    language: str | None = "en"
    cpu_threads: int = 0
    pyannote_pipeline_dir: Path | None = None

    def resolved_models_dir(self) -> Path:
        return self.models_dir or self.home / "models"

    def model_config_(self) -> ModelConfig:
        return ModelConfig(
            models_dir=self.resolved_models_dir(),
            whisper_model=self.whisper_model,
            device=self.device,
            compute_type=self.compute_type,
            language=self.language or None,
            cpu_threads=self.cpu_threads,
            pyannote_pipeline_dir=self.pyannote_pipeline_dir,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
