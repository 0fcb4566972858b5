"""Speech recognition with faster-whisper (CTranslate2), loaded lazily, once per process.

The adapter transcribes the mono mixdown of the decoded audio with word timestamps and
faster-whisper's bundled Silero VAD filter, and returns ``analysis`` Words. Speaker
attribution is a later stage (channel activity or a diarizer), not ASR's job.

Long recordings are transcribed in pieces of about ``piece_s`` seconds, cut at the
quietest 0.2 s within ``CUT_SEARCH_S`` of each nominal boundary: faster-whisper computes
the log-mel features of its whole input at once, which for 60 minutes of audio costs
about 3 GB of temporaries; pieces keep that to a few hundred MB. Timestamps are shifted
back onto the recording's clock. The language of the first piece is kept for the rest.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from analysis.errors import ModelError
from analysis.types import ModelInfo, ProgressHook, Word, no_progress
from models.audio_types import Audio
from models.config import ModelConfig
from models.registry import ResolvedModel, resolve_whisper

log = logging.getLogger(__name__)

STAGE = "transcribe"
PIECE_S = 300.0  # seconds of audio per faster-whisper call
CUT_SEARCH_S = 20.0  # look this far either side of a nominal cut for a quiet spot
CUT_FRAME_S = 0.2
ASR_SEED = 0  # seed of CTranslate2's sampling for the temperature fallback


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

    def __init__(self, config: ModelConfig, *, beam_size: int = 5, piece_s: float = PIECE_S) -> None:
        self.config = config
        self.resolved: ResolvedModel = resolve_whisper(config)
        self.beam_size = beam_size
        self.piece_s = piece_s

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
                "piece_s": str(self.piece_s),
                "vad": "silero (faster-whisper)",
            },
        )

    def transcribe(self, audio: Audio, hook: ProgressHook = no_progress) -> AsrResult:
        """Transcribe the mono mixdown; hook("transcribe", done_s, total_s) per segment.
        Deterministic: the sampling that Whisper's temperature fallback uses is seeded."""
        import ctranslate2

        model = _load(self.resolved, self.config)
        ctranslate2.set_random_seed(ASR_SEED)  # same recording, same words (fallback samples)
        mono, total = audio.mono(), audio.duration_s
        language = self._language(model)
        hook(STAGE, 0.0, total)
        words: list[Word] = []
        segs: list[AsrSegment] = []
        info: Any = None
        bounds = cut_points(mono, audio.sample_rate, self.piece_s)
        try:
            for start, end in zip(bounds, bounds[1:]):
                segments, info = model.transcribe(
                    mono[start:end],
                    language=language,
                    beam_size=self.beam_size,
                    word_timestamps=True,
                    vad_filter=True,
                    condition_on_previous_text=False,
                )
                language = language or info.language  # detected once, then kept
                piece_words, piece_segs = _collect(segments, start / audio.sample_rate, total, hook)
                words += piece_words
                segs += piece_segs
        except Exception as e:  # faster-whisper/CTranslate2 raise plain RuntimeError etc.
            raise ModelError(f"speech recognition failed ({self.resolved.name}): {e}") from e
        hook(STAGE, total, total)
        return AsrResult(
            words=tuple(sorted(words, key=lambda w: w.start)),
            segments=tuple(segs),
            language=str(language or info.language),
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


def cut_points(mono: np.ndarray, sample_rate: int, piece_s: float) -> list[int]:
    """Sample indices [0, c1, ..., n] splitting ``mono`` into pieces of about ``piece_s``
    seconds, each cut at the lowest-energy 0.2 s frame near the nominal boundary."""
    n = mono.shape[0]
    search_s = min(CUT_SEARCH_S, piece_s / 4)
    piece, search, frame = (int(x * sample_rate) for x in (piece_s, search_s, CUT_FRAME_S))
    cuts = [0]
    while n - cuts[-1] > piece + search:
        lo = max(cuts[-1] + piece - search, cuts[-1] + frame)
        window = mono[lo : lo + 2 * search]
        k = window.shape[0] // frame
        energy = np.square(window[: k * frame].reshape(k, frame), dtype=np.float32).mean(axis=1)
        cuts.append(lo + int(np.argmin(energy)) * frame + frame // 2)
    return cuts + [n]


def _collect(segments: Any, offset: float, total: float, hook: ProgressHook) -> tuple[list[Word], list[AsrSegment]]:
    """One piece's words and segments, shifted by ``offset`` seconds onto the recording."""
    words: list[Word] = []
    segs: list[AsrSegment] = []
    for seg in segments:
        start, end = offset + float(seg.start), offset + float(seg.end)
        segs.append(AsrSegment(seg.text.strip(), start, end, float(seg.avg_logprob), float(seg.no_speech_prob)))
        for w in seg.words or ():
            text = w.word.strip()
            if text:
                ws = max(0.0, offset + float(w.start))
                words.append(Word(text, ws, max(ws, offset + float(w.end)), float(w.probability)))
        hook(STAGE, min(end, total), total)
    return words, segs


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

