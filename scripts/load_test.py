#!/usr/bin/env python
"""Load test of the REST API on loopback (bounded in clients, requests and time).

Phase 1: start `coachscore serve` (embedded worker) in a temporary home, queue one
transcription job on a long recording, and while it runs let 50 concurrent clients poll
its status and fetch a finished JSON scorecard. Prints p50/p99/max latency per endpoint
and the number of failed requests.

Phase 2: restart the server without a worker, stream a 500 MB WAV upload and sample the
API process's RSS every 20 ms; prints the growth (target < 100 MB).

Usage: .venv/bin/python scripts/load_test.py [--pipeline real|fake] [--clients 50]
       [--requests 40] [--upload-mb 500] [--skip-upload]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import math
import os
import random
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIXTURE = ROOT / "tests" / "fixtures" / "audio" / "two_voice_stereo.wav"
VENV_BIN = Path(sys.executable).parent


# --------------------------------------------------------------------------- server


class Server:
    """`coachscore serve` in its own process group, on a free loopback port."""

    def __init__(self, home: Path, pipeline: str, worker: bool = True, extra_env: dict | None = None):
        self.home, self.port = home, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "COACHSCORE_HOME": str(home), "HF_HUB_OFFLINE": "1",
               "PYANNOTE_METRICS_ENABLED": "false", "COACHSCORE_JOB_POLL_S": "0.2",
               "COACHSCORE_RATE_LIMIT_PER_MINUTE": "0",  # measure latency, not the limiter
               "COACHSCORE_MIN_SPEECH_S": "0",  # the big upload is a quiet tone, not speech
               "COACHSCORE_MODELS_DIR": str(_models_dir())}
        if pipeline == "fake":  # the real pipeline on scripted fake models (no weights, no spaCy)
            env["COACHSCORE_MODEL_BACKEND"] = "fake"
        env.update(extra_env or {})
        cmd = [str(VENV_BIN / "coachscore"), "serve", "--port", str(self.port)]
        if not worker:
            cmd.append("--no-worker")
        self.log = open(home / f"server-{self.port}.log", "ab")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not become ready in time")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (server and its worker process)."""
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _models_dir() -> Path:
    from service.settings import Settings

    return Settings().resolved_models_dir()


def create_key(home: Path) -> str:
    """An org + API key in the server's database (the CLI's code path)."""
    env = {**os.environ, "COACHSCORE_HOME": str(home)}
    name = f"load-{os.getpid()}-{time.time_ns()}"
    subprocess.run([str(VENV_BIN / "coachscore"), "admin", "create-org", name], env=env, check=True,
                   capture_output=True)
    out = subprocess.run([str(VENV_BIN / "coachscore"), "admin", "create-key", name], env=env, check=True,
                         capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


# --------------------------------------------------------------------------- audio


def long_recording(seconds: float) -> bytes:
    """The stereo fixture repeated to about ``seconds`` (or a tone if it is missing)."""
    if FIXTURE.exists():
        with wave.open(str(FIXTURE)) as w:
            params, frames = w.getparams(), w.readframes(w.getnframes())
        reps = max(1, math.ceil(seconds / (params.nframes / params.framerate)))
        buf = io.BytesIO()
        with wave.open(buf, "wb") as out:
            out.setparams(params)
            out.writeframes(frames * reps)
        return buf.getvalue()
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(16000)
        out.writeframes(b"".join(struct.pack("<h", int(3000 * math.sin(i / 7))) for i in range(int(16000 * seconds))))
    return buf.getvalue()


def big_wav(path: Path, megabytes: int) -> None:
    """A valid PCM16 mono 16 kHz WAV of about ``megabytes`` MB (a quiet tone), written in chunks."""
    chunk = b"".join(struct.pack("<h", int(1000 * math.sin(i / 5))) for i in range(512 * 1024))  # 1 MiB
    data_bytes = megabytes * len(chunk)
    header = b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16) + b"data" + struct.pack("<I", data_bytes)
    with open(path, "wb") as fh:
        fh.write(header)
        for _ in range(megabytes):
            fh.write(chunk)


# --------------------------------------------------------------------------- phase 1


async def _client(http, urls: list[tuple[str, str]], n: int, interval: float, lat: dict, failures: list) -> None:
    await asyncio.sleep(random.uniform(0, interval))  # spread the clients' phases
    for i in range(n):
        if i:
            await asyncio.sleep(interval)
        name, url = urls[i % len(urls)]
        t0 = time.perf_counter()
        try:
            r = await http.get(url)
            ok = r.status_code == 200
        except Exception as e:  # counted, reported
            ok, r = False, e
        lat.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
        if not ok:
            failures.append((name, getattr(r, "status_code", repr(r))))


async def hammer(base: str, key: str, running_id: str, done_id: str, clients: int, requests: int, interval: float):
    import httpx

    urls = [("GET status (job running)", f"{base}/v1/sessions/{running_id}"),
            ("GET scorecard JSON", f"{base}/v1/sessions/{done_id}/scorecard")]
    lat: dict[str, list[float]] = {}
    failures: list = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, limits=limits, timeout=30) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(_client(http, urls, requests, interval, lat, failures) for _ in range(clients)))
        wall = time.perf_counter() - t0
    return lat, failures, wall


def phase1(args, home: Path) -> None:
    import httpx

    server = Server(home, args.pipeline, extra_env={"COACHSCORE_FAKE_MODEL_DELAY_S": "60"})
    try:
        key = create_key(home)
        h = {"Authorization": f"Bearer {key}"}
        vtt = "WEBVTT\n\n00:00:00.000 --> 00:00:04.000\nDana: What would you like to work on?\n\n" \
              "00:00:05.000 --> 00:00:09.000\nSam: My team keeps missing deadlines.\n"
        done = httpx.post(f"{server.url}/v1/sessions/transcript", headers={**h, "content-type": "text/vtt"},
                          content=vtt.encode()).json()["id"]
        _wait(server.url, h, done, {"done"}, 120)
        audio = long_recording(args.recording_s)
        running = httpx.post(f"{server.url}/v1/sessions", headers=h, timeout=60,
                             files={"file": ("long.wav", audio, "audio/wav")}).json()["id"]
        status = _wait(server.url, h, running, {"transcribing", "diarizing", "analyzing", "done", "failed"}, 120)
        print(f"job {running}: {status} when the load started ({len(audio) / 1e6:.1f} MB, ~{args.recording_s:.0f} s audio)")
        import psutil

        api_proc = psutil.Process(server.proc.pid)
        for interval in args.intervals:
            cpu0, own0 = _cpu(api_proc), time.process_time()
            lat, failures, wall = asyncio.run(
                hammer(server.url, key, running, done, args.clients, args.requests, interval))
            cpu1, own1 = _cpu(api_proc), time.process_time()
            after = httpx.get(f"{server.url}/v1/sessions/{running}", headers=h).json()
            _report(lat, failures, wall, args.clients, interval)
            _server_side(home, server.port, {running: "GET status (job running)", done: "GET scorecard JSON"})
            n = args.clients * args.requests
            print(f"CPU per request: API process {(cpu1 - cpu0) / n * 1000:.2f} ms, "
                  f"load generator {(own1 - own0) / n * 1000:.2f} ms; load average {os.getloadavg()[0]:.1f} "
                  f"on {os.cpu_count()} CPUs")
            print(f"job status after this round: {after['status']} (progress {after['progress']:.2f})")
    finally:
        server.stop()


def _server_side(home: Path, port: int, names: dict[str, str]) -> None:
    """p50/p99 of the time spent inside the app (access log "ms"), per endpoint, for the
    requests logged since the last call: separates app time from queueing and the client."""
    import json

    log = home / f"server-{port}.log"
    lines = log.read_text(errors="replace").splitlines()
    start = _server_side.seen.get(port, 0)
    _server_side.seen[port] = len(lines)
    by: dict[str, list[float]] = {}
    for line in lines[start:]:
        if "coachscore.access" not in line:
            continue
        rec = json.loads(line.split("coachscore.access: ", 1)[1])
        for sid, name in names.items():
            if rec["method"] == "GET" and rec["path"].startswith(f"/v1/sessions/{sid}"):
                by.setdefault(name, []).append(rec["ms"])
    for name, xs in by.items():
        print(f"  inside the app: {name:26} p50 {statistics.median(xs):6.2f} ms  p99 {_pct(xs, 99):7.2f} ms")


_server_side.seen = {}


def _cpu(proc) -> float:
    t = proc.cpu_times()
    return t.user + t.system


def _wait(base: str, h: dict, sid: str, wanted: set, timeout: float) -> str:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = httpx.get(f"{base}/v1/sessions/{sid}", headers=h).json()["status"]
        if status in wanted:
            return status
        time.sleep(0.1)
    raise RuntimeError(f"session {sid} did not reach {wanted} in {timeout} s (status {status})")


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def _report(lat: dict, failures: list, wall: float, clients: int, interval: float) -> None:
    total = sum(len(v) for v in lat.values())
    pause = f"{interval * 1000:.0f} ms between a client's requests" if interval else "no pause (closed loop)"
    print(f"\n{clients} concurrent clients, {pause}: {total} requests in {wall:.1f} s ({total / wall:.0f} req/s)")
    print(f"{'endpoint':28} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, xs in lat.items():
        print(f"{name:28} {len(xs):6d} {statistics.median(xs):8.1f} {_pct(xs, 99):8.1f} {max(xs):8.1f}")
    print(f"failed requests: {len(failures)}" + (f" e.g. {failures[:3]}" if failures else ""))


# --------------------------------------------------------------------------- phase 2


def phase2(args, home: Path) -> None:
    import httpx
    import psutil

    path = home / "big.wav"
    big_wav(path, args.upload_mb)
    server = Server(home, args.pipeline, worker=False)
    try:
        key = create_key(home)
        proc = psutil.Process(server.proc.pid)
        before = proc.memory_info().rss
        peak = [before]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], proc.memory_info().rss)
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        t0 = time.perf_counter()
        with open(path, "rb") as fh:
            r = httpx.post(f"{server.url}/v1/sessions", headers={"Authorization": f"Bearer {key}"},
                           files={"file": ("big.wav", fh, "audio/wav")}, timeout=600)
        secs = time.perf_counter() - t0
        stop.set()
        sampler.join()
        size = path.stat().st_size
        print(f"\nupload of {size / 1e6:.0f} MB: HTTP {r.status_code} in {secs:.1f} s ({size / 1e6 / secs:.0f} MB/s)")
        print(f"API process RSS: before {before / 2**20:.1f} MiB, peak {peak[0] / 2**20:.1f} MiB, "
              f"growth {(peak[0] - before) / 2**20:.1f} MiB (target < 100 MiB)")
        stored = list((home / "data" / "audio").rglob("*.wav"))
        print(f"stored: {[p.stat().st_size for p in stored]} bytes")
    finally:
        server.stop()
        path.unlink(missing_ok=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pipeline", choices=("real", "fake"), default="real")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=40, help="requests per client")
    ap.add_argument("--intervals", type=lambda t: [float(x) for x in t.split(",")], default=[1.0, 0.2, 0.0],
                    help="pause between a client's requests, seconds; one round per value")
    ap.add_argument("--recording-s", type=float, default=150.0, help="length of the job's recording")
    ap.add_argument("--upload-mb", type=int, default=500)
    ap.add_argument("--skip-upload", action="store_true")
    ap.add_argument("--skip-load", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="coachscore-load-") as tmp:
        home = Path(tmp)
        if not args.skip_load:
            phase1(args, home)
        if not args.skip_upload:
            phase2(args, home)


if __name__ == "__main__":
    main()
