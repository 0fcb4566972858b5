"""Screen (issue 9): which of MiniLM's layer views (``models.embeddings`` blocks), beside
the sentence embedding, help the acts' heads? It chose ``meaning.EMBEDDING_BLOCKS``.

    .venv/bin/python scripts/screen_blocks.py [--configs base +all] [--c-scale 1 0.5]

Row-level joint grouped 5-fold CV over both corpora (by conversation), the layer's rows of
``train_acts``; per head, corpus (an/es) and variant (p punctuated, s stripped): utterance F1
at the threshold with the best mean over corpora on the out-of-fold probabilities. That
threshold is optimistic for every config alike, so this only ranks feature sets; the eval
scripts give the real figures (the advice head's drop on AnnoMI showed only there).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import train_acts as ta  # noqa: E402
from analysis.acts.meaning import HEADS, extra_features  # noqa: E402

SCREEN_BLOCKS = ("final", "mean1", "mean2", "mean3", "mean4", "mean5", "cls6", "first2", "first4")


def evaluate(rows, x, names, c_scale: float = 1.0) -> dict[str, dict[str, float]]:
    """OOF per-corpus F1s of heads fitted on x = [blocks ``names``, extras] (C_REG x c_scale;
    ``train_acts.HEAD_BLOCKS`` applies by block name)."""
    groups = np.array([f"{r.corpus}/{r.conv}" for r in rows])
    oof = np.zeros((len(rows), len(HEADS)))
    saved, saved_blocks = dict(ta.C_REG), ta.EMBEDDING_BLOCKS
    ta.C_REG.update({h: v * c_scale for h, v in saved.items()})
    ta.EMBEDDING_BLOCKS = tuple(names)
    try:
        for tr, te in GroupKFold(n_splits=5).split(x, groups=groups):
            w, b = ta.fit_heads([rows[i] for i in tr], x[tr])
            oof[te] = ta._probs(w, b, x[te])
    finally:
        ta.C_REG.update(saved)
        ta.EMBEDDING_BLOCKS = saved_blocks
    out = {}
    for h, head in enumerate(HEADS):
        out[head] = per_corpus_f1(rows, oof[:, h], head)
    return out


def per_corpus_f1(rows, p, head) -> dict[str, float]:
    keys, gold, prob = ta.utterance_level(rows, ta.head_rows(rows, head), p, head)
    corpus = np.array([k[0] for k in keys])
    variant = np.array([k[2] for k in keys])
    pred = prob >= ta.best_threshold(gold, prob, corpus, sorted(ta.THRESHOLD_CORPORA[head] & set(corpus)))
    res = {}
    for c in sorted(set(corpus)):
        for v in ("punctuated", "stripped"):
            m = (corpus == c) & (variant == v)
            res[f"{c[:2]}-{v[0]}"] = ta._f1(gold[m], pred[m])
    return res


CONFIGS = {
    "base": ["final"],
    "+mean3": ["final", "mean3"],
    "+mean2,4": ["final", "mean2", "mean4"],
    "+first2,4": ["final", "first2", "first4"],
    "+mean3,first2": ["final", "mean3", "first2"],
    "+all": ["final", "mean2", "mean3", "mean4", "cls6", "first2", "first4"],
    "+all+turn": ["final", "mean2", "mean3", "mean4", "cls6", "first2", "first4", "turn"],
    "+all+turn3": ["final", "mean2", "mean3", "mean4", "cls6", "first2", "first4", "turn", "turn3"],
    "+every": ["final", "mean1", "mean2", "mean3", "mean4", "mean5", "cls6", "first2", "first4"],
    "+means": ["final", "mean1", "mean2", "mean3", "mean4", "mean5"],
    "+m234f24": ["final", "mean2", "mean3", "mean4", "first2", "first4"],
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int)
    ap.add_argument("--configs", nargs="*", default=list(CONFIGS))
    ap.add_argument("--c-scale", type=float, nargs="*", default=[1.0])
    ap.add_argument("--advice-blocks", nargs="*", default=None,
                    help="comma lists of the blocks the advice head reads, one screen row each (default: HEAD_BLOCKS)")
    args = ap.parse_args()
    nlp = ta.load_nlp(False)
    rows = ta.build_rows(ta.load_corpora(args.limit), nlp)
    print(f"{len(rows)} rows", flush=True)
    enc = ta.CachedEncoder(SCREEN_BLOCKS)
    emb = enc([r.ctx.text for r in rows])
    enc.save()
    extra = np.stack([extra_features(r.ctx) for r in rows])
    blocks = {n: emb[:, k * ta.BLOCK_DIM:(k + 1) * ta.BLOCK_DIM] for k, n in enumerate(SCREEN_BLOCKS)}
    if any(b.startswith("turn") for c in args.configs for b in CONFIGS[c]):  # the leader's whole turn
        tenc = ta.CachedEncoder(("final", "mean3"))
        temb = tenc([r.ctx.turn_text for r in rows])
        tenc.save()
        blocks |= {"turn": temb[:, :ta.BLOCK_DIM], "turn3": temb[:, ta.BLOCK_DIM:]}
    advice = [a.split(",") for a in args.advice_blocks] if args.advice_blocks else [ta.HEAD_BLOCKS["advice"]]
    for name in args.configs:
        x = np.hstack([blocks[b] for b in CONFIGS[name]] + [extra]).astype(np.float32)
        for cs in args.c_scale:
            for adv in advice:
                ta.HEAD_BLOCKS["advice"] = tuple(adv)
                res = evaluate(rows, x, CONFIGS[name], cs)
                cells = "  ".join(f"{h[:4]} " + " ".join(f"{k}={v:.3f}" for k, v in r.items())
                                  for h, r in res.items())
                print(f"{name:<10} C*{cs:<4} advice={'+'.join(adv):<20} {cells}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
