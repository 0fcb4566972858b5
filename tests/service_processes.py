"""Real coachscore processes for multi-process tests: `python -m service.cli ...` from this
checkout (PYTHONPATH set, so the worktree's code runs, not an installed copy), each in its
own process group with its log in a file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(home: Path, **extra: str) -> dict[str, str]:
    """Environment for a fake-model coachscore process whose home is ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACHSCORE_")}
    env.update({
        "PYTHONPATH": str(ROOT), "COACHSCORE_HOME": str(home), "COACHSCORE_MODEL_BACKEND": "fake",
        "COACHSCORE_JOB_POLL_S": "0.2", "COACHSCORE_RATE_LIMIT_PER_MINUTE": "0",
        "COACHSCORE_WEBHOOK_ALLOW_PRIVATE": "true", "HF_HUB_OFFLINE": "1",
        "COACHSCORE_MIN_SPEECH_S": "0",  # the uploads are short synthetic tones (fake models)
    })
    env.update(extra)
    return env


def cli(env: dict[str, str], *args: str) -> str:
    """Run a CLI command to completion; its stdout."""
    out = subprocess.run([sys.executable, "-m", "service.cli", *args], env=env, check=True,
                         capture_output=True, text=True, timeout=120)
    return out.stdout


def api_key(env: dict[str, str], org: str = "acme") -> str:
    cli(env, "admin", "create-org", org)
    return cli(env, "admin", "create-key", org).strip().splitlines()[-1]


class Proc:
    """One CLI process (``args`` after ``python -m service.cli``) logging to ``log``."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.log_path = log
        self._log = open(log, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "service.cli", *args], env=env,
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        """Signal the whole process group; SIGKILL it if it outlives ``timeout``."""
        for s in (sig, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, s)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=timeout)
                break
            except subprocess.TimeoutExpired:
                continue
        self._log.close()


class Server(Proc):
    """`coachscore serve` on a free loopback port."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(env, log, "serve", "--port", str(self.port), *args)

    def wait_ready(self, timeout: float = 60) -> None:
        wait_until(lambda: answers(f"{self.url}/readyz", self.alive, self.log), timeout, f"{self.url}/readyz", 0.2)


def answers(url: str, alive, log) -> bool:
    """True when ``url`` answers 200; fails at once (with the log's tail) when the process
    that serves it (``alive()`` False) has exited."""
    assert alive(), f"server exited:\n{log()[-3000:]}"
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_until(predicate, timeout: float, what: str, every: float = 0.1):
    """Poll ``predicate`` until it returns a truthy value (returned); fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def rabbitmq_problem() -> str | None:
    """Why the local RabbitMQ (127.0.0.1:5672) cannot be used, or None: a skip reason."""
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
    except OSError as e:
        return f"RabbitMQ is not reachable on 127.0.0.1:5672 ({e})"
    return None
