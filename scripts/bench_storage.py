#!/usr/bin/env python
"""Memory and throughput of S3 recording storage on this machine, against moto's S3 server
started as a separate process on 127.0.0.1 (so its memory is not counted here).

1. The storage layer in this process: spool a recording of --size-mb to the local temp
   file in 64 KiB chunks (what the upload reader does), commit it to the bucket (the
   multipart upload), read it back into a worker's temp file (local_copy) and read a 1 MiB
   range (playback). Peak RSS above the process's RSS before each step, sampled every 5 ms.
2. Through the API (unless --no-api): `coachscore serve` with COACHSCORE_STORAGE_URL on the
   bucket; one --size-mb WAV POSTed to /v1/sessions (streamed from disk by httpx); the
   server's peak RSS above its idle RSS and the upload's wall time (202 included: spool,
   decode check, multipart upload).

moto keeps objects in memory and runs on the same cores, so the throughput figures are a
floor for a real S3 server on its own machine; the memory figures are what matters here.

Usage: PYTHONPATH=. .venv/bin/python scripts/bench_storage.py [--size-mb 200] [--part-mb 8]
       [--concurrency 4] [--no-api]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from s3_server import moto_process  # noqa: E402
from service_processes import Server, api_key, base_env  # noqa: E402

MiB = 1024 * 1024
CHUNK = 64 * 1024


class PeakRss:
    """Samples a process's RSS (with its children when ``children``) every ``every_s`` s."""

    def __init__(self, pid: int, every_s: float = 0.005, children: bool = False) -> None:
        import psutil

        self.proc, self.every_s, self.children = psutil.Process(pid), every_s, children
        self.base = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        procs = [self.proc, *(self.proc.children(recursive=True) if self.children else [])]
        total = 0
        for p in procs:
            try:
                total += p.memory_info().rss
            except Exception:  # a child that just exited
                continue
        return total

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    @property
    def above_base_mib(self) -> float:
        return (self.peak - self.base) / MiB


def write_wav(path: Path, size_mb: float) -> int:
    """A 16 kHz mono 16-bit WAV of about ``size_mb`` MiB of noise, written in chunks."""
    frames = int(size_mb * MiB) // 2
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        left = frames
        while left:
            n = min(left, MiB // 2)
            w.writeframes(os.urandom(2 * n))
            left -= n
    return path.stat().st_size


def settings_env(endpoint: str, bucket: str, part_mb: float, concurrency: int) -> dict[str, str]:
    return {"COACHSCORE_STORAGE_URL": f"s3://{bucket}/bench", "COACHSCORE_S3_ENDPOINT_URL": endpoint,
            "COACHSCORE_S3_REGION": "us-east-1", "COACHSCORE_S3_ACCESS_KEY_ID": "bench",
            "COACHSCORE_S3_SECRET_ACCESS_KEY": "bench", "COACHSCORE_S3_PART_SIZE_MB": str(part_mb),
            "COACHSCORE_S3_UPLOAD_CONCURRENCY": str(concurrency)}


def bench_storage(tmp: Path, wav: Path, endpoint: str, bucket: str, part_mb: float, concurrency: int) -> list[tuple]:
    from service.settings import Settings
    from service.storage import open_storage

    env = settings_env(endpoint, bucket, part_mb, concurrency)
    settings = Settings(home=tmp / "home", **{k.removeprefix("COACHSCORE_").lower(): v for k, v in env.items()})
    store = open_storage(settings)
    store.ensure()
    size = wav.stat().st_size
    rows = []
    temp = store.open_temp()
    t0 = time.perf_counter()
    with PeakRss(os.getpid()) as rss, open(wav, "rb") as fh:
        while chunk := fh.read(CHUNK):
            temp.write(chunk, limit=size)
        temp.close()
    rows.append(("spool upload to local temp file", size, time.perf_counter() - t0, rss.above_base_mib))
    t0 = time.perf_counter()
    with PeakRss(os.getpid()) as rss:
        stored = store.commit(temp, "bench.wav")
    rows.append((f"multipart upload to S3 ({part_mb:g} MiB parts x {concurrency})", size,
                 time.perf_counter() - t0, rss.above_base_mib))
    t0 = time.perf_counter()
    with PeakRss(os.getpid()) as rss, store.local_copy(stored.relpath) as path:
        assert path.stat().st_size == size
    rows.append(("worker reads it into a temp file", size, time.perf_counter() - t0, rss.above_base_mib))
    t0 = time.perf_counter()
    with PeakRss(os.getpid()) as rss:
        got = sum(len(c) for c in store.read(stored.relpath, size // 2, size // 2 + MiB - 1))
    rows.append(("playback: one 1 MiB Range GET", got, time.perf_counter() - t0, rss.above_base_mib))
    store.delete(stored.relpath)
    return rows


def bench_api(tmp: Path, wav: Path, endpoint: str, bucket: str, part_mb: float, concurrency: int) -> tuple:
    import httpx

    env = base_env(tmp / "api", COACHSCORE_EMBEDDED_WORKER="false",
                   **settings_env(endpoint, bucket, part_mb, concurrency))
    server = Server(env, tmp / "api.log")
    try:
        server.wait_ready()
        h = {"Authorization": f"Bearer {api_key(env)}"}
        time.sleep(1.0)  # let the server settle before its idle RSS is taken
        with PeakRss(server.proc.pid, every_s=0.01, children=True) as rss, open(wav, "rb") as fh:
            t0 = time.perf_counter()
            r = httpx.post(f"{server.url}/v1/sessions", headers=h, files={"file": ("long-call.wav", fh)},
                           timeout=600)
            took = time.perf_counter() - t0
        assert r.status_code == 202, r.text
        return ("API: POST /v1/sessions (multipart body -> spool -> check -> S3)", wav.stat().st_size, took,
                rss.above_base_mib)
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=float, default=200.0)
    ap.add_argument("--part-mb", type=float, default=8.0)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--no-api", action="store_true", help="skip the end-to-end upload through the API")
    args = ap.parse_args()
    import boto3

    with tempfile.TemporaryDirectory(prefix="cs-bench-s3-") as d, moto_process() as endpoint:
        tmp = Path(d)
        wav = tmp / "long-call.wav"
        write_wav(wav, args.size_mb)
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench",
                     aws_secret_access_key="bench").create_bucket(Bucket="bench")
        rows = bench_storage(tmp, wav, endpoint, "bench", args.part_mb, args.concurrency)
        if not args.no_api:
            rows.append(bench_api(tmp, wav, endpoint, "bench", args.part_mb, args.concurrency))
    print(f"S3 storage against moto on 127.0.0.1, file {args.size_mb:g} MiB, parts {args.part_mb:g} MiB, "
          f"{args.concurrency} at a time")
    print(f"{'step':<66} {'MiB':>8} {'s':>7} {'MiB/s':>7} {'peak RSS +MiB':>14}")
    for what, size, seconds, rss in rows:
        print(f"{what:<66} {size / MiB:>8.1f} {seconds:>7.2f} {size / MiB / seconds:>7.1f} {rss:>14.1f}")


if __name__ == "__main__":
    main()
