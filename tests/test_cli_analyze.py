"""``coachscore analyze``: transcripts in, JSON/HTML out, one-line errors with exit code 2."""

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import analyze as cli_analyze
from service.cli import app

pytestmark = pytest.mark.filterwarnings("ignore")

UTTERANCES = {
    "roles": {"leader": "Dana"},
    "utterances": [
        {"speaker": "Dana", "start": 0, "end": 3, "text": "What would you like to focus on?"},
        {"speaker": "Sam", "start": 4, "end": 9, "text": "I'm stuck on the hiring plan."},
        {"speaker": "Dana", "start": 9.5, "text": "You should post the role today."},
    ],
}

VTT = """WEBVTT

00:00:00.000 --> 00:00:03.000
<v Dana>What would you like to focus on?</v>

00:00:04.000 --> 00:00:09.000
<v Sam>I'm stuck on the hiring plan.</v>
"""


@pytest.fixture(scope="module")
def runner():
    cli_analyze.register(app)
    return CliRunner()


def run(runner, *args):
    return runner.invoke(app, ["analyze", *map(str, args), "--no-nlp"])


def test_utterance_json_to_json_scorecard(runner, tmp_path: Path):
    src = tmp_path / "t.json"
    src.write_text(json.dumps(UTTERANCES))
    out = tmp_path / "card.json"
    result = run(runner, src, "--json", out)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert 0 <= data["score"]["overall"] <= 100
    assert [s["source_index"] for s in data["sentences"]] == [0, 1, 2]
    assert data["roles"]["leader"] == "Dana"
    assert "Overall score" in result.stdout


def test_vtt_with_leader_option(runner, tmp_path: Path):
    src = tmp_path / "t.vtt"
    src.write_text(VTT)
    out = tmp_path / "card.json"
    result = run(runner, src, "--leader", "sam", "--json", out)
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["roles"]["leader"] == "Sam"


def test_html_output(runner, tmp_path: Path):
    src = tmp_path / "t.json"
    src.write_text(json.dumps(UTTERANCES))
    out = tmp_path / "card.html"
    result = run(runner, src, "--html", out)
    assert result.exit_code == 0, result.output
    assert out.read_text().lstrip().lower().startswith("<!doctype html")


@pytest.mark.parametrize(
    "content, name, extra, message",
    [
        ('{"utterances": [{"speaker": "A", "text": "x"}]}', "t.json", (),
         "error: field 'utterances[0].start': expected a number of seconds, got None"),
        ("WEBVTT\n\n00:01.000 --> 00:00.500\nA: hi\n", "t.vtt", (),
         "error: line 3: cue ends (00:00.500) before it starts (00:01.000)"),
        (json.dumps(UTTERANCES), "t.json", ("--leader", "Pat"),
         "error: leader 'Pat' is not a speaker in this transcript (speakers: 'Dana', 'Sam')"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(runner, tmp_path: Path, content, name, extra, message):
    src = tmp_path / name
    src.write_text(content)
    result = run(runner, src, *extra)
    assert result.exit_code == 2
    assert result.stderr.strip() == message
    assert "Traceback" not in result.output


def test_missing_file_and_bad_rubric(runner, tmp_path: Path):
    result = run(runner, tmp_path / "nope.json")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nope.json'}: no such file"
    src = tmp_path / "t.json"
    src.write_text(json.dumps(UTTERANCES))
    bad = tmp_path / "r.toml"
    bad.write_text('id = "x"\nversion = "1"\n')
    result = run(runner, src, "--rubric", bad)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: rubric {bad}: field 'dimensions' must be a non-empty list of tables"


def test_audio_input_goes_through_the_pipeline(runner, tmp_path: Path, monkeypatch):
    from analysis.inputs import parse_json_transcript

    transcript, _ = parse_json_transcript(json.dumps(UTTERANCES))
    calls = []

    def fake_transcribe(path, options, models, hook):
        calls.append(path)
        return transcript

    import service.pipeline

    monkeypatch.setattr(service.pipeline, "transcribe", fake_transcribe)
    audio = tmp_path / "call.wav"
    audio.write_bytes((Path(__file__).resolve().parents[1] / "samples" / "coaching_1on1.wav").read_bytes())
    out = tmp_path / "card.json"
    result = run(runner, audio, "--leader", "Dana", "--json", out)
    assert result.exit_code == 0, result.output
    assert calls == [audio]
    assert json.loads(out.read_text())["roles"]["leader"] == "Dana"


# --------------------------------------------------------------------------- batch


def _batch_dir(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    (src / "week2").mkdir(parents=True)
    (src / "a.json").write_text(json.dumps(UTTERANCES))
    (src / "week2" / "b.vtt").write_text(VTT)
    (src / "week2" / "a.json").write_text(json.dumps(UTTERANCES))  # same stem: a-2.*
    (src / "broken.vtt").write_text("not a transcript")
    (src / "notes.txt").write_text("ignored: not a transcript suffix")
    (src / ".hidden.json").write_text("{")  # hidden files are skipped
    return src


def test_batch_scores_a_directory_lists_failures_and_exits_1(runner, tmp_path: Path):
    out = tmp_path / "out"
    result = run(runner, _batch_dir(tmp_path), "--out-dir", out)
    assert result.exit_code == 1, result.output
    assert sorted(p.name for p in out.iterdir()) == ["a-2.html", "a-2.json", "a.html", "a.json", "b.html", "b.json"]
    for name in ("a", "a-2", "b"):
        card = json.loads((out / f"{name}.json").read_text())
        assert card["schema"] == "coachscore.scorecard/1" and 0 <= card["score"]["overall"] <= 100
        assert (out / f"{name}.html").read_text().lower().startswith("<!doctype html>")
    text = " ".join(result.stdout.split())  # the table may wrap
    assert "3 of 4 inputs scored, 1 failed" in text
    assert "line 1: expected the 'WEBVTT' header" in text and "broken.vtt" in text


def test_batch_of_files_loads_spacy_once_and_scores_like_single_runs(runner, tmp_path: Path, monkeypatch):
    import models.nlp

    loads = []
    real_load = models.nlp.load_nlp
    monkeypatch.setattr(models.nlp, "load_nlp", lambda *a: loads.append(a) or real_load(*a))
    files = []
    for i in range(3):
        files.append(tmp_path / f"t{i}.json")
        files[-1].write_text(json.dumps(UTTERANCES))
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", *map(str, files), "--out-dir", str(out)])
    assert result.exit_code == 0, result.output
    single = tmp_path / "single.json"
    assert runner.invoke(app, ["analyze", str(files[0]), "--json", str(single)]).exit_code == 0
    assert json.loads((out / "t0.json").read_text()) == json.loads(single.read_text())
    assert len({id(real_load(*a)) for a in loads}) == 1  # one spaCy pipeline for the whole batch


def test_batch_refuses_json_and_html_file_options(runner, tmp_path: Path):
    src = _batch_dir(tmp_path)
    result = run(runner, src / "a.json", src / "week2" / "b.vtt", "--json", tmp_path / "x.json")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --json and --html name one output file; with several inputs use --out-dir"


def test_batch_with_an_empty_directory_is_a_clear_error(runner, tmp_path: Path):
    (tmp_path / "empty").mkdir()
    result = run(runner, tmp_path / "empty", "--out-dir", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'empty'}: no transcripts (.json, .vtt) or recordings in this directory"


def test_summary_names_people_not_speaker_codes(runner, tmp_path: Path):
    """A diarized transcript has only speaker codes (S0, S1): the summary says Leader/Coachee."""
    talk = {"utterances": [
        {"speaker": "S0", "start": 0, "end": 3, "text": "What would you like to focus on?"},
        {"speaker": "S1", "start": 4, "end": 9, "text": "I'm stuck on the hiring plan."},
        {"speaker": "S0", "start": 9.5, "end": 12, "text": "What have you tried so far?"},
    ]}
    src = tmp_path / "codes.json"
    src.write_text(json.dumps(talk))
    result = run(runner, src)
    assert result.exit_code == 0, result.output
    assert "leader Leader" in " ".join(result.stdout.split())
    assert re.search(r"\bS\d\b", result.stdout) is None, result.stdout
