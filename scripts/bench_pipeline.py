#!/usr/bin/env python
"""Benchmark the audio pipeline: real-time factor per stage and end to end, the overhead
over faster-whisper alone, and peak memory on a long recording.

1. Builds a ``--minutes`` (default 10) two-voice recording by looping the bundled sample
   (``samples/coaching_1on1.wav``, two flite voices), as a 16 kHz mono WAV in a temp dir.
2. Runs faster-whisper by itself on that file (its own decoder, the same options the
   adapter uses: word timestamps, VAD, beam size, language) in a fresh subprocess, then
   the full pipeline (``transcribe_file``) on the same file, after one warm-up run of
   the pipeline on the source clip so every model is loaded (as in a long-lived worker).
3. Peak RSS of the full pipeline on a ``--long-minutes`` (default 60) recording, measured
   in a fresh subprocess (ru_maxrss), unless ``--skip-long``.

    .venv/bin/python scripts/bench_pipeline.py [--minutes 10] [--long-minutes 60] [--skip-long]

Targets (issue 2): end-to-end RTF <= 0.30, diarization RTF <= 0.10, overhead <= 35 %,
peak RSS <= 3 GB. The machine's load average is printed: other jobs skew the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLE = ROOT / "samples" / "coaching_1on1.wav"


def build_recording(source: Path, minutes: float, dest: Path) -> Path:
    """Loop ``source`` (decoded to 16 kHz mono) to ``minutes`` and write a 16-bit WAV."""
    import numpy as np

    from models.decode import decode_audio

    mono = decode_audio(source).mono()
    reps = int(np.ceil(minutes * 60 * 16_000 / mono.shape[0]))
    pcm = (np.clip(mono, -1, 1) * 32767).astype("<i2").tobytes()
    with wave.open(str(dest), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        for _ in range(reps):
            w.writeframes(pcm)
    return dest


def model_config(args: argparse.Namespace):
    from service.settings import get_settings

    base = get_settings().model_config_()
    return replace(
        base, whisper_model=args.model, compute_type=args.compute_type, device=args.device,
        models_dir=args.models_dir or base.models_dir,
    )  # fmt: skip


def asr_alone(path: Path, config, beam_size: int) -> float:
    """faster-whisper by itself (own decoder, same options); returns wall seconds."""
    from faster_whisper import WhisperModel, decode_audio

    from models.registry import resolve_whisper

    model = WhisperModel(str(resolve_whisper(config).path), device=config.device,
                         compute_type=config.compute_type, cpu_threads=config.cpu_threads)  # fmt: skip
    t0 = time.perf_counter()
    segments, _ = model.transcribe(
        decode_audio(str(path)), language="en", beam_size=beam_size, word_timestamps=True,
        vad_filter=True, condition_on_previous_text=False,
    )  # fmt: skip
    n_words = sum(len(s.words or ()) for s in segments)
    seconds = time.perf_counter() - t0
    print(f"faster-whisper alone: {n_words} words in {seconds:.1f} s")
    return seconds


def pipeline_run(path: Path, config, diarization: str):
    from service.pipeline import ModelSet, TranscribeOptions, transcribe

    t0 = time.perf_counter()
    t = transcribe(path, TranscribeOptions(diarization), ModelSet(config))
    wall = time.perf_counter() - t0
    return t, wall


def asr_alone_child(path: Path, args: argparse.Namespace, beam_size: int) -> float:
    """faster-whisper alone in a fresh interpreter, so that neither measurement inherits
    the other's thread pools (in one process, the pipeline run after it was ~30 % slower)."""
    cmd = [sys.executable, __file__, "--alone", str(path), "--beam-size", str(beam_size),
           "--model", args.model, "--compute-type", args.compute_type, "--device", args.device]  # fmt: skip
    if args.models_dir:
        cmd += ["--models-dir", str(args.models_dir)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"faster-whisper-alone child failed:\n{out.stderr[-3000:]}")
    print(out.stdout.strip().splitlines()[-2])
    return float(out.stdout.strip().splitlines()[-1])


def peak_rss_child(path: Path, args: argparse.Namespace) -> dict:
    """Run the full pipeline on ``path`` in a fresh interpreter; return its report."""
    cmd = [sys.executable, __file__, "--child", str(path), "--model", args.model,
           "--compute-type", args.compute_type, "--device", args.device,
           "--diarization", args.diarization]  # fmt: skip
    if args.models_dir:
        cmd += ["--models-dir", str(args.models_dir)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"long-recording child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def child(args: argparse.Namespace) -> None:
    t, wall = pipeline_run(Path(args.child), model_config(args), args.diarization)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_rss_mb": peak_mb, "duration_s": t.duration_s, "wall_s": wall,
                      "timings": dict(t.meta.stage_timings_s), "words": len(t.words)}))  # fmt: skip


def table(rows: list[tuple[str, float, float, str]]) -> None:
    print(f"\n{'stage':<24} {'seconds':>9} {'RTF':>7}  target")
    for name, secs, rtf, target in rows:
        print(f"{name:<24} {secs:>9.1f} {rtf:>7.3f}  {target}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=SAMPLE)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--long-minutes", type=float, default=60.0)
    ap.add_argument("--skip-long", action="store_true")
    ap.add_argument("--model", default="tiny.en")
    ap.add_argument("--compute-type", default="int8")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--diarization", default="auto")
    ap.add_argument("--models-dir", type=Path, default=None)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--alone", help=argparse.SUPPRESS)
    ap.add_argument("--beam-size", type=int, default=5, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args)
    if args.alone:
        return print(asr_alone(Path(args.alone), model_config(args), args.beam_size))

    from models.asr import WhisperASR

    config = model_config(args)
    print(f"load average before: {os.getloadavg()}, cpus: {os.cpu_count()}")
    with tempfile.TemporaryDirectory(prefix="coachscore-bench-") as tmp:
        rec = build_recording(args.source, args.minutes, Path(tmp) / "bench.wav")
        asr = WhisperASR(config)  # resolves; the pipeline shares the process-wide model cache
        alone = asr_alone_child(rec, args, asr.beam_size)
        _, warm = pipeline_run(args.source, config, args.diarization)  # loads models once, as a worker does
        print(f"warm-up on {args.source.name} (model loading): {warm:.1f} s")
        t, wall = pipeline_run(rec, config, args.diarization)
        d, tm = t.duration_s, t.meta.stage_timings_s
        print(f"recording: {d / 60:.1f} min, {len(t.words)} words, {len(t.turns)} turns, "
              f"diarizer {t.meta.diarizer.name if t.meta.diarizer else '?'}")  # fmt: skip
        table([
            ("decode", tm.get("decode", 0), tm.get("decode", 0) / d, ""),
            ("ASR (transcribe)", tm.get("transcribe", 0), tm.get("transcribe", 0) / d, ""),
            ("diarization", tm.get("diarize", 0), tm.get("diarize", 0) / d, "<= 0.10"),
            ("attribution", tm.get("attribute", 0), tm.get("attribute", 0) / d, ""),
            ("end to end (pipeline)", wall, wall / d, "<= 0.30"),
            ("faster-whisper alone", alone, alone / d, ""),
        ])  # fmt: skip
        print("(ASR and diarization run side by side: their seconds overlap)")
        print(f"\npipeline overhead over faster-whisper alone: {100 * (wall - alone) / alone:.0f} % "
              f"(target <= 35 %)")  # fmt: skip
        if not args.skip_long:
            long_rec = build_recording(args.source, args.long_minutes, Path(tmp) / "long.wav")
            report = peak_rss_child(long_rec, args)
            print(f"\n{args.long_minutes:.0f}-minute recording, full pipeline in a subprocess: "
                  f"peak RSS {report['peak_rss_mb'] / 1024:.2f} GB (target <= 3 GB), "
                  f"wall {report['wall_s']:.0f} s, RTF {report['wall_s'] / report['duration_s']:.3f}, "
                  f"stages {json.dumps({k: round(v, 1) for k, v in report['timings'].items()})}")  # fmt: skip
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
