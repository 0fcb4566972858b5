"""Evaluate the acts (and the overall score) on AnnoMI dev, with the honest protocol of
``acts_eval.py``: rules alone, rules + trained layer in grouped 5-fold CV by conversation
(trained on the other folds + ESConv dev), and the layer trained on ESConv alone.

    .venv/bin/python scripts/eval_annomi.py [--limit N] [--no-spacy] [--no-auc]

Gold per therapist utterance: question (``question_exists``, also per annotator group:
annotators who label most "?"-declaratives questions vs the others), open question,
advice (our advice or takeover vs ``therapist_input_subtype == advice``), reflection
(``reflection_exists``). Per conversation: ROC AUC of the overall score for mi_quality
high vs low, from the CV-labelled sentences. Prints tables; writes nothing.

Data: Wu et al., "Anno-MI", ICASSP 2022; Future Internet 15(3):110, 2023.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from acts_corpora import ANNOMI_COACHEE, ANNOMI_LEADER  # noqa: E402
from acts_eval import (  # noqa: E402
    LEXICAL, PRED, Labelled, Setup, cross_corpus, grouped_cv, lexical, print_table, rules_only, scores,
)
from train_acts import load_nlp  # noqa: E402

log = logging.getLogger("eval_annomi")
QMARK_GROUP_SHARE = 0.9  # an annotator "counts ?-declaratives as questions" above this share


def annotator_groups(setup: Setup) -> dict[str, bool]:
    """annotator id -> True when they label >= 90 % of "?" therapist utterances questions."""
    seen: dict[str, list[bool]] = {}
    for c in setup.corpora["punctuated"]["annomi"]:
        for ti, g in c.gold.items():
            if "?" in c.transcript.turns[ti].text:
                seen.setdefault(c.group, []).append(bool(g["question"]))
    return {a: sum(v) / len(v) >= QMARK_GROUP_SHARE for a, v in seen.items()}


def conversation_auc(setup: Setup, labelled: Labelled, variant: str) -> str:
    from analysis.scorecard import build_scorecard
    from analysis.types import Roles

    roles = Roles(leader=ANNOMI_LEADER, coachee=ANNOMI_COACHEE, reason="AnnoMI: therapist is the leader")
    scored, labels = [], []
    for c in setup.corpora[variant]["annomi"]:
        card = build_scorecard(c.transcript, roles, labelled.by_variant[variant][c.cid])
        scored.append(float(card.score.overall))
        labels.append(c.quality == "high")
    return f"{roc_auc(scored, labels):.3f} (n={len(scored)}, high={sum(labels)})"


def roc_auc(scores_: list[float], labels: list[bool]) -> float:
    """Probability that a random positive scores above a random negative (ties = 1/2)."""
    pos = [s for s, y in zip(scores_, labels) if y]
    neg = [s for s, y in zip(scores_, labels) if not y]
    if not pos or not neg:
        return float("nan")
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, default=None, help="first N conversations of each corpus")
    ap.add_argument("--no-spacy", action="store_true", help="regex splitter/rules only")
    ap.add_argument("--no-auc", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    setup = Setup.build(load_nlp(args.no_spacy), args.limit)
    rules, cv = rules_only(setup, "annomi"), grouped_cv(setup, "annomi")
    cross = cross_corpus(setup, "esconv", "annomi")
    groups = annotator_groups(setup)

    def in_group(flag: bool):
        return lambda c: groups.get(c.group, False) is flag

    q = PRED["question"]
    lines = [
        ("question: '?' baseline", lexical(setup, "annomi", "question", LEXICAL["question"]), ""),
        ("question: rules", scores(setup, "annomi", rules, "question", q), ""),
        ("question: CV", scores(setup, "annomi", cv, "question", q), ""),
        (f"question: CV, {sum(groups.values())} annotators '?'=question", scores(setup, "annomi", cv, "question", q,
                                                                               in_group(True)), ">= 0.93"),
        (f"question: CV, {sum(not g for g in groups.values())} other annotators", scores(setup, "annomi", cv, "question",
                                                                                       q, in_group(False)), ">= 0.87"),
        ("question: trained on ESConv only", scores(setup, "annomi", cross, "question", q), "cross-corpus"),
        ("question: trained on ESConv only, '?'=question", scores(setup, "annomi", cross, "question", q,
                                                                 in_group(True)), "cross-corpus"),
        ("question: trained on ESConv only, others", scores(setup, "annomi", cross, "question", q, in_group(False)),
         "cross-corpus"),
        ("open question: rules", scores(setup, "annomi", rules, "open", PRED["open"]), ""),
        ("open question: CV", scores(setup, "annomi", cv, "open", PRED["open"]), ">= 0.80"),
        ("open question: trained on ESConv only", scores(setup, "annomi", cross, "open", PRED["open"]),
         "cross (ESConv has no open/closed: rules decide)"),
        ("advice: rules", scores(setup, "annomi", rules, "advice", PRED["advice"]), ""),
        ("advice: CV", scores(setup, "annomi", cv, "advice", PRED["advice"]), ">= 0.58"),
        ("advice: trained on ESConv only", scores(setup, "annomi", cross, "advice", PRED["advice"]), "cross-corpus"),
        ("advice: lexical suggestion pattern", lexical(setup, "annomi", "advice", LEXICAL["suggestion"]), ""),
        ("reflection: rules", scores(setup, "annomi", rules, "reflection", PRED["reflection"]), ""),
        ("reflection: CV", scores(setup, "annomi", cv, "reflection", PRED["reflection"]), ">= 0.62"),
        ("reflection: trained on ESConv only", scores(setup, "annomi", cross, "reflection", PRED["reflection"]), ""),
        ("reflection: lexical pattern", lexical(setup, "annomi", "reflection", LEXICAL["reflection"]), ""),
    ]
    n_utt = sum(len(c.gold) for c in setup.corpora["punctuated"]["annomi"])
    print_table(f"AnnoMI dev: {len(setup.corpora['punctuated']['annomi'])} conversations, {n_utt} therapist "
                f"utterances; spaCy {'off' if setup.nlp is None else 'on'}; CV = grouped 5-fold by conversation", lines)
    if not args.no_auc:
        print("\nconversation ROC AUC of the overall score, mi_quality high vs low (target >= 0.88):")
        for variant in setup.corpora:
            print(f"  {variant:<11} rules {conversation_auc(setup, rules, variant)}   "
                  f"CV {conversation_auc(setup, cv, variant)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
