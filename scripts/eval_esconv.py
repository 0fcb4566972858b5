"""Evaluate the acts on ESConv dev (a second corpus, other annotators' conventions), with
the protocol of ``acts_eval.py``: rules alone, rules + trained layer in grouped 5-fold CV
by conversation (trained on the other folds + AnnoMI dev), and the layer trained on
AnnoMI alone (cross-corpus), each beside a lexical baseline from the same run.

    .venv/bin/python scripts/eval_esconv.py [--limit N] [--no-spacy]

Gold per supporter utterance (one strategy each): question = "Questions"; solution-giving
(our advice, takeover or leading question) = "Providing Suggestions"; reflection = the two
restatement/reflection strategies. Prints tables; writes nothing.

Data: Liu et al., "Towards Emotional Support Dialog Systems", ACL 2021.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from acts_eval import (  # noqa: E402
    LEXICAL, PRED, Setup, cross_corpus, grouped_cv, lexical, print_table, rules_only, scores,
)
from train_acts import load_nlp  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, default=None, help="first N conversations of each corpus")
    ap.add_argument("--no-spacy", action="store_true", help="regex splitter/rules only")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    setup = Setup.build(load_nlp(args.no_spacy), args.limit)
    rules, cv = rules_only(setup, "esconv"), grouped_cv(setup, "esconv")
    cross = cross_corpus(setup, "annomi", "esconv")
    q, sol, refl = PRED["question"], PRED["solution"], PRED["reflection"]
    lines = [
        ("question: lexical 'contains ?'", lexical(setup, "esconv", "question", LEXICAL["question"]), ""),
        ("question: rules", scores(setup, "esconv", rules, "question", q), ""),
        ("question: CV", scores(setup, "esconv", cv, "question", q), "above 'contains ?'"),
        ("question: trained on AnnoMI only", scores(setup, "esconv", cross, "question", q), "cross-corpus"),
        ("solution-giving: lexical suggestion pattern", lexical(setup, "esconv", "advice", LEXICAL["suggestion"]), ""),
        ("solution-giving: rules", scores(setup, "esconv", rules, "advice", sol), ""),
        ("solution-giving: CV", scores(setup, "esconv", cv, "advice", sol), ">= 0.55"),
        ("solution-giving: trained on AnnoMI only", scores(setup, "esconv", cross, "advice", sol), "cross-corpus"),
        ("advice (advice/takeover): trained on AnnoMI only", scores(setup, "esconv", cross, "advice", PRED["advice"]),
         "cross-corpus"),
        ("reflection: lexical pattern", lexical(setup, "esconv", "reflection", LEXICAL["reflection"]), ""),
        ("reflection: rules", scores(setup, "esconv", rules, "reflection", refl), ""),
        ("reflection: CV", scores(setup, "esconv", cv, "reflection", refl), ">= 0.45"),
        ("reflection: trained on AnnoMI only", scores(setup, "esconv", cross, "reflection", refl), "cross-corpus"),
    ]
    n_utt = sum(len(c.gold) for c in setup.corpora["punctuated"]["esconv"])
    print_table(f"ESConv dev: {len(setup.corpora['punctuated']['esconv'])} dialogues, {n_utt} supporter utterances; "
                f"spaCy {'off' if setup.nlp is None else 'on'}; CV = grouped 5-fold by conversation", lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
