"""CLI command: ``coachscore analyze INPUT... [--leader L] [--leader-name N] [--coachee-name N]
[--rubric FILE] [--json OUT] [--html OUT] [--out-dir DIR] [--no-nlp]``.

INPUT is a transcript (.json: pipeline or utterance JSON; .vtt: Zoom/Teams WebVTT), a
recording (transcribed first), or a directory of them. Scoring is ``service.pipeline.score``,
the worker's function. One input: prints its score table; errors print one line on stderr
and exit with code 2. Several inputs (a batch): the rubric, spaCy and the models load once,
each input gets NAME.json and NAME.html in ``--out-dir``, a failed input is listed with its
reason and does not stop the batch, and the exit code is 1 when any input failed.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import typer

from analysis.errors import CoachscoreError, InputError
from analysis.rubric import Rubric
from analysis.types import Transcript
from service.pipeline import LeaderChoice, ModelSet, PeopleNames, ScoreResult

log = logging.getLogger(__name__)

TRANSCRIPT_SUFFIXES = {".json", ".vtt"}
AUDIO_SUFFIXES = {".wav", ".mp3", ".m4a", ".aac", ".mp4", ".ogg", ".opus", ".flac", ".webm"}


@dataclass(frozen=True)
class RunSetup:
    """What every input of one run is scored with (built once per run)."""

    choice: LeaderChoice
    names: PeopleNames
    rubric: Rubric
    models: ModelSet
    min_speech_s: float = 0.0  # a recording with less speech is refused (service.upload_check)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("analyze")(analyze)


def analyze(
    inputs: list[Path] = typer.Argument(
        ..., metavar="INPUT...",
        help="Transcripts (.json, .vtt), recordings (wav, mp3, m4a, ...) or directories of them.",
    ),
    leader: str = typer.Option(
        "auto", "--leader", "-l",
        help="Leader: speaker label, display name, channel index, or 'auto' to infer.",
    ),
    leader_name: Optional[str] = typer.Option(None, "--leader-name", help="The leader's name, shown on the scorecard."),
    coachee_name: Optional[str] = typer.Option(None, "--coachee-name", help="The coachee's name."),
    rubric: Optional[Path] = typer.Option(None, "--rubric", help="Rubric TOML file (default: bundled)."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the JSON scorecard here (one input)."),
    html_out: Optional[Path] = typer.Option(None, "--html", help="Write the HTML scorecard here (one input)."),
    out_dir: Optional[Path] = typer.Option(
        None, "--out-dir", help="Write NAME.json and NAME.html per input here (any number of inputs)."
    ),
    no_nlp: bool = typer.Option(False, "--no-nlp", help="Skip spaCy (regex sentence rules only)."),
) -> None:
    """Score the leader's coaching in transcripts or recordings."""
    try:
        files = expand_inputs(inputs)
        if len(inputs) > 1 or inputs[0].is_dir() or out_dir is not None:
            if json_out or html_out:
                raise InputError("--json and --html name one output file; with several inputs use --out-dir")
            raise typer.Exit(run_batch(files, _job(leader, leader_name, coachee_name, rubric, no_nlp), out_dir))
        result = analyze_one(files[0], _job(leader, leader_name, coachee_name, rubric, no_nlp))
        write_outputs(result, json_out, html_out)
    except CoachscoreError as e:
        _fail(e.message)
    except OSError as e:
        _fail(f"cannot write output: {e.strerror or e} ({e.filename})")
    _print_summary(result, json_out, html_out)


def _job(leader: str, leader_name: str | None, coachee_name: str | None, rubric: Path | None, no_nlp: bool) -> RunSetup:
    from analysis.rubric import load_rubric
    from service.settings import get_settings
    from service.upload_check import required_speech_s

    the_rubric = load_rubric(rubric)  # validate before any slow work
    settings = get_settings()
    return RunSetup(LeaderChoice(leader), PeopleNames(leader_name, coachee_name), the_rubric,
                    ModelSet(settings.model_config_(), use_nlp=not no_nlp), required_speech_s(settings, the_rubric))


def expand_inputs(inputs: list[Path]) -> list[Path]:
    """Files named, and the transcripts/recordings inside named directories (sorted, recursive,
    hidden files skipped). Raises InputError for a path that does not exist or an empty directory."""
    files: list[Path] = []
    for path in inputs:
        if not path.exists():
            raise InputError(f"{path}: no such file")
        if not path.is_dir():
            files.append(path)
            continue
        found = sorted(p for p in path.rglob("*") if p.is_file() and _scorable(p.relative_to(path)))
        if not found:
            raise InputError(f"{path}: no transcripts (.json, .vtt) or recordings in this directory")
        files += found
    return files


def _scorable(rel: Path) -> bool:
    return not any(part.startswith(".") for part in rel.parts) and rel.suffix.lower() in (
        TRANSCRIPT_SUFFIXES | AUDIO_SUFFIXES
    )


def analyze_one(path: Path, job: RunSetup) -> ScoreResult:
    """Load (or transcribe) ``path`` and score it with ``job``."""
    from service.pipeline import score

    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected a transcript or recording file")
    if path.suffix.lower() not in TRANSCRIPT_SUFFIXES:
        _check_speech(path, job.min_speech_s)  # the upload's check: too little speech, no scorecard
    transcript, hint = _load_input(path, job.models)
    choice = LeaderChoice(job.choice.leader, hint)
    return score(transcript, choice, job.names, job.rubric, job.models.nlp(), job.models.encoder())


def write_outputs(result: ScoreResult, json_out: Path | None, html_out: Path | None) -> None:
    if json_out is not None:
        json_out.write_text(json.dumps(result.card_json, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if html_out is not None:
        html_out.write_text(result.html, encoding="utf-8")


def _load_input(path: Path, models: ModelSet) -> tuple[Transcript, str | None]:
    from analysis.inputs import load_transcript

    if path.suffix.lower() in TRANSCRIPT_SUFFIXES:
        return load_transcript(path)
    return _transcribe(path, models), None


def _check_speech(path: Path, min_speech_s: float) -> None:
    from models.decode import probe_audio
    from service.upload_check import check_speech

    if min_speech_s > 0:
        check_speech(path, path.name, min_speech_s, probe_audio(path).duration_s)


def _transcribe(path: Path, models: ModelSet) -> Transcript:
    from service.pipeline import TranscribeOptions, transcribe

    return transcribe(path, TranscribeOptions(), models, _progress_hook())


def _progress_hook():
    from rich.console import Console

    console = Console(stderr=True)
    seen: set[str] = set()

    def hook(stage: str, completed: float, total: float) -> None:
        if stage not in seen:
            seen.add(stage)
            console.print(f"[dim]{stage}...[/dim]")

    return hook


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _print_summary(result: ScoreResult, json_out: Path | None, html_out: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    from service.render import in_plain_names

    sc = result.scorecard
    console = Console()
    conf = sc.reliability.confidence.value
    if conf != "high":
        console.print(f"[bold yellow]Confidence {conf}:[/] " + in_plain_names(sc, "; ".join(sc.reliability.reasons)))
    leader = in_plain_names(sc, sc.roles.leader)
    console.print(
        f"[bold]Overall score {sc.score.overall:.0f}/100[/] "
        f"(rubric {sc.score.rubric_id} {sc.score.rubric_version}); leader "
        f"[bold]{leader}[/] ({in_plain_names(sc, sc.roles.reason)})"
    )
    table = Table("dimension", "score", "weight", "why")
    for d in sc.score.dimensions:
        table.add_row(d.label, f"{d.score:.0f}", f"{d.weight:g}", d.explanation)
    console.print(table)
    console.print(f"Rescue moments: {len(sc.rescues)}. Focus next time: [bold]{sc.focus}[/]")
    for label, path in (("JSON", json_out), ("HTML", html_out)):
        if path is not None:
            console.print(f"{label} scorecard: {path}")


# --------------------------------------------------------------------------- batch


@dataclass(frozen=True)
class BatchRow:
    """One input of a batch: its result or the reason it failed, and the seconds it took."""

    path: Path
    seconds: float
    result: ScoreResult | None = None
    error: str | None = None
    outputs: tuple[Path, ...] = ()


def run_batch(files: list[Path], job: RunSetup, out_dir: Path | None) -> int:
    """Score every file with one ``job`` (models loaded once), write outputs to ``out_dir``,
    print the summary table; returns the exit code (0, or 1 when any input failed)."""
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    job.models.nlp()  # load spaCy once, before the clock of the first file starts
    rows, stems = [], _output_stems(files)
    for path in files:
        rows.append(_batch_one(path, job, out_dir, stems[path]))
    _print_batch(rows)
    return 1 if any(r.error for r in rows) else 0


def _batch_one(path: Path, job: RunSetup, out_dir: Path | None, stem: str) -> BatchRow:
    started = time.perf_counter()
    try:
        result = analyze_one(path, job)
        outputs: tuple[Path, ...] = ()
        if out_dir is not None:
            outputs = (out_dir / f"{stem}.json", out_dir / f"{stem}.html")
            write_outputs(result, *outputs)
    except CoachscoreError as e:
        return BatchRow(path, time.perf_counter() - started, error=e.message)
    except OSError as e:
        return BatchRow(path, time.perf_counter() - started, error=f"cannot write output: {e.strerror or e}")
    return BatchRow(path, time.perf_counter() - started, result, outputs=outputs)


def _output_stems(files: list[Path]) -> dict[Path, str]:
    """An output name per input: its stem, with -2, -3, ... when two inputs share one."""
    stems: dict[Path, str] = {}
    used: set[str] = set()
    for path in files:
        stem, n = path.stem, 2
        while stem in used:
            stem, n = f"{path.stem}-{n}", n + 1
        used.add(stem)
        stems[path] = stem
    return stems


def _print_batch(rows: list[BatchRow]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("input", "score", "leader", "rescues", "confidence", "seconds", "result")
    for r in rows:
        if r.result is None:
            table.add_row(str(r.path), "-", "-", "-", "-", f"{r.seconds:.2f}", "[red]failed (below)[/]")
            continue
        sc = r.result.scorecard
        leader = dict(sc.speakers).get(sc.roles.leader, sc.roles.leader)
        table.add_row(str(r.path), f"{sc.score.overall:.0f}", leader, str(len(sc.rescues)),
                      sc.reliability.confidence.value, f"{r.seconds:.2f}",
                      ", ".join(p.name for p in r.outputs) or "scored")  # fmt: skip
    console = Console()
    console.print(table)
    for r in rows:
        if r.error:
            console.print(f"[red]failed[/] {r.path}: {r.error}", soft_wrap=True, markup=True, highlight=False)
    failed = sum(1 for r in rows if r.error)
    total = sum(r.seconds for r in rows)
    console.print(f"{len(rows) - failed} of {len(rows)} inputs scored, {failed} failed, in {total:.1f} s "
                  f"({total / max(1, len(rows)):.2f} s per input)")
