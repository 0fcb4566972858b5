"""Shared evaluation protocol of ``eval_annomi.py`` and ``eval_esconv.py``.

Per leader utterance, an utterance has an act if any of its sentences has it. Figures:
- rules alone (no encoder), and rules + trained layer in grouped 5-fold CV by
  conversation: each fold's layer is trained (``train_acts.train``) on the other folds of
  this corpus plus all of the other corpus, and labels its held-out conversations through
  ``label_transcript`` (the shipped code path);
- cross-corpus: the layer trained on the other corpus alone;
each on punctuated text and on stripped, lower-cased text (a weak ASR).
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from sklearn.model_selection import GroupKFold
from train_acts import CachedEncoder, Row, build_rows, load_corpora, train

from acts_corpora import Conversation
from analysis.acts import label_transcript
from analysis.acts.meaning import MeaningModel
from analysis.types import Act, Sentence

Pred = Callable[[list[Sentence]], bool]
SOLUTION_ACTS = (Act.ADVICE, Act.TAKEOVER, Act.LEADING_QUESTION)
PRED: dict[str, Pred] = {
    "question": lambda ss: any(s.act.is_question for s in ss),
    "open": lambda ss: any(s.act is Act.OPEN_QUESTION for s in ss),
    "advice": lambda ss: any(s.act in (Act.ADVICE, Act.TAKEOVER) for s in ss),
    "solution": lambda ss: any(s.act in SOLUTION_ACTS for s in ss),
    "reflection": lambda ss: any(s.act is Act.REFLECTION for s in ss),
}
# Lexical baselines from the issue (a plain pattern, computed in the same run).
LEXICAL = {
    "question": re.compile(r"\?"),
    "suggestion": re.compile(r"\b(?:you could|you can|you might|you should|maybe|perhaps|try|how about|what about|"
                             r"have you (?:tried|thought|considered)|i suggest|i would|i'd)\b", re.I),
    "reflection": re.compile(r"\b(?:it sounds like|sounds like|so you|you feel|you're feeling|it seems|you seem)\b", re.I),
}


@dataclass
class Labelled:
    """Per variant: conversation id -> all its sentences as labelled."""

    by_variant: dict[str, dict[str, tuple[Sentence, ...]]]

    @classmethod
    def empty(cls) -> "Labelled":
        return cls(defaultdict(dict))

    def add(self, variant: str, conv: Conversation, sentences: tuple[Sentence, ...]) -> None:
        self.by_variant[variant][conv.cid] = sentences

def f1(pairs: list[tuple[bool, bool]]) -> tuple[float, float, float, int]:
    tp = sum(g and p for g, p in pairs)
    fp = sum(p and not g for g, p in pairs)
    fn = sum(g and not p for g, p in pairs)
    prec, rec = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return prec, rec, 2 * tp / max(2 * tp + fp + fn, 1), tp + fn


def label_all(convs: list[Conversation], variant: str, nlp: Any, out: Labelled,
              encoder: Any = None, model: MeaningModel | None = None) -> None:
    for conv in convs:
        out.add(variant, conv, label_transcript(conv.transcript, conv.leader, nlp, encoder=encoder, meaning=model))


@dataclass
class Setup:
    """Everything one evaluation run shares: corpora (both variants), rows, encoder, spaCy."""

    corpora: dict[str, dict[str, list[Conversation]]]
    rows: list[Row]
    encoder: CachedEncoder
    nlp: Any

    @classmethod
    def build(cls, nlp: Any, limit: int | None = None) -> "Setup":
        t0 = time.perf_counter()
        corpora = load_corpora(limit)
        rows = build_rows(corpora, nlp)
        print(f"rows: {len(rows)} leader sentences for the layer ({time.perf_counter() - t0:.0f} s)", flush=True)
        return cls(corpora, rows, CachedEncoder(), nlp)


def rules_only(setup: Setup, corpus: str) -> Labelled:
    out = Labelled.empty()
    for variant, by_corpus in setup.corpora.items():
        label_all(by_corpus[corpus], variant, setup.nlp, out)
    return out


def grouped_cv(setup: Setup, corpus: str, folds: int = 5) -> Labelled:
    """Each fold: train on the other folds of ``corpus`` + all of the other corpus."""
    convs = setup.corpora["punctuated"][corpus]
    ids = np.array([c.cid for c in convs])
    out = Labelled.empty()
    for k, (_, te) in enumerate(GroupKFold(n_splits=folds).split(ids, groups=ids)):
        held = set(ids[te])
        rows = [r for r in setup.rows if not (r.corpus == corpus and r.conv in held)]
        model = train(rows, setup.encoder, version=f"cv{k}")
        for variant, by_corpus in setup.corpora.items():
            label_all([c for c in by_corpus[corpus] if c.cid in held], variant, setup.nlp, out, setup.encoder, model)
        print(f"  fold {k}: {len(held)} held-out conversations, thresholds {model.thresholds}", flush=True)
    setup.encoder.save()
    return out


def cross_corpus(setup: Setup, train_corpus: str, test_corpus: str) -> Labelled:
    model = train([r for r in setup.rows if r.corpus == train_corpus], setup.encoder, version=f"only-{train_corpus}")
    out = Labelled.empty()
    for variant, by_corpus in setup.corpora.items():
        label_all(by_corpus[test_corpus], variant, setup.nlp, out, setup.encoder, model)
    setup.encoder.save()
    return out


def scores(setup: Setup, corpus: str, labelled: Labelled, gold_key: str, pred: Pred,
           keep: Callable[[Conversation], bool] = lambda c: True) -> dict[str, tuple]:
    """variant -> F1 tuple of ``pred`` against gold ``gold_key`` on the kept conversations."""
    out = {}
    for variant, by_corpus in setup.corpora.items():
        pairs = []
        for c in by_corpus[corpus]:
            if not keep(c):
                continue
            by_turn: dict[int, list[Sentence]] = defaultdict(list)
            for s in labelled.by_variant[variant][c.cid]:
                by_turn[s.turn_index].append(s)
            pairs += [(bool(c.gold[ti][gold_key]), pred(by_turn[ti])) for ti in sorted(c.gold)]
        out[variant] = f1(pairs)
    return out


def lexical(setup: Setup, corpus: str, gold_key: str, pattern: re.Pattern[str],
            keep: Callable[[Conversation], bool] = lambda c: True) -> dict[str, tuple]:
    out = {}
    for variant, by_corpus in setup.corpora.items():
        pairs = [(bool(c.gold[ti][gold_key]), bool(pattern.search(c.transcript.turns[ti].text)))
                 for c in by_corpus[corpus] if keep(c) for ti in sorted(c.gold)]
        out[variant] = f1(pairs)
    return out


def print_table(title: str, lines: list[tuple[str, dict[str, tuple], str]]) -> None:
    """lines: (label, variant -> (P, R, F1, n), target text)."""
    print(f"\n{title}")
    print(f"{'figure':<46}{'P':>6}{'R':>6}{'F1':>7}{'n':>6} |{'F1 stripped':>12}{'drop':>7} | target")
    for label, s, target in lines:
        a, b = s["punctuated"], s["stripped"]
        print(f"{label:<46}{a[0]:>6.3f}{a[1]:>6.3f}{a[2]:>7.3f}{a[3]:>6} |{b[2]:>12.3f}{a[2] - b[2]:>7.3f} | {target}")
