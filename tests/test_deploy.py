"""deploy/compose.yaml cannot be started here (no Docker engine), so check what can be
checked: it parses, has the documented services with health checks, and every coachscore
command in it is a real CLI command with real options and settings."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

COMPOSE = Path(__file__).resolve().parents[1] / "deploy" / "compose.yaml"


def _services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_compose_has_every_part_with_a_health_check():
    services = _services()
    assert set(services) == {"api", "transcribe-worker", "analyze-worker", "beat", "postgres", "rabbitmq"}
    assert all("healthcheck" in s for s in services.values())


def test_every_coachscore_command_and_setting_in_compose_exists():
    from service import cli as root
    from service.settings import Settings

    if not any(c.name == "serve" for c in root.app.registered_commands):
        root._register()
    for name, service in _services().items():
        cmd = service.get("command") or []
        if cmd[:1] != ["coachscore"]:
            continue
        result = CliRunner().invoke(root.app, [*cmd[1:2], "--help"])
        assert result.exit_code == 0, (name, result.output)
        for option in (a for a in cmd[2:] if a.startswith("--")):
            assert option in result.output, (name, option)
        for key in service["environment"]:
            assert key.removeprefix("COACHSCORE_").lower() in Settings.model_fields, (name, key)
