"""Speech probability per short frame from the Silero VAD that ships inside faster-whisper.

faster-whisper's wheel carries ``assets/silero_vad_v6.onnx`` and runs it with onnxruntime
(both installed with it), so this needs no download and no torch. The model is loaded
lazily, once per process (``silero_vad()``); when the file or onnxruntime is missing,
``silero_vad()`` returns None and callers fall back to an energy VAD.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import numpy as np

from analysis.errors import ModelError

log = logging.getLogger(__name__)

SILERO_RATE = 16_000
SILERO_WINDOW = 512  # samples per probability at 16 kHz (32 ms)
ONNX_NAME = "silero_vad_v6.onnx"
# Audio goes to the model in blocks of 10 000 frames (320 s; the batch faster-whisper
# uses too), so an hour-long channel needs ~20 MB of copies, not ~500 MB.
_BLOCK = 10_000 * SILERO_WINDOW


def silero_onnx_path() -> Path | None:
    """Where faster-whisper keeps the Silero ONNX file, or None if it is not installed."""
    try:
        from faster_whisper.utils import get_assets_path
    except ImportError:
        return None
    path = Path(get_assets_path()) / ONNX_NAME
    return path if path.is_file() else None


class SileroVAD:
    """Silero speech probabilities, one per ``frame_s`` (32 ms) of 16 kHz audio."""

    name = "silero-vad-v6"
    frame_s = SILERO_WINDOW / SILERO_RATE

    def __init__(self, path: Path) -> None:
        try:
            from faster_whisper.vad import SileroVADModel

            self._model = SileroVADModel(str(path))
        except Exception as e:  # onnxruntime missing or the file unreadable
            raise ModelError(f"could not load the Silero VAD from {path}: {e}") from e

    def probabilities(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        """Speech probability in [0, 1] per 32 ms frame of mono ``samples`` (float, shape
        (n,)); the last partial frame is zero-padded. Other rates are resampled to 16 kHz."""
        x = np.asarray(samples, dtype=np.float32)
        if sample_rate != SILERO_RATE:
            from scipy.signal import resample_poly

            g = np.gcd(int(sample_rate), SILERO_RATE)
            x = resample_poly(x, SILERO_RATE // g, int(sample_rate) // g).astype(np.float32)
        if x.size == 0:
            return np.zeros(0, dtype=np.float32)
        out = [self._block(x[i : i + _BLOCK]) for i in range(0, x.size, _BLOCK)]
        return np.concatenate(out)

    def _block(self, x: np.ndarray) -> np.ndarray:
        x = np.pad(x, (0, (-x.size) % SILERO_WINDOW))
        try:
            out = self._model(x)
        except Exception as e:
            raise ModelError(f"the Silero VAD failed: {e}") from e
        return np.asarray(out, dtype=np.float32).reshape(-1)


@functools.lru_cache(maxsize=1)
def silero_vad() -> SileroVAD | None:
    """The process's Silero VAD, or None (logged once) when it cannot be loaded offline."""
    path = silero_onnx_path()
    if path is None:
        log.warning("Silero VAD not found in faster-whisper's assets; using the energy VAD")
        return None
    try:
        return SileroVAD(path)
    except ModelError as e:
        log.warning("%s; using the energy VAD", e)
        return None
