"""The trained layer: decides the leader sentences the rules do not decide clearly, from
what the sentence means (a sentence embedding) plus a few surface features.

Four logistic regressions over ``[embedding blocks, extra_features]`` (weights in
``analysis/data/acts/meaning_model.npz``, trained on AnnoMI dev + ESConv dev by
``scripts/train_acts.py``): P(question), P(open | question), P(advice), P(reflection).
Inference is numpy only; the embeddings come from a ``SentenceEncoder`` the caller
injects (``models.embeddings`` in the service). Every verdict keeps its probability and
the act of the nearest stored prototypes (k-means centroids of labelled sentence
embeddings, no text), so the scorecard can say why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Protocol, Sequence

import numpy as np

from analysis.acts.context import SentenceContext
from analysis.errors import ModelError, ModelMissingError
from analysis.sentences import features
from analysis.types import Act

MEANING_SCHEMA = "coachscore.acts-meaning/2"
MEANING_RESOURCE = ("analysis.data", "acts/meaning_model.npz")
HEADS = ("question", "open", "advice", "reflection")
K_NEAREST = 5
# What the encoder returns per sentence (``models.embeddings`` block names): the sentence
# embedding first (the prototypes live in it), then lower-layer views that keep the
# sentence's form. Chosen by scripts/screen_blocks.py; in the eval scripts' grouped CV
# (the advice head reading the embedding alone) ESConv question +0.010, reflection +0.039,
# AnnoMI reflection +0.021, the rest within 0.003 (figures in scripts/train_acts.py).
EMBEDDING_BLOCKS = ("final", "mean2", "mean3", "mean4", "cls6", "first2", "first4")
BLOCK_DIM = 384
# The rule's act as one-hot features (the model learns where each rule is trustworthy).
_RULE_ACTS = tuple(Act)
EXTRA_NAMES = (
    *(f"rule={a.value}" for a in _RULE_ACTS),
    "qmark", "qmark_elsewhere", "punctuated", "starts_turn", "ends_turn", "log_words", "echo", "prev_qmark",
)


class SentenceEncoder(Protocol):
    """texts -> float32 array (n, 384 x len(EMBEDDING_BLOCKS)), the blocks in that order,
    each unit length."""

    def __call__(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Verdict:
    """What the layer decided for one sentence: the act, the probability of the head that
    decided it (P(act)), and the act most of the K nearest prototypes carry (with how many)."""

    act: Act
    prob: float
    nearest: Act
    nearest_votes: int


@dataclass(frozen=True)
class MeaningModel:
    """``weights`` (4, d) and ``intercepts`` (4,) in ``HEADS`` order; ``thresholds`` the
    probability above which each head says yes; ``prototypes`` (k, dim) unit rows."""

    version: str
    weights: np.ndarray
    intercepts: np.ndarray
    thresholds: dict[str, float]
    prototypes: np.ndarray
    prototype_acts: tuple[Act, ...]

    def probs(self, x: np.ndarray) -> np.ndarray:
        """(n, d) feature rows -> (n, 4) probabilities in ``HEADS`` order."""
        if x.shape[1] != self.weights.shape[1]:
            raise ModelError(f"the acts model {self.version} reads {self.weights.shape[1]} features per sentence but "
                             f"got {x.shape[1]}: the sentence encoder must return the blocks {', '.join(EMBEDDING_BLOCKS)}")
        z = np.clip(x @ self.weights.T + self.intercepts, -60.0, 60.0)
        return 1.0 / (1.0 + np.exp(-z))

    def nearest(self, emb: np.ndarray) -> list[tuple[Act, int]]:
        """For each encoder row: the majority act of the K nearest prototypes (compared in
        the first block, the sentence embedding), and its votes."""
        sims = emb[:, : self.prototypes.shape[1]] @ self.prototypes.T
        top = np.argsort(-sims, axis=1)[:, :K_NEAREST]
        out = []
        for row in top:
            acts = [self.prototype_acts[i] for i in row]
            best = max(dict.fromkeys(acts), key=acts.count)
            out.append((best, acts.count(best)))
        return out


def extra_features(ctx: SentenceContext) -> np.ndarray:
    """The surface features beside the embedding, in ``EXTRA_NAMES`` order."""
    f = features(ctx.text)
    onehot = [float(ctx.act is a) for a in _RULE_ACTS]
    prev = ctx.prev_other or ""
    return np.array(
        onehot + [
            float(f.qmark), float("?" in ctx.turn_text and not f.qmark),
            float(any(c in ctx.turn_text for c in ".?!,")), float(ctx.position == 0),
            float(ctx.position == ctx.n_sentences - 1), np.log1p(len(f.words)) / 4.0,
            _echo(f.words, prev), float(prev.rstrip().endswith("?")),
        ],
        dtype=np.float32,
    )


def _echo(words: list[str], prev: str) -> float:
    """Share of this sentence's longer words that the other person just said."""
    mine = [w for w in words if len(w) > 3]
    if not mine or not prev:
        return 0.0
    theirs = set(features(prev).words)
    return sum(w in theirs for w in mine) / len(mine)


def decide(p: np.ndarray, ctx: SentenceContext, model: MeaningModel) -> tuple[Act, float]:
    """One act from the four probabilities ``p`` (``HEADS`` order), with P of the deciding head.
    A question that is also advice is a leading question; advice a rule called a takeover
    stays a takeover; a sentence no head claims keeps a plain rule act, else is a statement."""
    t = model.thresholds
    pq, po, pa, pr = (float(v) for v in p)
    if pq >= t["question"]:
        if pa >= t["advice"]:
            return Act.LEADING_QUESTION, pa
        return (Act.OPEN_QUESTION, po) if po >= t["open"] else (Act.CLOSED_QUESTION, 1.0 - po)
    if pa >= t["advice"]:
        return (Act.TAKEOVER if ctx.act is Act.TAKEOVER else Act.ADVICE), pa
    if pr >= t["reflection"]:
        return Act.REFLECTION, pr
    if ctx.act in (Act.STATEMENT, Act.INFORMATION):
        return ctx.act, 1.0 - max(pq, pa, pr)
    return Act.STATEMENT, 1.0 - max(pq, pa, pr)


def model_from_arrays(arrays: dict[str, np.ndarray]) -> MeaningModel:
    """Validate and build from the npz arrays; ModelMissingError on a wrong schema."""
    meta = json.loads(str(arrays["meta"]))
    if (meta.get("schema") != MEANING_SCHEMA or tuple(meta.get("extra_names", ())) != EXTRA_NAMES
            or tuple(meta.get("blocks", ())) != EMBEDDING_BLOCKS):
        raise ModelMissingError(
            f"acts meaning model has schema {meta.get('schema')!r} and other features than this code "
            f"expects ({MEANING_SCHEMA!r}): retrain with scripts/train_acts.py"
        )
    return MeaningModel(
        version=str(meta["version"]),
        weights=np.asarray(arrays["weights"], np.float32),
        intercepts=np.asarray(arrays["intercepts"], np.float32),
        thresholds={h: float(meta["thresholds"][h]) for h in HEADS},
        prototypes=np.asarray(arrays["prototypes"], np.float32),
        prototype_acts=tuple(Act(a) for a in meta["prototype_acts"]),
    )


@lru_cache(maxsize=1)
def load_meaning_model() -> MeaningModel | None:
    """The packaged model, loaded once; None when the file is absent (rules only)."""
    pkg, name = MEANING_RESOURCE
    ref = resources.files(pkg).joinpath(name)
    if not ref.is_file():
        return None
    with ref.open("rb") as fh, np.load(fh, allow_pickle=False) as z:
        return model_from_arrays({k: z[k] for k in z.files})
