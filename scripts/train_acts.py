"""Train the acts' trained layer (``analysis/acts/meaning.py``) on AnnoMI dev + ESConv dev.

    .venv/bin/python scripts/train_acts.py              # fit on both corpora, write the npz
    .venv/bin/python scripts/train_acts.py --limit 10   # quick look (does not overwrite)

Rows are the leader sentences the trained layer looks at (``layer.needs_model``), as the
rules label them, with the same contexts and features the layer gets at inference, for
both the punctuated text and the stripped, lower-cased text (a weak ASR). Gold is per
utterance, so sentence targets are derived: in a negative utterance every sentence is
negative; in a positive one the sentences the rules already give that act are positive
(if none, every sentence is, each weighted 1/n). Corpora train only the heads they label
(ESConv has no open/closed, see ``HEAD_CORPORA``); one label mapping for both corpora
(``acts_corpora``: question, open, advice = suggestion, reflection = restatement/reflection).
Each head's threshold maximises the mean over corpora (``THRESHOLD_CORPORA``) of utterance F1
on grouped out-of-fold probabilities.
Features: the encoder's seven blocks (``meaning.EMBEDDING_BLOCKS``: the sentence embedding
and six views of MiniLM's lower layers, which keep a sentence's form) and the extra features;
the advice head reads the sentence embedding alone (``HEAD_BLOCKS``, see below).
Prototypes: k-means centroids of each act's sentence embeddings (vectors, never text).
Deterministic (fixed seeds, sorted inputs); embeddings are cached under /tmp.
The figures are printed by ``eval_annomi.py`` and ``eval_esconv.py``, which refit this per fold.

Tried in grouped CV and not kept (each helped one corpus and hurt the other, or neither):
the advice head turning clear closed questions into leading questions (ESConv solution-giving
+0.035, AnnoMI advice -0.045); the open head overruling clear questions' open/closed (AnnoMI
open -0.009); the coachee's previous turn's embedding as context (+0.005 ESConv question,
-0.017 AnnoMI advice, and a second encoder pass); corpus-balanced sample weights (ESConv
solution +0.017, AnnoMI advice -0.017); a "?"-declarative as a reflection when the
reflection head is surer than the question head (reflection +0.011 AnnoMI, +0.021 ESConv, and
AnnoMI "other annotators" question 0.871, but '?'=question annotators 0.919, and metrics.md
says a sentence ending in "?" is a question); a block of general linguistic features from the
spaCy parse beside the embedding (imperative mood, modal/"need to" governing "you", wh-first,
auxiliary inversion, subject person, negation, length, "?", previous sentence a question, 256
hashed tag bigrams of the first 4 tokens; dense standardised x0.1, hashed x0.05, the mildest of
5 scales in a row-level grouped-CV sweep, all showing the same split; code in commit 9cb5170):
eval scripts' grouped CV ESConv question +0.005, solution-giving +0.004, reflection +0.003, but
AnnoMI advice 0.559 -> 0.504, '?'=question annotators 0.938 -> 0.928, AUC 0.871 -> 0.864, and
cross-corpus ESConv->AnnoMI advice 0.369 -> 0.333 (AnnoMI->ESConv 0.323 unchanged).

Kept (stop 15): the lower-layer blocks for the question, open and reflection heads. Screened
row-level (``screen_blocks.py``), then through the eval scripts: ESConv question 0.725 ->
0.735, reflection 0.373 -> 0.412, AnnoMI reflection 0.666 -> 0.687, the rest within 0.003.
Not kept: the advice head reading every block too (ESConv solution-giving 0.478 -> 0.524, but
AnnoMI advice 0.559 -> 0.438 and AUC 0.871 -> 0.855: the richer head learns ESConv's far
commoner, looser "suggestion"); clear yes/no questions re-judged by the advice head as
leading questions (ESConv solution-giving +0.004, AnnoMI unchanged: not worth a rule);
fine-tuning MiniLM's top layer with the heads on CPU (``exp_finetune.py``, commit e8d8aba;
row-level screen: the same gains as the blocks, AnnoMI advice -0.05, 11 min per fit);
the leader's whole turn embedded beside the sentence (row-level: ESConv reflection +0.02
punctuated, -0.01 stripped; AnnoMI question -0.01; a second encoder pass); a rule for a
hedged possibility addressed to the coachee ("maybe you could ...", not be/feel/know): rules
alone ESConv solution-giving 0.398 -> 0.420, but with the layer 0.484 -> 0.478, AnnoMI advice
0.549 -> 0.547, AUC 0.879 -> 0.876 (the layer already weighs those sentences).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from acts_corpora import VARIANTS, Conversation, annomi, esconv  # noqa: E402

from analysis.acts.context import SentenceContext  # noqa: E402
from analysis.acts.label import leader_contexts  # noqa: E402
from analysis.acts.layer import needs_model  # noqa: E402
from analysis.acts.meaning import (  # noqa: E402
    BLOCK_DIM, EMBEDDING_BLOCKS, EXTRA_NAMES, HEADS, MEANING_SCHEMA, MeaningModel, extra_features,
)
from analysis.types import Act  # noqa: E402

OUT = ROOT / "analysis" / "data" / "acts" / "meaning_model.npz"
EMB_CACHE = Path("/tmp/coachscore-acts-embeddings")  # + the blocks' names
# Both corpora train every head they label (ESConv's "Questions" strategy trains the question
# head: grouped CV, joint 5-fold by conversation, ESConv question F1 0.702 -> 0.742 and AnnoMI
# "other annotators" 0.854 -> 0.865, '?'=question annotators 0.943 -> 0.933); ESConv has no open/closed.
HEAD_CORPORA = {"question": {"annomi", "esconv"}, "open": {"annomi"}, "advice": {"annomi", "esconv"},
                "reflection": {"annomi", "esconv"}}
# The corpora whose utterance F1 sets each head's threshold. ESConv labels one strategy per
# utterance, so a question inside a suggestion counts as no question there: its F1 would
# push the question threshold up against what the head predicts (a question is present).
THRESHOLD_CORPORA = {**HEAD_CORPORA, "question": {"annomi"}}
RULE_ACTS = {  # the rule acts that count as a head's act when deriving sentence targets
    "question": {Act.OPEN_QUESTION, Act.CLOSED_QUESTION, Act.LEADING_QUESTION},
    "open": {Act.OPEN_QUESTION},
    "advice": {Act.ADVICE, Act.TAKEOVER, Act.LEADING_QUESTION},
    "reflection": {Act.REFLECTION},
}
# L2 strength per head (grouped CV on both corpora: 0.1 beat 0.03/0.5/2 for advice and open,
# and 0.05/0.2 again with the joint question head; reflection 0.5 beat 1.0 and 2.0 on ESConv
# (0.399 vs 0.386/0.385) at the same AnnoMI F1; question 0.5 beat 0.25 and 1.0)
# Halved with the seven embedding blocks (2,688 dims): the row-level grouped screen had
# C x0.5 ahead of x1 and x0.25 on ESConv and on AnnoMI open/advice.
C_REG = {"question": 0.25, "open": 0.05, "advice": 0.1, "reflection": 0.25}
# The embedding blocks each head reads (the rest of its weights stay zero); absent: all.
HEAD_BLOCKS: dict[str, tuple[str, ...]] = {"advice": ("final",)}
PROTOTYPES_PER_ACT = 24
SEED = 0


@dataclass(frozen=True)
class Row:
    """One leader sentence as the trained layer sees it, with its utterance's gold."""

    corpus: str
    conv: str
    variant: str
    utt: int
    ctx: SentenceContext
    gold: dict[str, bool | None]
    target: dict[str, tuple[int, float]]  # head -> (sentence target, weight)

    @property
    def key(self) -> tuple[str, str, str, int]:
        return self.corpus, self.conv, self.variant, self.utt


# ------------------------------------------------------------------ rows
def load_corpora(limit: int | None = None) -> dict[str, dict[str, list[Conversation]]]:
    """variant -> corpus -> conversations."""
    return {v: {"annomi": annomi(fn, limit=limit), "esconv": esconv(fn, limit=limit)} for v, fn in VARIANTS.items()}


def build_rows(corpora: dict[str, dict[str, list[Conversation]]], nlp: Any) -> list[Row]:
    rows: list[Row] = []
    for variant, by_corpus in corpora.items():
        for convs in by_corpus.values():
            for conv in convs:
                for ti, ctxs in sorted(leader_contexts(conv.transcript, conv.leader, nlp).items()):
                    if ti in conv.gold:
                        rows.extend(_turn_rows(conv, variant, ti, ctxs))
    return rows


def _turn_rows(conv: Conversation, variant: str, ti: int, ctxs: list[SentenceContext]) -> list[Row]:
    gold = conv.gold[ti]
    targets = {h: _targets(gold[h], ctxs, RULE_ACTS[h]) for h in HEADS}
    targets["open"] = _open_targets(gold, targets["question"])
    return [
        Row(conv.corpus, conv.cid, variant, ti, c, gold, {h: targets[h][k] for h in HEADS})
        for k, c in enumerate(ctxs) if needs_model(c)
    ]


def _targets(positive: bool | None, ctxs: list[SentenceContext], acts: set[Act]) -> list[tuple[int, float]]:
    if positive is None:
        return [(-1, 0.0)] * len(ctxs)
    if not positive:
        return [(0, 1.0)] * len(ctxs)
    hits = [c.act in acts for c in ctxs]
    if any(hits):
        return [(int(h), 1.0) for h in hits]
    return [(1, 1.0 / len(ctxs))] * len(ctxs)


def _open_targets(gold: dict, q_targets: list[tuple[int, float]]) -> list[tuple[int, float]]:
    if gold["open"] is None or not gold["question"]:
        return [(-1, 0.0)] * len(q_targets)
    return [(int(gold["open"]), w) if y == 1 else (-1, 0.0) for y, w in q_targets]


# ------------------------------------------------------------------ embeddings
class CachedEncoder:
    """models.embeddings.SentenceEncoder behind an on-disk cache (text hash -> vector), so
    the training and evaluation scripts embed each corpus sentence once per machine."""

    def __init__(self, blocks: Sequence[str] = EMBEDDING_BLOCKS) -> None:
        self.blocks = tuple(blocks)
        self.path = path = EMB_CACHE.with_name(f"{EMB_CACHE.name}-{'-'.join(self.blocks)}.npz")
        self.cache: dict[str, np.ndarray] = {}
        if path.exists():
            with np.load(path) as z:
                self.cache = dict(zip(z["keys"].tolist(), z["vecs"]))
        self._enc: Any = None
        self.dirty = False

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        missing = [t for t, k in dict(zip(texts, keys)).items() if k not in self.cache]
        if missing:
            if self._enc is None:
                from models.embeddings import SentenceEncoder

                self._enc = SentenceEncoder(batch_size=128, cache_size=0, blocks=self.blocks)
            for t, v in zip(missing, self._enc(missing)):
                self.cache[hashlib.sha1(t.encode()).hexdigest()] = v
            self.dirty = True
        if not texts:
            return np.zeros((0, BLOCK_DIM * len(self.blocks)), np.float32)
        return np.stack([self.cache[k] for k in keys])

    def save(self) -> None:
        if self.dirty:
            keys = sorted(self.cache)
            np.savez(self.path, keys=np.array(keys), vecs=np.stack([self.cache[k] for k in keys]))
            self.dirty = False


def design(rows: list[Row], encoder: Callable[[Sequence[str]], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(X, sentence embeddings) for rows: X = [embedding blocks, extra_features] as the layer
    builds them; the sentence embedding (first block) is what the prototypes live in."""
    emb = encoder([r.ctx.text for r in rows])
    extra = np.stack([extra_features(r.ctx) for r in rows]) if rows else np.zeros((0, len(EXTRA_NAMES)))
    return np.hstack([emb, extra]).astype(np.float32), emb[:, :BLOCK_DIM]


# ------------------------------------------------------------------ fitting
def head_rows(rows: list[Row], head: str) -> np.ndarray:
    """Indices of the rows that train ``head`` (its corpora, with a target)."""
    return np.array([i for i, r in enumerate(rows) if r.target[head][0] >= 0 and r.corpus in HEAD_CORPORA[head]],
                    dtype=int)


def fit_heads(rows: list[Row], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(weights (4, d), intercepts (4,)) of the four heads."""
    w, b = np.zeros((len(HEADS), x.shape[1]), np.float32), np.zeros(len(HEADS), np.float32)
    for h, head in enumerate(HEADS):
        idx = head_rows(rows, head)
        y = np.array([rows[i].target[head][0] for i in idx])
        sw = np.array([rows[i].target[head][1] for i in idx])
        if len(set(y)) < 2:  # no data for this head (e.g. ESConv alone has no open/closed): copy the rule
            for a in RULE_ACTS[head]:
                w[h, x.shape[1] - len(EXTRA_NAMES) + EXTRA_NAMES.index(f"rule={a.value}")] = 50.0
            b[h] = -25.0
            continue
        cols = head_columns(head, x.shape[1])
        m = LogisticRegression(C=C_REG[head], max_iter=2000, random_state=SEED).fit(x[np.ix_(idx, cols)], y,
                                                                                     sample_weight=sw)
        w[h, cols], b[h] = m.coef_[0], m.intercept_[0]
    return w, b


def head_columns(head: str, width: int) -> np.ndarray:
    """The columns of X that ``head`` reads: its embedding blocks (``HEAD_BLOCKS``) and every extra feature."""
    blocks = HEAD_BLOCKS.get(head, EMBEDDING_BLOCKS)
    emb = [k * BLOCK_DIM + j for k, b in enumerate(EMBEDDING_BLOCKS) if b in blocks for j in range(BLOCK_DIM)]
    return np.array(emb + list(range(BLOCK_DIM * len(EMBEDDING_BLOCKS), width)), dtype=int)


def _probs(w: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x @ w.T + b, -60, 60)))


def choose_thresholds(rows: list[Row], x: np.ndarray, folds: int = 4) -> dict[str, float]:
    """Per head: the threshold with the best utterance F1 on grouped out-of-fold probabilities."""
    groups = np.array([f"{r.corpus}/{r.conv}" for r in rows])
    oof = np.zeros((len(rows), len(HEADS)))
    for tr, te in GroupKFold(n_splits=folds).split(x, groups=groups):
        w, b = fit_heads([rows[i] for i in tr], x[tr])
        oof[te] = _probs(w, b, x[te])
    return {head: _best_threshold(rows, oof[:, h], head) for h, head in enumerate(HEADS)}


def _best_threshold(rows: list[Row], p: np.ndarray, head: str) -> float:
    """The threshold with the best mean of the per-corpus utterance F1s over the head's
    ``THRESHOLD_CORPORA`` (each corpus weighs the same, however many utterances it has: the
    layer must work in both domains)."""
    idx = [i for i in head_rows(rows, head) if rows[i].corpus in THRESHOLD_CORPORA[head]]
    if len({rows[i].target[head][0] for i in idx}) < 2:
        return 0.5
    keys, gold, prob = utterance_level(rows, idx, p, head)
    corpus = np.array([k[0] for k in keys])
    return best_threshold(gold, prob, corpus, sorted(set(corpus)))


def utterance_level(rows: list[Row], idx: Sequence[int], p: np.ndarray,
                    head: str) -> tuple[list[tuple], np.ndarray, np.ndarray]:
    """(utterance keys, gold, probability) of the rows ``idx``: an utterance is positive when
    any of its sentences is, so its probability is its sentences' highest."""
    utt_p: dict[tuple, float] = {}
    utt_g: dict[tuple, bool] = {}
    for i in idx:
        r = rows[i]
        utt_g.setdefault(r.key, bool(r.gold[head] if head != "open" else r.target["open"][0]))
        utt_p[r.key] = max(utt_p.get(r.key, 0.0), float(p[i]))
    keys = list(utt_p)
    return keys, np.array([utt_g[k] for k in keys]), np.array([utt_p[k] for k in keys])


def best_threshold(gold: np.ndarray, prob: np.ndarray, corpus: np.ndarray, corpora: Sequence[str]) -> float:
    """The threshold in 0.1..0.9 (steps of 0.025) with the best mean over ``corpora`` of the
    utterance F1 within each corpus (``corpus`` names each utterance's)."""
    best = (-1.0, 0.5)
    for t in np.arange(0.1, 0.91, 0.025):
        pred = prob >= t
        mean = float(np.mean([_f1(gold[corpus == c], pred[corpus == c]) for c in corpora]))
        best = max(best, (mean, float(round(t, 3))))
    return best[1]


def _f1(gold: np.ndarray, pred: np.ndarray) -> float:
    tp, fp, fn = int(np.sum(gold & pred)), int(np.sum(pred & ~gold)), int(np.sum(gold & ~pred))
    return 2 * tp / max(2 * tp + fp + fn, 1)


def prototypes(rows: list[Row], emb: np.ndarray) -> tuple[np.ndarray, list[Act]]:
    """k-means centroids (unit length) of the sentence embeddings of each act."""
    acts = [_row_act(r) for r in rows]
    cents, labels = [], []
    for act in sorted({a for a in acts if a is not None}, key=lambda a: a.value):
        e = emb[[i for i, a in enumerate(acts) if a is act]]
        k = min(PROTOTYPES_PER_ACT, len(e))
        c = KMeans(n_clusters=k, n_init=3, random_state=SEED).fit(e).cluster_centers_
        cents.append(c / np.linalg.norm(c, axis=1, keepdims=True))
        labels += [act] * k
    return np.vstack(cents).astype(np.float32), labels


def _row_act(r: Row) -> Act | None:
    t = {h: r.target[h] for h in HEADS}
    if any(w < 1.0 and y == 1 for y, w in t.values()):
        return None  # the positive sentence of its utterance is unknown
    if t["question"][0] == 1:
        return Act.OPEN_QUESTION if t["open"][0] == 1 else Act.CLOSED_QUESTION if t["open"][0] == 0 else None
    if t["advice"][0] == 1:
        return Act.ADVICE
    if t["reflection"][0] == 1:
        return Act.REFLECTION
    return Act.STATEMENT


def train(rows: list[Row], encoder: Callable[[Sequence[str]], np.ndarray], version: str = "dev") -> MeaningModel:
    """Fit heads, thresholds and prototypes on ``rows``: the model the layer ships."""
    x, emb = design(rows, encoder)
    w, b = fit_heads(rows, x)
    protos, acts = prototypes(rows, emb)
    return MeaningModel(version, w, b, choose_thresholds(rows, x), protos, tuple(acts))


def save(model: MeaningModel, path: Path, trained_on: str) -> None:
    meta = {"schema": MEANING_SCHEMA, "version": model.version, "extra_names": list(EXTRA_NAMES),
            "blocks": list(EMBEDDING_BLOCKS),
            "thresholds": model.thresholds, "prototype_acts": [a.value for a in model.prototype_acts],
            "trained_on": trained_on}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, meta=np.array(json.dumps(meta, sort_keys=True)), weights=model.weights.astype(np.float32),
                        intercepts=model.intercepts.astype(np.float32), prototypes=model.prototypes.astype(np.float16))


def load_nlp(disabled: bool) -> Any:
    if disabled:
        return None
    from models.nlp import load_nlp as _load

    return _load()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, default=None, help="first N conversations of each corpus (no write)")
    ap.add_argument("--no-spacy", action="store_true")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    enc = CachedEncoder()
    rows = build_rows(load_corpora(args.limit), load_nlp(args.no_spacy))
    n_conv = len({(r.corpus, r.conv) for r in rows})
    print(f"{len(rows)} leader sentence rows from {n_conv} conversations (both variants)")
    model = train(rows, enc, version=f"{MEANING_SCHEMA.rsplit('/', 1)[1]}.{n_conv}conv")
    enc.save()
    print(f"thresholds {model.thresholds}; {len(model.prototype_acts)} prototypes")
    if args.limit is None:
        save(model, args.out, "AnnoMI dev + ESConv dev leader sentences, punctuated + stripped; scripts/train_acts.py")
        print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
