"""The models one process scores with, chosen once: the real ones (faster-whisper, the
configured diarizer, spaCy) or the scripted fakes of ``models.fakes`` (no weights, no
spaCy; for tests and the load/crash scripts). Heavy libraries load on first use and stay
loaded for the process, so a worker or a batch pays for them once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.asr import ASR
from models.config import ModelConfig
from models.fakes import ScriptedConversation
from service.pipeline.audio import DiarizerFactory
from service.settings import Settings


@dataclass(frozen=True)
class ModelSet:
    """``asr``/``diarizer_factory`` None mean the real models; ``use_nlp`` False scores
    with the regex sentence rules only (no spaCy, no sentence encoder)."""

    config: ModelConfig
    asr: ASR | None = None
    diarizer_factory: DiarizerFactory | None = None
    use_nlp: bool = True

    def nlp(self) -> Any | None:
        """The spaCy pipeline (loaded once per process), or None when ``use_nlp`` is off.
        Raises ModelMissingError when the spaCy model is not installed."""
        if not self.use_nlp:
            return None
        from models.nlp import load_nlp

        return load_nlp(self.config.spacy_model)

    def encoder(self) -> Any | None:
        """The sentence encoder for the acts' trained layer (one per process; the model loads
        on first use), or None when ``use_nlp`` is off: the rules alone judge the acts."""
        if not self.use_nlp:
            return None
        from models.embeddings import load_encoder

        return load_encoder()


def fake_models(config: ModelConfig, script: ScriptedConversation | None = None) -> ModelSet:
    """Scripted ASR and diarizer (any decodable recording becomes ``script``'s talk), no spaCy."""
    chosen = script or ScriptedConversation()
    diarizer = chosen.diarizer()
    return ModelSet(config, asr=chosen.asr(), diarizer_factory=lambda *_: diarizer, use_nlp=False)


def models_for(settings: Settings) -> ModelSet:
    """The model set ``settings.model_backend`` names ("real" | "fake")."""
    config = settings.model_config_()
    if settings.model_backend == "fake":
        return fake_models(config, ScriptedConversation(stage_delay_s=settings.fake_model_delay_s))
    return ModelSet(config)
