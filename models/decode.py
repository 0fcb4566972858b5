"""Decode any supported recording to 16 kHz float32 audio with PyAV (no ffmpeg binary).

Supported containers: wav, mp3, m4a/aac, mp4/mov (the audio track of a video), ogg/opus,
flac, webm/mkv. Channels: mono and stereo are kept as they are (a stereo file may carry one
speaker per channel); a file with more than 2 channels (5.1 film mix, multi-mic array) is
downmixed to mono, because such layouts do not map to one speaker per channel.

Memory stays bounded for long files: frames are resampled one at a time and copied into a
single float32 buffer sized from the container's duration (grown by doubling if the header
under-reports), so a 60-minute stereo file costs about 460 MB of samples and no more.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from analysis.errors import AudioDecodeError, UnsupportedMediaError
from models.audio_types import SAMPLE_RATE, Audio

log = logging.getLogger(__name__)

MIN_DURATION_S = 1.0
SILENCE_PEAK = 1e-3  # -60 dBFS: a peak below this is treated as an all-silent recording
MAX_KEPT_CHANNELS = 2
# Demuxer names (FFmpeg short names, as in container.format.name) that we accept.
ALLOWED_FORMATS = frozenset(
    {"wav", "w64", "mp3", "mov", "mp4", "m4a", "3gp", "aac", "ogg", "flac", "matroska",
     "webm", "aiff", "caf"}
)
SUPPORTED_LIST = "wav, mp3, m4a/aac, mp4, ogg/opus, flac, webm"


@dataclass(frozen=True)
class AudioInfo:
    """What a cheap probe (headers only, no decoding) says about a recording.

    ``duration_s`` is None when the container does not state it (some webm/ogg streams).
    ``channels`` and ``sample_rate`` are those of the source audio track.
    """

    duration_s: float | None
    channels: int
    sample_rate: int
    codec: str
    container: str
    has_video: bool


def probe_audio(path: Path) -> AudioInfo:
    """Read the headers of ``path``; raise the same errors as ``decode_audio`` for empty,
    non-media and audio-less files. Does not decode samples."""
    path = Path(path)
    with _open(path) as container:
        stream = _audio_stream(container, path)
        return AudioInfo(
            duration_s=_stated_duration(container, stream),
            channels=_channels(stream),
            sample_rate=int(stream.codec_context.sample_rate or 0),
            codec=str(stream.codec_context.name),
            container=str(container.format.name),
            has_video=bool(container.streams.video),
        )


def decode_audio(path: Path, *, max_duration_s: float | None = None) -> Audio:
    """Decode ``path`` to float32 samples of shape (channels, n) at 16 kHz in [-1, 1].

    Raises UnsupportedMediaError when the file is not a media file PyAV can open, and
    AudioDecodeError when it is empty, has no audio track, fails to decode, is shorter
    than 1 s, is silent, or is longer than ``max_duration_s`` seconds.
    """
    path = Path(path)
    with _open(path) as container:
        stream = _audio_stream(container, path)
        stated = _stated_duration(container, stream)
        if max_duration_s is not None and stated is not None and stated > max_duration_s:
            raise _too_long(path, stated, max_duration_s)
        out_channels = _channels(stream) if _channels(stream) <= MAX_KEPT_CHANNELS else 1
        samples = _decode_samples(container, stream, path, out_channels, stated, max_duration_s)
    _check_content(samples, path)
    return Audio(samples=samples, sample_rate=SAMPLE_RATE, source=path.name)


# --------------------------------------------------------------------------- helpers


class _open:
    """Context manager: open ``path`` with PyAV, mapping failures to our errors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.container: Any = None

    def __enter__(self) -> Any:
        import av

        if not self.path.is_file():
            raise AudioDecodeError(f"{self.path.name}: file not found")
        if self.path.stat().st_size == 0:
            raise AudioDecodeError(f"{self.path.name}: the file is empty (0 bytes)")
        try:
            self.container = av.open(str(self.path), mode="r")
        except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as e:
            raise _unsupported(self.path) from e
        names = set(str(self.container.format.name).split(","))
        if not names & ALLOWED_FORMATS:
            self.container.close()
            raise _unsupported(self.path)
        return self.container

    def __exit__(self, *exc: object) -> None:
        if self.container is not None:
            self.container.close()


def _unsupported(path: Path) -> UnsupportedMediaError:
    return UnsupportedMediaError(
        f"{path.name}: not a supported audio or video file (supported: {SUPPORTED_LIST})"
    )


def _corrupt(path: Path) -> AudioDecodeError:
    return AudioDecodeError(f"{path.name}: the audio track is corrupt and cannot be decoded")


def _too_long(path: Path, duration_s: float, max_s: float) -> AudioDecodeError:
    return AudioDecodeError(
        f"{path.name}: the recording is longer than the limit of {_human(max_s)} "
        f"({_human(duration_s)} or more)"
    )


def _human(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.1f} s"


def _audio_stream(container: Any, path: Path) -> Any:
    if not container.streams.audio:
        if container.streams.video:
            raise AudioDecodeError(f"{path.name}: the video has no audio track")
        raise AudioDecodeError(f"{path.name}: the file has no audio track")
    return container.streams.audio[0]


def _channels(stream: Any) -> int:
    layout = stream.codec_context.layout
    n = int(layout.nb_channels) if layout is not None else 0
    return max(n, 1)


def _stated_duration(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000  # av.time_base: microseconds
    return None


def _decode_samples(
    container: Any,
    stream: Any,
    path: Path,
    channels: int,
    stated_s: float | None,
    max_s: float | None,
) -> np.ndarray:
    """Resample frame by frame into one growing float32 buffer (channels, n)."""
    limit = math.ceil(max_s * SAMPLE_RATE) if max_s is not None else None
    capacity = math.ceil((stated_s or 60.0) * SAMPLE_RATE) + SAMPLE_RATE
    buf = np.zeros((channels, capacity), dtype=np.float32)
    n = 0
    for chunk in _resampled_chunks(container, stream, path, channels):
        if n + chunk.shape[1] > buf.shape[1]:
            grown = np.zeros((channels, max(2 * buf.shape[1], n + chunk.shape[1])), np.float32)
            grown[:, :n] = buf[:, :n]
            buf = grown
        buf[:, n : n + chunk.shape[1]] = chunk
        n += chunk.shape[1]
        if limit is not None and n > limit:
            raise _too_long(path, n / SAMPLE_RATE, max_s or 0.0)
    if n == 0:
        raise _corrupt(path)
    # Drop the unused tail without holding a large over-allocation alive.
    return buf[:, :n] if buf.shape[1] - n <= 2 * SAMPLE_RATE else buf[:, :n].copy()


def _resampled_chunks(container: Any, stream: Any, path: Path, channels: int) -> Iterator[np.ndarray]:
    """Yield (channels, k) float32 arrays at 16 kHz; skip packets that fail to decode
    (filling their duration with silence) but fail when most packets are bad."""
    import av

    layout = "mono" if channels == 1 else "stereo"
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
    good = bad = 0
    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.FFmpegError as e:
                bad += 1
                log.warning("%s: skipping a packet that failed to decode: %s", path.name, e)
                gap = _packet_seconds(packet)
                if gap > 0:
                    yield np.zeros((channels, round(gap * SAMPLE_RATE)), np.float32)
                continue
            good += 1
            for frame in frames:
                frame.pts = None  # resample by sample count; timestamps are not needed
                for out in resampler.resample(frame):
                    yield out.to_ndarray().astype(np.float32, copy=False)
        for out in resampler.resample(None):
            yield out.to_ndarray().astype(np.float32, copy=False)
    except av.error.FFmpegError as e:
        raise _corrupt(path) from e
    if bad and bad > good:
        raise _corrupt(path)


def _packet_seconds(packet: Any) -> float:
    if packet.duration is None or packet.time_base is None:
        return 0.0
    return float(packet.duration * packet.time_base)


def _check_content(samples: np.ndarray, path: Path) -> None:
    duration = samples.shape[1] / SAMPLE_RATE
    if duration < MIN_DURATION_S:
        raise AudioDecodeError(
            f"{path.name}: the recording is too short ({duration:.2f} s; at least "
            f"{MIN_DURATION_S:.0f} s is needed)"
        )
    peak = _peak(samples)
    if peak < SILENCE_PEAK:
        raise AudioDecodeError(f"{path.name}: the recording is silent (no sound above -60 dBFS)")


def _peak(samples: np.ndarray) -> float:
    """Max absolute sample, computed in blocks to avoid a full-size temporary."""
    block = SAMPLE_RATE * 60
    return max(
        (float(np.abs(samples[:, i : i + block]).max()) for i in range(0, samples.shape[1], block)),
        default=0.0,
    )
