#!/usr/bin/env python
"""Crash test: kill the server (and its worker) with SIGKILL mid-job, restart it, and show
that every accepted upload is still stored and every job ends done (or failed with a reason).

1. start `coachscore serve` (embedded worker) in a temporary home, on loopback;
2. upload --uploads recordings (202 each), wait until the first one is being processed;
3. SIGKILL the whole process group (no graceful shutdown, like a power cut);
4. check every accepted recording is on disk under its content address;
5. restart and poll until every session is done or failed; print a table.

Usage: .venv/bin/python scripts/crash_test.py [--pipeline real|fake] [--uploads 3]
Exit status 0 when nothing was lost and nothing is stuck.
"""

from __future__ import annotations

import argparse
import hashlib
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_test import Server, create_key, long_recording  # noqa: E402

PROCESSING = {"transcribing", "diarizing", "analyzing"}


def main() -> int:
    import httpx

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pipeline", choices=("real", "fake"), default="real")
    ap.add_argument("--uploads", type=int, default=3)
    ap.add_argument("--recording-s", type=float, default=60.0)
    ap.add_argument("--kill-at", type=float, default=0.2, help="kill once the first job's progress reaches this")
    ap.add_argument("--timeout", type=float, default=480.0, help="seconds to wait for jobs after restart")
    ap.add_argument("--max-attempts", type=int, default=2,
                    help="job_max_attempts; 1 shows the 'failed with a reason' path")
    args = ap.parse_args()
    env = {"COACHSCORE_FAKE_MODEL_DELAY_S": "12", "COACHSCORE_JOB_MAX_ATTEMPTS": str(args.max_attempts)}
    with tempfile.TemporaryDirectory(prefix="coachscore-crash-") as tmp:
        home = Path(tmp)
        server = Server(home, args.pipeline, extra_env=env)
        key = create_key(home)
        h = {"Authorization": f"Bearer {key}"}
        accepted: dict[str, str] = {}  # session id -> sha256 of what was sent
        for i in range(args.uploads):
            audio = long_recording(args.recording_s + 5 * i)
            r = httpx.post(f"{server.url}/v1/sessions", headers=h, timeout=60,
                           files={"file": (f"call{i}.wav", audio, "audio/wav")})
            assert r.status_code == 202, r.text
            accepted[r.json()["id"]] = hashlib.sha256(audio).hexdigest()
        first = next(iter(accepted))
        status = _wait_for(server.url, h, first, PROCESSING, 120, args.kill_at)
        before = {sid: httpx.get(f"{server.url}/v1/sessions/{sid}", headers=h).json() for sid in accepted}
        print(f"accepted {len(accepted)} uploads; killing the server with SIGKILL while {first} is {status}")
        for sid, s in before.items():
            print(f"  before kill: {sid} {s['status']:12} progress {s['progress']:.2f} stage {s['stage']}")
        server.kill(signal.SIGKILL)
        missing = _missing_uploads(home, accepted)
        print(f"uploads on disk after the kill: {len(accepted) - len(missing)}/{len(accepted)}")
        t0 = time.monotonic()
        server = Server(home, args.pipeline, extra_env=env)
        try:
            final = _wait_all(server.url, h, list(accepted), args.timeout)
        finally:
            server.stop()
        print(f"\nafter restart ({time.monotonic() - t0:.0f} s):")
        print(f"{'session':28} {'status':8} {'error'}")
        for sid, s in final.items():
            err = s["error"]["message"] if s["error"] else ""
            print(f"{sid:28} {s['status']:8} {err}")
        stuck = [sid for sid, s in final.items() if s["status"] not in ("done", "failed")]
        unexplained = [sid for sid, s in final.items() if s["status"] == "failed" and not s["error"]["message"]]
        print(f"\nlost uploads: {len(missing)}; stuck jobs: {len(stuck)}; failures without a reason: {len(unexplained)}")
        _show_recovery_log(home)
        return 0 if not (missing or stuck or unexplained) else 1


def _wait_for(base: str, h: dict, sid: str, wanted: set, timeout: float, progress: float) -> str:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = httpx.get(f"{base}/v1/sessions/{sid}", headers=h).json()
        if s["status"] in wanted and s["progress"] >= progress:
            return s["status"]
        time.sleep(0.1)
    raise RuntimeError(f"{sid} never reached {wanted}")


def _wait_all(base: str, h: dict, ids: list[str], timeout: float) -> dict:
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        final = {sid: httpx.get(f"{base}/v1/sessions/{sid}", headers=h).json() for sid in ids}
        if all(s["status"] in ("done", "failed") for s in final.values()) or time.monotonic() > deadline:
            return final
        time.sleep(0.5)


def _missing_uploads(home: Path, accepted: dict[str, str]) -> list[str]:
    audio = home / "data" / "audio"
    return [sid for sid, sha in accepted.items() if not list((audio / sha[:2]).glob(f"{sha}*"))]


def _show_recovery_log(home: Path) -> None:
    for log in sorted(home.glob("server-*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if "retrying" in line or "giving up" in line or "put back" in line:
                print("log:", line.split(" ", 2)[-1][:160])


if __name__ == "__main__":
    sys.exit(main())
