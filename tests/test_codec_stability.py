"""Same audio, same answer: one real two-voice recording (LibriVox reader and JFK, from
the shared real-audio-dev clips) as wav, mp3 128k, m4a/aac and opus, encoded at test time
with PyAV, gives the same speakers, the same leader and overall scores within 3 points.
Slow: real faster-whisper, diarization and spaCy models."""

from __future__ import annotations

from conftest import TEST_WHISPER  # noqa: E402

import os
from pathlib import Path

import numpy as np
import pytest
from scripts_loader import load_script

MODELS_DIR = Path(os.environ.get("COACHSCORE_MODELS_DIR", Path.home() / ".local/share/coachscore/models"))
CODECS = {"mp3": ("mp3", 44_100, 128_000), "m4a": ("aac", 44_100, 128_000), "opus": ("libopus", 48_000, 64_000)}


def encode(samples: np.ndarray, path: Path, codec: str, rate: int, bit_rate: int) -> Path:
    """Encode 16 kHz mono float samples with PyAV (resampled to the codec's rate)."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        stream.bit_rate = bit_rate
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=rate)
        frames = [av.AudioFrame.from_ndarray(samples[:, i : i + 1024], format="fltp", layout="mono")
                  for i in range(0, samples.shape[1], 1024)]
        for frame in frames + [None]:
            if frame is not None:
                frame.sample_rate = 16_000
            for out in resampler.resample(frame):
                container.mux(stream.encode(out))
        container.mux(stream.encode(None))
    return path


def frame_labels(segments, duration_s: float, step: float = 0.05) -> list[frozenset[str]]:
    times = np.arange(0.0, duration_s, step)
    return [frozenset(s.speaker for s in segments if s.start <= t < s.end) for t in times]


@pytest.mark.slow
def test_four_codecs_give_the_same_speakers_leader_and_score(tmp_path):
    mf = load_script("make_fixtures")
    if not (mf.REAL_DATA / mf.REAL_B).is_dir():
        pytest.skip(f"real speech clips not found in {mf.REAL_DATA}")
    from analysis import analyze
    from analysis.errors import ModelMissingError
    from analysis.roles import resolve_roles
    from models.config import ModelConfig
    from models.nlp import load_nlp
    from service.pipeline import transcribe_file

    samples, truth = mf.real_conversation()
    files = {"wav": tmp_path / "talk.wav"}
    mf.write_wav(files["wav"], samples)
    for ext, (codec, rate, bit_rate) in CODECS.items():
        files[ext] = encode(samples, tmp_path / f"talk.{ext}", codec, rate, bit_rate)
    try:
        config = ModelConfig(whisper_model=TEST_WHISPER, models_dir=MODELS_DIR)
        nlp = load_nlp()
        results = {}
        for ext, path in files.items():
            transcript = transcribe_file(path, config)
            roles = resolve_roles(transcript, None)
            results[ext] = (transcript, roles, analyze(transcript, roles, None, nlp))
    except ModelMissingError as e:  # models not fetched on this machine
        pytest.skip(f"models not available: {e}")
    wav_t, wav_roles, wav_card = results["wav"]
    base = frame_labels(wav_t.segments, truth["duration_s"])
    for ext, (transcript, roles, card) in results.items():
        assert transcript.speaker_labels() == wav_t.speaker_labels(), ext
        same = np.mean([a == b for a, b in zip(base, frame_labels(transcript.segments, truth["duration_s"]))])
        assert same >= 0.95, (ext, same)
        assert roles.leader == wav_roles.leader, ext
        assert abs(card.score.overall - wav_card.score.overall) <= 3.0, (ext, card.score.overall, wav_card.score.overall)
