"""Builders for web tests: organisations, people in a reporting tree, users with
passwords, sessions, and browsers (TestClients with their own cookies) signed in as someone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


class World:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.factory = app.state.ctx.factory

    def org(self, name: str) -> str:
        from service.auth import create_org

        with self.factory() as db:
            org = create_org(db, name)
            db.commit()
            return org.id

    def person(self, org_id: str, name: str, manager: str | None = None) -> str:
        from service.db import Person, new_id

        with self.factory() as db:
            p = Person(id=new_id("per"), org_id=org_id, name=name, manager_id=manager)
            db.add(p)
            db.commit()
            return p.id

    def user(self, org_id: str, email: str, role: str = "member", person: str | None = None,
             password: str = PASSWORD) -> str:
        from service.db import User, new_id
        from service.web.passwords import hash_password

        with self.factory() as db:
            u = User(id=new_id("usr"), org_id=org_id, email=email, role=role, person_id=person,
                     password_hash=hash_password(password), failed_signins=0)
            db.add(u)
            db.commit()
            return u.id

    def session(self, org_id: str, leader: str | None, coachee: str | None = None, *, private: bool = False,
                html: str | None = "<p>scorecard</p>") -> str:
        from service.db import CoachingSession, new_id

        with self.factory() as db:
            s = CoachingSession(id=new_id("ses"), org_id=org_id, leader_id=leader, coachee_id=coachee,
                                private=private, status="done" if html else "queued", stage_timings={},
                                scorecard_html=html,
                                scorecard_json={"speakers": [], "sentences": [], "rescues": []} if html else None)
            db.add(s)
            db.commit()
            return s.id

    def browser(self) -> TestClient:
        """A fresh browser (own cookie jar) on the same running app."""
        return TestClient(self.app, raise_server_exceptions=False, headers={"Accept": "text/html"})

    def signed_in(self, email: str, password: str = PASSWORD) -> TestClient:
        b = self.browser()
        r = sign_in(b, email, password)
        assert r.status_code == 303 and r.headers["location"] == "/home", r.text
        return b


def upload_through_form(browser: TestClient, audio: bytes, filename: str = "call.wav", **fields: str) -> str:
    """Upload ``audio`` through the web form (consent given, ``fields`` such as leader_name);
    return the new session's id from the redirect to its progress page."""
    data = {"csrf_token": csrf_of(browser.get("/upload").text), "consent": "yes", **fields}
    r = browser.post("/upload", data=data, files={"file": (filename, audio, "audio/wav")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"].split("/")[2]


def sign_in(browser: TestClient, email: str, password: str):
    token = csrf_of(browser.get("/signin").text)
    return browser.post("/signin", data={"csrf_token": token, "email": email, "password": password},
                        follow_redirects=False)


@pytest.fixture
def cheap_hashes(monkeypatch) -> None:
    """argon2 with the smallest parameters (the real ones take ~0.3 s a hash on 2 cores)."""
    from argon2 import PasswordHasher

    from service.web import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "hasher", lambda: cheap)
    passwords._dummy_hash.cache_clear()


@pytest.fixture
def world(api) -> World:
    """Builders on the ``api`` fixture's running app."""
    return World(api.client.app)


class RecordingMailer:
    """A mailer (settings ``mailer = "web_world:RecordingMailer"``) that keeps what it sends."""

    sent: list[tuple[str, str, str]] = []

    def __init__(self, settings: Any = None) -> None:
        pass

    def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append((to, subject, body))
