"""Measure the speech in a recording file cheaply, without loading any model.

Decodes with PyAV at 16 kHz mono, block by block (nothing is held beyond one block), and
counts speech with ``analysis.speech``. Stops as soon as ``enough_s`` of speech is found, so
an ordinary recording is judged from its first minute or so. A recording without that much
speech is read to the end, up to ``max_scan_s`` of audio; beyond that the rest of the file is
sampled (``SAMPLES`` windows of ``WINDOW_S`` seconds spread over it by seeking), so a
multi-hour file costs a bounded amount of decoding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from analysis.speech import speech_seconds
from models.audio_types import SAMPLE_RATE
from models.decode import SILENCE_PEAK, _audio_stream, _open, _resampled_chunks, _stated_duration

BLOCK_S = 10.0
MAX_SCAN_S = 600.0
SAMPLES = 12
WINDOW_S = 20.0


@dataclass(frozen=True)
class SpeechMeasure:
    """``speech_s``: seconds of speech found in the ``scanned_s`` seconds of audio decoded;
    ``complete``: the whole recording was read (else it was sampled or stopped at enough);
    ``peak``: the largest absolute sample seen (below -60 dBFS: silent)."""

    speech_s: float
    scanned_s: float
    complete: bool
    peak: float

    @property
    def silent(self) -> bool:
        return self.peak < SILENCE_PEAK


def measure_speech(path: Path, *, enough_s: float, max_scan_s: float | None = None) -> SpeechMeasure:
    """Seconds of speech in ``path`` (see the module doc; ``max_scan_s`` default MAX_SCAN_S).
    Raises AudioDecodeError / UnsupportedMediaError as ``decode_audio`` does for files it
    cannot read."""
    path = Path(path)
    max_scan_s = MAX_SCAN_S if max_scan_s is None else max_scan_s
    with _open(path) as container:
        stream = _audio_stream(container, path)
        stated = _stated_duration(container, stream)
        tally = _Tally(enough_s)
        finished = tally.feed(_resampled_chunks(container, stream, path, 1), max_scan_s)
        if finished or tally.done:
            return tally.result(complete=finished)
        if stated is None or stated <= max_scan_s:
            return tally.result(complete=False)
        for start in _window_starts(max_scan_s, stated):
            if not _seek(container, stream, start):
                break  # a stream that cannot seek: judge from what was read
            tally.feed(_resampled_chunks(container, stream, path, 1), WINDOW_S)
            if tally.done:
                break
        return tally.result(complete=False)


def _seek(container: Any, stream: Any, at_s: float) -> bool:
    import av

    try:
        container.seek(int(at_s / float(stream.time_base)), stream=stream, any_frame=False, backward=True)
    except (av.error.FFmpegError, ValueError, ZeroDivisionError, TypeError):
        return False
    return True


def _window_starts(scanned_s: float, duration_s: float) -> list[float]:
    step = (duration_s - scanned_s) / SAMPLES
    return [scanned_s + step * (i + 0.5) - WINDOW_S / 2 for i in range(SAMPLES)]


class _Tally:
    def __init__(self, enough_s: float) -> None:
        self.enough_s = enough_s
        self.speech_s = self.scanned_s = self.peak = 0.0

    @property
    def done(self) -> bool:
        return self.speech_s >= self.enough_s and self.peak >= SILENCE_PEAK

    def feed(self, chunks: Iterator[np.ndarray], limit_s: float) -> bool:
        """Count blocks from ``chunks`` until ``limit_s`` seconds or enough speech; True
        when the stream ended."""
        block, have, read = [], 0, 0
        size, limit = int(BLOCK_S * SAMPLE_RATE), math.ceil(limit_s * SAMPLE_RATE)
        for chunk in chunks:
            block.append(chunk[0])
            have += chunk.shape[1]
            if have >= size:
                read += have
                self._count(np.concatenate(block))
                block, have = [], 0
                if self.done or read >= limit:
                    return False
        if block:
            self._count(np.concatenate(block))
        return True

    def _count(self, mono: np.ndarray) -> None:
        self.scanned_s += mono.size / SAMPLE_RATE
        self.peak = max(self.peak, float(np.abs(mono).max(initial=0.0)))
        self.speech_s += speech_seconds(mono, SAMPLE_RATE)

    def result(self, complete: bool) -> SpeechMeasure:
        return SpeechMeasure(round(self.speech_s, 2), round(self.scanned_s, 2), complete, self.peak)


