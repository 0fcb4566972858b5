"""Speech recognition with faster-whisper (CTranslate2), loaded lazily, once per process.

The adapter transcribes the mono mixdown of the decoded audio with word timestamps and
faster-whisper's bundled Silero VAD filter, and returns ``analysis`` Words. Speaker
attribution is a later stage (channel activity or a diarizer), not ASR's job.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from analysis.errors import ModelError
from analysis.types import ModelInfo, ProgressHook, Word, no_progress
from models.audio_types import Audio
from models.config import ModelConfig
from models.registry import ResolvedModel, resolve_whisper

log = logging.getLogger(__name__)

STAGE = "transcribe"


@dataclass(frozen=True)
class AsrSegment:
    """One Whisper segment (a phrase), seconds on the recording's clock."""

    text: str
    start: float
    end: float
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0


@dataclass(frozen=True)
class AsrResult:
    """Words (sorted by start, text stripped of Whisper's leading space), segments, the
    spoken language, the audio duration in seconds, and which model produced them."""

    words: tuple[Word, ...]
    segments: tuple[AsrSegment, ...]
    language: str
    duration_s: float
    model: ModelInfo
    language_probability: float = 1.0


class ASR(Protocol):
    """What the pipeline needs from a recogniser (WhisperASR, or FakeASR in tests)."""

    def transcribe(self, audio: Audio, hook: ProgressHook = no_progress) -> AsrResult: ...


class WhisperASR:
    """faster-whisper adapter. Construction resolves the model path (raising
    ModelMissingError when absent); the weights load on first use and are shared by every
    WhisperASR with the same path/device/compute type in this process."""

    def __init__(self, config: ModelConfig, *, beam_size: int = 5) -> None:
        self.config = config
        self.resolved: ResolvedModel = resolve_whisper(config)
        self.beam_size = beam_size

    @property
    def model_info(self) -> ModelInfo:
        import faster_whisper

        return ModelInfo(
            name=f"faster-whisper {self.resolved.name}",
            version=faster_whisper.__version__,
            details={
                "path": str(self.resolved.path),
                "source": self.resolved.source,
                "device": self.config.device,
                "compute_type": self.config.compute_type,
                "beam_size": str(self.beam_size),
                "vad": "silero (faster-whisper)",
            },
        )

    def transcribe(self, audio: Audio, hook: ProgressHook = no_progress) -> AsrResult:
        """Transcribe the mono mixdown; hook("transcribe", done_s, total_s) per segment."""
        model = _load(self.resolved, self.config)
        total = audio.duration_s
        language = self._language(model)
        hook(STAGE, 0.0, total)
        try:
            segments, info = model.transcribe(
                audio.mono(),
                language=language,
                beam_size=self.beam_size,
                word_timestamps=True,
                vad_filter=True,
                condition_on_previous_text=False,
            )
            words, segs = _collect(segments, total, hook)
        except Exception as e:  # faster-whisper/CTranslate2 raise plain RuntimeError etc.
            raise ModelError(f"speech recognition failed ({self.resolved.name}): {e}") from e
        hook(STAGE, total, total)
        return AsrResult(
            words=words,
            segments=segs,
            language=str(info.language),
            duration_s=total,
            model=self.model_info,
            language_probability=float(info.language_probability),
        )

    def _language(self, model: Any) -> str | None:
        wanted = self.config.language
        if not model.model.is_multilingual:
            if wanted not in (None, "en"):
                log.warning("%s is English-only; ignoring language=%r", self.resolved.name, wanted)
            return "en"
        return wanted


def _collect(segments: Any, total: float, hook: ProgressHook) -> tuple[tuple[Word, ...], tuple[AsrSegment, ...]]:
    words: list[Word] = []
    segs: list[AsrSegment] = []
    for seg in segments:
        segs.append(
            AsrSegment(seg.text.strip(), float(seg.start), float(seg.end),
                       float(seg.avg_logprob), float(seg.no_speech_prob))
        )  # fmt: skip
        for w in seg.words or ():
            text = w.word.strip()
            if text:
                start = max(0.0, float(w.start))
                words.append(Word(text, start, max(start, float(w.end)), float(w.probability)))
        hook(STAGE, min(float(seg.end), total), total)
    words.sort(key=lambda w: w.start)
    return tuple(words), tuple(segs)


# --------------------------------------------------------------------------- model cache

_CACHE: dict[tuple[str, str, str, int], Any] = {}
_LOCK = threading.Lock()


def _load(resolved: ResolvedModel, config: ModelConfig) -> Any:
    """Load (once per process) the CTranslate2 Whisper model for this path/device/type."""
    key = (str(resolved.path), config.device, config.compute_type, config.cpu_threads)
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = _construct(resolved, config)
        return _CACHE[key]


def _construct(resolved: ResolvedModel, config: ModelConfig) -> Any:
    from faster_whisper import WhisperModel

    log.info("loading Whisper %s from %s (%s, %s)", resolved.name, resolved.path,
             config.device, config.compute_type)  # fmt: skip
    try:
        return WhisperModel(
            str(resolved.path),
            device=config.device,
            compute_type=config.compute_type,
            cpu_threads=config.cpu_threads,
            local_files_only=True,
        )
    except Exception as e:  # ValueError (bad compute type), RuntimeError (CUDA, corrupt file)
        raise ModelError(
            f"could not load Whisper model {resolved.name} from {resolved.path} "
            f"(device={config.device}, compute_type={config.compute_type}): {e}"
        ) from e


def loaded_model_count() -> int:
    """How many Whisper models this process holds (for tests and health checks)."""
    return len(_CACHE)
