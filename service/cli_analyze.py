"""CLI command: ``coachscore analyze INPUT [--leader L] [--rubric FILE] [--json OUT]
[--html OUT]``.

INPUT is a transcript (.json: pipeline or utterance JSON; .vtt: Zoom/Teams WebVTT) or a
recording (run through ``service.pipeline.transcribe_file`` first). Prints a summary
table; errors print one line on stderr and exit with code 2, no traceback.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Optional

import typer

from analysis.errors import CoachscoreError, InputError

log = logging.getLogger(__name__)

TRANSCRIPT_SUFFIXES = {".json", ".vtt"}


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("analyze")(analyze)


def analyze(
    input_path: Path = typer.Argument(
        ..., metavar="INPUT", help="Transcript (.json, .vtt) or recording (wav, mp3, m4a, ...)."
    ),
    leader: str = typer.Option(
        "auto", "--leader", "-l",
        help="Leader: speaker label, display name, channel index, or 'auto' to infer.",
    ),
    rubric: Optional[Path] = typer.Option(None, "--rubric", help="Rubric TOML file (default: bundled)."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the JSON scorecard here."),
    html_out: Optional[Path] = typer.Option(None, "--html", help="Write the HTML scorecard here."),
    no_nlp: bool = typer.Option(False, "--no-nlp", help="Skip spaCy (regex sentence rules only)."),
) -> None:
    """Score the leader's coaching in a transcript or recording."""
    try:
        scorecard = run_analysis(input_path, leader, rubric, use_nlp=not no_nlp)
        write_outputs(scorecard, json_out, html_out)
    except CoachscoreError as e:
        _fail(e.message)
    except OSError as e:
        _fail(f"cannot write output: {e.strerror or e} ({e.filename})")
    _print_summary(scorecard, json_out, html_out)


def run_analysis(path: Path, leader: str | None, rubric: Path | None, use_nlp: bool = True) -> Any:
    """Load (or transcribe) INPUT, resolve roles, and return the Scorecard."""
    from analysis import analyze as analyze_transcript
    from analysis.roles import resolve_roles
    from analysis.rubric import load_rubric

    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected a transcript or recording file")
    the_rubric = load_rubric(rubric)  # validate before any slow work
    transcript, hint = _load_input(path)
    roles = resolve_roles(transcript, leader, hint)
    if not use_nlp:
        return analyze_transcript(transcript, roles, the_rubric, None)
    from models.embeddings import load_encoder

    return analyze_transcript(transcript, roles, the_rubric, _nlp(), load_encoder())


def write_outputs(scorecard: Any, json_out: Path | None, html_out: Path | None) -> None:
    from analysis.scorecard import scorecard_to_dict

    if json_out is not None:
        json_out.write_text(json.dumps(scorecard_to_dict(scorecard), indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
    if html_out is not None:
        html_out.write_text(_render_html(scorecard), encoding="utf-8")


def _load_input(path: Path) -> tuple[Any, str | None]:
    from analysis.inputs import load_transcript

    if path.suffix.lower() in TRANSCRIPT_SUFFIXES:
        return load_transcript(path)
    return _transcribe(path), None


def _transcribe(path: Path) -> Any:
    try:
        from service.pipeline import transcribe_file
    except ImportError as e:
        raise InputError(
            f"{path.name}: audio input needs the audio pipeline (service.pipeline), which is "
            f"not available ({e}); pass a transcript (.json or .vtt) instead"
        ) from e
    from service.settings import get_settings

    config = get_settings().model_config_()
    return transcribe_file(path, config, _progress_hook())


def _progress_hook():
    from rich.console import Console

    console = Console(stderr=True)
    seen: set[str] = set()

    def hook(stage: str, completed: float, total: float) -> None:
        if stage not in seen:
            seen.add(stage)
            console.print(f"[dim]{stage}...[/dim]")

    return hook


def _nlp() -> Any:
    from models.nlp import load_nlp

    return load_nlp()


def _render_html(scorecard: Any) -> str:
    try:
        from service.render import render_scorecard_html
    except ImportError as e:
        raise InputError(f"--html is not available: the HTML renderer could not be loaded ({e})") from e
    return render_scorecard_html(scorecard)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _print_summary(sc: Any, json_out: Path | None, html_out: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    names = dict(sc.speakers)
    conf = sc.reliability.confidence.value
    if conf != "high":
        console.print(f"[bold yellow]Confidence {conf}:[/] " + "; ".join(sc.reliability.reasons))
    console.print(
        f"[bold]Overall score {sc.score.overall:.0f}/100[/] "
        f"(rubric {sc.score.rubric_id} {sc.score.rubric_version}); leader "
        f"[bold]{names.get(sc.roles.leader, sc.roles.leader)}[/] ({sc.roles.reason})"
    )
    table = Table("dimension", "score", "weight", "why")
    for d in sc.score.dimensions:
        table.add_row(d.label, f"{d.score:.0f}", f"{d.weight:g}", d.explanation)
    console.print(table)
    console.print(f"Rescue moments: {len(sc.rescues)}. Focus next time: [bold]{sc.focus}[/]")
    for label, path in (("JSON", json_out), ("HTML", html_out)):
        if path is not None:
            console.print(f"{label} scorecard: {path}")
