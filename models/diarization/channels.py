"""Channel-per-speaker diarization: each channel's voice activity is one speaker's speech.

For Zoom/Riverside/phone exports where every participant has their own track. Per
channel: 20 ms frame energies (dB), a noise floor and speech level estimated from the
channel's own distribution, hysteresis thresholds between them, then gap filling and a
minimum duration. Crosstalk (the other voice leaking into a microphone) is rejected by
comparing channels frame by frame: a frame far quieter than the loudest channel is bleed,
not speech. No model is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.types import ModelInfo, ProgressHook, Segment, no_progress
from models.audio_types import Audio
from models.diarization.base import (
    STAGE,
    TWO_SPEAKERS,
    DiarizationResult,
    SpeakerCount,
    relabel_by_appearance,
)

_EPS = 1e-10


@dataclass(frozen=True)
class ChannelParams:
    """Energy VAD settings. Times in seconds, levels in dB.

    ``onset``/``offset``: thresholds as fractions of the way from the channel's noise floor
    to its speech level; ``bleed_db``: a frame this much quieter than the loudest channel
    is crosstalk; ``min_range_db``: a channel whose speech level is not this far above its
    floor has no speech at all.
    """

    frame_s: float = 0.02
    onset: float = 0.35
    offset: float = 0.2
    bleed_db: float = 12.0
    min_range_db: float = 12.0
    min_off_s: float = 0.3
    min_on_s: float = 0.1
    pad_s: float = 0.04


def frame_levels_db(audio: Audio, frame_s: float) -> np.ndarray:
    """(channels, frames) RMS level in dBFS of non-overlapping frames."""
    hop = max(1, int(round(frame_s * audio.sample_rate)))
    n = audio.samples.shape[1] // hop
    if n == 0:
        return np.zeros((audio.num_channels, 0), dtype=np.float32)
    frames = audio.samples[:, : n * hop].reshape(audio.num_channels, n, hop)
    power = np.empty((audio.num_channels, n), dtype=np.float64)
    for i in range(0, n, 8192):  # blocks keep the squared copy small on long recordings
        power[:, i : i + 8192] = np.mean(np.square(frames[:, i : i + 8192], dtype=np.float64), axis=2)
    return (10.0 * np.log10(power + _EPS)).astype(np.float32)


def channel_activity(levels: np.ndarray, p: ChannelParams) -> np.ndarray:
    """(channels, frames) boolean speech activity with hysteresis and bleed rejection."""
    active = np.zeros(levels.shape, dtype=bool)
    loudest = levels.max(axis=0) if levels.size else levels
    for c, lev in enumerate(levels):
        if lev.size == 0:
            continue
        floor, speech = np.percentile(lev, 10), np.percentile(lev, 99)
        if speech - floor < p.min_range_db:
            continue
        on = floor + p.onset * (speech - floor)
        off = floor + p.offset * (speech - floor)
        own = lev > loudest - p.bleed_db
        active[c] = _hysteresis(lev, on, off) & own
    return active


def _hysteresis(lev: np.ndarray, on: float, off: float) -> np.ndarray:
    """Active from a frame above ``on`` until the level drops below ``off``."""
    out = np.zeros(lev.shape, dtype=bool)
    state = False
    for i, x in enumerate(lev):
        state = x >= off if state else x >= on
        out[i] = state
    return out


def activity_runs(active: np.ndarray, frame_s: float, p: ChannelParams) -> list[tuple[float, float]]:
    """Runs of one channel's activity in seconds: gaps < min_off filled, runs < min_on
    dropped, each run padded by pad_s."""
    edges = np.diff(np.concatenate([[0], active.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    runs: list[list[float]] = []
    for s, e in zip(starts * frame_s, ends * frame_s):
        if runs and s - runs[-1][1] < p.min_off_s:
            runs[-1][1] = e
        else:
            runs.append([s, e])
    limit = len(active) * frame_s
    return [
        (max(0.0, s - p.pad_s), min(limit, e + p.pad_s)) for s, e in runs if e - s >= p.min_on_s
    ]


@dataclass(frozen=True)
class ChannelEvidence:
    """How a multi-channel recording's channels relate.

    ``level_gap_db``: median, over frames with speech, of the dB gap between the loudest
    and second-loudest channel (large for separate microphones, ~0 for dual mono);
    ``dominant_share``: per channel, the share of speech frames in which it is loudest.
    """

    level_gap_db: float
    dominant_share: tuple[float, ...]

    def speaker_per_channel(self, min_gap_db: float = 10.0, min_share: float = 0.05) -> bool:
        talkers = sum(share >= min_share for share in self.dominant_share)
        return talkers >= 2 and self.level_gap_db >= min_gap_db


def channel_evidence(audio: Audio, p: ChannelParams | None = None) -> ChannelEvidence:
    """Measure whether ``audio`` looks like one speaker per channel (see ChannelEvidence)."""
    p = p or ChannelParams()
    levels = frame_levels_db(audio, p.frame_s)
    if audio.num_channels < 2 or levels.shape[1] == 0:
        return ChannelEvidence(0.0, (1.0,) * audio.num_channels)
    speech = channel_activity(levels, ChannelParams(bleed_db=np.inf)).any(axis=0)
    if not speech.any():
        return ChannelEvidence(0.0, (0.0,) * audio.num_channels)
    lev = levels[:, speech]
    top2 = np.sort(lev, axis=0)[-2:]
    winners = np.bincount(lev.argmax(axis=0), minlength=audio.num_channels) / lev.shape[1]
    return ChannelEvidence(float(np.median(top2[1] - top2[0])), tuple(float(w) for w in winners))


class ChannelDiarizer:
    """One speaker per channel; ``num_speakers`` and friends are validated but the channels
    decide (a channel without speech yields no speaker)."""

    name = "channels-energy-vad"

    def __init__(self, params: ChannelParams | None = None) -> None:
        self.params = params or ChannelParams()

    def diarize(
        self,
        audio: Audio,
        *,
        speakers: SpeakerCount = TWO_SPEAKERS,
        hook: ProgressHook = no_progress,
    ) -> DiarizationResult:
        """Segments per channel, labelled S0.. by first appearance (Speaker.channel set)."""
        p = self.params
        active = channel_activity(frame_levels_db(audio, p.frame_s), p)
        segments = [
            Segment(f"ch{c}", s, e)
            for c in range(audio.num_channels)
            for s, e in activity_runs(active[c], p.frame_s, p)
        ]
        hook(STAGE, audio.duration_s, audio.duration_s)
        channels = {f"ch{c}": c for c in range(audio.num_channels)}
        renamed, speakers = relabel_by_appearance(segments, channels)
        info = ModelInfo(self.name, "1", {"bleed_db": f"{p.bleed_db:g}"})
        return DiarizationResult(renamed, speakers, info)
