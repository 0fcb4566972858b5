"""deploy/compose.yaml cannot be started here (no Docker engine), so check what can be
checked: it parses, has the documented services with health checks, and every coachscore
command in it is a real CLI command with real options and settings."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

COMPOSE = Path(__file__).resolve().parents[1] / "deploy" / "compose.yaml"


def _services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_compose_has_every_part_with_a_health_check():
    services = _services()
    assert set(services) == {"api", "transcribe-worker", "analyze-worker", "beat", "postgres", "rabbitmq",
                             "seaweedfs", "s3-init", "transcribe-worker-gpu"}
    one_shot = {name for name, s in services.items() if s.get("restart") == "no"}
    assert one_shot == {"s3-init"}  # creates the bucket, then exits
    assert all("healthcheck" in s for name, s in services.items() if name not in one_shot)


def test_recordings_go_to_the_s3_server_and_no_coachscore_container_shares_a_disk():
    from service.storage_s3 import parse_storage_url

    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    seaweed = services["seaweedfs"]
    assert "-s3" in seaweed["command"] and any(v.endswith(":/data") for v in seaweed["volumes"])
    config = json.loads(compose["configs"]["seaweedfs-s3"]["content"])
    [identity] = config["identities"]
    [creds] = identity["credentials"]
    bucket = services["s3-init"]["entrypoint"][-1].split("-name ")[1].split("'")[0]
    assert services["transcribe-worker-gpu"]["environment"]["COACHSCORE_DEVICE"] == "cuda"
    for name in ("api", "transcribe-worker", "analyze-worker", "beat", "transcribe-worker-gpu"):
        env, s = services[name]["environment"], services[name]
        assert parse_storage_url(env["COACHSCORE_STORAGE_URL"])[0] == bucket, name
        assert env["COACHSCORE_S3_ENDPOINT_URL"] == "http://seaweedfs:8333", name
        assert (env["COACHSCORE_S3_ACCESS_KEY_ID"], env["COACHSCORE_S3_SECRET_ACCESS_KEY"]) == (
            creds["accessKey"], creds["secretKey"]), name
        assert not s.get("volumes"), name  # nothing on a shared disk: another host could run it
        assert s["depends_on"]["s3-init"] == {"condition": "service_completed_successfully"}, name


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
