"""Auth, organisation isolation, share links, error envelope and security headers."""

from __future__ import annotations

import time

import pytest



@pytest.fixture
def two_orgs(api):
    """Org A with a finished session, and org B's headers."""
    _, a = api.new_org("A")
    _, b = api.new_org("B")
    r = api.upload(a, leader_name="Dana", callback_url="http://127.0.0.1:9/a")
    api.process()
    return api, a, b, r.json()["id"]


def test_missing_and_bad_keys_are_401_with_challenge(api):
    for headers, message in [
        ({}, "missing Authorization: Bearer <api key> header"),
        ({"Authorization": "Basic abc"}, "Authorization header must be 'Bearer <api key>'"),
        ({"Authorization": "Bearer csk_nope_nope"}, "invalid or revoked API key"),
    ]:
        r = api.client.get("/v1/sessions", headers=headers)
        assert r.status_code == 401
        assert r.json() == {"error": {"code": "unauthorized", "message": message}}
        assert r.headers["www-authenticate"].startswith("Bearer")


def test_revoked_key_is_401(api):
    from service.auth import revoke_key
    from service.db import ApiKey

    _, h = api.new_org()
    assert api.client.get("/v1/sessions", headers=h).status_code == 200
    with api.client.app.state.ctx.factory() as db:
        key = db.query(ApiKey).one()
        assert revoke_key(db, key.id)
        db.commit()
    assert api.client.get("/v1/sessions", headers=h).status_code == 401


def test_keys_are_stored_hashed(api):
    from service.auth import hash_key
    from service.db import ApiKey

    _, h = api.new_org()
    plain = h["Authorization"].split()[1]
    with api.client.app.state.ctx.factory() as db:
        key = db.query(ApiKey).one()
    assert key.key_hash == hash_key(plain) and plain not in (key.key_hash, key.prefix, key.name)


def test_unauthenticated_upload_is_rejected_before_storing(api):
    r = api.upload({})
    assert r.status_code == 401
    assert list((api.settings.resolved_data_dir() / "audio").rglob("*.*")) == []


def test_other_org_cannot_read_list_patch_or_delete(two_orgs):
    api, a, b, sid = two_orgs
    for path in ("", "/transcript", "/scorecard", "/scorecard.html"):
        r = api.client.get(f"/v1/sessions/{sid}{path}", headers=b)
        assert r.status_code == 404 and r.json() == {"error": {"code": "not_found", "message": "session not found"}}
    assert api.client.get("/v1/sessions", headers=b).json()["items"] == []
    assert api.client.get("/v1/sessions", headers=b, params={"leader": "Dana"}).json()["items"] == []
    assert api.client.patch(f"/v1/sessions/{sid}", headers=b, json={"swap_roles": True}).status_code == 404
    assert api.client.post(f"/v1/sessions/{sid}/share", headers=b).status_code == 404
    assert api.client.delete(f"/v1/sessions/{sid}", headers=b).status_code == 404
    assert api.client.get("/v1/leaders/Dana/trend", headers=b).status_code == 404
    # A still has everything
    s = api.client.get(f"/v1/sessions/{sid}", headers=a).json()
    assert s["status"] == "done" and s["roles"]["leader"] == "S0"
    assert len(api.client.get("/v1/sessions", headers=a).json()["items"]) == 1


def test_guessed_ids_are_404(two_orgs):
    api, a, b, sid = two_orgs
    for guess in ("ses_1", sid[:-1] + ("A" if sid[-1] != "A" else "B"), "1", "../../etc/passwd"):
        assert api.client.get(f"/v1/sessions/{guess}", headers=a).status_code == 404


def test_people_with_the_same_name_are_separate_per_org(two_orgs):
    api, a, b, sid = two_orgs
    api.upload(b, leader_name="Dana")
    api.process()
    trend_b = api.client.get("/v1/leaders/Dana/trend", headers=b).json()
    trend_a = api.client.get("/v1/leaders/Dana/trend", headers=a).json()
    assert trend_a["leader"]["id"] != trend_b["leader"]["id"]
    assert [p["session_id"] for p in trend_a["points"]] == [sid]
    assert sid not in [p["session_id"] for p in trend_b["points"]]


def test_webhooks_only_go_to_the_sessions_own_callback(two_orgs):
    api, a, b, sid = two_orgs
    api.upload(b, callback_url="http://127.0.0.1:9/b")
    api.process()
    by_url = {url: body for url, body, _ in api.sent}
    assert set(by_url) == {"http://127.0.0.1:9/a", "http://127.0.0.1:9/b"}
    assert sid in by_url["http://127.0.0.1:9/a"].decode() and sid not in by_url["http://127.0.0.1:9/b"].decode()


def test_share_link_opens_html_without_a_key_until_it_expires(two_orgs):
    api, a, b, sid = two_orgs
    r = api.client.post(f"/v1/sessions/{sid}/share", headers=a, json={"ttl_s": 3600})
    assert r.status_code == 200
    path = r.json()["url"].removeprefix("http://testserver")
    page = api.client.get(path)
    assert page.status_code == 200 and page.text.lower().startswith("<!doctype html>")
    assert "coachscore.scorecard/1" in page.text  # the real scorecard page
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    tampered = path[:-3] + ("abc" if not path.endswith("abc") else "abd")
    bad = api.client.get(tampered)
    assert bad.status_code == 403 and bad.json()["error"]["code"] == "invalid_share_link"
    api.client.delete(f"/v1/sessions/{sid}", headers=a)
    assert api.client.get(path).status_code == 403  # the session's links went with it
    assert _share_rows(api) == []


def test_share_token_is_opaque_random_and_stored_hashed(two_orgs):
    import hashlib

    api, a, b, sid = two_orgs
    created = [api.client.post(f"/v1/sessions/{sid}/share", headers=a).json() for _ in range(2)]
    tokens = [c["url"].rsplit("/share/", 1)[1] for c in created]
    assert tokens[0] != tokens[1] and all(len(t) >= 43 for t in tokens)  # token_urlsafe(32)
    org = _org_of(api, sid)
    for t in tokens:
        assert sid not in t and sid.removeprefix("ses_") not in t and org not in t and "." not in t
    rows = _share_rows(api)
    assert sorted(r.token_sha256 for r in rows) == sorted(hashlib.sha256(t.encode()).hexdigest() for t in tokens)
    assert not any(t in repr(vars(r)) for r in rows for t in tokens)  # the token itself is nowhere


def test_share_links_are_listed_and_revocable_without_deleting_the_session(two_orgs):
    api, a, b, sid = two_orgs
    first = api.client.post(f"/v1/sessions/{sid}/share", headers=a).json()
    second = api.client.post(f"/v1/sessions/{sid}/share", headers=a).json()
    listed = api.client.get(f"/v1/sessions/{sid}/shares", headers=a).json()["items"]
    assert {x["id"] for x in listed} == {first["id"], second["id"]}
    assert all(x["status"] == "active" and x["revoked_at"] is None for x in listed)
    assert "url" not in listed[0] and not any(first["url"].rsplit("/", 1)[1] in str(x) for x in listed)
    assert api.client.get(f"/v1/sessions/{sid}/shares", headers=b).status_code == 404  # other org
    assert api.client.delete(f"/v1/sessions/{sid}/shares/{first['id']}", headers=b).status_code == 404
    assert api.client.delete(f"/v1/sessions/{sid}/shares/{first['id']}", headers=a).status_code == 204
    assert api.client.delete(f"/v1/sessions/{sid}/shares/{first['id']}", headers=a).status_code == 204  # again: no-op
    assert api.client.delete(f"/v1/sessions/{sid}/shares/shr_nope", headers=a).status_code == 404
    r = api.client.get(first["url"].removeprefix("http://testserver"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "share_link_revoked"
    assert api.client.get(second["url"].removeprefix("http://testserver")).status_code == 200  # the other still works
    assert api.client.get(f"/v1/sessions/{sid}", headers=a).json()["status"] == "done"  # the session stays
    status = {x["id"]: x["status"] for x in api.client.get(f"/v1/sessions/{sid}/shares", headers=a).json()["items"]}
    assert status == {first["id"]: "revoked", second["id"]: "active"}


def test_expired_or_revoked_link_is_a_page_for_browsers_and_json_for_api_clients(two_orgs):
    from datetime import timedelta

    from service.db import ShareLink, utcnow

    api, a, b, sid = two_orgs
    link = api.client.post(f"/v1/sessions/{sid}/share", headers=a).json()
    with api.client.app.state.ctx.factory() as db:
        db.get(ShareLink, link["id"]).expires_at = utcnow() - timedelta(seconds=1)
        db.commit()
    path = link["url"].removeprefix("http://testserver")
    r = api.client.get(path)
    assert r.status_code == 403 and r.json()["error"] == {
        "code": "share_link_expired", "message": "this share link has expired; ask for a new one"}
    page = api.client.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
    assert "This share link has expired" in page.text or "this share link has expired" in page.text
    assert "share_link_expired" not in page.text  # no internal codes on the page
    listed = api.client.get(f"/v1/sessions/{sid}/shares", headers=a).json()["items"]
    assert [x["status"] for x in listed] == ["expired"]


def _share_rows(api):
    from sqlalchemy import select

    from service.db import ShareLink

    with api.client.app.state.ctx.factory() as db:
        return list(db.scalars(select(ShareLink)))


def _org_of(api, sid):
    from service.db import CoachingSession

    with api.client.app.state.ctx.factory() as db:
        return db.get(CoachingSession, sid).org_id


def test_html_pages_carry_security_headers(two_orgs):
    api, a, b, sid = two_orgs
    for path in (f"/v1/sessions/{sid}/scorecard.html", "/v1/leaders/Dana/trend.html"):
        r = api.client.get(path, headers=a)
        assert r.status_code == 200
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["content-security-policy"].startswith("default-src 'none'")


def test_unknown_route_and_method_use_the_envelope(api):
    r = api.client.get("/v1/nothing-here")
    assert r.status_code == 404 and r.json() == {"error": {"code": "not_found", "message": "Not Found"}}
    r = api.client.put("/v1/sessions")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


def test_unexpected_errors_are_500_without_a_stack_trace(api, monkeypatch):
    import service.api.sessions as sessions

    def boom(*a, **k):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(sessions, "people_names", boom)
    _, h = api.new_org()
    r = api.client.get("/v1/sessions", headers={**h, "X-Request-ID": "rid-500"})
    assert r.status_code == 500
    assert r.json() == {"error": {"code": "internal_error", "message": "internal error; quote request id rid-500"}}
    assert "Traceback" not in r.text and "secret" not in r.text


def test_openapi_and_docs_are_served(api):
    schema = api.client.get("/openapi.json").json()
    assert {"/v1/sessions", "/v1/sessions/{session_id}", "/v1/leaders/{leader}/trend", "/healthz"} <= set(schema["paths"])
    assert "multipart/form-data" in schema["paths"]["/v1/sessions"]["post"]["requestBody"]["content"]
    assert api.client.get("/docs").status_code == 200


def test_non_ascii_share_token_is_403_not_500(api):
    r = api.client.get("/share/abc.d\u00e9f")
    assert r.status_code == 403 and r.json()["error"]["code"] == "invalid_share_link"
