"""`coachscore admin first-run` (the end of scripts/demo.sh): on a fresh database it makes
the organisation and the first admin and prints how to start the web app and a one-time
link that signs them in; run again it makes no second admin and prints a fresh link."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from web_world import World, cheap_hashes, csrf_of  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "the first admin's passphrase"
pytestmark = pytest.mark.usefixtures("cheap_hashes")


@pytest.fixture
def cli(tmp_path, monkeypatch):
    from service import cli as root
    from service.settings import get_settings

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("COACHSCORE_DATABASE_URL", url)
    monkeypatch.delenv("COACHSCORE_PUBLIC_BASE_URL", raising=False)
    get_settings.cache_clear()
    if not any(c.name == "serve" for c in root.app.registered_commands):
        root._register()
    runner = CliRunner()

    def run(*args: str):
        get_settings.cache_clear()
        r = runner.invoke(root.app, ["admin", "first-run", *args])
        get_settings.cache_clear()
        return r

    yield url, run
    get_settings.cache_clear()


def _accept(browser, path: str, name: str | None = "Vera Okafor"):
    token = csrf_of(browser.get(path).text)
    data = {"csrf_token": token, "password": PASSWORD, "repeat": PASSWORD, **({"name": name} if name else {})}
    return browser.post(path, data=data, follow_redirects=False)


def test_first_run_makes_the_admin_and_prints_a_link_that_signs_in(cli, make_api):
    from service.db import Org, User

    url, run = cli
    r = run("--email", "VP@Acme.example", "--org", "Acme", "--port", "8123")
    assert r.exit_code == 0, r.output
    lines = r.stdout.strip().splitlines()
    assert lines[0] == "Created admin vp@acme.example of Acme."
    assert ".venv/bin/coachscore serve --port 8123" in r.stdout and "open http://127.0.0.1:8123/ in" in r.stdout
    link = lines[-1]
    assert link.startswith("http://127.0.0.1:8123/invite/")  # the last line: the link alone
    world = World(make_api(database_url=url).client.app)
    b = world.browser()
    assert "vp@acme.example" in b.get(link.removeprefix("http://127.0.0.1:8123")).text
    r = _accept(b, link.removeprefix("http://127.0.0.1:8123"))
    assert r.status_code == 303 and r.headers["location"] == "/home"
    home = b.get("/home").text
    assert "Hello, Vera Okafor" in home and "Invite someone" in home  # signed in, as an admin
    with world.factory() as db:
        assert db.query(User).count() == 1 and db.query(Org).one().name == "Acme"


def test_run_again_it_makes_no_second_admin_and_gives_a_fresh_link(cli, make_api):
    from service.db import User

    url, run = cli
    first = run().stdout.strip().splitlines()[-1]
    again = run("--email", "someone.else@example.com", "--org", "Other")  # an admin exists: ignored
    assert again.exit_code == 0 and again.stdout.startswith("Already there: admin admin@example.com of My organisation.")
    second = again.stdout.strip().splitlines()[-1]
    assert second != first and "/invite/" in second  # no password yet: another invitation
    world = World(make_api(database_url=url).client.app)
    b = world.browser()
    assert _accept(b, second.removeprefix("http://127.0.0.1:8000")).status_code == 303
    assert world.browser().get(first.removeprefix("http://127.0.0.1:8000")).status_code == 404  # used up with it
    third = run().stdout.strip().splitlines()[-1]
    assert "/reset/" in third and "choose a new password" in run().stdout  # a password is set: a reset link
    with world.factory() as db:
        assert db.query(User).count() == 1


def test_a_bad_email_is_a_one_line_error(cli):
    _, run = cli
    r = run("--email", "not-an-address")
    assert r.exit_code == 1 and "Enter an email address like name@example.com." in r.output


def test_demo_ends_with_first_run_and_serves_only_when_asked():
    """The demo's last steps, read from the script: first-run's output is the end, and the
    blocking server starts only behind --serve."""
    text = (ROOT / "scripts" / "demo.sh").read_text()
    assert subprocess.run(["bash", "-n", str(ROOT / "scripts" / "demo.sh")]).returncode == 0
    body = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    first_run = max(i for i, ln in enumerate(body) if "coachscore admin first-run" in ln)
    serve = [i for i, ln in enumerate(body) if "coachscore serve" in ln and not ln.startswith("echo")]
    assert serve and all(i > first_run for i in serve)
    guard = max(i for i, ln in enumerate(body) if ln.startswith('if [ "$serve" = 1 ]'))
    assert guard < min(serve)
    assert not any("echo" in ln for ln in body[first_run + 1:guard])  # nothing printed after the link
