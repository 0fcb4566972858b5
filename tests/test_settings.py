"""Settings come from init args > environment > TOML config file > defaults."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from service.settings import Settings


def test_config_file_is_read_and_env_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cfg = tmp_path / "coachscore.toml"
    cfg.write_text('whisper_model = "base"\nmax_upload_mb = 12.5\nkeep_audio = false\n')
    monkeypatch.setenv("COACHSCORE_CONFIG", str(cfg))
    monkeypatch.setenv("COACHSCORE_MAX_UPLOAD_MB", "7")
    s = Settings()
    assert s.whisper_model == "base"
    assert s.keep_audio is False
    assert s.max_upload_mb == 7.0


def test_missing_config_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COACHSCORE_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ValueError, match="COACHSCORE_CONFIG names .*nope.toml, which is not a file"):
        Settings()


def test_invalid_value_in_config_file_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cfg = tmp_path / "c.toml"
    cfg.write_text("max_upload_mb = -3\n")
    monkeypatch.setenv("COACHSCORE_CONFIG", str(cfg))
    with pytest.raises(ValidationError, match="max_upload_mb"):
        Settings()


@pytest.mark.parametrize("value, expected", [("auto", None), ("", None), ("de", "de")])
def test_language_auto_means_detect(value, expected, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COACHSCORE_LANGUAGE", value)
    assert Settings().model_config_().language == expected
