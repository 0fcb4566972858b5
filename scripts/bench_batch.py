#!/usr/bin/env python
"""Benchmark: batch analysis (`coachscore analyze DIR --out-dir OUT`) of N generated
transcripts in one process, against one process per file (measured on a few, then scaled).

Issue 9 item 6: a team back-filling a quarter of transcripts should not pay the start-up
(imports, spaCy) per file. Prints a table; not a test.
Usage: .venv/bin/python scripts/bench_batch.py [--files 100] [--minutes 10] [--singles 3] [--no-nlp]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_analysis import synthetic_transcript  # noqa: E402


def write_transcripts(folder: Path, files: int, minutes: float) -> int:
    """``files`` pipeline-JSON transcripts of ``minutes`` each (different seeds); returns words in all."""
    from analysis.transcript_json import transcript_to_dict

    folder.mkdir(parents=True)
    words = 0
    for i in range(files):
        t = synthetic_transcript(minutes, seed=i)
        words += sum(len(turn.text.split()) for turn in t.turns)
        (folder / f"session-{i:03d}.json").write_text(json.dumps(transcript_to_dict(t)))
    return words


def run_cli(*args: str) -> tuple[float, str]:
    """Wall seconds and stdout of one `coachscore` process (this checkout's code)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "service.cli", *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"coachscore {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall, done.stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--minutes", type=float, default=10, help="length of each generated transcript")
    ap.add_argument("--singles", type=int, default=3, help="one-file processes to time for the comparison")
    ap.add_argument("--no-nlp", action="store_true", help="pass --no-nlp (regex sentence rules only)")
    args = ap.parse_args()
    extra = ["--no-nlp"] if args.no_nlp else []
    with tempfile.TemporaryDirectory(prefix="coachscore-batch-") as tmp:
        src, out = Path(tmp) / "in", Path(tmp) / "out"
        words = write_transcripts(src, args.files, args.minutes)
        wall, stdout = run_cli("analyze", str(src), "--out-dir", str(out), *extra)
        inner = re.search(r"in ([\d.]+) s \(([\d.]+) s per input\)", " ".join(stdout.split()))
        scored = len(list(out.glob("*.json")))
        singles = [run_cli("analyze", str(f), "--json", str(Path(tmp) / "one.json"), *extra)[0]
                   for f in sorted(src.iterdir())[: args.singles]]
    per_single = sum(singles) / len(singles)
    print(f"{args.files} transcripts of {args.minutes:g} min ({words / args.files:.0f} words each); "
          f"spaCy {'off' if args.no_nlp else 'on'}; {scored} scorecards written; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'mode':44s} {'total s':>9s} {'per file s':>11s}")
    print(f"{'batch, one process (wall, with start-up)':44s} {wall:9.1f} {wall / args.files:11.3f}")
    if inner:
        print(f"{'batch, scoring only (inside the process)':44s} {float(inner[1]):9.1f} {float(inner[2]):11.3f}")
    print(f"{f'one process per file (mean of {len(singles)}, x{args.files})':44s} "
          f"{per_single * args.files:9.1f} {per_single:11.3f}")
    print(f"start-up saved per file: {per_single - wall / args.files:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
