"""An S3 server for tests: moto's server mode on 127.0.0.1 (a real HTTP endpoint that boto3,
and worker processes, talk to), a fresh bucket per test, and the settings that point at it."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import pytest

CREDENTIALS = {"s3_region": "us-east-1", "s3_access_key_id": "testing", "s3_secret_access_key": "testing"}


@dataclass
class S3Server:
    endpoint: str

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def new_bucket(self) -> str:
        name = f"coachscore-{secrets.token_hex(4)}"
        self.client().create_bucket(Bucket=name)
        return name

    def settings(self, bucket: str, prefix: str = "recordings") -> dict[str, Any]:
        """Settings overrides (field names) for ``bucket``."""
        return {"storage_url": f"s3://{bucket}/{prefix}", "s3_endpoint_url": self.endpoint, **CREDENTIALS}

    def env(self, bucket: str, prefix: str = "recordings") -> dict[str, str]:
        """The same as COACHSCORE_* environment variables, for server and worker processes."""
        return {f"COACHSCORE_{k.upper()}": str(v) for k, v in self.settings(bucket, prefix).items()}

    def keys(self, bucket: str) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server(f"http://{host}:{port}")
    finally:
        server.stop()


@contextmanager
def moto_process(**env: str) -> Iterator[str]:
    """moto's S3 server as a separate process on a free loopback port (its memory apart from
    ours; ``env`` e.g. INITIAL_NO_AUTH_ACTION_COUNT="0" to check credentials); its URL."""
    import httpx

    from service_processes import free_port, wait_until

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            httpx.get(url, timeout=1)
            return True
        except httpx.HTTPError:
            return False

    try:
        wait_until(answers, 30, "moto's S3 server")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
