"""Unusable recordings are refused at upload (API and web, one check) and by ``analyze``:
silent ones, and ones with less speech than the rubric's [limits] min_speech_s (default 20 s).
Also: the failed job's error always names a stage."""

from __future__ import annotations

import io
import re
import socket
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from analysis.errors import RubricError, TooLittleSpeechError
from analysis.rubric import load_rubric, parse_rubric
from analysis.speech import speech_seconds
from web_world import cheap_hashes  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "coaching_1on1.wav"  # a real 79 s two-person recording
RATE = 16_000


def talk(speech_s: float, total_s: float, burst_s: float = 0.24, level: float = 0.3) -> np.ndarray:
    """``total_s`` of near-silence (a faint hiss) with ``speech_s`` seconds of voiced bursts
    (a 180 Hz buzz with harmonics, ``burst_s`` long, a pause as long between them)."""
    rng = np.random.default_rng(7)
    x = rng.normal(0, 3e-4, int(total_s * RATE)).astype(np.float32)
    t = np.arange(int(burst_s * RATE)) / RATE
    burst = level * (np.sin(2 * np.pi * 180 * t) + 0.5 * np.sin(2 * np.pi * 360 * t)) / 1.5
    for i in range(round(speech_s / burst_s)):
        start = int((0.6 + 2 * i * burst_s) * RATE)
        x[start:start + burst.size] += burst
    return x


def wav(samples: np.ndarray) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


# --------------------------------------------------------------------------- measuring


def test_energy_vad_counts_voiced_bursts_not_silence_or_a_steady_tone():
    assert speech_seconds(np.zeros(10 * RATE, np.float32), RATE) == 0.0
    tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(10 * RATE) / RATE).astype(np.float32)
    assert speech_seconds(tone, RATE) == 0.0  # steady: no louder than its own floor
    assert speech_seconds(talk(1.2, 10.0), RATE) == pytest.approx(1.2, abs=0.1)
    assert speech_seconds(talk(3.6, 10.0), RATE) == pytest.approx(3.6, abs=0.15)


def test_measure_stops_at_enough_speech_and_reads_a_short_file_to_the_end(tmp_path):
    from models.speech import measure_speech

    m = measure_speech(SAMPLE, enough_s=20)
    assert m.speech_s >= 20 and not m.complete and m.scanned_s < 40  # stopped early
    whole = measure_speech(SAMPLE, enough_s=1e9)
    assert whole.complete and whole.scanned_s == pytest.approx(79.4, abs=0.1) and 30 < whole.speech_s < 79
    few = tmp_path / "few.wav"
    few.write_bytes(wav(talk(1.2, 30.0)))
    m = measure_speech(few, enough_s=20)
    assert m.complete and m.speech_s == pytest.approx(1.2, abs=0.1) and not m.silent


def test_a_long_file_is_sampled_not_decoded_whole(tmp_path, monkeypatch):
    import models.speech as speech

    monkeypatch.setattr(speech, "MAX_SCAN_S", 20.0)
    monkeypatch.setattr(speech, "WINDOW_S", 10.0)
    long = tmp_path / "long.wav"
    long.write_bytes(wav(talk(1.2, 240.0)))
    m = speech.measure_speech(long, enough_s=20, max_scan_s=20.0)
    assert not m.complete and m.scanned_s <= 20 + speech.SAMPLES * 10 + 1  # bounded, not all 240 s
    from service.upload_check import check_speech

    with pytest.raises(TooLittleSpeechError, match=r"^'long.wav' has only about \d+\.\d s of speech \(judged from"):
        check_speech(long, "long.wav", 20, 240.0)


# --------------------------------------------------------------------------- the rubric limit


def test_rubric_limits_min_speech_s_default_and_validation():
    assert load_rubric(None).min_speech_s == 20.0
    base = (ROOT / "analysis" / "data" / "rubric-default.toml").read_text().replace("[limits]\nmin_speech_s = 20\n", "")
    assert "[limits]" not in base and parse_rubric(base).min_speech_s == 20.0  # absent: the default
    assert parse_rubric(base + "\n[limits]\nmin_speech_s = 0\n").min_speech_s == 0.0
    for bad, field in [("min_speech_s = -1", "limits.min_speech_s"), ('min_speech_s = "20"', "limits.min_speech_s"),
                       ("min_speech_s = 99999", "limits.min_speech_s"), ("min_words = 3", "limits.min_words")]:
        with pytest.raises(RubricError, match=re.escape(f"field '{field}'")):
            parse_rubric(base + f"\n[limits]\n{bad}\n", "r.toml")


# --------------------------------------------------------------------------- upload (API + web)


@pytest.fixture
def checked(make_api):
    """An API with the speech check on (the rubric's 20 s), as in production."""
    return make_api(min_speech_s=None)


def _stored_files(api) -> list[Path]:
    root = api.settings.resolved_data_dir()
    return [p for d in ("audio", "tmp") for p in (root / d).rglob("*") if p.is_file()]


def test_upload_with_too_little_speech_is_422_naming_the_users_file(checked):
    _, h = checked.new_org()
    r = checked.upload(h, data=wav(talk(1.2, 30.0)), filename="call.m4a")
    assert r.status_code == 422, r.text
    assert r.json()["error"] == {"code": "too_little_speech",
                                 "message": "'call.m4a' has only 1.2 s of speech; a scorecard needs at least 20 s"}
    assert _stored_files(checked) == []  # refused before it was stored
    assert checked.client.get("/v1/sessions", headers=h).json()["items"] == []


def test_silent_upload_is_422_and_undecodable_stays_415(checked):
    _, h = checked.new_org()
    r = checked.upload(h, data=wav(np.zeros(30 * RATE, np.float32)), filename="quiet.wav")
    assert r.status_code == 422 and r.json()["error"] == {
        "code": "silent_recording",
        "message": "'quiet.wav' is silent (no sound above -60 dBFS); a scorecard needs at least 20 s of speech"}
    r = checked.upload(h, data=b"not audio at all " * 100, filename="notes.wav")
    assert r.status_code == 415
    stored = [p.name for p in _stored_files(checked)]
    assert stored == [] and not any(name in r.text for name in stored)


def test_enough_speech_is_accepted_and_scored(checked):
    _, h = checked.new_org()
    r = checked.upload(h, data=SAMPLE.read_bytes(), filename="monday.wav")
    assert r.status_code == 202, r.text
    checked.process()
    assert checked.client.get(f"/v1/sessions/{r.json()['id']}", headers=h).json()["status"] == "done"


def test_the_minimum_is_the_uploads_rubric_and_the_setting_overrides_it(make_api, tmp_path):
    api = make_api(min_speech_s=None)
    rubrics = api.settings.resolved_rubrics_dir()
    rubrics.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "analysis" / "data" / "rubric-default.toml").read_text()
    (rubrics / "brief.toml").write_text(text.replace("min_speech_s = 20", "min_speech_s = 1"))
    _, h = api.new_org()
    few = wav(talk(1.2, 30.0))
    assert api.upload(h, data=few, filename="a.wav").status_code == 422
    assert api.upload(h, data=few, filename="a.wav", rubric="brief").status_code == 202
    off = make_api(min_speech_s=0)
    _, h2 = off.new_org()
    assert off.upload(h2, data=few, filename="a.wav").status_code == 202


def test_web_upload_shows_the_same_message(make_api, cheap_hashes):
    from web_world import World, csrf_of

    api = make_api(min_speech_s=None)
    w = World(api.client.app)
    acme = w.org("Acme")
    w.user(acme, "vera@acme.test", person=w.person(acme, "Vera"))
    browser = w.signed_in("vera@acme.test")
    csrf = csrf_of(browser.get("/upload").text)
    r = browser.post("/upload", data={"csrf_token": csrf, "consent": "yes"},
                     files={"file": ("call.wav", wav(talk(1.2, 30.0)), "audio/wav")}, follow_redirects=False)
    assert r.status_code == 422
    assert "&#39;call.wav&#39; has only 1.2 s of speech; a scorecard needs at least 20 s." in r.text
    assert _stored_files(api) == []


# --------------------------------------------------------------------------- command line


def test_analyze_refuses_a_short_recording_and_transcribe_still_transcribes_it(tmp_path):
    short = tmp_path / "call.wav"
    short.write_bytes(wav(talk(1.2, 30.0)))
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "COACHSCORE_HOME": str(tmp_path / "home"),
           "COACHSCORE_MODEL_BACKEND": "fake", "HF_HUB_OFFLINE": "1"}
    import sys

    r = subprocess.run([sys.executable, "-m", "service.cli", "analyze", str(short), "--no-nlp"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip() == "error: 'call.wav' has only 1.2 s of speech; a scorecard needs at least 20 s"
    from service.pipeline import TranscribeOptions, transcribe
    from conftest import scripted_models

    transcript = transcribe(short, TranscribeOptions(), scripted_models())  # what `coachscore transcribe` runs
    assert transcript.words


# --------------------------------------------------------------------------- error.stage


def test_a_failed_job_always_names_a_stage(api):
    from datetime import timedelta

    from service.db import CoachingSession, Job, utcnow

    _, h = api.new_org()
    sid = api.upload(h).json()["id"]
    dead = subprocess.Popen(["true"])
    dead.wait()
    with api.client.app.state.ctx.factory() as db:  # died before it reported any stage
        job = db.query(Job).filter(Job.session_id == sid).one()
        job.status, job.claimed_by, job.attempts = "running", f"{socket.gethostname()}:{dead.pid}:x", 2
        job.heartbeat_at = utcnow() - timedelta(seconds=1)
        db.get(CoachingSession, sid).stage = None
        db.commit()
    api.process()
    err = api.client.get(f"/v1/sessions/{sid}", headers=h).json()["error"]
    assert err["code"] == "worker_lost" and err["stage"] == "decode"
