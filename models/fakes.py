"""Small stand-ins for the heavy models, for tests and for wiring checks without weights.

``FakeASR`` returns words it was given; ``FakeDiarizer`` returns segments it was given
(or splits the recording into alternating speaker blocks). ``ScriptedConversation`` pairs
them into a scripted talk laid over any recording (``service.pipeline.fake_models``). All
report progress like the real adapters and return the same result types.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

from analysis.errors import ModelError
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


# --------------------------------------------------------------------------- scripted


DEFAULT_SCRIPT: tuple[tuple[str, str], ...] = (
    ("spk0", "What would you like to work on today?"),
    ("spk1", "I keep missing my deadlines and I am not sure why."),
    ("spk0", "What have you tried so far?"),
)


@dataclass(frozen=True)
class ScriptedConversation:
    """A scripted talk laid out over whatever recording it is given: ``asr()`` says its
    words, ``diarizer()`` its turns, so the real pipeline turns any decodable file into a
    known transcript. ``stage_delay_s`` makes each of the two stages take that long
    (load and crash scripts); ``fail_stage`` ("transcribe" | "diarize") raises ModelError
    half-way through that stage (failure reporting tests)."""

    lines: tuple[tuple[str, str], ...] = DEFAULT_SCRIPT
    stage_delay_s: float = 0.0
    fail_stage: str | None = None

    def timeline(self, duration_s: float) -> tuple[tuple[str, float, float, str], ...]:
        """(speaker, start s, end s, text) per line: equal slots over ``duration_s``, each
        turn filling 80 % of its slot."""
        slot = duration_s / max(1, len(self.lines))
        return tuple(
            (spk, round(i * slot + 0.1 * slot, 3), round((i + 0.9) * slot, 3), text)
            for i, (spk, text) in enumerate(self.lines)
        )

    def asr(self) -> "ScriptedASR":
        return ScriptedASR(self)

    def diarizer(self) -> "ScriptedDiarizer":
        return ScriptedDiarizer(self)

    def run_stage(self, stage: str, total: float, hook: ProgressHook) -> None:
        """Report progress in four steps over ``stage_delay_s``; fail half-way if asked."""
        for i in range(5):
            if stage == self.fail_stage and i == 2:
                raise ModelError(f"fake failure in stage {stage}")
            hook(stage, total * i / 4, total)
            if i < 4 and self.stage_delay_s:
                time.sleep(self.stage_delay_s / 4)


@dataclass(frozen=True)
class ScriptedASR:
    """The ASR half of a ScriptedConversation: each line's words spread evenly over its turn."""

    script: ScriptedConversation

    def transcribe(self, audio: Audio, hook: ProgressHook = no_progress) -> AsrResult:
        total = audio.duration_s
        self.script.run_stage("transcribe", total, hook)
        words: list[Word] = []
        for _, start, end, text in self.script.timeline(total):
            toks = text.split()
            step = (end - start) / len(toks)
            words += [Word(t, round(start + i * step, 3), round(start + (i + 1) * step, 3), 0.9)
                      for i, t in enumerate(toks)]
        return FakeASR(tuple(words)).transcribe(audio)


@dataclass(frozen=True)
class ScriptedDiarizer:
    """The diarizer half of a ScriptedConversation: one segment per line."""

    script: ScriptedConversation

    def diarize(
        self, audio: Audio, *, speakers: SpeakerCount = TWO_SPEAKERS, hook: ProgressHook = no_progress
    ) -> DiarizationResult:
        self.script.run_stage("diarize", audio.duration_s, hook)
        segments = tuple(Segment(spk, a, b) for spk, a, b, _ in self.script.timeline(audio.duration_s))
        return FakeDiarizer(segments).diarize(audio, speakers=speakers)
