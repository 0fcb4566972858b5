"""How often a speaker correction keeps every sentence's index: for each multi-sentence turn
of the AnnoMI dev transcripts, give its last sentence to the other speaker
(``analysis.overrides.reattribute``), label the corrected transcript again and check that
the sentence texts, in index order, are exactly the machine's. Overrides are keyed by
sentence index, so a split that differs would put a correction on the wrong sentence.

    PYTHONPATH=$PWD .venv/bin/python scripts/check_override_alignment.py [--limit N] [--no-spacy]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from acts_corpora import annomi  # noqa: E402

from analysis.acts import label_transcript  # noqa: E402
from analysis.overrides import reattribute  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=None, help="conversations to read (default: all)")
    ap.add_argument("--no-spacy", action="store_true", help="punctuation rules only")
    args = ap.parse_args()
    nlp = None
    if not args.no_spacy:
        from models.nlp import load_nlp

        nlp = load_nlp()
    tried = kept = 0
    for conv in annomi(limit=args.limit):
        t = conv.transcript
        before = label_transcript(t, conv.leader, nlp)
        other = {s.label: next(o.label for o in t.speakers if o.label != s.label) for s in t.speakers}
        by_turn: dict[int, list] = {}
        for s in before:
            by_turn.setdefault(s.turn_index, []).append(s)
        for said in by_turn.values():
            if len(said) < 2:
                continue
            last = said[-1]
            moved = reattribute(t, before, {last.index: other[last.speaker]})
            after = label_transcript(moved.transcript, conv.leader, nlp, splits=moved.splits)
            tried += 1
            kept += [s.text for s in after] == [s.text for s in before] and after[last.index].speaker != last.speaker
    print(f"speaker corrections that kept every sentence index: {kept}/{tried} "
          f"({kept / max(1, tried):.1%}), spaCy {'off' if nlp is None else 'on'}")


if __name__ == "__main__":
    main()
