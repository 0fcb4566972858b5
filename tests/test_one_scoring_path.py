"""The CLI and the job worker share one scoring function (service.pipeline.score): on one
transcript they produce the same JSON and HTML scorecard; and the fake models at the model
seam need neither weights nor torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import TEST_WHISPER, validate_scorecard
from test_scorecard import UTTERANCES

ROOT = Path(__file__).resolve().parents[1]
TRANSCRIPT = UTTERANCES  # a talk with a rescue, so the comparison covers one


def _cli_card(tmp_path: Path, src: Path, *extra: str) -> tuple[dict, str]:
    from service.cli import _register, app

    _register()
    out, html = tmp_path / "cli.json", tmp_path / "cli.html"
    args = ["analyze", str(src), "--leader-name", "Dana", "--coachee-name", "Sam",
            "--json", str(out), "--html", str(html), *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text()), html.read_text()


def _worker_card(api, src: Path) -> tuple[dict, str]:
    _, h = api.new_org()
    r = api.client.post("/v1/sessions/transcript?leader_name=Dana&coachee_name=Sam",
                        headers={**h, "content-type": "application/json"}, content=src.read_bytes())
    assert r.status_code == 202, r.text
    assert api.process() == 1
    sid = r.json()["id"]
    card = api.client.get(f"/v1/sessions/{sid}/scorecard", headers=h)
    assert card.status_code == 200, card.text
    return card.json(), api.client.get(f"/v1/sessions/{sid}/scorecard.html", headers=h).text


def _unnamed_transcript(path: Path) -> Path:
    """TRANSCRIPT as pipeline JSON with unnamed speakers (as from a recording), so the
    leader/coachee names given to the CLI and the API are what label them."""
    from dataclasses import replace

    from analysis.inputs import parse_json_transcript
    from analysis.transcript_json import transcript_to_dict

    t, _ = parse_json_transcript(json.dumps(TRANSCRIPT))
    t = replace(t, speakers=tuple(replace(s, name=None) for s in t.speakers))
    path.write_text(json.dumps(transcript_to_dict(t)))
    return path


def test_cli_and_worker_write_the_same_scorecard(api, tmp_path):
    src = _unnamed_transcript(tmp_path / "talk.json")
    cli_card, cli_html = _cli_card(tmp_path, src, "--no-nlp")
    worker_card, worker_html = _worker_card(api, src)  # the fake model set: no spaCy either
    validate_scorecard(cli_card)
    assert cli_card["roles"]["leader_name"] == "Dana" and cli_card["roles"]["coachee_name"] == "Sam"
    assert cli_card["rescues"] and cli_card["score"]["dimensions"]
    assert worker_card == cli_card
    assert worker_html == cli_html


@pytest.mark.slow
def test_cli_and_worker_agree_with_spacy(make_api, tmp_path):
    from dataclasses import replace

    from conftest import scripted_models

    src = _unnamed_transcript(tmp_path / "talk.json")
    api = make_api(models=replace(scripted_models(), use_nlp=True))
    cli_card, cli_html = _cli_card(tmp_path, src)
    worker_card, worker_html = _worker_card(api, src)
    assert worker_card == cli_card and worker_html == cli_html


def test_fake_models_score_a_recording_without_torch_or_weights(tmp_path):
    """A fresh interpreter runs the real audio and scoring halves on the fake model set."""
    from conftest import wav_bytes

    wav = tmp_path / "call.wav"
    wav.write_bytes(wav_bytes(3.0))
    code = f"""
import sys
from pathlib import Path
from analysis.rubric import load_rubric
from models.config import ModelConfig
from service.pipeline import LeaderChoice, PeopleNames, TranscribeOptions, fake_models, score, transcribe
models = fake_models(ModelConfig(models_dir=Path("{tmp_path}/no-models")))
t = transcribe(Path("{wav}"), TranscribeOptions(), models)
r = score(t, LeaderChoice(), PeopleNames("Dana"), load_rubric(None), models.nlp())
heavy = sorted(m for m in ("torch", "faster_whisper", "ctranslate2", "spacy") if m in sys.modules)
print(len(t.turns), r.card_json["roles"]["leader_name"], heavy)
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "Dana", "[]"]


def test_settings_choose_real_or_scripted_models(tmp_path):
    from models.fakes import ScriptedASR
    from service.pipeline import models_for
    from service.settings import Settings

    real = models_for(Settings(home=tmp_path))
    assert real.asr is None and real.diarizer_factory is None and real.use_nlp  # resolved when used
    fake = models_for(Settings(home=tmp_path, model_backend="fake", fake_model_delay_s=2.5))
    assert isinstance(fake.asr, ScriptedASR) and fake.asr.script.stage_delay_s == 2.5
    assert fake.nlp() is None and fake.diarizer_factory is not None
