"""Upload storage: removing partial uploads left by a crash (only stale ones)."""

from __future__ import annotations

import os
import time

from conftest import make_settings
from service.storage import STALE_UPLOAD_S, LocalStorage


def _part(root, name: str, age_s: float):
    path = root / "tmp" / name
    path.write_bytes(b"partial")
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def test_clean_tmp_removes_only_stale_partial_uploads(tmp_path):
    storage = LocalStorage(tmp_path)
    storage.ensure()
    stale = _part(tmp_path, "upload-aaaa.part", STALE_UPLOAD_S + 60)
    fresh = _part(tmp_path, "upload-bbbb.part", 5)  # maybe another process's upload in progress
    other = _part(tmp_path, "notes.txt", STALE_UPLOAD_S + 60)
    assert storage.clean_tmp() == 1
    assert not stale.exists() and fresh.exists() and other.exists()
    assert storage.clean_tmp(older_than_s=0) == 1 and not fresh.exists()


def test_api_start_removes_stale_partial_uploads(tmp_path, db_url):
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.jobs import InlineRunner

    settings = make_settings(tmp_path / "home", db_url)
    data = settings.resolved_data_dir()
    LocalStorage(data).ensure()
    stale = _part(data, "upload-cccc.part", STALE_UPLOAD_S + 60)
    fresh = _part(data, "upload-dddd.part", 5)
    with TestClient(create_app(settings, runner=InlineRunner())):
        assert not stale.exists() and fresh.exists()
