"""The diarizer interface and small helpers shared by the three strategies.

A diarizer turns decoded audio into speaker segments (seconds on the recording's clock).
Speaker labels are "S0", "S1", ... in order of first appearance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol

from analysis.errors import InputError
from analysis.types import ModelInfo, ProgressHook, Segment, Speaker, no_progress
from models.audio_types import Audio

STAGE = "diarize"


@dataclass(frozen=True)
class DiarizationResult:
    """Speaker segments sorted by start (they may overlap across speakers), the speakers
    found (labels "S0", "S1", ...), and which model produced them."""

    segments: tuple[Segment, ...]
    speakers: tuple[Speaker, ...]
    model: ModelInfo


@dataclass(frozen=True)
class SpeakerCount:
    """How many speakers to find: exactly ``exact`` when set, else between ``at_least`` and
    ``at_most`` (None: unbounded). Impossible values raise InputError, named after the
    user-facing options (num_speakers, min_speakers, max_speakers)."""

    exact: int | None = 2
    at_least: int | None = None
    at_most: int | None = None

    def __post_init__(self) -> None:
        for name, value in (
            ("num_speakers", self.exact),
            ("min_speakers", self.at_least),
            ("max_speakers", self.at_most),
        ):
            if value is not None and value < 1:
                raise InputError(f"{name} must be >= 1, got {value}")
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            raise InputError(
                f"min_speakers ({self.at_least}) must not exceed max_speakers ({self.at_most})"
            )


TWO_SPEAKERS = SpeakerCount()  # a 1:1


class Diarizer(Protocol):
    """Who speaks when. ``hook("diarize", done_s, total_s)`` reports progress."""

    def diarize(
        self,
        audio: Audio,
        *,
        speakers: SpeakerCount = TWO_SPEAKERS,
        hook: ProgressHook = no_progress,
    ) -> DiarizationResult: ...


def merge_close(segments: Iterable[Segment], max_gap_s: float) -> list[Segment]:
    """Merge each speaker's segments separated by less than ``max_gap_s`` seconds."""
    by_speaker: dict[str, list[Segment]] = {}
    for seg in sorted(segments, key=lambda s: (s.speaker, s.start)):
        runs = by_speaker.setdefault(seg.speaker, [])
        if runs and seg.start - runs[-1].end < max_gap_s:
            last = runs[-1]
            runs[-1] = Segment(last.speaker, last.start, max(last.end, seg.end))
        else:
            runs.append(seg)
    return sorted((s for runs in by_speaker.values() for s in runs), key=_order)


def _order(seg: Segment) -> tuple[float, float, str]:
    return (seg.start, seg.end, seg.speaker)


def relabel_by_appearance(
    segments: Iterable[Segment], channels: dict[str, int] | None = None
) -> tuple[tuple[Segment, ...], tuple[Speaker, ...]]:
    """Rename speakers to "S0", "S1", ... in order of first appearance; sort segments.

    ``channels`` maps an original label to its channel index (kept on the Speaker)."""
    ordered = sorted(segments, key=_order)
    mapping: dict[str, str] = {}
    for seg in ordered:
        mapping.setdefault(seg.speaker, f"S{len(mapping)}")
    channels = channels or {}
    speakers = tuple(Speaker(label=new, channel=channels.get(old)) for old, new in mapping.items())
    renamed = tuple(Segment(mapping[s.speaker], s.start, s.end) for s in ordered)
    return renamed, speakers
