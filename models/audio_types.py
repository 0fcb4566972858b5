"""Decoded audio passed from the decoder to ASR and diarizers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16_000


@dataclass(frozen=True, eq=False)
class Audio:
    """Decoded audio: ``samples`` is float32, shape (channels, n), at ``sample_rate`` Hz,
    values in [-1, 1]. Channels are kept (channel-per-speaker recordings need them)."""

    samples: np.ndarray
    sample_rate: int = SAMPLE_RATE
    source: str = ""

    @property
    def num_channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / self.sample_rate

    def mono(self) -> np.ndarray:
        """Mean of the channels, float32, shape (n,). Computed once per Audio: ASR and the
        diarizer both ask for it, side by side (an hour of stereo is 230 MB per copy)."""
        if self.num_channels == 1:
            return self.samples[0]
        cached = self.__dict__.get("_mono")
        if cached is None:  # two threads may both compute it once; the result is the same
            cached = self.samples.mean(axis=0, dtype=np.float32)
            object.__setattr__(self, "_mono", cached)
        return cached
