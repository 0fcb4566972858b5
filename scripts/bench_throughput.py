#!/usr/bin/env python
"""Throughput of the Celery topology on this machine: 20 short fake-model jobs with 1 and
then 2 Celery workers (the ratio in one run), and the API read latency (GET a session)
while the workers are busy, from one keep-alive HTTP client as an integration would use
(``httpx.get`` per request builds a new client each time, about 25 ms of client-side
set-up that earlier runs of this script counted as API latency). Needs PostgreSQL and RabbitMQ on their default local ports.

The fake models take --stage-delay-s per stage, so this measures the job engine
(claiming, queues, heartbeats, scoring, storing), not ASR speed.

Usage: PYTHONPATH=. .venv/bin/python scripts/bench_throughput.py [--jobs 20] [--stage-delay-s 1.0]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from conftest import wav_bytes  # noqa: E402
from service_processes import Proc, Server, api_key, base_env, wait_until  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def run(workers: int, jobs: int, delay: float) -> tuple[float, list[float]]:
    """Seconds until ``jobs`` uploads are done with ``workers`` workers; read latencies (ms)."""
    import httpx
    from sqlalchemy import create_engine, text

    from service.db import upgrade

    schema = f"bench_{secrets.token_hex(4)}"
    admin = create_engine(PG)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG}?options=-csearch_path%3D{schema}"
    upgrade(url)
    procs: list[Proc] = []
    with tempfile.TemporaryDirectory(prefix="cs-bench-") as tmp:
        home = Path(tmp)
        env = base_env(home, COACHSCORE_QUEUE="celery", COACHSCORE_DATABASE_URL=url,
                       COACHSCORE_DATA_DIR=str(home / "data"), COACHSCORE_FAKE_MODEL_DELAY_S=str(delay),
                       COACHSCORE_CELERY_QUEUE_PREFIX=f"{schema}.")
        try:
            procs = [Proc(env, home / f"w{i}.log", "worker", "--queues", "transcribe,analyze") for i in range(workers)]
            server = Server(env, home / "api.log")
            procs.append(server)
            server.wait_ready()
            h = {"Authorization": f"Bearer {api_key(env)}"}
            audio = wav_bytes(2.0)
            t0 = time.monotonic()
            sids = [httpx.post(f"{server.url}/v1/sessions", headers=h, files={"file": ("c.wav", audio)}).json()["id"]
                    for _ in range(jobs)]
            latencies: list[float] = []
            reader = httpx.Client(base_url=server.url, headers=h)  # one keep-alive client, as an integration has

            def all_done() -> bool:
                for sid in sids:
                    t = time.perf_counter()
                    status = reader.get(f"/v1/sessions/{sid}").json()["status"]
                    latencies.append((time.perf_counter() - t) * 1000)
                    if status not in ("done", "failed"):
                        return False
                return True

            wait_until(all_done, 600, "every job", every=0.2)
            reader.close()
            return time.monotonic() - t0, latencies
        finally:
            for p in procs:
                p.stop()
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=20)
    ap.add_argument("--stage-delay-s", type=float, default=1.0)
    args = ap.parse_args()
    rows = []
    for workers in (1, 2):
        seconds, lat = run(workers, args.jobs, args.stage_delay_s)
        p99 = statistics.quantiles(lat, n=100)[98] if len(lat) >= 2 else lat[0]
        rows.append((workers, seconds, args.jobs / seconds * 60, statistics.median(lat), p99, len(lat)))
    print(f"{'workers':>7} {'seconds':>8} {'jobs/min':>9} {'read p50 ms':>12} {'read p99 ms':>12} {'reads':>6}")
    for w, s, jpm, p50, p99, n in rows:
        print(f"{w:>7} {s:>8.1f} {jpm:>9.1f} {p50:>12.1f} {p99:>12.1f} {n:>6}")
    print(f"speed-up with 2 workers: {rows[0][1] / rows[1][1]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
