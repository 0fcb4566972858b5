"""Decoding every supported format with PyAV, and the exact errors for bad inputs.

Inputs are built here: a short synthetic two-tone signal encoded with PyAV into each
container (no fixtures on disk, no ffmpeg binary)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from analysis.errors import AudioDecodeError, UnsupportedMediaError
from models.decode import decode_audio, probe_audio

av = pytest.importorskip("av")

RATE = 44_100
SECONDS = 2.0


def _signal(channels: int, rate: int = RATE, seconds: float = SECONDS, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    left = amp * np.sin(2 * np.pi * 440 * t)
    right = 0.5 * amp * np.sin(2 * np.pi * 1000 * t)  # quieter: tells the channels apart
    rows = [left, right, left * 0.5, right * 0.5, left * 0.2, right * 0.2][:channels]
    return np.stack(rows).astype(np.float32)


def _encode(
    path: Path,
    fmt: str,
    codec: str | None,
    *,
    channels: int = 1,
    rate: int = RATE,
    video: str | None = None,
    samples: np.ndarray | None = None,
) -> Path:
    """Write ``samples`` (or a test signal) with PyAV; optionally add a video stream."""
    data = _signal(channels, rate) if samples is None else samples
    layout = {1: "mono", 2: "stereo", 6: "5.1"}[data.shape[0]]
    with av.open(str(path), "w", format=fmt) as out:
        vstream = None
        if video:
            vstream = out.add_stream(video, rate=10)
            vstream.width, vstream.height, vstream.pix_fmt = 64, 48, "yuv420p"
        options = {"strict": "experimental"} if codec == "vorbis" else {}
        astream = out.add_stream(codec, rate=rate, layout=layout, options=options) if codec else None
        if astream is not None:
            _write_audio(out, astream, data, rate, layout)
        if vstream is not None:
            _write_video(out, vstream)
    return path


def _write_audio(out, stream, data: np.ndarray, rate: int, layout: str) -> None:
    frame_size = stream.codec_context.frame_size or 1024
    fmt = stream.codec_context.format.name
    for start in range(0, data.shape[1], frame_size):
        chunk = data[:, start : start + frame_size]
        if fmt.endswith("p"):
            arr = np.ascontiguousarray(chunk)
        else:
            arr = np.ascontiguousarray(chunk.T.reshape(1, -1))
        if fmt.startswith("s16"):
            arr = (arr * 32767).astype(np.int16)
        elif fmt.startswith("s32"):
            arr = (arr * 2**31 - 1).astype(np.int32)
        frame = av.AudioFrame.from_ndarray(arr, format=fmt, layout=layout)
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def _write_video(out, stream) -> None:
    for i in range(int(SECONDS * 10)):
        img = np.full((48, 64, 3), (i * 10) % 255, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = i
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


FORMATS = {
    "wav": ("wav", "pcm_s16le", {}),
    "mp3": ("mp3", "libmp3lame", {}),
    "m4a": ("mp4", "aac", {}),
    "mp4": ("mp4", "aac", {"video": "mpeg4"}),
    "ogg": ("ogg", "libopus", {"rate": 48_000}),
    "flac": ("flac", "flac", {}),
    "webm": ("webm", "libopus", {"rate": 48_000, "video": "libvpx"}),
    "vorbis.webm": ("webm", "vorbis", {"channels": 2}),  # FFmpeg's vorbis encoder: stereo
    "mka": ("matroska", "flac", {}),
}


@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_every_supported_format_decodes_to_16k_float32(tmp_path, ext):
    fmt, codec, extra = FORMATS[ext]
    path = _encode(tmp_path / f"tone.{ext}", fmt, codec, **extra)
    audio = decode_audio(path)
    assert audio.sample_rate == 16_000
    assert audio.samples.dtype == np.float32
    assert audio.num_channels == extra.get("channels", 1)
    assert audio.duration_s == pytest.approx(SECONDS, abs=0.1)
    assert 0.15 < float(np.abs(audio.samples).max()) <= 1.0
    assert audio.source == f"tone.{ext}"


def test_stereo_keeps_both_channels_and_resamples_44k(tmp_path):
    path = _encode(tmp_path / "stereo.wav", "wav", "pcm_s16le", channels=2, rate=44_100)
    audio = decode_audio(path)
    assert audio.num_channels == 2
    assert audio.samples.shape[1] == pytest.approx(32_000, abs=40)
    peaks = np.abs(audio.samples).max(axis=1)
    assert peaks[0] == pytest.approx(0.3, abs=0.02)
    assert peaks[1] == pytest.approx(0.15, abs=0.02)


def test_stereo_opus_in_webm_keeps_channels(tmp_path):
    path = _encode(tmp_path / "s.webm", "webm", "libopus", channels=2, rate=48_000)
    assert decode_audio(path).num_channels == 2


def test_more_than_two_channels_downmix_to_mono(tmp_path):
    path = _encode(tmp_path / "surround.wav", "wav", "pcm_s16le", channels=6)
    audio = decode_audio(path)
    assert audio.num_channels == 1
    assert audio.duration_s == pytest.approx(SECONDS, abs=0.05)


def test_probe_reports_headers_without_decoding(tmp_path):
    path = _encode(tmp_path / "v.mp4", "mp4", "aac", channels=2, video="mpeg4")
    info = probe_audio(path)
    assert info.channels == 2
    assert info.sample_rate == RATE
    assert info.codec == "aac"
    assert "mp4" in info.container
    assert info.has_video is True
    assert info.duration_s == pytest.approx(SECONDS, abs=0.1)


# --------------------------------------------------------------------------- errors


def _raises(exc_type, path: Path, message: str, **kwargs) -> None:
    with pytest.raises(exc_type) as info:
        decode_audio(path, **kwargs)
    assert str(info.value) == message


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    _raises(AudioDecodeError, path, "empty.wav: the file is empty (0 bytes)")
    with pytest.raises(AudioDecodeError):
        probe_audio(path)


def test_missing_file(tmp_path):
    _raises(AudioDecodeError, tmp_path / "nope.wav", "nope.wav: file not found")


NOT_MEDIA = (
    "{}: not a supported audio or video file "
    "(supported: wav, mp3, m4a/aac, mp4, ogg/opus, flac, webm)"
)


@pytest.mark.parametrize("name", ["notes.txt", "notes.wav", "notes.mp3"])
def test_text_file_is_unsupported_media(tmp_path, name):
    path = tmp_path / name
    path.write_text("These are my meeting notes, not a recording.\n" * 50)
    _raises(UnsupportedMediaError, path, NOT_MEDIA.format(name))


def test_random_bytes_are_unsupported_media(tmp_path):
    path = tmp_path / "garbage.m4a"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 20_000, dtype=np.uint8).tobytes())
    _raises(UnsupportedMediaError, path, NOT_MEDIA.format("garbage.m4a"))


def test_truncated_mp4_header_is_unsupported_media(tmp_path):
    good = _encode(tmp_path / "good.m4a", "mp4", "aac")
    bad = tmp_path / "cut.m4a"
    bad.write_bytes(good.read_bytes()[:200])
    _raises(UnsupportedMediaError, bad, NOT_MEDIA.format("cut.m4a"))


def test_corrupt_audio_payload_is_decode_error(tmp_path):
    good = _encode(tmp_path / "good.flac", "flac", "flac")
    data = bytearray(good.read_bytes())
    rng = np.random.default_rng(1)
    data[200:] = rng.integers(0, 256, len(data) - 200, dtype=np.uint8).tobytes()
    bad = tmp_path / "bad.flac"
    bad.write_bytes(bytes(data))
    # The FLAC header survives, so PyAV opens the file; every frame then fails.
    _raises(AudioDecodeError, bad, "bad.flac: the audio track is corrupt and cannot be decoded")


def test_video_without_audio_track(tmp_path):
    path = _encode(tmp_path / "silent-film.mp4", "mp4", None, video="mpeg4")
    _raises(AudioDecodeError, path, "silent-film.mp4: the video has no audio track")
    with pytest.raises(AudioDecodeError, match="no audio track"):
        probe_audio(path)


def test_too_short(tmp_path):
    path = _encode(tmp_path / "blip.wav", "wav", "pcm_s16le", samples=_signal(1, seconds=0.5))
    _raises(AudioDecodeError, path, "blip.wav: the recording is too short (0.50 s; at least 1 s is needed)")


def test_all_silence(tmp_path):
    quiet = np.full((1, RATE * 2), 0.0, dtype=np.float32)
    path = _encode(tmp_path / "quiet.wav", "wav", "pcm_s16le", samples=quiet)
    _raises(AudioDecodeError, path, "quiet.wav: the recording is silent (no sound above -60 dBFS)")


def test_too_long(tmp_path):
    path = _encode(tmp_path / "long.wav", "wav", "pcm_s16le")
    _raises(
        AudioDecodeError,
        path,
        "long.wav: the recording is longer than the limit of 1.5 s (2.0 s or more)",
        max_duration_s=1.5,
    )


def test_too_long_when_header_does_not_state_duration(tmp_path):
    # Opus in webm written by PyAV states no stream duration; the decoder stops anyway.
    path = _encode(tmp_path / "long.webm", "webm", "libopus", rate=48_000)
    with pytest.raises(AudioDecodeError, match="longer than the limit"):
        decode_audio(path, max_duration_s=1.2)


def test_stereo_mono_mixdown_is_computed_once_and_is_the_channel_mean():
    import numpy as np

    from models.audio_types import Audio

    samples = np.stack([np.full(1600, 0.5, np.float32), np.full(1600, -0.1, np.float32)])
    audio = Audio(samples=samples)
    first = audio.mono()
    assert first.shape == (1600,) and first.dtype == np.float32
    assert np.allclose(first, 0.2)
    assert audio.mono() is first  # ASR and the diarizer share one copy
    assert Audio(samples=samples[:1]).mono() is not None
