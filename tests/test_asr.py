"""ASR adapter: word extraction, progress, model cache, error wrapping; real-model tests."""

from __future__ import annotations

from conftest import TEST_WHISPER  # noqa: E402

import json
import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from analysis.errors import ModelError
from analysis.types import Word
from models import asr as asr_mod
from models.asr import WhisperASR, cut_points
from models.audio_types import Audio
from models.config import ModelConfig
from models.fakes import FakeASR


def _audio(seconds: float = 10.0, channels: int = 1) -> Audio:
    return Audio(np.zeros((channels, int(16_000 * seconds)), np.float32), source="x.wav")


class _FakeModel:
    """Stands in for faster_whisper.WhisperModel: yields two segments with words."""

    def __init__(self, multilingual: bool = False, fail: bool = False) -> None:
        self.model = SimpleNamespace(is_multilingual=multilingual)
        self.fail = fail
        self.calls: list[dict] = []

    def transcribe(self, samples, **kwargs):
        self.calls.append({"shape": samples.shape, **kwargs})
        if self.fail:
            raise RuntimeError("CUDA out of memory")
        w = lambda text, s, e: SimpleNamespace(word=text, start=s, end=e, probability=0.9)  # noqa: E731
        segs = [
            SimpleNamespace(text=" Hello there.", start=0.5, end=2.0, avg_logprob=-0.2,
                            no_speech_prob=0.01, words=[w(" Hello", 0.5, 0.9), w(" there.", 1.0, 2.0)]),
            SimpleNamespace(text=" Okay", start=4.0, end=4.6, avg_logprob=-0.3,
                            no_speech_prob=0.02, words=[w(" ", 4.0, 4.0), w(" Okay", 4.0, 4.6)]),
        ]
        return iter(segs), SimpleNamespace(language="en", language_probability=1.0)


def _asr(tmp_path, monkeypatch, model: _FakeModel, **cfg) -> WhisperASR:
    monkeypatch.setattr(asr_mod, "_load", lambda resolved, config: model)
    return WhisperASR(ModelConfig(**{"whisper_model": TEST_WHISPER, "models_dir": tmp_path, **cfg}))


def test_words_are_stripped_timed_and_progress_is_reported(tmp_path, monkeypatch):
    model = _FakeModel()
    progress = []
    result = _asr(tmp_path, monkeypatch, model).transcribe(
        _audio(10.0, channels=2), lambda *a: progress.append(a)
    )
    assert [(w.text, w.start, w.end) for w in result.words] == [
        ("Hello", 0.5, 0.9), ("there.", 1.0, 2.0), ("Okay", 4.0, 4.6)
    ]
    assert [s.text for s in result.segments] == ["Hello there.", "Okay"]
    assert progress == [("transcribe", 0.0, 10.0), ("transcribe", 2.0, 10.0),
                        ("transcribe", 4.6, 10.0), ("transcribe", 10.0, 10.0)]
    call = model.calls[0]
    assert call["shape"] == (160_000,)  # mono mixdown of the two channels
    assert (call["word_timestamps"], call["vad_filter"], call["language"]) == (True, True, "en")
    assert result.model.name == "faster-whisper tiny.en"
    assert result.duration_s == 10.0


def test_language_is_fixed_or_detected_for_multilingual_models(tmp_path, monkeypatch):
    model = _FakeModel(multilingual=True)
    _asr(tmp_path, monkeypatch, model, language=None).transcribe(_audio())
    _asr(tmp_path, monkeypatch, model, language="de").transcribe(_audio())
    assert [c["language"] for c in model.calls] == [None, "de"]


def test_english_only_model_ignores_another_language(tmp_path, monkeypatch):
    model = _FakeModel(multilingual=False)
    _asr(tmp_path, monkeypatch, model, language="fr").transcribe(_audio())
    assert model.calls[0]["language"] == "en"


def test_library_errors_are_wrapped(tmp_path, monkeypatch):
    with pytest.raises(ModelError) as info:
        _asr(tmp_path, monkeypatch, _FakeModel(fail=True)).transcribe(_audio())
    assert str(info.value) == "speech recognition failed (tiny.en): CUDA out of memory"
    assert isinstance(info.value.__cause__, RuntimeError)


def test_model_loads_once_per_path_device_and_type(tmp_path, monkeypatch):
    built = []
    monkeypatch.setattr(asr_mod, "_CACHE", {})
    monkeypatch.setattr(asr_mod, "_construct", lambda r, c: built.append(c) or _FakeModel())
    cfg = ModelConfig(whisper_model=TEST_WHISPER, models_dir=tmp_path)
    for _ in range(3):
        WhisperASR(cfg).transcribe(_audio())
    WhisperASR(ModelConfig(whisper_model=TEST_WHISPER, models_dir=tmp_path, compute_type="float32")).transcribe(_audio())
    assert [c.compute_type for c in built] == ["int8", "float32"]


def test_load_failure_is_a_model_error(tmp_path, monkeypatch):
    import faster_whisper

    def boom(*a, **k):
        raise ValueError("Requested int4 compute type, but the target device does not support it")

    monkeypatch.setattr(asr_mod, "_CACHE", {})
    monkeypatch.setattr(faster_whisper, "WhisperModel", boom)
    asr = WhisperASR(ModelConfig(whisper_model=TEST_WHISPER, models_dir=tmp_path, compute_type="int4"))
    with pytest.raises(ModelError) as info:
        asr.transcribe(_audio())
    assert str(info.value) == (
        f"could not load Whisper model tiny.en from {asr.resolved.path} (device=cpu, "
        "compute_type=int4): Requested int4 compute type, but the target device does not support it"
    )


def test_long_audio_is_cut_at_quiet_points():
    rate = 100  # a coarse clock keeps the arrays small; the logic is per sample
    loud = np.ones(rate * 1000, np.float32)
    loud[rate * 310 : rate * 311] = 0.0  # a 1 s pause 10 s after the first nominal cut
    loud[rate * 595 : rate * 596] = 0.0
    cuts = cut_points(loud, rate, piece_s=300.0)
    assert cuts[0] == 0 and cuts[-1] == loud.shape[0] and len(cuts) == 5
    assert 310 <= cuts[1] / rate <= 311 and 595 <= cuts[2] / rate <= 596
    assert all(b - a <= rate * 320 for a, b in zip(cuts, cuts[1:]))
    assert cut_points(loud[: rate * 310], rate, 300.0) == [0, rate * 310]


def test_pieces_are_shifted_onto_the_recording_clock(tmp_path, monkeypatch):
    model = _FakeModel(multilingual=True)
    asr = _asr(tmp_path, monkeypatch, model, language=None)
    audio = Audio(np.full((1, 16_000 * 50), 0.1, np.float32), source="x.wav")
    asr.piece_s = 30.0  # 50 s -> two pieces
    progress = []
    result = WhisperASR.transcribe(asr, audio, lambda *a: progress.append(a[1]))
    starts = [w.start for w in result.words if w.text == "Hello"]
    assert len(model.calls) == 2
    assert starts[0] == 0.5 and 20.0 <= starts[1] - 0.5 <= 40.0
    assert [c["language"] for c in model.calls] == [None, "en"]  # detected once, then kept
    assert progress == sorted(progress) and progress[-1] == 50.0


def test_fake_asr_keeps_words_inside_the_audio():
    words = (Word("late", 12.0, 12.5), Word("hi", 1.0, 1.2))
    result = FakeASR(words).transcribe(_audio(10.0))
    assert [w.text for w in result.words] == ["hi"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_real_tiny_en_transcribes_synthetic_speech(tmp_path):
    from models.decode import decode_audio

    wav = tmp_path / "speech.wav"
    text = "What would you like to focus on today? I want to talk about my project deadlines."
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(wav), text], check=True)
    result = WhisperASR(ModelConfig(whisper_model=TEST_WHISPER, models_dir=tmp_path)).transcribe(decode_audio(wav))
    said = [w.text.strip(".,?!").lower() for w in result.words]
    expected = [w.strip(".,?!").lower() for w in text.split()]
    assert sum(a == b for a, b in zip(said, expected)) >= len(expected) - 3
    assert all(0 <= a.start <= a.end <= 8.0 for a in result.words)
    assert result.language == "en"


MODELS_DIR = Path(os.environ.get("COACHSCORE_MODELS_DIR", Path.home() / ".local/share/coachscore/models"))
FIXTURE = Path(__file__).parent / "fixtures" / "audio" / "two_voice_mono.wav"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["base", "small"])
def test_real_registry_model_loads_and_transcribes(name):
    """The assembled registry model (``coachscore models fetch --whisper NAME``) loads
    offline and recognises the two-voice fixture; skipped when it was not fetched."""
    from analysis.errors import ModelMissingError
    from models.decode import decode_audio

    try:
        asr = WhisperASR(ModelConfig(models_dir=MODELS_DIR, whisper_model=name, cpu_threads=2))
    except ModelMissingError as e:
        pytest.skip(f"whisper {name} is not in {MODELS_DIR}: {e.message}")
    truth = json.loads(FIXTURE.with_suffix(".json").read_text())
    result = asr.transcribe(decode_audio(FIXTURE))
    said = {w.text.strip(".,?!").lower() for w in result.words}
    expected = {w.strip(".,?!").lower() for t in truth["turns"] for w in t["text"].split()}
    assert len(said & expected) >= 0.8 * len(expected)
    assert all(0 <= w.start <= w.end <= truth["duration_s"] + 0.5 for w in result.words)
    assert result.model.name == f"faster-whisper {name}" and result.language == "en"
