#!/usr/bin/env python
"""Word error rate and speed of Whisper models (default: tiny.en, base and small; int8 on CPU).

Sets: the single-speaker clips of ``real-audio-dev`` (folders whose reference.json has text
and one speaker), and the synthetic two-voice fixtures (``*.json`` with ``turns[].text``
next to their audio, e.g. tests/fixtures/audio and samples/). WER uses jiwer with plain
normalisation: lower-case, punctuation removed, pooled over a set's clips.

The AMI meeting excerpts (far-field, 2-4 speakers) carry speaker turns but no text, so they
get two proxies instead of WER: the share of the reference speech time that recognised
words cover (words dropped lower it), and the share of words lying outside any reference
speech, with 0.25 s of slack (words made up in silence raise it).

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
REAL, SYNTH, MEET = "real single-speaker", "synthetic fixtures", "real meetings"
SLACK_S = 0.25  # word times vs reference turn edges


@dataclass(frozen=True)
class Item:
    set: str
    name: str
    audio: Path
    reference: str
    speech: tuple[tuple[float, float], ...] = ()  # reference speech (seconds), meetings


@dataclass(frozen=True)
class ModelRun:
    """One model over all items: hypotheses (first pass), seconds per pass, load seconds."""

    name: str
    words: tuple[tuple, ...]  # per item: the first pass's Words
    pass_seconds: tuple[dict[str, float], ...]  # per pass: set -> transcribe seconds
    load_s: float

    @property
    def hyps(self) -> tuple[str, ...]:
        return tuple(" ".join(w.text for w in words) for words in self.words)


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


def meeting_items(root: Path) -> list[Item]:
    """Clips whose reference has speaker turns but no text (the AMI excerpts)."""
    items = []
    for ref_path in sorted(root.glob("*/reference.json")):
        segs = json.loads(ref_path.read_text())["segments"]
        audio = [p for p in ref_path.parent.iterdir() if p.suffix in AUDIO_EXT]
        if audio and segs and not any(s.get("text") for s in segs):
            speech = tuple((float(s["start"]), float(s["end"])) for s in segs)
            items.append(Item(MEET, ref_path.parent.name, audio[0], "", speech))
    return items


def speech_proxies(items: list[Item], words: list, durations: list[float]) -> tuple[float, float]:
    """(share of reference speech time covered by words, share of words outside reference
    speech by more than SLACK_S), pooled over the clips, on a 10 ms grid."""
    import numpy as np

    covered = speech = outside = total = 0
    for item, clip_words, dur in zip(items, words, durations):
        grid = lambda spans: _mask(spans, dur)  # noqa: E731
        ref = grid(item.speech)
        said = grid([(w.start, w.end) for w in clip_words])
        near = grid([(a - SLACK_S, b + SLACK_S) for a, b in item.speech])
        mids = [min(int(100 * (w.start + w.end) / 2), len(near) - 1) for w in clip_words]
        covered, speech = covered + int(np.sum(ref & said)), speech + int(ref.sum())
        outside, total = outside + sum(not near[m] for m in mids), total + len(mids)
    return covered / max(speech, 1), outside / max(total, 1)


def _mask(spans, duration_s: float):
    import numpy as np

    mask = np.zeros(int(100 * duration_s) + 1, bool)
    for a, b in spans:
        mask[max(0, int(100 * a)) : max(0, int(100 * b))] = True
    return mask


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
    hyps: list[tuple] = []
    passes = []
    for i in range(repeats):
        seconds: dict[str, float] = {}
        for item, audio in zip(items, audios):
            t0 = time.perf_counter()
            words = asr.transcribe(audio).words
            seconds[item.set] = seconds.get(item.set, 0.0) + time.perf_counter() - t0
            if i == 0:
                hyps.append(words)
        passes.append(seconds)
    return ModelRun(asr.resolved.name, tuple(hyps), tuple(passes), load_s)


def print_clips(run: ModelRun, items: list[Item], audios: list) -> None:
    import jiwer

    for item, audio, hyp in zip(items, audios, run.hyps):
        if item.set == MEET:
            print(f"{run.name:<8} {item.set:<20} {item.name[:30]:<30} {audio.duration_s:>6.1f} | {hyp}")
            continue
        ref_n = normalise(item.reference)
        print(f"{run.name:<8} {item.set:<20} {item.name[:30]:<30} {audio.duration_s:>6.1f} "
              f"{len(ref_n.split()):>5} {jiwer.wer(ref_n, normalise(hyp)):>6.3f}")  # fmt: skip


def summary_rows(run: ModelRun, items: list[Item], audios: list) -> list[str]:
    """One line per set: pooled WER, words, audio seconds, best-pass RTF."""
    import jiwer

    rows = []
    for name in dict.fromkeys(i.set for i in items if i.set != MEET):
        idx = [k for k, item in enumerate(items) if item.set == name]
        refs = [normalise(items[k].reference) for k in idx]
        hyps = [normalise(run.hyps[k]) for k in idx]
        dur = sum(audios[k].duration_s for k in idx)
        best = min(p[name] for p in run.pass_seconds)
        rows.append(f"{run.name:<8} {name:<20} {len(idx):>5} {sum(len(r.split()) for r in refs):>5} "
                    f"{dur:>7.1f} {jiwer.wer(refs, hyps):>6.3f} {best / dur:>6.3f} {run.load_s:>6.1f}")  # fmt: skip
    return rows


def meeting_row(run: ModelRun, items: list[Item], audios: list) -> str | None:
    idx = [k for k, item in enumerate(items) if item.set == MEET]
    if not idx:
        return None
    words = [run.words[k] for k in idx]
    dur = sum(audios[k].duration_s for k in idx)
    coverage, outside = speech_proxies([items[k] for k in idx], words, [audios[k].duration_s for k in idx])
    best = min(p[MEET] for p in run.pass_seconds)
    return (f"{run.name:<8} {MEET:<20} {len(idx):>5} {sum(map(len, words)):>5} {dur:>7.1f} "
            f"{coverage:>9.3f} {outside:>8.3f} {best / dur:>6.3f}")  # fmt: skip


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
    real = args.real_dir.is_dir()
    items = (real_items(args.real_dir) if real else []) + fixture_items(args.fixtures)
    items += meeting_items(args.real_dir) if real else []
    audios = [decode_audio(item.audio) for item in items]
    print(f"{args.device}, {args.compute_type}, {args.threads} threads, best of {args.repeats} passes; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus")  # fmt: skip
    summary, meetings, missing = [], [], []
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
        meetings += [row for row in [meeting_row(run, items, audios)] if row]
    print(f"\n{'model':<8} {'set':<20} {'clips':>5} {'words':>5} {'audio s':>7} {'WER':>6} {'RTF':>6} {'load s':>6}")
    print("\n".join(summary + missing))
    if meetings:
        print(f"\nno reference text: share of reference speech covered by words, share of words "
              f"outside reference speech (+-{SLACK_S} s)")  # fmt: skip
        print(f"{'model':<8} {'set':<20} {'clips':>5} {'words':>5} {'audio s':>7} {'covered':>9} {'outside':>8} {'RTF':>6}")
        print("\n".join(meetings))
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
