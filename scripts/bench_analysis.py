"""Benchmark: analysis of a 60-minute, ~9,000-word transcript after the models (spaCy,
sentence embeddings) are loaded.

Target (issues 3 and 9): <= 2 s on this machine. Prints a table; not a test.
The synthetic transcript repeats a few lines, so the encoder's text cache would hide its
cost: every repeat embeds through a fresh, uncached encoder that also makes each text
unique (worst case: every sentence the rules leave open is new).
Usage: .venv/bin/python scripts/bench_analysis.py [--minutes 60] [--repeat 3] [--no-spacy] [--no-encoder]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.acts import label_transcript  # noqa: E402
from analysis.scorecard import build_scorecard, scorecard_to_dict  # noqa: E402
from analysis.types import Confidence, Roles, Speaker, Transcript, Turn  # noqa: E402

LEADER_LINES = [
    "What would you like to get out of our time today?", "Tell me more about that.",
    "How did the team react when you raised it?", "Did you send the proposal?",
    "So you're stuck between the two vendors.", "You should give her a template.",
    "What options do you see from here?", "I'll call Tom myself.", "Mm-hmm.",
    "What have you already tried?", "Have you thought about asking the director directly?",
    "That was a tough quarter.", "What will you do first, and by when?", "Right.",
]
COACHEE_LINES = [
    "I'm not sure what to do about the release, it keeps slipping every sprint.",
    "Honestly the team is tired and the vendor keeps missing their dates.",
    "I tried moving the review to Thursday but nobody could make it, so we lost another week.",
    "I don't know.", "We could split the release and ship the core first.",
    "What would you do?", "She keeps asking for status updates twice a day and it slows everyone down.",
    "Okay.", "I think the first step is to talk to product about the scope.",
]


def synthetic_transcript(minutes: float, seed: int = 7) -> Transcript:
    """Alternating turns at 180 words/min with 0.2-2.5 s pauses: ~9,000 words an hour."""
    rng = random.Random(seed)
    turns, t, speaker = [], 0.0, "L"
    while t < minutes * 60:
        bank = LEADER_LINES if speaker == "L" else COACHEE_LINES
        text = " ".join(rng.choice(bank) for _ in range(rng.randint(1, 3 if speaker == "L" else 4)))
        dur = len(text.split()) / 3.0  # brisk speech: ~9,000 words in an hour with pauses
        turns.append(Turn(speaker, t, t + dur, text, source_index=len(turns)))
        t += dur + rng.uniform(0.2, 2.5)
        speaker = "C" if speaker == "L" else "L"
    return Transcript(duration_s=t, speakers=(Speaker("L", "Leader"), Speaker("C", "Coachee")),
                      turns=tuple(turns))


def timed(fn):
    """(result, wall s, CPU s of this process): CPU time is robust to a busy machine."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - start, time.process_time() - cpu


class _Unique:
    """Embeds every text as a new one (a counter appended), so no cache can help."""

    last = 0

    def __init__(self, encoder) -> None:
        self.encoder = encoder

    def __call__(self, texts):
        _Unique.last = len(texts)
        return self.encoder([f"{t} {k}" for k, t in enumerate(texts)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-spacy", action="store_true")
    ap.add_argument("--no-encoder", action="store_true", help="rules alone (no trained layer)")
    args = ap.parse_args()
    transcript = synthetic_transcript(args.minutes)
    words = sum(len(t.text.split()) for t in transcript.turns)
    nlp, load_s = None, 0.0
    if not args.no_spacy:
        from models.nlp import load_nlp

        nlp, load_s, _ = timed(load_nlp)
    encoder, enc_s = None, 0.0
    if not args.no_encoder:
        from analysis.acts.meaning import EMBEDDING_BLOCKS
        from models.embeddings import SentenceEncoder

        encoder = SentenceEncoder(cache_size=0, blocks=EMBEDDING_BLOCKS)
        _, enc_s, _ = timed(encoder.load)
    roles = Roles("L", "C", "benchmark", Confidence.HIGH)
    rows: dict[str, list[tuple[float, float]]] = {
        "label (sentences + acts)": [], "metrics + rubric": [], "JSON": [], "total": []}
    for _ in range(args.repeat):
        enc = _Unique(encoder) if encoder is not None else None
        sentences, *a = timed(lambda: label_transcript(transcript, "L", nlp, encoder=enc))
        card, *b = timed(lambda: build_scorecard(transcript, roles, sentences))
        _, *c = timed(lambda: scorecard_to_dict(card))
        total = (a[0] + b[0] + c[0], a[1] + b[1] + c[1])
        for key, v in zip(rows, (a, b, c, total)):
            rows[key].append(tuple(v))
    print(f"transcript: {args.minutes:.0f} min, {len(transcript.turns)} turns, {words} words, "
          f"{len(sentences)} sentences; spaCy: {'off' if nlp is None else f'loaded in {load_s:.1f} s'}; "
          f"encoder: {'off' if encoder is None else f'loaded in {enc_s:.1f} s, {_Unique.last} sentences embedded'}")
    print(f"{'stage':28s} {'wall median s':>14s} {'wall max s':>11s} {'CPU median s':>13s}")
    for key, values in rows.items():
        wall, cpu = [v[0] for v in values], [v[1] for v in values]
        print(f"{key:28s} {statistics.median(wall):14.3f} {max(wall):11.3f} {statistics.median(cpu):13.3f}")
    total = statistics.median(v[0] for v in rows["total"])
    print(f"target <= 2.0 s (wall) after the models are loaded: {'PASS' if total <= 2.0 else 'FAIL'} "
          f"({total:.2f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
