"""Diarization on the committed synthetic fixtures: channels (fast) and, marked slow, the
embedded default and a locally built pyannote pipeline directory."""

from __future__ import annotations

from conftest import TEST_WHISPER  # noqa: E402

import json
import os
import shutil
import wave
from pathlib import Path

import numpy as np
import pytest
from scripts_loader import load_script

from models.audio_types import Audio
from models.config import ModelConfig
from models.diarization import SpeakerCount, get_diarizer
from models.diarization.weights import diarization_weights

FIXTURES = Path(__file__).parent / "fixtures" / "audio"
MODELS_DIR = Path(os.environ.get("COACHSCORE_MODELS_DIR", Path.home() / ".local/share/coachscore/models"))


def load(name: str, folder: Path = FIXTURES) -> tuple[Audio, dict]:
    truth = json.loads((folder / f"{name}.json").read_text())
    with wave.open(str(folder / truth["audio"]), "rb") as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
        samples = pcm.reshape(-1, w.getnchannels()).T.copy()
    return Audio(samples, w.getframerate(), name), truth


def der(truth: dict, segments) -> float:
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    ref, hyp = Annotation(), Annotation()
    for i, t in enumerate(truth["turns"]):
        ref[Segment(t["start"], t["end"]), i] = t["speaker"]
    for i, s in enumerate(segments):
        hyp[Segment(s.start, s.end), i] = s.speaker
    metric = DiarizationErrorRate(collar=0.0, skip_overlap=False)
    return metric(ref, hyp, uem=Segment(0, truth["duration_s"]))


def weights_or_skip():
    try:
        return diarization_weights(MODELS_DIR)
    except Exception as e:  # not fetched on this machine
        pytest.skip(f"diarization weights not fetched: {e}")


def test_channels_on_the_stereo_fixture_der_under_5_percent(tmp_path):
    audio, truth = load("two_voice_stereo")
    diarizer = get_diarizer("auto", audio, ModelConfig(whisper_model=TEST_WHISPER, models_dir=tmp_path))
    result = diarizer.diarize(audio)
    assert result.model.name == "channels-silero-vad"
    assert [s.channel for s in result.speakers] == [0, 1]
    assert der(truth, result.segments) <= 0.05


@pytest.mark.parametrize("bleed_db", [-15.0, -25.0])
def test_channels_on_real_voices_with_crosstalk_der_under_5_percent(bleed_db, tmp_path):
    """Real speech (shared dev clips) one voice per channel, the other leaking in at
    ``bleed_db``, different gains, a shared noise floor; reference = silero regions of the
    clean clips (scripts/make_fixtures.py real_conversation)."""
    mf = load_script("make_fixtures")
    if not mf.REAL_DATA.is_dir():
        pytest.skip(f"{mf.REAL_DATA} not on this machine")
    samples, truth = mf.real_conversation(bleed_db=bleed_db, seed=1)
    audio = Audio(samples)
    result = get_diarizer("auto", audio, ModelConfig(whisper_model=TEST_WHISPER, models_dir=tmp_path)).diarize(audio)
    assert result.model.name == "channels-silero-vad"
    assert [s.channel for s in result.speakers] == [0, 1]  # A (channel 0) speaks first
    assert der(truth, result.segments) <= 0.05


@pytest.mark.slow
@pytest.mark.parametrize("name, bound", [("two_voice_mono", 0.12), ("two_voice_overlap", 0.12)])
def test_embedded_default_on_mono_fixtures(name, bound):
    weights_or_skip()
    audio, truth = load(name)
    progress: list[tuple[str, float, float]] = []
    diarizer = get_diarizer("auto", audio, ModelConfig(whisper_model=TEST_WHISPER, models_dir=MODELS_DIR))
    result = diarizer.diarize(audio, speakers=SpeakerCount(2), hook=lambda *a: progress.append(a))
    assert [s.label for s in result.speakers] == ["S0", "S1"]
    assert der(truth, result.segments) <= bound
    assert progress[-1] == ("diarize", audio.duration_s, audio.duration_s)
    assert all(a[1] <= b[1] for a, b in zip(progress, progress[1:]))


@pytest.mark.slow
def test_local_pyannote_pipeline_directory_runs_offline(tmp_path):
    weights = weights_or_skip()
    (tmp_path / "segmentation").symlink_to(weights.segmentation_dir, target_is_directory=True)
    (tmp_path / "config.yaml").write_text(
        "pipeline:\n"
        "  name: pyannote.audio.pipelines.VoiceActivityDetection\n"
        "  params:\n"
        "    segmentation: $model/segmentation\n"
        "params:\n"
        "  min_duration_off: 0.0\n"
        "  min_duration_on: 0.0\n"
    )
    audio, truth = load("two_voice_mono")
    config = ModelConfig(whisper_model=TEST_WHISPER, models_dir=tmp_path, pyannote_pipeline_dir=tmp_path)
    diarizer = get_diarizer("auto", audio, config)
    result = diarizer.diarize(audio)  # num_speakers=2 is dropped: a VAD pipeline ignores it
    assert result.model.name == "pyannote-pipeline"
    assert [s.label for s in result.speakers] == ["S0"]
    speech = sum(t["end"] - t["start"] for t in truth["turns"])
    found = sum(s.duration for s in result.segments)
    assert abs(found - speech) / speech < 0.15


def speaker_coverage(truth: dict, segments) -> dict[str, float]:
    """Per reference speaker: share of their speech that the hypothesis speaker mapped to
    them (pyannote's optimal one-to-one mapping) also marks as speech."""
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    ref, hyp = Annotation(), Annotation()
    for i, t in enumerate(truth["turns"]):
        ref[Segment(t["start"], t["end"]), i] = t["speaker"]
    for i, s in enumerate(segments):
        hyp[Segment(s.start, s.end), i] = s.speaker
    mapping = DiarizationErrorRate().optimal_mapping(ref, hyp)
    out = {}
    for spk in ref.labels():
        mine = ref.label_timeline(spk).support()
        hyp_label = next((h for h, r in mapping.items() if r == spk), None)
        found = hyp.label_timeline(hyp_label).support() if hyp_label is not None else None
        covered = mine.crop(found, mode="intersection").duration() if found else 0.0
        out[spk] = covered / mine.duration()
    return out


@pytest.mark.slow
def test_a_dominant_leader_does_not_swallow_one_to_four_word_replies():
    weights_or_skip()
    audio, truth = load("dominant_leader")  # leader 89 % of the talk
    diarizer = get_diarizer("default", audio, ModelConfig(whisper_model=TEST_WHISPER, models_dir=MODELS_DIR))
    for count in (SpeakerCount(2), SpeakerCount(None)):
        result = diarizer.diarize(audio, speakers=count)
        assert len(result.speakers) == 2
        assert der(truth, result.segments) <= 0.10
        coverage = speaker_coverage(truth, result.segments)
        assert coverage["coachee"] >= 0.8 and coverage["leader"] >= 0.9, coverage


THREE_VOICES = (
    ("leader", "What would you like to talk about today?", 0.5),
    ("coachee", "The handover to the new team lead next month.", 0.6),
    ("guest", "Sorry to interrupt, I only need the room key for a moment.", 0.6),
    ("leader", "Sure, it is on the shelf by the door.", 0.6),
    ("guest", "Found it, thank you both, I will leave you to it.", 0.6),
    ("coachee", "So, the handover worries me because the documentation is thin.", 0.6),
    ("leader", "What would good documentation look like to you?", 0.6),
    ("coachee", "A page per service, with who to call when it breaks.", 0.0),
)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("flite") is None or shutil.which("sox") is None, reason="flite/sox not installed")
def test_an_estimated_count_finds_the_third_speaker(tmp_path):
    weights_or_skip()
    mf = load_script("make_fixtures")
    lines = tuple(mf.S(spk, text, gap) for spk, text, gap in THREE_VOICES)
    voices = {"leader": "flite:rms", "coachee": "flite:slt", "guest": "flite:kal"}
    wav = mf.build(mf.Recording("three_voices", lines, voices), tmp_path)
    audio, truth = load("three_voices", tmp_path)
    result = get_diarizer("default", audio, ModelConfig(whisper_model=TEST_WHISPER, models_dir=MODELS_DIR)).diarize(
        audio, speakers=SpeakerCount(None)
    )
    assert wav.exists() and len(result.speakers) == 3
    coverage = speaker_coverage(truth, result.segments)
    assert min(coverage.values()) >= 0.5, coverage


@pytest.mark.slow
def test_the_dominant_leaders_coachee_keeps_every_reply_end_to_end():
    weights_or_skip()
    from analysis.errors import ModelMissingError
    from analysis.roles import resolve_roles
    from service.pipeline import transcribe_file

    truth = json.loads((FIXTURES / "dominant_leader.json").read_text())
    try:
        transcript = transcribe_file(FIXTURES / "dominant_leader.wav", ModelConfig(whisper_model=TEST_WHISPER, models_dir=MODELS_DIR))
    except ModelMissingError as e:
        pytest.skip(f"ASR model not fetched: {e}")
    roles = resolve_roles(transcript, None)
    replies = [t for t in truth["turns"] if t["speaker"] == "coachee"]
    coachee_turns = [t for t in transcript.turns if t.speaker == roles.coachee]
    assert len(coachee_turns) == len(replies)
    for turn, reply in zip(coachee_turns, replies):  # each reply is its own coachee turn
        assert abs(turn.start - reply["start"]) < 0.5
        assert 1 <= len(turn.text.split()) <= 4
