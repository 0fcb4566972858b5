#!/usr/bin/env python
"""Word error rate of the configured Whisper model (default tiny.en int8, CPU).

Sets: the single-speaker clips of ``real-audio-dev`` (folders whose reference.json has text
and one speaker; AMI meeting excerpts are skipped), and the synthetic two-voice fixtures
(``*.json`` with ``turns[].text`` next to their audio, e.g. tests/fixtures/audio and
samples/). WER uses jiwer with plain normalisation: lower-case, punctuation removed.

    .venv/bin/python scripts/eval_asr.py [--real-dir DIR] [--fixtures DIR ...] [--model tiny.en]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_REAL = Path("/work/shared/data/real-audio-dev")
DEFAULT_FIXTURES = [ROOT / "tests" / "fixtures" / "audio", ROOT / "samples"]
AUDIO_EXT = (".wav", ".flac", ".mp3", ".m4a", ".ogg", ".webm")


@dataclass(frozen=True)
class Item:
    set: str
    name: str
    audio: Path
    reference: str


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
            items.append(Item("real single-speaker", ref_path.parent.name, audio[0], text))
    return items


def fixture_items(dirs: list[Path]) -> list[Item]:
    items = []
    for d in dirs:
        for truth in sorted(d.glob("*.json")):
            data = json.loads(truth.read_text())
            audio = truth.parent / str(data.get("audio", truth.with_suffix(".wav").name))
            if audio.is_file() and data.get("turns"):
                text = " ".join(t["text"] for t in sorted(data["turns"], key=lambda t: t["start"]))
                items.append(Item("synthetic fixtures", truth.stem, audio, text))
    return items


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--real-dir", type=Path, default=DEFAULT_REAL)
    ap.add_argument("--fixtures", type=Path, nargs="*", default=DEFAULT_FIXTURES)
    ap.add_argument("--model", default="tiny.en")
    ap.add_argument("--compute-type", default="int8")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--models-dir", type=Path, default=None)
    args = ap.parse_args()

    import jiwer

    from models.asr import WhisperASR
    from models.decode import decode_audio
    from service.settings import get_settings

    base = get_settings().model_config_()
    from dataclasses import replace

    config = replace(base, whisper_model=args.model, compute_type=args.compute_type, device=args.device,
                     models_dir=args.models_dir or base.models_dir)  # fmt: skip
    asr = WhisperASR(config)
    items = (real_items(args.real_dir) if args.real_dir.is_dir() else []) + fixture_items(args.fixtures)
    print(f"model {asr.resolved.name} ({config.device}, {config.compute_type}) from {asr.resolved.path}")
    print(f"{'set':<22} {'clip':<34} {'dur s':>6} {'words':>5} {'WER':>6} {'RTF':>5}")
    per_set: dict[str, list[tuple[str, str]]] = {}
    for item in items:
        audio = decode_audio(item.audio)
        t0 = time.perf_counter()
        hyp = " ".join(w.text for w in asr.transcribe(audio).words)
        rtf = (time.perf_counter() - t0) / audio.duration_s
        ref_n, hyp_n = normalise(item.reference), normalise(hyp)
        wer = jiwer.wer(ref_n, hyp_n)
        per_set.setdefault(item.set, []).append((ref_n, hyp_n))
        print(f"{item.set:<22} {item.name[:34]:<34} {audio.duration_s:>6.1f} {len(ref_n.split()):>5} "
              f"{wer:>6.3f} {rtf:>5.2f}")  # fmt: skip
    print()
    for name, pairs in per_set.items():
        refs, hyps = [r for r, _ in pairs], [h for _, h in pairs]
        print(f"pooled WER {name:<22} {jiwer.wer(refs, hyps):.3f}  ({len(pairs)} clips, "
              f"{sum(len(r.split()) for r in refs)} reference words)")  # fmt: skip


if __name__ == "__main__":
    main()
