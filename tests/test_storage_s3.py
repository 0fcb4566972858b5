"""Recordings in an S3 bucket (COACHSCORE_STORAGE_URL=s3://...) against moto's S3 server on
127.0.0.1: a recording bigger than a part goes up as a multipart upload and is stored once
per content, byte ranges, temp-file reads, deletes, crash leftovers aborted, the API and the
session page on top of it, and a missing bucket or unreachable endpoint named by /readyz."""

from __future__ import annotations

import hashlib
import os

import pytest

from conftest import make_settings, wav_bytes
from s3_server import s3_server  # noqa: F401  (fixture)
from web_world import cheap_hashes  # noqa: F401  (fixture)
from service.storage import RecordingMissing, StorageError, TempUpload

MiB = 1024 * 1024


@pytest.fixture
def bucket(s3_server) -> str:  # noqa: F811
    return s3_server.new_bucket()


@pytest.fixture
def store(tmp_path, s3_server, bucket):  # noqa: F811
    from service.storage import open_storage

    settings = make_settings(tmp_path / "home", "sqlite://", s3_part_size_mb=5, **s3_server.settings(bucket))
    storage = open_storage(settings)
    storage.ensure()
    return storage


def _spool(store, data: bytes, chunk: int = 64 * 1024) -> TempUpload:
    temp = store.open_temp()
    for i in range(0, len(data), chunk):
        temp.write(data[i:i + chunk], limit=len(data))
    temp.close()
    return temp


def test_a_recording_bigger_than_a_part_goes_up_in_parts_and_is_stored_once(store, s3_server, bucket):  # noqa: F811
    data = os.urandom(12 * MiB + 123)  # three parts of 5 MiB
    temp = _spool(store, data)
    stored = store.commit(temp, "Call One.WAV")
    sha = hashlib.sha256(data).hexdigest()
    assert (stored.sha256, stored.size, stored.relpath) == (sha, len(data), f"audio/{sha[:2]}/{sha}.wav")
    head = s3_server.client().head_object(Bucket=bucket, Key=f"recordings/{stored.relpath}")
    assert head["ETag"].strip('"').endswith("-3")  # a multipart upload of three parts
    assert head["ContentLength"] == len(data) and head["ContentType"] == "audio/x-wav"
    assert not temp.path.exists()  # the spool file is gone once the object is stored

    again = _spool(store, data)
    assert store.commit(again, "other-name.wav") == stored  # same content: same address, once
    assert not again.path.exists()
    assert s3_server.keys(bucket) == [f"recordings/{stored.relpath}"]
    assert store.size(stored.relpath) == len(data)


def test_byte_ranges_temp_file_reads_and_delete(store, s3_server, bucket):  # noqa: F811
    data = wav_bytes(2.0)
    stored = store.commit(_spool(store, data), "call.wav")
    assert b"".join(store.read(stored.relpath, 100, 199)) == data[100:200]
    assert b"".join(store.read(stored.relpath, 0, len(data) - 1)) == data

    with store.local_copy(stored.relpath) as path:
        assert path.name == stored.relpath.rsplit("/", 1)[1] and path.read_bytes() == data
        assert path.is_relative_to(store.root / "tmp")
    assert not path.exists() and not path.parent.exists()  # cleaned up after the block

    assert store.delete(stored.relpath) is True
    assert s3_server.keys(bucket) == [] and store.size(stored.relpath) is None
    assert store.delete(stored.relpath) is False
    with pytest.raises(RecordingMissing):
        with store.local_copy(stored.relpath):
            pass
    assert list((store.root / "tmp").glob("fetch-*")) == []


def test_clean_tmp_aborts_multipart_uploads_a_crash_left_behind(store, s3_server, bucket):  # noqa: F811
    client = s3_server.client()
    key = "recordings/audio/ab/" + "ab" * 32 + ".wav"
    upload = client.create_multipart_upload(Bucket=bucket, Key=key)  # what a killed commit leaves
    client.upload_part(Bucket=bucket, Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=b"x" * (5 * MiB))
    foreign = client.create_multipart_upload(Bucket=bucket, Key="someone-else/file.bin")

    def pending() -> set[str]:
        return {u["Key"] for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])}

    assert pending() == {key, "someone-else/file.bin"}
    # (moto reports every upload as begun in 2010, so the age rule - uploads younger than
    # older_than_s may still be running - is not testable here; real S3 servers stamp it)
    assert store.clean_tmp(older_than_s=0) == 1
    assert pending() == {"someone-else/file.bin"}  # outside our prefix: not ours to abort
    client.abort_multipart_upload(Bucket=bucket, Key="someone-else/file.bin", UploadId=foreign["UploadId"])


def test_a_missing_bucket_is_a_storage_error_with_the_reason(tmp_path, s3_server):  # noqa: F811
    from service.storage import open_storage

    store = open_storage(make_settings(tmp_path, "sqlite://", **s3_server.settings("no-such-bucket")))
    assert "'no-such-bucket'" in store.problem() and "does not exist" in store.problem()
    with pytest.raises(StorageError, match="does not exist") as e:
        store.commit(_spool(store, b"RIFF0000"), "a.wav")
    assert e.value.code == "storage_error" and e.value.__cause__ is not None
    assert list((store.root / "tmp").glob("upload-*")) == []  # the spool file went anyway


def test_refused_credentials_are_a_plain_reason(tmp_path):
    from s3_server import moto_process

    with moto_process(INITIAL_NO_AUTH_ACTION_COUNT="0") as endpoint:  # moto checking keys
        from service.storage import open_storage

        settings = make_settings(tmp_path, "sqlite://", storage_url="s3://any/x", s3_endpoint_url=endpoint,
                                 s3_region="us-east-1", s3_access_key_id="wrong", s3_secret_access_key="wrong")
        problem = open_storage(settings).problem()
        assert "refused the credentials" in problem and "COACHSCORE_S3_ACCESS_KEY_ID" in problem
        assert "wrong" not in problem  # never the keys themselves


def test_settings_refuse_a_storage_url_that_is_not_s3():
    from pydantic import ValidationError

    from service.settings import Settings

    with pytest.raises(ValidationError, match="s3://bucket/prefix"):
        Settings(storage_url="ftp://host/x")
    assert Settings(storage_url="").storage_url is None


# ------------------------------------------------------------------ the API and pages on S3


def test_upload_job_and_delete_through_the_api_on_s3(make_api, s3_server, bucket):  # noqa: F811
    api = make_api(**s3_server.settings(bucket))
    _, h = api.new_org()
    r = api.upload(h, wav_bytes(2.0), filename="call.wav")
    assert r.status_code == 202, r.text
    sid = r.json()["id"]
    [key] = s3_server.keys(bucket)
    assert key.startswith("recordings/audio/") and key.endswith(".wav")
    assert not list(api.settings.resolved_data_dir().glob("audio/**/*.wav"))  # nothing on local disk
    assert api.process() == 1
    assert api.client.get(f"/v1/sessions/{sid}", headers=h).json()["status"] == "done"
    assert list((api.settings.resolved_data_dir() / "tmp").iterdir()) == []  # the worker's copy is gone
    assert api.client.delete(f"/v1/sessions/{sid}", headers=h).status_code == 204
    assert s3_server.keys(bucket) == []


def test_readyz_names_a_missing_bucket_and_an_unreachable_endpoint(make_api, s3_server):  # noqa: F811
    body = make_api(**s3_server.settings("absent-bucket")).client.get("/readyz")
    assert body.status_code == 503 and body.json()["checks"]["storage"] is False
    assert any("'absent-bucket'" in x and "does not exist" in x for x in body.json()["reasons"]), body.json()
    unreachable = {**s3_server.settings("b"), "s3_endpoint_url": "http://127.0.0.1:9"}
    body = make_api(**unreachable).client.get("/readyz")
    assert body.status_code == 503 and any("cannot be reached" in x for x in body.json()["reasons"]), body.json()


def test_an_upload_when_the_bucket_is_gone_gets_503_and_leaves_no_spool(make_api, s3_server):  # noqa: F811
    api = make_api(**s3_server.settings("gone-bucket"))
    _, h = api.new_org()
    r = api.upload(h, wav_bytes(1.0))
    assert r.status_code == 503 and r.json()["error"]["code"] == "storage_error"
    assert "does not exist" in r.json()["error"]["message"]
    assert list((api.settings.resolved_data_dir() / "tmp").glob("upload-*")) == []


@pytest.fixture
def api(make_api, s3_server, bucket):  # noqa: F811  (the web world's app, on S3)
    return make_api(**s3_server.settings(bucket))


def test_the_session_page_plays_the_recording_from_s3_with_ranges(api, cheap_hashes, s3_server, bucket):  # noqa: F811
    from web_world import World, upload_through_form

    world = World(api.client.app)
    acme = world.org("Acme")
    world.user(acme, "vera@acme.test", person=world.person(acme, "Vera"))
    browser = world.signed_in("vera@acme.test")
    audio = wav_bytes(3.0)
    sid = upload_through_form(browser, audio, "Team call.wav", leader_name="Vera")
    assert len(s3_server.keys(bucket)) == 1 and not list(api.settings.resolved_data_dir().glob("audio/**/*.wav"))
    whole = browser.get(f"/sessions/{sid}/audio")
    assert whole.status_code == 200 and whole.content == audio
    assert whole.headers["accept-ranges"] == "bytes" and whole.headers["content-type"] == "audio/x-wav"
    assert whole.headers["content-disposition"] == "inline; filename*=utf-8''Team%20call.wav"
    part = browser.get(f"/sessions/{sid}/audio", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == audio[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(audio)}"
    tail = browser.get(f"/sessions/{sid}/audio", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == audio[-10:]
    past = browser.get(f"/sessions/{sid}/audio", headers={"Range": f"bytes={len(audio)}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(audio)}"


@pytest.mark.parametrize(("header", "size", "expected"), [
    ("bytes=0-9", 100, (0, 9)), ("bytes=90-", 100, (90, 99)), ("bytes=95-200", 100, (95, 99)),
    ("bytes=-5", 100, (95, 99)), ("bytes=-500", 100, (0, 99)), ("bytes=100-", 100, "unsatisfiable"),
    ("bytes=-0", 100, "unsatisfiable"), ("bytes=5-2", 100, None), ("bytes=0-1,5-6", 100, None),
    ("items=0-1", 100, None), (None, 100, None), ("bytes=-", 100, None),
])
def test_byte_range_parsing(header, size, expected):
    from service.web.playback import byte_range

    assert byte_range(header, size) == expected


def test_the_storage_benchmark_measures_each_step(tmp_path, s3_server, bucket):  # noqa: F811
    from scripts_loader import load_script

    bench = load_script("bench_storage")
    wav = tmp_path / "long.wav"
    size = bench.write_wav(wav, 6.0)
    rows = bench.bench_storage(tmp_path, wav, s3_server.endpoint, bucket, 5.0, 2)
    assert [r[1] for r in rows] == [size, size, size, MiB]
    assert all(seconds > 0 for _, _, seconds, _ in rows)
    assert s3_server.keys(bucket) == []  # the benchmark removes what it stored


def test_the_bucket_check_is_remembered_for_a_few_seconds(s3_server, tmp_path, monkeypatch):  # noqa: F811
    """/readyz may be probed every second: one HEAD per PROBLEM_TTL_S, and a fixed bucket
    is noticed once that time has passed."""
    import service.storage_s3 as s3mod

    from service.storage import open_storage

    clock = [1000.0]
    monkeypatch.setattr(s3mod.time, "monotonic", lambda: clock[0])
    name = f"later-{os.urandom(3).hex()}"
    store = open_storage(make_settings(tmp_path, "sqlite://", **s3_server.settings(name)))
    heads = []
    real_head = store.client.head_bucket
    monkeypatch.setattr(store.client, "head_bucket", lambda **kw: heads.append(kw) or real_head(**kw))
    assert "does not exist" in store.problem()
    s3_server.client().create_bucket(Bucket=name)
    assert "does not exist" in store.problem() and len(heads) == 1  # remembered
    clock[0] += s3mod.PROBLEM_TTL_S + 0.1
    assert store.problem() is None and len(heads) == 2
