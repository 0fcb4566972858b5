"""The audio half of coachscore: recording -> speaker-attributed Transcript.

``transcribe(audio, options, models)`` is what every caller uses; ``transcribe_file`` is
the same with the models spelled out (tests, benchmarks).

decode (PyAV) -> choose diarizer (fails fast on missing weights, before ASR) -> transcribe
(faster-whisper) and diarize side by side -> attribute words to speakers.

ASR and diarization run at the same time (diarization in a worker thread): neither keeps
both cores busy on its own, so the pair costs little more wall time than ASR alone
(10-minute recording, 2 cores: 41.7 s in sequence, 25 s side by side, ASR alone 22.5 s;
``get_diarizer`` sets torch's thread count from this thread, which that figure needs).
Wall time of every stage is recorded in ``TranscriptMeta.stage_timings_s`` (seconds;
"transcribe" and "diarize" overlap; "total" covers all stages). Progress goes through
``hook(stage, completed, total)`` with stages "decode", "transcribe", "diarize",
"attribute", always called from the calling thread and in that order.

``Transcript.warnings`` gets one plain-English line per speaker beyond the two who talk
most (a 1:1 has two people; the scorecard repeats it in its reliability reasons).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

from analysis.types import ProgressHook, Transcript, TranscriptMeta, no_progress
from analysis.units import format_clock
from models.asr import ASR, AsrResult
from models.audio_types import Audio
from models.config import ModelConfig
from models.decode import decode_audio
from models.diarization.base import TWO_SPEAKERS, Diarizer, SpeakerCount

if TYPE_CHECKING:
    from service.pipeline.model_set import ModelSet

log = logging.getLogger(__name__)

T = TypeVar("T")
DiarizerFactory = Callable[[str, Audio, ModelConfig], Diarizer]


@dataclass(frozen=True)
class TranscribeOptions:
    """How to transcribe one recording: the diarization strategy ("auto" | "channels" |
    "pyannote" | "default"), how many speakers to find, and the longest recording
    accepted (seconds; None = no limit)."""

    diarization: str = "auto"
    speakers: SpeakerCount = TWO_SPEAKERS
    max_duration_s: float | None = None


def transcribe(
    audio: Path, options: TranscribeOptions, models: ModelSet, hook: ProgressHook = no_progress
) -> Transcript:
    """The audio half, for every caller: recording -> speaker-attributed Transcript with
    ``models`` (real or fake). Raises InputError subclasses, ModelMissingError, ModelError."""
    s = options.speakers
    return transcribe_file(
        audio, models.config, hook, diarization=options.diarization, num_speakers=s.exact,
        min_speakers=s.at_least, max_speakers=s.at_most, max_duration_s=options.max_duration_s,
        asr=models.asr, diarizer_factory=models.diarizer_factory,
    )  # fmt: skip


def transcribe_file(
    path: Path,
    config: ModelConfig,
    hook: ProgressHook = no_progress,
    *,
    diarization: str = "auto",
    num_speakers: int | None = 2,
    min_speakers: int | None = None,
    max_speakers: int | None = None,
    max_duration_s: float | None = None,
    asr: ASR | None = None,
    diarizer_factory: DiarizerFactory | None = None,
) -> Transcript:
    """Turn the recording at ``path`` into a speaker-attributed Transcript.

    ``diarization`` is "auto" | "channels" | "pyannote" | "default"; speaker counts go to
    the diarizer. ``asr``/``diarizer_factory`` replace the real models (tests, benchmarks).
    Raises InputError subclasses for bad audio/options, ModelMissingError, ModelError.
    """
    path = Path(path)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    speakers = SpeakerCount(num_speakers, min_speakers, max_speakers)  # checked before minutes of work
    recogniser = asr if asr is not None else _whisper(config)  # resolve the model first
    audio = _timed(timings, "decode", lambda: decode_audio(path, max_duration_s=max_duration_s))
    hook("decode", audio.duration_s, audio.duration_s)
    diarizer = (diarizer_factory or _get_diarizer)(diarization, audio, config)
    relay = _ProgressRelay(hook)
    with ThreadPoolExecutor(1, thread_name_prefix="diarize") as pool:  # exit waits for it
        pending = pool.submit(
            _timed, timings, "diarize",
            lambda: diarizer.diarize(audio, speakers=speakers, hook=relay.record),
        )  # fmt: skip
        result: AsrResult = _timed(
            timings, "transcribe", lambda: recogniser.transcribe(audio, hook)
        )
        try:
            dia = pending.result()
        finally:
            relay.flush()  # a diarization failure is reported in stage "diarize"
    meta = TranscriptMeta(
        source="audio",
        audio_file=path.name,
        language=result.language,
        asr=result.model,
        diarizer=dia.model,
        num_channels=audio.num_channels,
    )
    transcript = _timed(timings, "attribute", lambda: _attribute(result, dia, audio.duration_s, meta))
    transcript = replace(transcript, warnings=transcript.warnings + speaker_warnings(transcript))
    for line in transcript.warnings:
        log.warning("%s: %s", path.name, line)
    hook("attribute", 1.0, 1.0)
    timings["total"] = time.perf_counter() - started
    log.info("%s: %.1f s of audio transcribed; stage seconds %s", path.name, audio.duration_s,
             {k: round(v, 2) for k, v in timings.items()})  # fmt: skip
    return replace(transcript, meta=replace(transcript.meta, stage_timings_s=dict(timings)))


_ORDINALS = ("third", "fourth", "fifth", "sixth")


def speaker_warnings(transcript: Transcript) -> tuple[str, ...]:
    """One warning per speaker beyond the two who talk most, most talkative first, naming
    the speaker's label (and name, when known) and their talk time in m:ss and seconds.
    Talk time is the speaker's diarization segments (their turns when there are none)."""
    spans = transcript.segments or transcript.turns
    talk = {s.label: 0.0 for s in transcript.speakers}
    for x in spans:
        talk[x.speaker] = talk.get(x.speaker, 0.0) + max(0.0, x.end - x.start)
    total = sum(talk.values())
    ranked = sorted(talk.items(), key=lambda kv: -kv[1])[2:]  # stable: first found wins ties
    out = []
    for k, (label, seconds) in enumerate(ranked):
        nth = _ORDINALS[k] if k < len(_ORDINALS) else "further"
        name = transcript.display_name(label)
        who = label if name == label else f"{name} ({label})"
        share = f", {seconds / total:.0%} of the talk" if total > 0 else ""
        secs = f"{seconds:.1f}" if seconds < 9.95 else f"{seconds:.0f}"
        out.append(
            f"A {nth} speaker, {who}, was found: they talk for {format_clock(seconds)} "
            f"({secs} s{share}). The scores treat the recording as a 1:1 between "
            "a leader and a coachee, so check who is who before reading them."
        )
    return tuple(out)


class _ProgressRelay:
    """Holds the diarization thread's latest progress until the calling thread reports it
    (ASR reports straight to ``hook``), so ``hook`` is only ever called from one thread."""

    def __init__(self, hook: ProgressHook) -> None:
        self._hook = hook
        self._lock = threading.Lock()
        self._diarize: tuple[float, float] | None = None

    def record(self, stage: str, done: float, total: float) -> None:
        with self._lock:
            self._diarize = (done, total)

    def flush(self) -> None:
        with self._lock:
            latest = self._diarize
        self._hook("diarize", *(latest or (0.0, 1.0)))


def _timed(timings: dict[str, float], stage: str, fn: Callable[[], T]) -> T:
    t0 = time.perf_counter()
    value = fn()
    timings[stage] = time.perf_counter() - t0
    return value


def _whisper(config: ModelConfig) -> ASR:
    from models.asr import WhisperASR

    return WhisperASR(config)


def _get_diarizer(strategy: str, audio: Audio, config: ModelConfig) -> Diarizer:
    from models.diarization import get_diarizer

    return get_diarizer(strategy, audio, config)


def _attribute(result: AsrResult, dia, duration_s: float, meta: TranscriptMeta) -> Transcript:
    from analysis.attribution import build_transcript

    return build_transcript(result.words, dia.segments, dia.speakers, duration_s, meta)
