"""End to end with the real pipeline (faster-whisper tiny.en, channel diarization, spaCy,
the real analysis and HTML renderer) on a short stereo fixture. Slow: a few seconds of CPU."""

from __future__ import annotations

from conftest import TEST_WHISPER

import os
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "audio" / "two_voice_stereo.wav"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_upload_to_scorecard_with_the_real_pipeline(make_api, monkeypatch):
    from service.pipeline import models_for
    from service.settings import Settings

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("PYANNOTE_METRICS_ENABLED", "false")
    if not FIXTURE.exists():
        pytest.skip(f"fixture {FIXTURE} is missing (made by scripts/make_fixtures)")
    models_dir = Settings().resolved_models_dir()  # the operator's models, not the tmp home
    api = make_api(models=models_for(Settings(models_dir=models_dir, whisper_model=TEST_WHISPER)), models_dir=models_dir)
    _, h = api.new_org()
    r = api.upload(h, data=FIXTURE.read_bytes(), filename=FIXTURE.name, leader_name="Dana", coachee_name="Sam")
    assert r.status_code == 202, r.text
    sid = r.json()["id"]
    api.process()
    s = api.client.get(f"/v1/sessions/{sid}", headers=h).json()
    if s["status"] == "failed" and s["error"]["code"] == "model_missing":
        pytest.skip(s["error"]["message"])
    assert s["status"] == "done", s["error"]
    assert {"decode", "transcribe", "diarize", "analyze"} <= set(s["stage_timings_s"])
    assert 0 <= s["overall_score"] <= 100 and s["rubric_version"]
    card = api.client.get(f"/v1/sessions/{sid}/scorecard", headers=h).json()
    assert card["schema"] == "coachscore.scorecard/1" and card["roles"]["leader"] in ("S0", "S1")
    assert card["roles"]["leader_name"] == "Dana" and card["roles"]["coachee_name"] == "Sam"
    transcript = api.client.get(f"/v1/sessions/{sid}/transcript", headers=h).json()
    assert len(transcript["transcript"]["words"]) > 10 and transcript["sentences"]
    html = api.client.get(f"/v1/sessions/{sid}/scorecard.html", headers=h)
    assert html.status_code == 200 and "<html" in html.text
    before = card["roles"]["leader"]
    assert api.client.patch(f"/v1/sessions/{sid}", headers=h, json={"swap_roles": True}).status_code == 202
    api.process()
    after = api.client.get(f"/v1/sessions/{sid}/scorecard", headers=h).json()
    assert after["roles"]["leader"] != before and after["roles"]["leader_name"] == "Dana"
    assert os.environ["HF_HUB_OFFLINE"] == "1"
