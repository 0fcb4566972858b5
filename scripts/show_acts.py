"""Print N random leader sentences of a corpus with their predicted act, what decided it,
and the utterance's gold labels: for reading misfires by eye. Prints to the terminal
only (the corpora's text must not be saved into the repository).

    .venv/bin/python scripts/show_acts.py annomi|esconv [--n 100] [--seed 1] [--stripped] [--no-encoder]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from acts_corpora import annomi, esconv, identity, weak_asr  # noqa: E402
from train_acts import CachedEncoder, load_nlp  # noqa: E402

from analysis.acts import label_transcript  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", choices=["annomi", "esconv"])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stripped", action="store_true", help="weak-ASR text (no punctuation, lower case)")
    ap.add_argument("--no-encoder", action="store_true", help="rules alone")
    args = ap.parse_args(argv)
    convs = (annomi if args.corpus == "annomi" else esconv)(weak_asr if args.stripped else identity)
    rng = random.Random(args.seed)
    picks = sorted(rng.sample([(k, ti) for k, c in enumerate(convs) for ti in c.gold], args.n))
    nlp, enc = load_nlp(False), None if args.no_encoder else CachedEncoder()
    for k in sorted({k for k, _ in picks}):
        c = convs[k]
        sents = label_transcript(c.transcript, c.leader, nlp, encoder=enc)
        for _, ti in (p for p in picks if p[0] == k):
            gold = ",".join(h for h, v in c.gold[ti].items() if v) or "-"
            for s in (s for s in sents if s.turn_index == ti):
                print(f"[{gold:>22}] {s.act.value:<16} {s.rule.code()[:60]:<60} | {s.text}")
    if enc is not None:
        enc.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
