#!/usr/bin/env python3
"""Diarization error rate and real-time factor per strategy; prints a table.

DER: pyannote.metrics DiarizationErrorRate, collar 0, overlap scored, over the whole file,
with missed speech / false alarm / confusion as shares of reference speech.
wrdErr: word-level speaker attribution error: faster-whisper's words (the configured
default model) attributed by analysis.attribution to the hypothesis, judged against the
reference speakers talking at each word's midpoint (see word_error).
RTF: diarization wall time / audio duration (models loaded and warmed up beforehand);
CPU: process CPU seconds / audio duration (all threads; robust to a busy machine).
Strategies: ``default`` (ours, embedded), ``peer`` (pyannote.audio's own SpeakerDiarization
pipeline on the same segmentation-3.0 + CAM++ weights, pyannote 3.1 settings, see
scripts/pyannote_peer.py), ``channels`` (stereo only).
Data: the synthetic fixtures (tests/fixtures/audio, samples/; ground truth JSON); the AMI
excerpts in /work/shared/data/real-audio-dev/ami_pyannote_trn* (reference.json), run
with the reference speaker count and with 2; real two-voice material built from the
shared single-speaker clips (make_fixtures.real_conversation: LibriVox reader + JFK,
mono, and stereo with -15/-20/-25 dB bleed, gains 0.9/0.45, shared noise floor).

    .venv/bin/python scripts/eval_diarization.py [--threads 2] [--only fixtures|ami|real]
        [--no-peer] [--no-words] [--oracle]
    # plus a 10-minute file: scripts/make_fixtures.py --long-minutes 10 --out /tmp/long
    .venv/bin/python scripts/eval_diarization.py --extra /tmp/long/long_10min.json

Measured 2026-12-01, 2 shared and heavily loaded CPU cores (wall RTF inflated; CPU column
is the robust one), default parameters:

    group      strategy  n_spk   DER   miss    FA   conf  wrdErr  RTF   max DER
    synthetic  default   2      0.045 0.008 0.036 0.001    -    0.109  0.065 (dominant_leader 0.033)
    synthetic  peer      2      0.129 0.016 0.019 0.093    -    0.434  0.407 (dominant_leader)
    synthetic  channels  2      0.031 0.001 0.030 0.000    -    0.000  0.031
    ami        default   ref    0.351 0.182 0.053 0.116  0.065  0.088  0.571
    ami        peer      ref    0.478 0.243 0.017 0.217  0.207  0.377  0.571
    ami        default   2      0.316 0.182 0.051 0.082  0.072  0.104  0.532
    ami        peer      2      0.387 0.243 0.017 0.127  0.139  0.353  0.570
    real mono  default   2      0.046 0.020 0.026 0.000  0.000  0.076
    real mono  peer      2      0.043 0.031 0.011 0.000  0.000  0.295
    real stereo channels 2      0.063-0.069 (-25/-20/-15 dB); 0.067 with no bleed (-200 dB)
                                (energy VAD; the Silero VAD below replaced it)

Channels with the Silero VAD (models/vad.py; SileroParams defaults), 2026-12-02,
``--only stereo --no-peer --no-words``:

    file                 DER   miss    FA   conf   CPU/audio-s
    two_voice_stereo    0.035 0.000 0.035 0.000   0.003   (synthetic, flite voices)
    real_stereo_15dB    0.028 0.019 0.008 0.000   0.003
    real_stereo_20dB    0.029 0.019 0.009 0.000   0.003
    real_stereo_25dB    0.031 0.020 0.011 0.000   0.003
    real_stereo_200dB   0.032 0.029 0.003 0.000   0.003
    heldout_stereo_18dB 0.030 0.014 0.016 0.000   0.003   (built after choosing the parameters)

A 30.5-minute stereo file (the -20 dB mix repeated): 6.4 CPU s (0.0035 per audio s; 18.9 s
wall on the busy 2-core machine), peak memory +190 MB over the loaded audio (Silero runs
in 320 s blocks, so this does not grow with length).

AMI stays above the 0.25 target: with oracle clustering (--oracle: each chunk's local speakers
mapped to reference speakers) the same segmentation gives 0.286 mean DER, so the rest is
speech and overlap that segmentation-3.0 misses on these far-field, 40-60 % overlapped
clips. The energy VAD's stereo residual was boundary disagreement with the silero-VAD
reference (no bleed: 0.067; crosstalk added nothing measurable); Silero per channel plus
energy ownership removes most of it. History: 0.425 / 0.369 with pyannote's
powerset argmax, 0.386 / 0.341 before min_active_ratio 0.1 (trn03 0.250 -> 0.003).
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
    """The real two-voice mix (mono) and its stereo versions at -15/-20/-25 dB bleed, and
    one with no audible bleed (-200 dB: what the VAD alone costs against the reference)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import make_fixtures as mf

    items = []
    for bleed in (None, -15.0, -20.0, -25.0, -200.0):
        samples, truth = mf.real_conversation(bleed_db=bleed, seed=int(-(bleed or 0)))
        ref = [(t["speaker"], t["start"], t["end"]) for t in truth["turns"]]
        name = "real_mono" if bleed is None else f"real_stereo_{-bleed:g}dB"
        items.append(Item(name, None, ref, truth["duration_s"], samples))
    return items + [heldout_stereo()]


HELDOUT_GAPS = (0.35, -0.5, 1.1, 0.25, 0.7, -0.2, 0.9)  # before each next piece; < 0: overlap


def heldout_stereo(bleed_db: float = -18.0, seed: int = 18) -> Item:
    """A second real stereo layout, built after the channel parameters were chosen: JFK on
    channel 0 at the *lower* gain (0.9 x 0.4), the LibriSpeech and LibriVox readers
    (quilter, 0920, 0930) on channel 1, other gaps with two overlaps, -18 dB bleed, another
    noise seed. Reference turns as in make_fixtures.real_conversation (silero regions of
    each clean clip)."""
    import make_fixtures as mf

    def pieces(clip: np.ndarray) -> list[tuple[np.ndarray, list[tuple[float, float]]]]:
        regions = mf._speech_regions(clip)
        return [(clip[int(lo * mf.SR) : int(hi * mf.SR)], [(a - lo, b - lo) for a, b in regions if lo <= a and b <= hi])
                for lo, hi in mf._cut_at_pauses(regions, min_pause_s=0.4)]

    data = mf.REAL_DATA
    a = pieces(mf._decode(next((data / mf.REAL_B).glob("*.flac"))))
    b = [p for name in ("leopard_librispeech_quilter", "pocketsphinx_librivox_0920", "pocketsphinx_librivox_0930")
         for p in pieces(mf._decode(next((data / name).glob("*.wav"))))]
    order = [("A", x) for x in a]
    for k, piece in enumerate(b):  # interleave: A, B, A, B, ...
        order.insert(min(2 * k + 1, len(order)), ("B", piece))
    t, spans = 0.5, []
    for k, (spk, (clip, regions)) in enumerate(order):
        spans.append((spk, clip, regions, t))
        t = max(t + 0.1, t + len(clip) / mf.SR + HELDOUT_GAPS[k % len(HELDOUT_GAPS)])
    total = max(start + len(clip) / mf.SR for _, clip, _, start in spans) + 0.5
    tracks = np.zeros((2, int(round(total * mf.SR))), dtype=np.float32)
    ref = []
    for spk, clip, regions, start in spans:
        i, c = int(round(start * mf.SR)), 0 if spk == "A" else 1
        tracks[c, i : i + len(clip)] += clip / max(np.abs(clip).max(), 1e-6) * (0.4 if c == 0 else 1.0)
        ref += [(spk, round(start + x, 3), round(start + y, 3)) for x, y in regions]
    samples = mf._real_mix(tracks, bleed_db, np.random.default_rng(seed))
    return Item(f"heldout_stereo_{-bleed_db:g}dB", None, ref, round(total, 3), samples)


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


def oracle_der(item: Item, config: ModelConfig) -> dict[str, float]:
    """DER of our segmentation with oracle clustering: each chunk's local speakers are
    mapped (Hungarian, on frame overlap) to reference speakers. The ceiling that better
    embeddings or clustering could reach with this segmentation."""
    import torch
    from scipy.optimize import linear_sum_assignment

    from models.diarization.embedded import EmbeddedDiarizer, _speaker_count

    diarizer = EmbeddedDiarizer(diarization_weights(config.models_dir))
    audio = item.audio()
    waveform = torch.from_numpy(np.ascontiguousarray(audio.mono(), dtype=np.float32))
    with torch.inference_mode():
        segs, frames = diarizer._segment(waveform, audio.sample_rate, audio.duration_s, lambda *a: None)
    speakers = sorted({s for s, _, _ in item.reference})
    num_chunks, num_frames, num_local = segs.data.shape
    hard = np.full((num_chunks, num_local), -2, dtype=np.int8)
    for c in range(num_chunks):
        t = segs.sliding_window[c].start + frames.start + frames.duration / 2 + np.arange(num_frames) * frames.step
        ref = np.zeros((num_frames, len(speakers)))
        for spk, a, b in item.reference:
            ref[:, speakers.index(spk)] += (t >= a) & (t < b)
        rows, cols = linear_sum_assignment(-(segs.data[c].T @ ref))
        hard[c, rows] = cols
        hard[c][segs.data[c].sum(axis=0) == 0] = -2
    segments = diarizer._reconstruct(segs, hard, _speaker_count(segs, frames), None)
    return der(item.reference, segments, item.duration_s)


def asr_words(items: list[Item], config: ModelConfig) -> dict[str, list]:
    """faster-whisper (the configured default model) words per item, for word_error."""
    from models.asr import WhisperASR

    asr = WhisperASR(config)
    return {it.name: list(asr.transcribe(it.audio()).words) for it in items}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", choices=["fixtures", "ami", "real", "stereo"],
                    help="stereo: the stereo fixture and the real stereo rows, channels only (fast)")
    ap.add_argument("--models-dir", type=Path, default=Path.home() / ".local/share/coachscore/models")
    ap.add_argument("--pyannote-dir", type=Path, help="also evaluate this local pipeline")
    ap.add_argument("--no-peer", action="store_true", help="skip pyannote's own pipeline (slow)")
    ap.add_argument("--no-words", action="store_true", help="skip ASR and the word attribution error")
    ap.add_argument("--oracle", action="store_true", help="also AMI DER with oracle clustering")
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
        for strategy in (["channels"] if "stereo" in item.name or args.only == "stereo" else ["channels"] + mono):
            r = run(item, strategy, config, n, warm, words.get(item.name))
            if not r:
                continue
            group = item.name.split("_")[0] if item.name.startswith(("ami", "real", "heldout")) else "synthetic"
            totals.setdefault((group, strategy, n_label.split("=")[0]), []).append(r)
            print(f"{item.name:<22} {strategy:<9} {n_label:<6} {r['found']:>5} {r['der']:>6.3f} "
                  f"{r['miss']:>6.3f} {r['fa']:>6.3f} {r['conf']:>6.3f} {_opt(r['wer_spk'])} "
                  f"{r['rtf']:>6.3f} {r['cpu']:>6.3f}", flush=True)
        if args.oracle and item.name.startswith("ami") and n_label.startswith("ref"):
            r = {**oracle_der(item, config), "rtf": 0.0, "wer_spk": None}
            totals.setdefault(("ami", "oracle", "ref"), []).append(r)
            print(f"{item.name:<22} {'oracle':<9} {n_label:<6} {'':>5} {r['der']:>6.3f} "
                  f"{r['miss']:>6.3f} {r['fa']:>6.3f} {r['conf']:>6.3f}", flush=True)
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
    if args.only == "stereo":
        jobs += [(it, 2, "2") for it in fixture_items(args.extra) + real_items() if it.audio().num_channels > 1]
    return jobs


def _opt(x: float | None) -> str:
    return f"{x:>6.3f}" if x is not None else f"{'-':>6}"


if __name__ == "__main__":
    sys.exit(main())
