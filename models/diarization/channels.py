"""Channel-per-speaker diarization: each channel's voice activity is one speaker's speech.

For Zoom/Riverside/phone exports where every participant has their own track. Two steps
per channel: *is someone speaking into this microphone* and *is it this channel's person*.

- Speech: the Silero VAD (models/vad.py, the ONNX file inside faster-whisper) gives a
  speech probability per 32 ms frame of each channel, with silero's own hysteresis
  (on at 0.5, off below 0.35). Silero is nearly level-blind, so it also hears the other
  person's voice leaking into this microphone.
- Ownership, from energies: a frame belongs to a channel's person only while that
  channel's level (power averaged over ~0.2 s) is within ``own_db`` of the loudest
  channel. Crosstalk arrives 15-25 dB down, so the louder channel owns a region; two
  people talking at once are both near the top, so both keep it (overlap).
- Runs: pauses under 0.25 s filled, runs under 0.1 s dropped, 30 ms padding.

When the Silero file or onnxruntime is missing, the older energy VAD decides speech:
20 ms frame energies, a noise floor and speech level from the channel's own distribution,
hysteresis between them, crosstalk rejected frame by frame in the same way.
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
from models.vad import SileroVAD, silero_vad

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
class SileroParams:
    """Silero-VAD channel settings. Times in seconds, levels in dB, probabilities in [0, 1].

    ``threshold``/``neg_threshold``: silero's defaults (speech starts at 0.5, ends below
    0.35). ``own_db``: a frame is a channel's own speech while its smoothed level is within
    this of the loudest channel: above the level gap between two people's microphones
    (gains differ by ~6 dB) and below the crosstalk isolation of separate microphones
    (15-25 dB). ``smooth_s``: levels are compared as power averaged over about a syllable,
    so one quiet 32 ms frame does not flip ownership. ``min_off_s``: a pause shorter than a
    quarter second does not end a turn; ``min_on_s``: shorter than 0.1 s is not a word;
    ``pad_s``: silero-style padding of each run.
    """

    threshold: float = 0.5
    neg_threshold: float = 0.35
    own_db: float = 10.0
    smooth_s: float = 0.2
    min_off_s: float = 0.25
    min_on_s: float = 0.1
    pad_s: float = 0.03


def smoothed_levels_db(audio: Audio, frame_s: float, smooth_s: float) -> np.ndarray:
    """(channels, frames) dBFS of frame power averaged over ``smooth_s`` seconds (centred)."""
    levels = frame_levels_db(audio, frame_s)
    k = max(1, int(round(smooth_s / frame_s)))
    if k == 1 or levels.shape[1] == 0:
        return levels
    power = np.power(10.0, levels.astype(np.float64) / 10.0)
    kernel = np.ones(k) / k
    power = np.stack([np.convolve(row, kernel, mode="same") for row in power])
    return (10.0 * np.log10(power + _EPS)).astype(np.float32)


def owned_speech(probs: np.ndarray, levels: np.ndarray, p: SileroParams) -> np.ndarray:
    """(channels, frames) boolean: silero hears speech on the channel (hysteresis on the
    probabilities) and the channel is within ``own_db`` of the loudest one (not crosstalk).
    ``probs`` and ``levels`` share one frame grid; the shorter one decides the length."""
    n = min(probs.shape[1], levels.shape[1])
    probs, levels = probs[:, :n], levels[:, :n]
    own = levels > levels.max(axis=0) - p.own_db if n else np.zeros(levels.shape, dtype=bool)
    speech = np.stack([_hysteresis(row, p.threshold, p.neg_threshold) for row in probs]) if n else own
    return speech & own


def silero_channel_activity(audio: Audio, vad: SileroVAD, p: SileroParams) -> np.ndarray:
    """(channels, frames of ``vad.frame_s``) boolean own-speech activity (see owned_speech)."""
    probs = np.stack([vad.probabilities(ch, audio.sample_rate) for ch in audio.samples])
    return owned_speech(probs, smoothed_levels_db(audio, vad.frame_s, p.smooth_s), p)


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
    decide (a channel without speech yields no speaker).

    ``silero``: use the Silero VAD when it can be loaded (else, or when False, the energy
    VAD with ``params``)."""

    def __init__(
        self,
        params: ChannelParams | None = None,
        silero_params: SileroParams | None = None,
        *,
        silero: bool = True,
    ) -> None:
        self.params = params or ChannelParams()
        self.silero_params = silero_params or SileroParams()
        self._use_silero = silero

    @property
    def name(self) -> str:
        return "channels-silero-vad" if self._vad() is not None else "channels-energy-vad"

    def _vad(self) -> SileroVAD | None:
        return silero_vad() if self._use_silero else None

    def diarize(
        self,
        audio: Audio,
        *,
        speakers: SpeakerCount = TWO_SPEAKERS,
        hook: ProgressHook = no_progress,
    ) -> DiarizationResult:
        """Segments per channel, labelled S0.. by first appearance (Speaker.channel set)."""
        vad = self._vad()
        if vad is not None:
            sp = self.silero_params
            active = silero_channel_activity(audio, vad, sp)
            frame_s = vad.frame_s
            runs = ChannelParams(frame_s=frame_s, min_off_s=sp.min_off_s, min_on_s=sp.min_on_s, pad_s=sp.pad_s)
            info = ModelInfo("channels-silero-vad", "1", {"vad": vad.name, "own_db": f"{sp.own_db:g}"})
        else:
            runs = self.params
            active = channel_activity(frame_levels_db(audio, runs.frame_s), runs)
            frame_s = runs.frame_s
            info = ModelInfo("channels-energy-vad", "1", {"bleed_db": f"{runs.bleed_db:g}"})
        segments = [
            Segment(f"ch{c}", s, e)
            for c in range(audio.num_channels)
            for s, e in activity_runs(active[c], frame_s, runs)
        ]
        hook(STAGE, audio.duration_s, audio.duration_s)
        channels = {f"ch{c}": c for c in range(audio.num_channels)}
        renamed, speakers = relabel_by_appearance(segments, channels)
        return DiarizationResult(renamed, speakers, info)
