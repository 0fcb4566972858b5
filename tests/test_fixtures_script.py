"""scripts/make_fixtures.py: ground truth matches the timeline; output is deterministic;
the committed fixtures are consistent with their JSON."""

from __future__ import annotations

import json
import shutil
import wave
from pathlib import Path

import pytest
from scripts_loader import load_script

ROOT = Path(__file__).resolve().parents[1]


mf = load_script("make_fixtures")
needs_tools = pytest.mark.skipif(
    shutil.which("flite") is None or shutil.which("sox") is None, reason="flite/sox not installed"
)


def test_silences_and_overlaps_from_turns():
    turns = [
        {"speaker": "leader", "start": 0.5, "end": 2.0},
        {"speaker": "coachee", "start": 1.6, "end": 4.0},
        {"speaker": "leader", "start": 2.5, "end": 3.0},
        {"speaker": "leader", "start": 4.2, "end": 5.0},
        {"speaker": "coachee", "start": 13.0, "end": 14.0},
    ]
    assert mf._silences(turns) == [{"start": 5.0, "end": 13.0, "duration": 8.0}]
    assert mf._overlaps(turns) == [
        {"start": 1.6, "end": 2.0, "speakers": ["coachee", "leader"]},
        {"start": 2.5, "end": 3.0, "speakers": ["coachee", "leader"]},
    ]


@needs_tools
def test_build_is_deterministic_and_truth_matches_the_script(tmp_path):
    rec = mf.Recording(
        "tiny",
        (mf.Q("leader", "Why?", 0.8), mf.S("coachee", "Because.", -0.2), mf.B("leader", "Mm-hmm.", 0.0)),
        mf.FLITE,
    )
    first = mf.build(rec, tmp_path / "a")
    second = mf.build(rec, tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    truth = json.loads(first.with_suffix(".json").read_text())
    turns = truth["turns"]
    assert [(t["speaker"], t["text"], t["kind"]) for t in turns] == [
        ("leader", "Why?", "question"),
        ("coachee", "Because.", "statement"),
        ("leader", "Mm-hmm.", "backchannel"),
    ]
    assert turns[1]["start"] - turns[0]["end"] == pytest.approx(0.8, abs=1e-3)
    assert turns[1]["end"] - turns[2]["start"] == pytest.approx(0.2, abs=1e-3)
    assert truth["silences"] == [{"start": turns[0]["end"], "end": turns[1]["start"], "duration": 0.8}]
    assert truth["overlaps"][0]["speakers"] == ["coachee", "leader"]
    with wave.open(str(first), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        assert w.getnframes() / 16000 == pytest.approx(truth["duration_s"], abs=1e-3)


@pytest.mark.parametrize(
    "truth_path",
    sorted((ROOT / "tests/fixtures/audio").glob("*.json")) + sorted((ROOT / "samples").glob("*.json")),
    ids=lambda p: p.stem,
)
def test_committed_recordings_match_their_ground_truth(truth_path):
    truth = json.loads(truth_path.read_text())
    with wave.open(str(truth_path.with_name(truth["audio"])), "rb") as w:
        assert w.getframerate() == 16000 and w.getnchannels() == truth["channels"]
        assert w.getnframes() / 16000 == pytest.approx(truth["duration_s"], abs=1e-3)
    gaps = [s["duration"] for s in truth["silences"]]
    assert all(g >= 0.3 for g in gaps)
    assert {t["speaker"] for t in truth["turns"]} == {"leader", "coachee"}
    assert all(t["end"] <= truth["duration_s"] for t in truth["turns"])


def test_fixture_set_covers_the_required_cases():
    truths = {p.stem: json.loads(p.read_text()) for p in (ROOT / "tests/fixtures/audio").glob("*.json")}
    assert truths["two_voice_stereo"]["channels"] == 2
    assert truths["two_voice_overlap"]["overlaps"]
    gaps = [s["duration"] for t in truths.values() for s in t["silences"]]
    assert min(gaps) <= 0.3 + 1e-6 and max(gaps) >= 8.0 - 1e-6
    talk = {}
    for t in truths["dominant_leader"]["turns"]:
        talk[t["speaker"]] = talk.get(t["speaker"], 0.0) + t["end"] - t["start"]
    assert 0.85 <= talk["leader"] / sum(talk.values()) <= 0.90
    replies = [t["text"] for t in truths["dominant_leader"]["turns"] if t["speaker"] == "coachee"]
    assert replies and all(1 <= len(r.split()) <= 4 for r in replies)
    kinds = {t["kind"] for t in truths["two_voice_mono"]["turns"]}
    assert {"question", "statement"} <= kinds
    size = sum(p.stat().st_size for p in (ROOT / "tests/fixtures/audio").iterdir())
    assert size < 4_500_000  # five short fixtures (the dominant-leader one is 35 s)
