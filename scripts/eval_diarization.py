#!/usr/bin/env python3
"""Diarization error rate and real-time factor per strategy; prints a table.

DER: pyannote.metrics DiarizationErrorRate, collar 0, overlap scored, over the whole file.
RTF: diarization wall time / audio duration (models loaded and warmed up beforehand);
CPU: process CPU seconds / audio duration (all threads; robust to a busy machine).
Data: the synthetic fixtures (tests/fixtures/audio, samples/; ground truth JSON) and
the AMI excerpts in /work/shared/data/real-audio-dev/ami_pyannote_trn* (reference.json),
the latter run with the reference speaker count and with the default (2).

    .venv/bin/python scripts/eval_diarization.py [--threads 2] [--only fixtures|ami]
    # plus a 10-minute file: scripts/make_fixtures.py --long-minutes 10 --out /tmp/long
    .venv/bin/python scripts/eval_diarization.py --extra /tmp/long/long_10min.json

Measured 2026-11-24, 2 shared CPU cores, default parameters: synthetic mono DER 0.037-0.065
(RTF ~0.02), stereo channels DER 0.031, AMI excerpts mean DER 0.351 (reference count) /
0.316 (num_speakers=2); was 0.425 / 0.369 with pyannote's powerset argmax (speech_threshold
0.5 ~ argmax), then 0.386 / 0.341 before min_active_ratio 0.1 let a speaker with ~1 s of
speech per chunk seed a cluster (trn03, one dominant speaker: 0.250 -> 0.003). Still mostly missed far-field and overlapped speech that segmentation-3.0
itself does not detect (post-processing keeps every frame its speaker count allows).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.audio_types import Audio  # noqa: E402
from models.config import ModelConfig  # noqa: E402
from models.diarization import get_diarizer  # noqa: E402
from models.diarization.base import SpeakerCount  # noqa: E402
from models.diarization.weights import diarization_weights  # noqa: E402

AMI = Path("/work/shared/data/real-audio-dev")


@dataclass(frozen=True)
class Item:
    name: str
    wav: Path | None
    reference: list[tuple[str, float, float]]
    duration_s: float
    samples: np.ndarray | None = None  # built in memory (real-voice mixes) instead of a wav

    def audio(self) -> Audio:
        if self.samples is not None:
            return Audio(samples=self.samples, sample_rate=16_000, source=self.name)
        assert self.wav is not None
        return read_wav(self.wav)


def read_wav(path: Path) -> Audio:
    from scipy.io import wavfile

    rate, data = wavfile.read(str(path))
    if data.dtype == np.int16:
        data = data.astype(np.float32) / 32768.0
    data = np.asarray(data, dtype=np.float32)
    samples = data[None, :] if data.ndim == 1 else data.T.copy()
    if rate != 16_000:
        raise SystemExit(f"{path}: expected 16 kHz, got {rate}")
    return Audio(samples=np.ascontiguousarray(samples), sample_rate=rate, source=str(path))


def fixture_items(extra: list[Path]) -> list[Item]:
    items = []
    for truth in sorted((ROOT / "tests/fixtures/audio").glob("*.json")) + sorted(
        (ROOT / "samples").glob("*.json")
    ) + extra:
        t = json.loads(truth.read_text())
        ref = [(x["speaker"], x["start"], x["end"]) for x in t["turns"]]
        items.append(Item(truth.stem, truth.with_name(t["audio"]), ref, t["duration_s"]))
    return items


def ami_items() -> list[Item]:
    items = []
    for folder in sorted(AMI.glob("ami_pyannote_trn*")):
        ref = json.loads((folder / "reference.json").read_text())
        segs = [(s["speaker"], s["start"], s["end"]) for s in ref["segments"]]
        wav = next(folder.glob("*.wav"))
        items.append(Item(folder.name.replace("ami_pyannote_", "ami_"), wav, segs, 30.0))
    return items


def real_items() -> list[Item]:
    """The real two-voice mix (mono) and its stereo versions at -15/-20/-25 dB bleed."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import make_fixtures as mf

    items = []
    for bleed in (None, -15.0, -20.0, -25.0):
        samples, truth = mf.real_conversation(bleed_db=bleed, seed=int(-(bleed or 0)))
        ref = [(t["speaker"], t["start"], t["end"]) for t in truth["turns"]]
        name = "real_mono" if bleed is None else f"real_stereo_{-bleed:g}dB"
        items.append(Item(name, None, ref, truth["duration_s"], samples))
    return items


def der(reference, hypothesis, duration_s: float) -> dict[str, float]:
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    ref, hyp = Annotation(), Annotation()
    for i, (spk, s, e) in enumerate(reference):
        ref[Segment(s, e), i] = spk
    for i, seg in enumerate(hypothesis):
        hyp[Segment(seg.start, seg.end), i] = seg.speaker
    metric = DiarizationErrorRate(collar=0.0, skip_overlap=False)
    d = metric(ref, hyp, uem=Segment(0, duration_s), detailed=True)
    total = max(d["total"], 1e-9)
    return {
        "der": d["diarization error rate"],
        "miss": d["missed detection"] / total,
        "fa": d["false alarm"] / total,
        "conf": d["confusion"] / total,
    }


def word_error(reference, hypothesis, words) -> float | None:
    """Share of words given to the wrong speaker: words are attributed to the hypothesis
    segments by analysis.attribution (what the scorecard uses), hypothesis labels mapped
    to reference speakers (pyannote's optimal mapping); a word is right when its speaker
    is a reference speaker talking at the word's midpoint. Words at no reference speech
    are left out (None when no word is left)."""
    from pyannote.core import Annotation, Segment as PSegment
    from pyannote.metrics.diarization import DiarizationErrorRate

    from analysis.attribution import build_transcript
    from analysis.types import TranscriptMeta

    ref, hyp = Annotation(), Annotation()
    for i, (spk, s, e) in enumerate(reference):
        ref[PSegment(s, e), i] = spk
    for i, seg in enumerate(hypothesis):
        hyp[PSegment(seg.start, seg.end), i] = seg.speaker
    mapping = DiarizationErrorRate().optimal_mapping(ref, hyp)
    attributed = build_transcript(words, hypothesis, (), 0.0, TranscriptMeta()).words
    judged = wrong = 0
    for w in attributed:
        mid = (w.start + w.end) / 2
        talking = {spk for spk, s, e in reference if s <= mid < e}
        if not talking:
            continue
        judged += 1
        wrong += mapping.get(w.speaker) not in talking
    return wrong / judged if judged else None


def run(item: Item, strategy: str, config: ModelConfig, num_speakers, warm: dict, words=None) -> dict:
    audio = item.audio()
    if strategy == "channels" and audio.num_channels < 2:
        return {}
    if strategy != "channels" and audio.num_channels > 1:
        audio = Audio(audio.mono()[None], audio.sample_rate, audio.source)
    if strategy not in warm:  # load models outside the timed run
        warm[strategy] = _diarizer(strategy, audio, config)
        warm[strategy](audio, SpeakerCount(num_speakers))
    t0, c0 = time.perf_counter(), time.process_time()
    segments = warm[strategy](audio, SpeakerCount(num_speakers))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    scores = der(item.reference, segments, item.duration_s)
    return {
        **scores,
        "rtf": elapsed / audio.duration_s,
        "cpu": cpu / audio.duration_s,
        "found": len({s.speaker for s in segments}),
        "wer_spk": word_error(item.reference, segments, words) if words else None,
    }


def _diarizer(strategy: str, audio: Audio, config: ModelConfig):
    """strategy -> callable(audio, SpeakerCount) -> segments; "peer" is pyannote's own
    SpeakerDiarization pipeline on the same weights (scripts/pyannote_peer.py)."""
    if strategy == "peer":
        from pyannote_peer import PyannotePeer

        return PyannotePeer(diarization_weights(config.models_dir)).diarize
    diarizer = get_diarizer(strategy, audio, config)
    return lambda a, speakers: list(diarizer.diarize(a, speakers=speakers).segments)


def asr_words(items: list[Item], config: ModelConfig) -> dict[str, list]:
    """faster-whisper (the configured default model) words per item, for word_error."""
    from models.asr import WhisperASR

    asr = WhisperASR(config)
    return {it.name: list(asr.transcribe(it.audio()).words) for it in items}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", choices=["fixtures", "ami", "real"])
    ap.add_argument("--models-dir", type=Path, default=Path.home() / ".local/share/coachscore/models")
    ap.add_argument("--pyannote-dir", type=Path, help="also evaluate this local pipeline")
    ap.add_argument("--no-peer", action="store_true", help="skip pyannote's own pipeline (slow)")
    ap.add_argument("--no-words", action="store_true", help="skip ASR and the word attribution error")
    ap.add_argument("--extra", type=Path, action="append", default=[],
                    help="another ground-truth JSON from make_fixtures.py (e.g. a 10-min file)")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    config = ModelConfig(models_dir=args.models_dir, pyannote_pipeline_dir=args.pyannote_dir)
    mono = ["default"] + ([] if args.no_peer else ["peer"]) + (["pyannote"] if args.pyannote_dir else [])
    jobs = _jobs(args)
    words = {} if args.no_words else asr_words(
        list({it.name: it for it, _, _ in jobs if not it.name.startswith(("two_voice", "dominant", "coaching", "long"))
              and "stereo" not in it.name}.values()), config)
    header = (f"{'file':<22} {'strategy':<9} {'n_spk':<6} {'found':>5} {'DER':>6} {'miss':>6} {'FA':>6} "
              f"{'conf':>6} {'wrdErr':>6} {'RTF':>6} {'CPU':>6}")
    print(header)
    print("-" * len(header))
    totals: dict[tuple[str, str, str], list] = {}
    warm: dict = {}
    for item, n, n_label in jobs:
        for strategy in (["channels"] if "stereo" in item.name else ["channels"] + mono):
            r = run(item, strategy, config, n, warm, words.get(item.name))
            if not r:
                continue
            group = item.name.split("_")[0] if item.name.startswith(("ami", "real")) else "synthetic"
            totals.setdefault((group, strategy, n_label.split("=")[0]), []).append(r)
            print(f"{item.name:<22} {strategy:<9} {n_label:<6} {r['found']:>5} {r['der']:>6.3f} "
                  f"{r['miss']:>6.3f} {r['fa']:>6.3f} {r['conf']:>6.3f} {_opt(r['wer_spk'])} "
                  f"{r['rtf']:>6.3f} {r['cpu']:>6.3f}", flush=True)
    print("-" * len(header))
    for (group, strategy, n_label), rows in totals.items():
        errs = [r["wer_spk"] for r in rows if r["wer_spk"] is not None]
        print(f"mean {group:<17} {strategy:<9} {n_label:<6} {'':>5} "
              f"{np.mean([r['der'] for r in rows]):>6.3f} {np.mean([r['miss'] for r in rows]):>6.3f} "
              f"{np.mean([r['fa'] for r in rows]):>6.3f} {np.mean([r['conf'] for r in rows]):>6.3f} "
              f"{_opt(np.mean(errs) if errs else None)} {np.mean([r['rtf'] for r in rows]):>6.3f} "
              f"max DER {max(r['der'] for r in rows):.3f}")
    return 0


def _jobs(args) -> list[tuple[Item, int | None, str]]:
    jobs: list[tuple[Item, int | None, str]] = []
    if args.only in (None, "fixtures"):
        jobs += [(it, 2, "2") for it in fixture_items(args.extra)]
    if args.only in (None, "ami"):
        for it in ami_items():
            n_ref = len({s for s, _, _ in it.reference})
            jobs += [(it, n_ref, f"ref={n_ref}"), (it, 2, "2")]
    if args.only in (None, "real"):
        jobs += [(it, 2, "2") for it in real_items()]
    return jobs


def _opt(x: float | None) -> str:
    return f"{x:>6.3f}" if x is not None else f"{'-':>6}"


if __name__ == "__main__":
    sys.exit(main())
