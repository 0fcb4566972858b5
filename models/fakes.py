"""Small stand-ins for the heavy models, for tests and for wiring checks without weights.

``FakeASR`` returns words it was given; ``FakeDiarizer`` returns segments it was given
(or splits the recording into alternating speaker blocks). Both report progress like the
real adapters and return the same result types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from analysis.types import ModelInfo, ProgressHook, Segment, Word, no_progress
from models.asr import AsrResult, AsrSegment
from models.audio_types import Audio
from models.config import ModelConfig
from models.diarization.base import TWO_SPEAKERS, DiarizationResult, SpeakerCount, relabel_by_appearance


@dataclass(frozen=True)
class FakeASR:
    """Returns ``words`` (those starting within the audio), one segment per word."""

    words: Sequence[Word] = ()
    language: str = "en"

    def transcribe(self, audio: Audio, hook: ProgressHook = no_progress) -> AsrResult:
        total = audio.duration_s
        kept = tuple(sorted((w for w in self.words if w.start < total), key=lambda w: w.start))
        for w in kept:
            hook("transcribe", min(w.end, total), total)
        hook("transcribe", total, total)
        return AsrResult(
            words=kept,
            segments=tuple(AsrSegment(w.text, w.start, w.end) for w in kept),
            language=self.language,
            duration_s=total,
            model=ModelInfo("fake-asr", "0"),
        )


@dataclass(frozen=True)
class FakeDiarizer:
    """Returns ``segments`` when given; otherwise alternates speakers every ``block_s``
    seconds (S0, S1, S0, ...). Channel recordings get one speaker per channel."""

    segments: Sequence[Segment] | None = None
    block_s: float = 5.0

    def diarize(
        self,
        audio: Audio,
        *,
        speakers: SpeakerCount = TWO_SPEAKERS,
        hook: ProgressHook = no_progress,
    ) -> DiarizationResult:
        total = audio.duration_s
        segs = list(self.segments) if self.segments is not None else self._blocks(total, speakers.exact or 2)
        hook("diarize", total, total)
        segments, speakers = relabel_by_appearance(segs)
        return DiarizationResult(segments, speakers, ModelInfo("fake-diarizer", "0"))

    def _blocks(self, total: float, n: int) -> list[Segment]:
        out, start, i = [], 0.0, 0
        while start < total:
            out.append(Segment(f"spk{i % n}", start, min(total, start + self.block_s)))
            start += self.block_s
            i += 1
        return out


def fake_diarizer_factory(diarizer: FakeDiarizer | None = None):
    """A ``get_diarizer``-shaped factory that always returns ``diarizer``."""
    chosen = diarizer or FakeDiarizer()

    def factory(strategy: str, audio: Audio, config: ModelConfig) -> FakeDiarizer:
        return chosen

    return factory
