"""How much of a recording is speech: a cheap energy voice-activity count (pure numpy).

Frames of 30 ms; a frame is speech when its energy is above -50 dBFS and at least 8 dB above
the block's noise floor (the 10th percentile of its frame energies). A steady tone or steady
noise is therefore not speech, and neither is digital silence. It measures whether there is
enough talk to score, not where each word is: the diarizer does that later.
"""

from __future__ import annotations

import numpy as np

FRAME_S = 0.03
FLOOR_DBFS = -50.0
ABOVE_NOISE_DB = 8.0
NOISE_PERCENTILE = 10


def frame_energies_db(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mean-square energy (dBFS) of each whole 30 ms frame of mono float ``samples``."""
    n = int(sample_rate * FRAME_S)
    whole = samples[: len(samples) // n * n].astype(np.float32, copy=False)
    if whole.size == 0:
        return np.zeros(0, np.float32)
    frames = whole.reshape(-1, n)
    return 10.0 * np.log10(np.einsum("ij,ij->i", frames, frames) / n + 1e-12)


def speech_seconds(samples: np.ndarray, sample_rate: int) -> float:
    """Seconds of speech in one block of mono float ``samples`` (best with blocks of ~10 s:
    the noise floor is the block's own)."""
    energy = frame_energies_db(samples, sample_rate)
    if energy.size == 0:
        return 0.0
    floor = float(np.percentile(energy, NOISE_PERCENTILE))
    voiced = energy > max(FLOOR_DBFS, floor + ABOVE_NOISE_DB)
    return float(np.count_nonzero(voiced)) * FRAME_S
