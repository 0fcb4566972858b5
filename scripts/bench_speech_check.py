#!/usr/bin/env python
"""Time the upload speech check (service.upload_check) on 60-minute recordings.

Builds, in a temp directory, 60 minutes of samples/coaching_1on1.wav looped (talk) and 60
minutes of silence holding one second of it (almost no speech), each as 16 kHz WAV and AAC
m4a, then times ``check_speech`` at the default 20 s minimum (what an upload costs) and a
full decode-and-count for comparison.

Usage: PYTHONPATH=. .venv/bin/python scripts/bench_speech_check.py [--minutes 60]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from analysis.errors import TooLittleSpeechError
from models.decode import decode_audio, probe_audio
from models.speech import measure_speech
from service.upload_check import check_speech

ROOT = Path(__file__).resolve().parents[1]
RATE = 16_000


def write(path: Path, codec: str, fmt: str, signal: np.ndarray) -> None:
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=RATE, layout="mono")
        for i in range(0, signal.size, RATE * 10):
            block = signal[i:i + RATE * 10]
            if codec == "pcm_s16le":
                frame = av.AudioFrame.from_ndarray((block * 32767).astype(np.int16)[None], format="s16", layout="mono")
            else:
                frame = av.AudioFrame.from_ndarray(block.astype(np.float32)[None], format="fltp", layout="mono")
            frame.sample_rate = RATE
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60.0)
    args = ap.parse_args()
    talk = decode_audio(ROOT / "samples" / "coaching_1on1.wav").samples.mean(axis=0)
    n = int(args.minutes * 60 * RATE)
    looped = np.tile(talk, n // talk.size + 1)[:n]
    quiet = np.zeros(n, np.float32)
    quiet[30 * RATE:31 * RATE] = looped[30 * RATE:31 * RATE]
    with tempfile.TemporaryDirectory() as tmp:
        for name, signal in (("talk", looped), ("quiet", quiet)):
            for codec, fmt, ext in (("pcm_s16le", "wav", "wav"), ("aac", "mp4", "m4a")):
                path = Path(tmp) / f"{name}.{ext}"
                write(path, codec, fmt, signal)
                t = time.perf_counter()
                try:
                    check_speech(path, path.name, 20.0, probe_audio(path).duration_s)
                    verdict = "accepted"
                except TooLittleSpeechError as e:
                    verdict = f"refused: {e.message}"
                check_s = time.perf_counter() - t
                t = time.perf_counter()
                whole = measure_speech(path, enough_s=1e12, max_scan_s=1e12)
                full_s = time.perf_counter() - t
                print(f"{path.name:10} {args.minutes:g} min: check {check_s * 1000:6.0f} ms ({verdict}); "
                      f"full decode+count {full_s:5.2f} s ({whole.speech_s:.0f} s of speech)")


if __name__ == "__main__":
    main()
