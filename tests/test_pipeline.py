"""The audio pipeline's orchestration, with FakeASR and a fake diarizer (no model weights),
plus one slow end-to-end run with tiny.en and the channel diarizer on a stereo fixture."""

from __future__ import annotations

from conftest import TEST_WHISPER  # noqa: E402

import wave
from pathlib import Path

import numpy as np
import pytest

from analysis.errors import AudioDecodeError, InputError, ModelMissingError
from analysis.types import Segment, Word
from models.config import ModelConfig
from models.diarization import SpeakerCount
from models.fakes import FakeASR, FakeDiarizer, fake_diarizer_factory
from service.pipeline.audio import transcribe_file

FIXTURES = Path(__file__).parent / "fixtures" / "audio"


def _wav(path: Path, seconds: float = 12.0, channels: int = 1) -> Path:
    t = np.arange(int(16_000 * seconds)) / 16_000
    tone = (0.2 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes(np.repeat(tone, channels).tobytes())
    return path


WORDS = (
    Word("How", 0.5, 0.8), Word("are", 0.8, 1.0), Word("you?", 1.0, 1.4),
    Word("Fine,", 2.0, 2.5), Word("thanks.", 2.5, 3.0),
    Word("Good.", 6.0, 6.5),
)
SEGMENTS = (Segment("a", 0.4, 1.5), Segment("b", 1.9, 3.2), Segment("a", 5.8, 6.7))


def _config(tmp_path: Path, **kw) -> ModelConfig:
    return ModelConfig(**{"whisper_model": TEST_WHISPER, "models_dir": tmp_path / "models", **kw})


def test_words_are_attributed_and_provenance_recorded(tmp_path):
    progress: list[tuple[str, float, float]] = []
    calls = []

    def factory(strategy, audio, config):
        calls.append((strategy, audio.num_channels))
        return FakeDiarizer(SEGMENTS)

    t = transcribe_file(
        _wav(tmp_path / "talk.wav"), _config(tmp_path), lambda *a: progress.append(a),
        diarization="channels", asr=FakeASR(WORDS), diarizer_factory=factory,
    )
    assert calls == [("channels", 1)]
    assert [s.label for s in t.speakers] == ["S0", "S1"]
    assert [w.speaker for w in t.words] == ["S0", "S0", "S0", "S1", "S1", "S0"]
    assert [(turn.speaker, turn.text) for turn in t.turns] == [
        ("S0", "How are you?"), ("S1", "Fine, thanks."), ("S0", "Good.")
    ]
    assert t.duration_s == pytest.approx(12.0)
    meta = t.meta
    assert (meta.source, meta.audio_file, meta.language, meta.num_channels) == ("audio", "talk.wav", "en", 1)
    assert (meta.asr.name, meta.diarizer.name) == ("fake-asr", "fake-diarizer")
    assert set(meta.stage_timings_s) == {"decode", "transcribe", "diarize", "attribute", "total"}
    assert meta.stage_timings_s["total"] >= sum(
        meta.stage_timings_s[s] for s in ("decode", "transcribe", "diarize", "attribute")
    )
    stages = [p[0] for p in progress]
    assert stages[0] == "decode" and stages[-1] == "attribute"
    assert stages.index("transcribe") < stages.index("diarize")
    assert all(done <= total for _, done, total in progress)


def test_speaker_counts_reach_the_diarizer(tmp_path):
    seen = {}

    class Spy(FakeDiarizer):
        def diarize(self, audio, **kw):
            seen.update(kw)
            return super().diarize(audio, **kw)

    transcribe_file(
        _wav(tmp_path / "x.wav"), _config(tmp_path), num_speakers=None, min_speakers=2,
        max_speakers=4, asr=FakeASR(WORDS), diarizer_factory=fake_diarizer_factory(Spy()),
    )
    assert seen["speakers"] == SpeakerCount(None, at_least=2, at_most=4)


def test_stereo_audio_keeps_its_channels_for_the_diarizer(tmp_path):
    t = transcribe_file(
        _wav(tmp_path / "st.wav", channels=2), _config(tmp_path), asr=FakeASR(WORDS),
        diarizer_factory=fake_diarizer_factory(FakeDiarizer(SEGMENTS)),
    )
    assert t.meta.num_channels == 2


class _Unused:
    def transcribe(self, audio, hook):  # pragma: no cover - must not run
        raise AssertionError("ASR must not run for bad input")


def test_bad_audio_fails_before_asr(tmp_path):
    bad = tmp_path / "empty.wav"
    bad.write_bytes(b"")
    with pytest.raises(AudioDecodeError, match=r"^empty.wav: the file is empty \(0 bytes\)$"):
        transcribe_file(bad, _config(tmp_path), asr=_Unused(), diarizer_factory=fake_diarizer_factory())


def test_diarizer_problems_fail_before_asr(tmp_path):
    def factory(strategy, audio, config):
        raise InputError("diarization 'channels' needs one speaker per channel, but the audio is mono")

    with pytest.raises(InputError, match="needs one speaker per channel"):
        transcribe_file(_wav(tmp_path / "m.wav"), _config(tmp_path), asr=_Unused(), diarizer_factory=factory)


def test_bad_speaker_counts_fail_before_any_work(tmp_path):
    with pytest.raises(InputError) as info:
        transcribe_file(tmp_path / "x.wav", _config(tmp_path), num_speakers=None, min_speakers=3,
                        max_speakers=2, asr=_Unused(), diarizer_factory=fake_diarizer_factory())
    assert str(info.value) == "min_speakers (3) must not exceed max_speakers (2)"


def test_missing_model_is_reported_before_decoding(tmp_path):
    with pytest.raises(ModelMissingError, match="Whisper model 'medium' is not available"):
        transcribe_file(tmp_path / "not-even-there.wav", _config(tmp_path, whisper_model="medium"))


def test_no_words_still_gives_a_valid_transcript(tmp_path):
    t = transcribe_file(
        _wav(tmp_path / "x.wav"), _config(tmp_path), asr=FakeASR(()),
        diarizer_factory=fake_diarizer_factory(FakeDiarizer(SEGMENTS)),
    )
    assert t.words == () and t.turns == ()
    assert t.meta.stage_timings_s["total"] > 0


@pytest.mark.slow
def test_real_stereo_fixture_end_to_end(tmp_path):
    import json

    audio = FIXTURES / "two_voice_stereo.wav"
    if not audio.is_file():
        pytest.skip("stereo fixture not generated")
    truth = json.loads(audio.with_suffix(".json").read_text())
    t = transcribe_file(audio, _config(tmp_path), diarization="channels", num_speakers=2)
    assert t.meta.num_channels == 2
    assert len(t.speakers) == 2
    assert {s.channel for s in t.speakers} == {0, 1}
    assert len(t.turns) >= len(truth["turns"]) - 2
    channel_of = {s.label: s.channel for s in t.speakers}
    truth_channel = {s["label"]: s["channel"] for s in truth["speakers"]}
    right = total = 0
    for turn in truth["turns"]:
        for w in t.words:
            if turn["start"] <= (w.start + w.end) / 2 <= turn["end"]:
                total += 1
                right += channel_of.get(w.speaker) == truth_channel[turn["speaker"]]
    assert total >= 40
    assert right / total > 0.9


def test_diarization_runs_beside_asr_and_progress_stays_on_the_calling_thread(tmp_path):
    """Diarization runs in another thread while ASR runs; the hook sees one thread and the
    stages in order; a diarizer failure reaches the caller."""
    import threading

    seen: list[tuple[str, str]] = []
    diarize_threads: list[str] = []
    asr_started = threading.Event()

    class SlowDiarizer(FakeDiarizer):
        def diarize(self, audio, **kw):
            diarize_threads.append(threading.current_thread().name)
            assert asr_started.wait(5), "ASR should be running while diarization runs"
            return FakeDiarizer.diarize(self, audio, **kw)

    class SignallingASR(FakeASR):
        def transcribe(self, audio, hook=None):
            asr_started.set()
            return FakeASR.transcribe(self, audio, hook)

    def hook(stage, done, total):
        seen.append((stage, threading.current_thread().name))

    transcribe_file(
        _wav(tmp_path / "talk.wav"), _config(tmp_path), hook, asr=SignallingASR(WORDS),
        diarizer_factory=lambda *a: SlowDiarizer(SEGMENTS),
    )
    assert diarize_threads and diarize_threads[0] != threading.current_thread().name
    assert {name for _, name in seen} == {threading.current_thread().name}
    stages = [stage for stage, _ in seen]
    order = [stages.index(s) for s in ("decode", "transcribe", "diarize", "attribute")]
    assert order == sorted(order)

    class BrokenDiarizer(FakeDiarizer):
        def diarize(self, audio, **kw):
            raise ModelMissingError("segmentation-3.0 is missing")

    with pytest.raises(ModelMissingError, match="segmentation-3.0 is missing"):
        transcribe_file(
            _wav(tmp_path / "talk2.wav"), _config(tmp_path), asr=FakeASR(WORDS),
            diarizer_factory=lambda *a: BrokenDiarizer(SEGMENTS),
        )


THREE = (Segment("a", 0.4, 1.5), Segment("b", 1.9, 3.2), Segment("c", 3.5, 4.7), Segment("a", 5.8, 6.7))


def test_a_third_speaker_gets_a_warning_naming_them_and_their_talk_time(tmp_path):
    t = transcribe_file(
        _wav(tmp_path / "three.wav"), _config(tmp_path), num_speakers=None, asr=FakeASR(WORDS),
        diarizer_factory=fake_diarizer_factory(FakeDiarizer(THREE)),
    )
    assert [s.label for s in t.speakers] == ["S0", "S1", "S2"]
    talk = {lab: sum(s.end - s.start for s in THREE if s.speaker == raw) for lab, raw in zip(("S0", "S1", "S2"), "abc")}
    assert len(t.warnings) == 1
    line = t.warnings[0]
    assert line.startswith(f"A third speaker, S2, was found: they talk for 0:01 ({talk['S2']:.1f} s, "
                           f"{talk['S2'] / sum(talk.values()):.0%} of the talk).")
    assert "S0" not in line and "S1" not in line
    two = transcribe_file(
        _wav(tmp_path / "two.wav"), _config(tmp_path), asr=FakeASR(WORDS),
        diarizer_factory=fake_diarizer_factory(FakeDiarizer(SEGMENTS)),
    )
    assert two.warnings == ()


def test_more_speakers_are_warned_about_most_talkative_first_with_m_ss_times(tmp_path):
    segs = (Segment("a", 0.0, 70.0), Segment("b", 70.0, 140.0), Segment("c", 140.0, 145.0),
            Segment("d", 145.0, 217.0))
    t = transcribe_file(
        _wav(tmp_path / "four.wav", seconds=220.0), _config(tmp_path), num_speakers=None, asr=FakeASR(()),
        diarizer_factory=fake_diarizer_factory(FakeDiarizer(segs)),
    )
    # S3 (72 s) and S0 (70 s, found before S1 with as much) are the pair; S1 and S2 are extra
    assert [w.split(",")[0:2] for w in t.warnings] == [["A third speaker", " S1"], ["A fourth speaker", " S2"]]
    assert "they talk for 1:10 (70 s, 32% of the talk)" in t.warnings[0]
    assert "they talk for 0:05 (5.0 s, 2% of the talk)" in t.warnings[1]


def test_the_worker_stores_the_third_speaker_warning_with_the_transcript(make_api):
    from conftest import scripted_models

    lines = (("spk0", "What would you like to work on today?"), ("spk1", "My deadlines."),
             ("spk2", "Sorry to interrupt, the room is booked."), ("spk0", "What have you tried so far?"))
    api = make_api(models=scripted_models(lines=lines))
    _, h = api.new_org()
    r = api.upload(h)
    assert r.status_code == 202, r.text
    api.process()
    sid = r.json()["id"]
    stored = api.client.get(f"/v1/sessions/{sid}/transcript", headers=h).json()["transcript"]
    assert [s["label"] for s in stored["speakers"]] == ["S0", "S1", "S2"]
    assert len(stored["warnings"]) == 1 and stored["warnings"][0].startswith("A third speaker, S2, was found")
    card = api.client.get(f"/v1/sessions/{sid}/scorecard", headers=h).json()
    assert any("a third person" in reason for reason in card["reliability"]["reasons"]), card["reliability"]
