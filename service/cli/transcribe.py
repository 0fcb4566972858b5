"""CLI command: ``coachscore transcribe AUDIO --out transcript.json`` (with a progress bar).

Errors the user can act on (bad file, missing model, bad option) print one line on
stderr and exit with code 2; no traceback.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import Optional

import typer

from analysis.errors import CoachscoreError, InputError
from models.diarization import STRATEGIES

log = logging.getLogger(__name__)

STAGE_LABELS = {
    "decode": "Decoding",
    "transcribe": "Transcribing",
    "diarize": "Diarizing",
    "attribute": "Attributing",
}


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("transcribe")(transcribe)


def transcribe(
    audio: Path = typer.Argument(..., help="Recording: wav, mp3, m4a, mp4, ogg/opus, flac, webm."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the transcript JSON."),
    diarization: str = typer.Option(
        "auto", help="auto | channels (one speaker per channel) | pyannote (configured "
        "pipeline dir) | default (embedded segmentation + CAM++)."
    ),
    num_speakers: int = typer.Option(2, help="Known number of speakers; 0 = estimate."),
    min_speakers: Optional[int] = typer.Option(None, help="Lower bound when estimating."),
    max_speakers: Optional[int] = typer.Option(None, help="Upper bound when estimating."),
    model: Optional[str] = typer.Option(
        None, "--model", help="Whisper model: tiny.en, base, or a CTranslate2 model directory."
    ),
    language: Optional[str] = typer.Option(None, help="Spoken language code, or 'auto' to detect."),
    device: Optional[str] = typer.Option(None, help="cpu | cuda | auto."),
    compute_type: Optional[str] = typer.Option(None, help="int8 | float16 | int8_float16 | float32."),
    vtt: Optional[Path] = typer.Option(None, "--vtt", help="Also write WebVTT subtitles here."),
    srt: Optional[Path] = typer.Option(None, "--srt", help="Also write SRT subtitles here."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Transcribe and diarize a recording into a speaker-attributed transcript JSON."""
    try:
        _run(audio, out, diarization, num_speakers, min_speakers, max_speakers,
             _config(model, language, device, compute_type), vtt, srt, quiet)  # fmt: skip
    except CoachscoreError as e:
        fail(e.message)


def fail(message: str) -> None:
    """Print one error line and exit with code 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _config(model: str | None, language: str | None, device: str | None, compute_type: str | None):
    from service.settings import get_settings

    config = get_settings().model_config_()
    changes: dict[str, object] = {}
    if model:
        changes["whisper_model"] = model
    if language:
        changes["language"] = None if language == "auto" else language
    if device:
        changes["device"] = device
    if compute_type:
        changes["compute_type"] = compute_type
    return replace(config, **changes)


def _run(audio, out, diarization, num_speakers, min_speakers, max_speakers, config, vtt, srt, quiet) -> None:
    from analysis.transcript_json import transcript_to_dict
    from models.diarization.base import SpeakerCount
    from service.pipeline import ModelSet, TranscribeOptions
    from service.pipeline import transcribe as transcribe_audio

    if diarization not in STRATEGIES:
        raise InputError(
            f"--diarization must be one of {', '.join(STRATEGIES)}, got {diarization!r}"
        )
    if num_speakers < 0:
        raise InputError(f"--num-speakers must be >= 0 (0 = estimate), got {num_speakers}")
    options = TranscribeOptions(diarization, SpeakerCount(num_speakers or None, min_speakers, max_speakers))
    for target in (out, vtt, srt):
        if target is not None:
            _check_writable(target)  # fail before minutes of transcription, not after
    with _progress(quiet) as hook:
        transcript = transcribe_audio(audio, options, ModelSet(config), hook)
    _write(out, json.dumps(transcript_to_dict(transcript), indent=2, ensure_ascii=False) + "\n")
    if vtt or srt:
        from analysis.exports import to_srt, to_webvtt

        if vtt:
            _write(vtt, to_webvtt(transcript))
        if srt:
            _write(srt, to_srt(transcript))
    _summary(transcript, out)


def _check_writable(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot write {path}: {e.strerror or e}") from e
    if path.is_dir() or not os.access(path.parent, os.W_OK):
        raise InputError(f"cannot write {path}: not a writable file location")


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise InputError(f"cannot write {path}: {e.strerror or e}") from e


def _summary(transcript, out: Path) -> None:
    timings = transcript.meta.stage_timings_s
    total = timings.get("total", 0.0)
    rtf = total / transcript.duration_s if transcript.duration_s else 0.0
    typer.echo(
        f"Wrote {out}: {len(transcript.speakers)} speakers, {len(transcript.turns)} turns, "
        f"{len(transcript.words)} words from {transcript.duration_s / 60:.1f} min of audio "
        f"in {total:.1f} s (real-time factor {rtf:.2f})",
        err=True,
    )
    for line in transcript.warnings:
        typer.echo(f"warning: {line}", err=True)


class _progress:
    """Context manager yielding a progress hook that drives a rich progress bar per stage."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.progress = None
        self.tasks: dict[str, int] = {}

    def __enter__(self):
        if self.quiet:
            return lambda stage, done, total: None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description:<13}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(), console=Console(stderr=True), transient=False,
        )  # fmt: skip
        return self.hook

    def hook(self, stage: str, done: float, total: float) -> None:
        if not self.tasks:
            self.progress.start()  # lazily: an early error prints no empty bar
        if stage not in self.tasks:
            label = STAGE_LABELS.get(stage, stage)
            self.tasks[stage] = self.progress.add_task(label, total=max(total, 1e-9))
        self.progress.update(self.tasks[stage], completed=done, total=max(total, 1e-9))

    def __exit__(self, *exc: object) -> None:
        if self.tasks:
            self.progress.stop()
