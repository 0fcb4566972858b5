#!/usr/bin/env python
"""Word error rate and speed of Whisper models (default: tiny.en, base and small; int8 on CPU).

Sets: the single-speaker clips of ``real-audio-dev`` (folders whose reference.json has text
and one speaker; the AMI meeting excerpts carry no text and are skipped), and the synthetic
two-voice fixtures (``*.json`` with ``turns[].text`` next to their audio, e.g.
tests/fixtures/audio and samples/). WER uses jiwer with plain normalisation: lower-case,
punctuation removed, pooled over a set's clips.

Speed is the real-time factor of ``WhisperASR.transcribe`` (decoded audio in, words out;
model loading excluded) with ``--threads`` CPU threads, the lowest of ``--repeats`` passes
over the set (the machine is shared: the lowest pass is the least disturbed). A model that
is not on this machine gets a row saying why.

    .venv/bin/python scripts/eval_asr.py [--models tiny.en base small] [--threads 2]
        [--repeats 2] [--per-clip] [--real-dir DIR] [--fixtures DIR ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_REAL = Path("/work/shared/data/real-audio-dev")
DEFAULT_FIXTURES = [ROOT / "tests" / "fixtures" / "audio", ROOT / "samples"]
AUDIO_EXT = (".wav", ".flac", ".mp3", ".m4a", ".ogg", ".webm")
REAL, SYNTH = "real single-speaker", "synthetic fixtures"


@dataclass(frozen=True)
class Item:
    set: str
    name: str
    audio: Path
    reference: str


@dataclass(frozen=True)
class ModelRun:
    """One model over all items: hypotheses (first pass), seconds per pass, load seconds."""

    name: str
    hyps: tuple[str, ...]
    pass_seconds: tuple[dict[str, float], ...]  # per pass: set -> transcribe seconds
    load_s: float


def normalise(text: str) -> str:
    """Lower-case, drop punctuation (apostrophes too), collapse spaces."""
    text = re.sub(r"[^\w\s]", " ", text.lower().replace("'", "").replace("\u2019", ""))
    return " ".join(text.split())


def real_items(root: Path) -> list[Item]:
    items = []
    for ref_path in sorted(root.glob("*/reference.json")):
        segs = json.loads(ref_path.read_text())["segments"]
        if len({s["speaker"] for s in segs}) != 1 or not all(s.get("text") for s in segs):
            continue  # diarization excerpts: no full reference text
        audio = [p for p in ref_path.parent.iterdir() if p.suffix in AUDIO_EXT]
        if audio:
            text = " ".join(s["text"] for s in segs)
            items.append(Item(REAL, ref_path.parent.name, audio[0], text))
    return items


def fixture_items(dirs: list[Path]) -> list[Item]:
    items = []
    for d in dirs:
        for truth in sorted(d.glob("*.json")):
            data = json.loads(truth.read_text())
            audio = truth.parent / str(data.get("audio", truth.with_suffix(".wav").name))
            if audio.is_file() and data.get("turns"):
                text = " ".join(t["text"] for t in sorted(data["turns"], key=lambda t: t["start"]))
                items.append(Item(SYNTH, truth.stem, audio, text))
    return items


def run_model(config, items: list[Item], audios: list, repeats: int) -> ModelRun:
    """Transcribe every item ``repeats`` times; the first pass's text is scored."""
    from models.asr import WhisperASR, _load

    asr = WhisperASR(config)
    t0 = time.perf_counter()
    _load(asr.resolved, config)
    load_s = time.perf_counter() - t0
    hyps: list[str] = []
    passes = []
    for i in range(repeats):
        seconds: dict[str, float] = {}
        for item, audio in zip(items, audios):
            t0 = time.perf_counter()
            words = asr.transcribe(audio).words
            seconds[item.set] = seconds.get(item.set, 0.0) + time.perf_counter() - t0
            if i == 0:
                hyps.append(" ".join(w.text for w in words))
        passes.append(seconds)
    return ModelRun(asr.resolved.name, tuple(hyps), tuple(passes), load_s)


def print_clips(run: ModelRun, items: list[Item], audios: list) -> None:
    import jiwer

    for item, audio, hyp in zip(items, audios, run.hyps):
        ref_n = normalise(item.reference)
        print(f"{run.name:<8} {item.set:<20} {item.name[:30]:<30} {audio.duration_s:>6.1f} "
              f"{len(ref_n.split()):>5} {jiwer.wer(ref_n, normalise(hyp)):>6.3f}")  # fmt: skip


def summary_rows(run: ModelRun, items: list[Item], audios: list) -> list[str]:
    """One line per set: pooled WER, words, audio seconds, best-pass RTF."""
    import jiwer

    rows = []
    for name in dict.fromkeys(i.set for i in items):
        idx = [k for k, item in enumerate(items) if item.set == name]
        refs = [normalise(items[k].reference) for k in idx]
        hyps = [normalise(run.hyps[k]) for k in idx]
        dur = sum(audios[k].duration_s for k in idx)
        best = min(p[name] for p in run.pass_seconds)
        rows.append(f"{run.name:<8} {name:<20} {len(idx):>5} {sum(len(r.split()) for r in refs):>5} "
                    f"{dur:>7.1f} {jiwer.wer(refs, hyps):>6.3f} {best / dur:>6.3f} {run.load_s:>6.1f}")  # fmt: skip
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--real-dir", type=Path, default=DEFAULT_REAL)
    ap.add_argument("--fixtures", type=Path, nargs="*", default=DEFAULT_FIXTURES)
    ap.add_argument("--models", nargs="+", default=["tiny.en", "base", "small"])
    ap.add_argument("--compute-type", default="int8")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads (0 = library default)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--per-clip", action="store_true", help="also print WER per clip")
    ap.add_argument("--models-dir", type=Path, default=None)
    args = ap.parse_args()

    from analysis.errors import ModelMissingError
    from models.decode import decode_audio
    from service.settings import get_settings

    base = get_settings().model_config_()
    items = (real_items(args.real_dir) if args.real_dir.is_dir() else []) + fixture_items(args.fixtures)
    audios = [decode_audio(item.audio) for item in items]
    print(f"{args.device}, {args.compute_type}, {args.threads} threads, best of {args.repeats} passes; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus")  # fmt: skip
    summary, missing = [], []
    for name in args.models:
        config = replace(base, whisper_model=name, compute_type=args.compute_type, device=args.device,
                         cpu_threads=args.threads, models_dir=args.models_dir or base.models_dir)  # fmt: skip
        try:
            run = run_model(config, items, audios, args.repeats)
        except ModelMissingError as e:
            missing.append(f"{name:<8} not measured: {e.message}")
            continue
        if args.per_clip:
            print_clips(run, items, audios)
        summary += summary_rows(run, items, audios)
    print(f"\n{'model':<8} {'set':<20} {'clips':>5} {'words':>5} {'audio s':>7} {'WER':>6} {'RTF':>6} {'load s':>6}")
    print("\n".join(summary + missing))
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
