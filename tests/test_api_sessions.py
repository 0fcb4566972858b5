"""REST API: uploads, imports, status, reads, PATCH, DELETE (the real pipeline on fake
models, real DB)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from conftest import scripted_models, validate_scorecard, wav_bytes

VTT = """WEBVTT

00:00:00.000 --> 00:00:04.000
Dana: What would you like to focus on today?

00:00:04.500 --> 00:00:09.000
Sam: I keep missing my deadlines.

00:00:10.000 --> 00:00:13.000
Dana: What have you tried so far?
"""

UTTERANCES = {
    "utterances": [
        {"speaker": "Dana", "start": 0.0, "end": 3.0, "text": "What is on your mind?"},
        {"speaker": "Sam", "start": 3.5, "end": 8.0, "text": "The launch is slipping."},
        {"speaker": "Dana", "start": 9.0, "end": 11.0, "text": "What options do you see?"},
    ],
    "roles": {"leader": "Dana"},
}


def _done(api, headers, **fields) -> str:
    r = api.upload(headers, **fields)
    assert r.status_code == 202, r.text
    api.process()
    return r.json()["id"]


def test_upload_returns_202_with_status_url_and_location(api):
    _, h = api.new_org()
    r = api.upload(h, leader_name="Dana")
    assert r.status_code == 202
    body = r.json()
    assert body["status"] == "queued" and body["id"].startswith("ses_") and len(body["id"]) >= 24
    assert body["status_url"] == f"http://testserver/v1/sessions/{body['id']}"
    assert r.headers["location"] == body["status_url"]
    status = api.client.get(f"/v1/sessions/{body['id']}", headers=h).json()
    assert status["status"] == "queued" and status["progress"] == 0.0 and status["audio_stored"] is True


def test_job_runs_to_done_with_progress_timings_and_scorecards(api):
    _, h = api.new_org()
    sid = _done(api, h, leader_name="Dana", coachee_name="Sam")
    s = api.client.get(f"/v1/sessions/{sid}", headers=h).json()
    assert s["status"] == "done" and s["progress"] == 1.0 and s["error"] is None
    assert set(s["stage_timings_s"]) == {"decode", "transcribe", "diarize", "attribute", "analyze"}
    assert s["leader"]["name"] == "Dana" and s["coachee"]["name"] == "Sam"
    card = api.client.get(f"/v1/sessions/{sid}/scorecard", headers=h)
    assert card.status_code == 200 and card.json()["schema"] == "coachscore.scorecard/1"
    validate_scorecard(card.json())
    assert s["roles"]["leader"] == "S0" and s["overall_score"] == card.json()["score"]["overall"]
    assert card.json()["roles"]["leader_name"] == "Dana" and card.json()["roles"]["coachee_name"] == "Sam"
    assert card.json()["score"]["rubric_id"] == "coachscore-default"
    assert s["rubric_version"] == card.json()["score"]["rubric_version"]
    html = api.client.get(f"/v1/sessions/{sid}/scorecard.html", headers=h)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    tr = api.client.get(f"/v1/sessions/{sid}/transcript", headers=h).json()
    assert tr["transcript"]["schema"] == "coachscore.transcript/1" and len(tr["transcript"]["turns"]) == 3


def test_progress_is_reported_per_stage_while_running(make_api, monkeypatch):
    from service.jobs.execution import _Progress

    seen = []
    real_hook = _Progress.hook

    def spy(self, stage, done, total):
        real_hook(self, stage, done, total)
        with api.client.app.state.ctx.factory() as db:
            from service.db import CoachingSession

            s = db.get(CoachingSession, sid)
            seen.append((s.status, s.stage, s.progress))

    monkeypatch.setattr(_Progress, "hook", spy)
    api = make_api()
    _, h = api.new_org()
    sid = api.upload(h).json()["id"]
    api.process()
    statuses = [x[0] for x in seen]
    assert statuses[0] == "transcribing" and "diarizing" in statuses and statuses[-1] == "analyzing"
    progress = [x[2] for x in seen]
    assert progress == sorted(progress) and 0 < progress[-1] < 1


def test_failed_job_reports_message_and_stage(make_api):
    api = make_api(models=scripted_models(fail_stage="diarize"))
    _, h = api.new_org()
    sid = _done(api, h)
    s = api.client.get(f"/v1/sessions/{sid}", headers=h).json()
    assert s["status"] == "failed"
    assert s["error"] == {"code": "model_error", "message": "fake failure in stage diarize", "stage": "diarize"}
    r = api.client.get(f"/v1/sessions/{sid}/scorecard", headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_ready"


def test_non_audio_upload_is_415_even_with_audio_extension(api):
    _, h = api.new_org()
    r = api.upload(h, data=b"this is not audio at all " * 100, filename="call.wav")
    assert r.status_code == 415
    assert r.json() == {"error": {"code": "unsupported_media", "message":
                        "the file is not a recording in a supported format (wav, mp3, m4a/aac, mp4, ogg/opus, flac, webm)"}}
    assert list((api.settings.resolved_data_dir() / "tmp").glob("*.part")) == []


def _pcm_in_container(path, fmt: str) -> bytes:
    """One second of a 440 Hz tone as PCM in container ``fmt`` (written with PyAV)."""
    import av
    import numpy as np

    tone = (8000 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)).astype(np.int16)[None, :]
    with av.open(str(path), "w", format=fmt) as c:
        stream = c.add_stream("pcm_s16be" if fmt == "au" else "pcm_s16le", rate=16000, layout="mono")
        frame = av.AudioFrame.from_ndarray(tone, format="s16", layout="mono")
        frame.sample_rate = 16000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            c.mux(packet)
    return path.read_bytes()


@pytest.mark.parametrize("fmt", ["avi", "nut", "au"])
def test_audio_in_a_container_the_decoder_refuses_is_415_at_upload(api, tmp_path, fmt):
    _, h = api.new_org()
    r = api.upload(h, data=_pcm_in_container(tmp_path / f"tone.{fmt}", fmt), filename="call.wav")
    assert r.status_code == 415
    assert r.json() == {"error": {"code": "unsupported_media", "message":
                        "the file is not a recording in a supported format (wav, mp3, m4a/aac, mp4, ogg/opus, flac, webm)"}}
    data = api.settings.resolved_data_dir()
    assert list((data / "tmp").glob("*")) == [] and list((data / "audio").rglob("*.*")) == []


def test_empty_upload_is_415_and_says_so(api):
    _, h = api.new_org()
    r = api.upload(h, data=b"")
    assert r.status_code == 415
    assert r.json()["error"] == {"code": "unsupported_media", "message": "the file is empty (0 bytes)"}


def test_audio_with_wrong_extension_is_accepted(api):
    _, h = api.new_org()
    assert api.upload(h, filename="recording.txt").status_code == 202


def test_too_large_upload_is_413_and_leaves_nothing(make_api):
    api = make_api(max_upload_mb=0.05)  # 52 KB
    _, h = api.new_org()
    r = api.upload(h, data=wav_bytes(seconds=3.0))  # streamed: the limit trips mid-body
    assert r.status_code == 413 and r.json()["error"] == {
        "code": "too_large", "message": "the upload is larger than the limit of 0.05 MiB"}
    data = api.settings.resolved_data_dir()
    assert list((data / "tmp").glob("*")) == [] and list((data / "audio").rglob("*.*")) == []


def test_missing_file_and_bad_fields_are_422(api):
    _, h = api.new_org()
    r = api.client.post("/v1/sessions", headers=h, data={"leader": "S0"})
    assert r.status_code == 415  # no file part at all: not multipart
    r = api.client.post("/v1/sessions", headers={**h, "content-type": "multipart/form-data; boundary=x"},
                        content=b'--x\r\nContent-Disposition: form-data; name="leader"\r\n\r\nS0\r\n--x--\r\n')
    assert r.status_code == 422 and r.json()["error"]["message"] == "file: field required"
    r = api.upload(h, recorded_at="yesterday")
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    assert r.json()["error"]["message"].startswith("recorded_at:")
    r = api.upload(h, rubric="missing-rubric")
    assert r.status_code == 422 and r.json()["error"] == {
        "code": "unknown_rubric", "message": "rubric 'missing-rubric' is not installed on this server"}
    r = api.upload(h, surprise="field")
    assert r.status_code == 422 and r.json()["error"]["message"] == (
        "unknown field 'surprise'; the fields are file, callback_url, coachee_name, leader, leader_name, "
        "recorded_at, rubric")


def test_recording_sent_under_another_field_name_says_which_name_to_use(api):
    _, h = api.new_org()
    r = api.client.post("/v1/sessions", headers=h, files={"audio": ("call.wav", wav_bytes(3.0), "audio/wav")})
    assert r.status_code == 422 and r.json()["error"] == {
        "code": "validation_error", "message": "unknown field 'audio': send the recording as 'file'"}
    data = api.settings.resolved_data_dir()
    assert list((data / "tmp").glob("*")) == [] and list((data / "audio").rglob("*.*")) == []


def test_non_multipart_body_is_415(api):
    _, h = api.new_org()
    r = api.client.post("/v1/sessions", headers={**h, "content-type": "application/json"}, content=b"{}")
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media"


def test_idempotency_key_replays_same_request_and_rejects_a_different_one(api):
    _, h = api.new_org()
    hk = {**h, "Idempotency-Key": "abc-123"}
    first = api.upload(hk, leader_name="Dana")
    again = api.upload(hk, leader_name="Dana")
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"] and again.json()["idempotent_replay"] is True
    other = api.upload(hk, leader_name="Someone else")
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"
    different_audio = api.upload(hk, data=wav_bytes(0.5, freq=300))
    assert different_audio.status_code == 409
    assert len(list((api.settings.resolved_data_dir() / "audio").rglob("*.wav"))) == 1  # refused file removed
    assert len(api.client.get("/v1/sessions", headers=h).json()["items"]) == 1
    assert api.process() == 1


def test_same_content_is_stored_once(api):
    _, h = api.new_org()
    a, b = api.upload(h).json()["id"], api.upload(h).json()["id"]
    assert a != b
    assert len(list((api.settings.resolved_data_dir() / "audio").rglob("*.wav"))) == 1


def test_import_webvtt_and_utterance_json(api):
    _, h = api.new_org()
    r = api.client.post("/v1/sessions/transcript?leader_name=Dana", headers={**h, "content-type": "text/vtt"},
                        content=VTT.encode())
    assert r.status_code == 202, r.text
    vtt_id = r.json()["id"]
    r = api.client.post("/v1/sessions/transcript", headers=h, json=UTTERANCES)
    assert r.status_code == 202, r.text
    json_id = r.json()["id"]
    assert api.process() == 2
    vtt = api.client.get(f"/v1/sessions/{vtt_id}", headers=h).json()
    assert vtt["status"] == "done" and vtt["source"] == "webvtt"
    assert set(vtt["stage_timings_s"]) == {"analyze"}
    js = api.client.get(f"/v1/sessions/{json_id}", headers=h).json()
    assert js["status"] == "done" and js["roles"]["reason"].startswith("leader named in the transcript file")
    assert vtt["roles"]["reason"] == "leader given as 'Dana'"  # leader_name matched a VTT speaker


def test_import_whose_leader_names_nobody_is_refused_at_upload(api):
    _, h = api.new_org()
    doc = {**UTTERANCES, "roles": {"leader": "Robin"}}
    r = api.client.post("/v1/sessions/transcript", headers=h, json=doc)
    assert r.status_code == 422 and r.json()["error"] == {"code": "roles_error", "message":
        "the transcript file's roles.leader: leader 'Robin' is not a speaker in this transcript "
        "(speakers: 'Dana', 'Sam')"}
    r = api.client.post("/v1/sessions/transcript?leader=Robin", headers={**h, "content-type": "text/vtt"},
                        content=VTT.encode())
    assert r.status_code == 422 and r.json()["error"]["code"] == "roles_error"
    assert api.client.get("/v1/sessions", headers=h).json()["items"] == []
    assert api.client.post("/v1/sessions/transcript?leader=Sam", headers={**h, "content-type": "text/vtt"},
                           content=VTT.encode()).status_code == 202


def test_import_malformed_transcripts_are_400_with_the_reason(api):
    _, h = api.new_org()
    r = api.client.post("/v1/sessions/transcript", headers={**h, "content-type": "text/vtt"}, content=b"hello")
    assert r.status_code == 400 and r.json()["error"] == {
        "code": "transcript_format_error", "message": "line 1: expected the 'WEBVTT' header"}
    r = api.client.post("/v1/sessions/transcript", headers={**h, "content-type": "application/json"}, content=b"{")
    assert r.status_code == 400 and r.json()["error"]["message"].startswith("invalid JSON at line 1")
    r = api.client.post("/v1/sessions/transcript", headers={**h, "content-type": "text/plain"}, content=b"x")
    assert r.status_code == 415


def test_list_filters_and_paginates(api):
    _, h = api.new_org()
    ids = [api.upload(h, leader_name="Dana" if i % 2 else "Lee", data=wav_bytes(1.0, freq=300 + i)).json()["id"]
           for i in range(5)]
    api.process()
    seen, cursor = [], None
    while True:
        page = api.client.get("/v1/sessions", headers=h, params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [s["id"] for s in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    dana = api.client.get("/v1/sessions", headers=h, params={"leader": "Dana"}).json()["items"]
    assert sorted(s["id"] for s in dana) == sorted(ids[1::2])
    assert api.client.get("/v1/sessions", headers=h, params={"status": "failed"}).json()["items"] == []
    assert api.client.get("/v1/sessions", headers=h, params={"leader": "Nobody"}).json()["items"] == []
    bad = api.client.get("/v1/sessions", headers=h, params={"cursor": "garbage!"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"


class CountingASR:
    """The scripted ASR, counting its calls."""

    def __init__(self, calls: list) -> None:
        self.inner, self.calls = scripted_models().asr, calls

    def transcribe(self, audio, hook):
        self.calls.append(audio)
        return self.inner.transcribe(audio, hook)


def test_patch_swap_roles_rescores_without_retranscribing(make_api):
    from dataclasses import replace

    calls: list = []
    api = make_api(models=replace(scripted_models(), asr=CountingASR(calls)))
    _, h = api.new_org()
    sid = _done(api, h, leader_name="Dana", coachee_name="Sam")
    r = api.client.patch(f"/v1/sessions/{sid}", headers=h, json={"swap_roles": True})
    assert r.status_code == 202 and r.json()["status"] == "queued"
    assert r.json()["leader"]["name"] == "Dana"  # the person stays; the speaker changes
    busy = api.client.patch(f"/v1/sessions/{sid}", headers=h, json={"swap_roles": True})
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "busy"
    api.process()
    s = api.client.get(f"/v1/sessions/{sid}", headers=h).json()
    assert s["status"] == "done" and s["roles"]["leader"] == "S1" and s["roles"]["coachee"] == "S0"
    card = api.client.get(f"/v1/sessions/{sid}/scorecard", headers=h).json()
    assert card["speakers"] == [{"label": "S0", "name": "Sam"}, {"label": "S1", "name": "Dana"}]
    assert card["roles"]["leader_name"] == "Dana"
    assert len(calls) == 1


def test_patch_names_and_unknown_leader(api):
    _, h = api.new_org()
    sid = _done(api, h)
    r = api.client.patch(f"/v1/sessions/{sid}", headers=h, json={"leader_name": "Dana"})
    assert r.status_code == 202 and r.json()["leader"]["name"] == "Dana"
    api.process()
    card = api.client.get(f"/v1/sessions/{sid}/scorecard", headers=h).json()
    assert card["speakers"] == [{"label": "S0", "name": "Dana"}, {"label": "S1", "name": "S1"}]
    bad = api.client.patch(f"/v1/sessions/{sid}", headers=h, json={"leader": "S7"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "roles_error"
    assert "'S7' is not a speaker" in bad.json()["error"]["message"]
    assert api.client.patch(f"/v1/sessions/{sid}", headers=h, json={"nope": 1}).status_code == 422


def test_delete_removes_rows_and_files(api):
    _, h = api.new_org()
    sid = _done(api, h)
    audio = list((api.settings.resolved_data_dir() / "audio").rglob("*.wav"))
    assert len(audio) == 1
    assert api.client.delete(f"/v1/sessions/{sid}", headers=h).status_code == 204
    assert not audio[0].exists()
    for path in ("", "/transcript", "/scorecard", "/scorecard.html"):
        assert api.client.get(f"/v1/sessions/{sid}{path}", headers=h).status_code == 404
    assert api.client.delete(f"/v1/sessions/{sid}", headers=h).status_code == 404


def test_delete_keeps_audio_shared_with_another_session(api):
    _, h = api.new_org()
    a, b = api.upload(h).json()["id"], api.upload(h).json()["id"]
    api.client.delete(f"/v1/sessions/{a}", headers=h)
    api.process()
    assert api.client.get(f"/v1/sessions/{b}", headers=h).json()["status"] == "done"


def test_keep_audio_false_deletes_recording_after_processing(make_api):
    api = make_api(keep_audio=False)
    _, h = api.new_org()
    sid = _done(api, h)
    s = api.client.get(f"/v1/sessions/{sid}", headers=h).json()
    assert s["status"] == "done" and s["audio_stored"] is False
    assert list((api.settings.resolved_data_dir() / "audio").rglob("*.wav")) == []
    assert api.client.patch(f"/v1/sessions/{sid}", headers=h, json={"leader": "S1"}).status_code == 202
    api.process()
    assert api.client.get(f"/v1/sessions/{sid}", headers=h).json()["roles"]["leader"] == "S1"


def test_recorded_at_is_kept(api):
    _, h = api.new_org()
    sid = _done(api, h, recorded_at="2026-03-04T10:00:00Z")
    s = api.client.get(f"/v1/sessions/{sid}", headers=h).json()
    assert datetime.fromisoformat(s["recorded_at"]) == datetime(2026, 3, 4, 10, tzinfo=timezone.utc)


def test_webhook_is_signed_with_the_org_secret(api):
    from service.db import Org
    from service.webhooks import SIGNATURE_HEADER, verify

    org_id, h = api.new_org()
    sid = _done(api, h, callback_url="http://127.0.0.1:9/hook")
    assert len(api.sent) == 1
    url, body, headers = api.sent[0]
    assert url == "http://127.0.0.1:9/hook"
    with api.client.app.state.ctx.factory() as db:
        secret = db.get(Org, org_id).webhook_secret
    assert verify(secret, body, headers[SIGNATURE_HEADER])
    assert not verify("another-secret", body, headers[SIGNATURE_HEADER])
    doc = json.loads(body)
    assert doc["event"] == "session.done" and doc["session_id"] == sid and doc["error"] is None


def test_webhook_retries_with_backoff_then_gives_up(make_api):
    from service.db import WebhookDelivery

    api = make_api(webhook_status=500, webhook_max_attempts=3)
    _, h = api.new_org()
    _done(api, h, callback_url="http://127.0.0.1:9/hook")
    for _ in range(3):
        api.runner.worker.webhooks.deliver_due(api.runner.worker.factory)
    assert len(api.sent) == 3
    with api.client.app.state.ctx.factory() as db:
        d = db.query(WebhookDelivery).one()
        assert (d.status, d.attempts, d.last_error) == ("failed", 3, "HTTP 500")


def test_webhook_backoff_delays_the_retry(make_api):
    from service.db import WebhookDelivery

    api = make_api(webhook_status=503, webhook_backoff_s=60)
    _, h = api.new_org()
    _done(api, h, callback_url="http://127.0.0.1:9/hook")
    api.runner.worker.webhooks.deliver_due(api.runner.worker.factory)
    assert len(api.sent) == 1  # the retry is a minute away
    with api.client.app.state.ctx.factory() as db:
        d = db.query(WebhookDelivery).one()
        assert d.status == "pending" and d.attempts == 1
        assert (d.next_attempt_at - d.created_at).total_seconds() > 55


def test_callback_url_must_be_public_http_by_default(make_api):
    api = make_api(webhook_allow_private=False)
    _, h = api.new_org()
    r = api.upload(h, callback_url="http://127.0.0.1/hook")
    assert r.status_code == 422 and "loopback or private" in r.json()["error"]["message"]
    r = api.upload(h, callback_url="ftp://example.com/x")
    assert r.status_code == 422 and r.json()["error"]["message"] == "callback_url must be an absolute http(s) URL"
    assert api.upload(h, callback_url="https://hooks.example.com/cs").status_code == 202


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1", "0177.0.0.1", "0xa000001", "[::ffff:127.0.0.1]"])
def test_callback_url_with_loopback_or_private_address_spelt_another_way_is_422(make_api, host):
    api = make_api(webhook_allow_private=False)
    _, h = api.new_org()
    r = api.upload(h, callback_url=f"http://{host}/hook")
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "callback_url must not point at a loopback or private address"


def test_head_works_wherever_get_does(api):
    _, h = api.new_org()
    sid = _done(api, h)
    share = api.client.post(f"/v1/sessions/{sid}/share", headers=h).json()["url"].removeprefix("http://testserver")
    paths = ["/healthz", "/readyz", "/openapi.json", "/v1/sessions", f"/v1/sessions/{sid}",
             f"/v1/sessions/{sid}/transcript", f"/v1/sessions/{sid}/scorecard", f"/v1/sessions/{sid}/scorecard.html",
             share, "/v1/sessions/ses_unknown"]
    for path in paths:
        got, head = api.client.get(path, headers=h), api.client.head(path, headers=h)
        assert (head.status_code, head.content) == (got.status_code, b""), path
        assert head.headers["content-type"] == got.headers["content-type"], path
        assert head.headers["content-length"] == str(len(got.content)), path
    assert api.client.head(f"/v1/sessions/{sid}").status_code == 401  # auth still applies
    assert api.client.head(f"/v1/sessions/{sid}/share", headers=h).status_code == 405  # POST only, like GET


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_endpoints(api, path):
    r = api.client.get(path)
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert r.headers["x-request-id"]


def test_request_id_is_echoed(api):
    r = api.client.get("/healthz", headers={"X-Request-ID": "req-42"})
    assert r.headers["x-request-id"] == "req-42"


def _operator_rubric(api, rubric_id: str, suffix: str = ".toml"):
    from importlib import resources

    text = resources.files("analysis.data").joinpath("rubric-default.toml").read_text("utf-8")
    rubrics = api.settings.resolved_rubrics_dir()
    rubrics.mkdir(parents=True, exist_ok=True)
    path = rubrics / f"{rubric_id}{suffix}"
    path.write_text(text.replace('id = "coachscore-default"', f'id = "{rubric_id}"', 1))
    return path


def test_installed_rubric_is_used_for_scoring(api):
    _operator_rubric(api, "team-2026")
    _, h = api.new_org()
    team = api.upload(h, rubric="team-2026")
    default = api.upload(h, rubric="default", data=wav_bytes(1.0, freq=300))
    assert team.status_code == default.status_code == 202
    api.process()
    for r, wanted in ((team, "team-2026"), (default, "coachscore-default")):
        card = api.client.get(f"/v1/sessions/{r.json()['id']}/scorecard", headers=h).json()
        assert card["score"]["rubric_id"] == wanted


def test_rubric_removed_after_upload_fails_the_job_with_the_reason(api):
    path = _operator_rubric(api, "team-2026")
    _, h = api.new_org()
    sid = api.upload(h, rubric="team-2026").json()["id"]
    path.unlink()
    api.process()
    s = api.client.get(f"/v1/sessions/{sid}", headers=h).json()
    assert s["status"] == "failed" and s["error"] == {
        "code": "rubric_error", "message": "rubric 'team-2026' is no longer installed on this server", "stage": "analyze"}


def test_rubric_in_a_format_the_parser_cannot_read_is_refused_with_the_reason(api):
    _operator_rubric(api, "team-yaml", ".yaml")
    _, h = api.new_org()
    r = api.upload(h, rubric="team-yaml")
    assert r.status_code == 422 and r.json()["error"] == {"code": "unknown_rubric", "message":
        "rubric 'team-yaml' is installed as team-yaml.yaml, but rubrics are TOML files: convert it to team-yaml.toml"}


def test_declared_oversize_upload_is_refused_before_reading(make_api):
    api = make_api(max_upload_mb=0.05)
    _, h = api.new_org()
    r = api.upload(h, data=wav_bytes(seconds=10.0))  # 320 KB declared in Content-Length
    assert r.status_code == 413 and r.json()["error"] == {
        "code": "too_large", "message": "the upload is larger than the limit of 0.05 MiB"}


def test_patch_names_without_a_transcript_is_200_and_stores_them(make_api):
    api = make_api(models=scripted_models(fail_stage="transcribe"))
    _, h = api.new_org()
    sid = _done(api, h)
    r = api.client.patch(f"/v1/sessions/{sid}", headers=h, json={"leader_name": "Dana", "coachee_name": "Sam"})
    assert r.status_code == 200 and r.json()["status"] == "failed"
    assert (r.json()["leader"]["name"], r.json()["coachee"]["name"]) == ("Dana", "Sam")
    assert api.process() == 0
    roles = api.client.patch(f"/v1/sessions/{sid}", headers=h, json={"leader": "S1"})
    assert roles.status_code == 409 and roles.json()["error"]["code"] == "not_ready"


def test_failed_session_webhook_carries_the_error(make_api):
    api = make_api(models=scripted_models(fail_stage="transcribe"))
    _, h = api.new_org()
    sid = _done(api, h, callback_url="https://hooks.example.com/x")
    doc = json.loads(api.sent[0][1])
    assert doc["event"] == "session.failed" and doc["session_id"] == sid and doc["scorecard_url"] is None
    assert doc["error"] == {"code": "model_error", "message": "fake failure in stage transcribe", "stage": "transcribe"}


def test_readyz_is_503_when_the_database_is_not_migrated(tmp_path):
    from fastapi.testclient import TestClient

    from conftest import make_settings
    from service.app import create_app
    from service.jobs import NullRunner

    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}", auto_migrate=False)
    with TestClient(create_app(settings, runner=NullRunner())) as client:
        r = client.get("/readyz")
        assert r.status_code == 503 and r.json() == {
            "status": "unavailable", "checks": {"database": False, "storage": True, "worker": True},
            "reasons": ["the database cannot be reached or is not migrated (run `coachscore db upgrade`)"]}
        assert client.get("/healthz").status_code == 200


def test_corrupt_track_and_video_without_audio_are_415_at_upload(api, tmp_path):
    import numpy as np

    from test_decode import _encode

    _, h = api.new_org()
    data = bytearray(_encode(tmp_path / "good.flac", "flac", "flac").read_bytes())
    data[200:] = np.random.default_rng(1).integers(0, 256, len(data) - 200, dtype=np.uint8).tobytes()
    r = api.upload(h, data=bytes(data), filename="call.flac")
    assert r.status_code == 415 and r.json()["error"] == {
        "code": "unsupported_media", "message": "the audio track is corrupt and cannot be decoded"}
    film = _encode(tmp_path / "film.mp4", "mp4", None, video="mpeg4").read_bytes()
    r = api.upload(h, data=film, filename="film.mp4")
    assert r.status_code == 415 and r.json()["error"] == {
        "code": "unsupported_media", "message": "the video has no audio track"}
