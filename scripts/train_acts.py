"""Train the small question / open-question layer of ``analysis.acts.model`` on AnnoMI dev.

    .venv/bin/python scripts/train_acts.py            # grouped CV table, then fit + write JSON
    .venv/bin/python scripts/train_acts.py --cv-only  # CV table only
    .venv/bin/python scripts/train_acts.py --no-spacy --limit 20   # quick look

Rows are the leader's (therapist's) sentences as the rules label them (``use_model=False``),
with ``acts.model.sentence_features``; both the punctuated text and the stripped,
lower-cased text (a weak ASR) are used. Gold is per utterance, so sentence targets are
derived: in a non-question utterance every sentence is a non-question; in a question
utterance the rule-question sentences are questions (if there is none: the last "?"
sentence, else the last sentence) and the rest are not; an open-question target is the
utterance's subtype for its question sentences. Each of the three models is trained only on
the rows it decides at inference (down: non-strong rule questions; up: non-strong
statements/reflections/information; open: questions whose open/closed may change). Evaluation mirrors
``scripts/eval_annomi.py`` (an utterance is a question if any sentence is).

Honest figures: 5-fold GroupKFold by conversation; the flip thresholds of each outer
fold are chosen by an inner 4-fold grouped CV on its training conversations only; the
feature vocabulary comes from the training conversations only. The final model is fit
on all of dev (thresholds from a grouped 5-fold out-of-fold pass) and written to
``analysis/data/acts/question_model.json``. Deterministic (liblinear, sorted inputs).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from analysis.acts import is_strong_rule, label_transcript, open_flip_allowed  # noqa: E402
from analysis.acts.model import FEATURE_VERSION, MODEL_SCHEMA, sentence_features, turn_contexts  # noqa: E402
from analysis.types import Act  # noqa: E402
from eval_annomi import DEFAULT_CSV, LEADER, build_transcript, load_conversations, weak_asr  # noqa: E402

OUT = ROOT / "analysis" / "data" / "acts" / "question_model.json"
VARIANTS = {"punctuated": lambda s: s, "stripped": weak_asr}
C_REG = 0.02  # strong L2 (0.01-0.05 gave the same CV figures)
MIN_COUNT = 5  # a feature must occur in this many training rows
Q_LOW = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
Q_HIGH = (0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 1.01)
OPEN_LOW = (0.0, 0.1, 0.2, 0.3, 0.4)  # flips need a margin: the rule's vote is a feature too
OPEN_HIGH = (0.6, 0.65, 0.7, 0.8, 0.9, 1.01)


@dataclass(frozen=True)
class Row:
    conv: str
    variant: str
    utt: int  # utterance key within the conversation
    feats: tuple[str, ...]
    act: Act
    rule: str
    strong: bool
    open_ok: bool  # acts.open_flip_allowed
    gold_q: bool  # the utterance is a question
    gold_open: bool  # the utterance is an open question
    y_q: int  # derived sentence target
    y_open: int  # -1: not an open/closed training row


# ------------------------------------------------------------------ rows
def build_rows(csv: Path, limit: int | None, use_spacy: bool) -> list[Row]:
    nlp = None
    if use_spacy:
        from models.nlp import load_nlp

        nlp = load_nlp()
    convs = load_conversations(csv, limit)
    rows: list[Row] = []
    for variant, fn in VARIANTS.items():
        for cid, utts in convs.items():
            tr = build_transcript(utts, fn)
            by_turn: dict[int, list] = defaultdict(list)
            for s in label_transcript(tr, LEADER, nlp, use_model=False):
                by_turn[s.turn_index].append(s)
            for ti, turn in enumerate(tr.turns):
                if turn.speaker != LEADER or not by_turn[ti]:
                    continue
                prev = tr.turns[ti - 1].text if ti > 0 and tr.turns[ti - 1].speaker != LEADER else None
                nxt = tr.turns[ti + 1].text if ti + 1 < len(tr.turns) and tr.turns[ti + 1].speaker != LEADER else None
                rows.extend(_turn_rows(cid, variant, ti, utts[ti].row, by_turn[ti], turn.text, prev, nxt))
    return rows


def _turn_rows(cid, variant, ti, gold, sents, turn_text, prev, nxt) -> list[Row]:
    ctxs = turn_contexts([(s.text, s.act, s.rule) for s in sents], turn_text, prev, nxt)
    gq, sub = gold["question_exists"] == "True", gold["question_subtype"]
    yq = _sentence_targets(gq, sents)
    return [
        Row(cid, variant, ti, tuple(sentence_features(c)), c.act, c.rule, is_strong_rule(c.text, c.act, c.rule),
            open_flip_allowed(c.text, c.rule, is_strong_rule(c.text, c.act, c.rule)),
            gq, sub == "open", y, (int(sub == "open") if y and sub in ("open", "closed") else -1))
        for c, y in zip(ctxs, yq)
    ]


def _sentence_targets(gold_q: bool, sents) -> list[int]:
    if not gold_q:
        return [0] * len(sents)
    ys = [int(s.act.is_question) for s in sents]
    if not any(ys):
        qm = [k for k, s in enumerate(sents) if s.text.rstrip().endswith("?")]
        ys[qm[-1] if qm else len(sents) - 1] = 1
    return ys


# ------------------------------------------------------------------ model
class Sub:
    """One logistic regression on its own rows, with its own vocabulary."""

    def __init__(self, rows: list[Row], y: list[int]):
        counts = Counter(f for r in rows for f in r.feats)
        self.vocab = {f: i for i, f in enumerate(sorted(f for f, c in counts.items() if c >= MIN_COUNT))}
        self.m = _fit(self._x(rows), np.array(y)) if len(set(y)) == 2 else None
        self.const = float(y[0]) if y and self.m is None else 0.5

    def _x(self, rows: list[Row]):
        ind, ptr = [], [0]
        for r in rows:
            ind.extend(sorted({self.vocab[f] for f in r.feats if f in self.vocab}))
            ptr.append(len(ind))
        return sparse.csr_matrix((np.ones(len(ind)), ind, ptr), shape=(len(rows), len(self.vocab)))

    def probs(self, rows: list[Row]) -> np.ndarray:
        if self.m is None:
            return np.full(len(rows), self.const)
        return self.m.predict_proba(self._x(rows))[:, 1]

    def to_json(self) -> dict:
        names = sorted(self.vocab, key=self.vocab.get)
        w = {n: round(float(v), 4) for n, v in zip(names, self.m.coef_[0]) if abs(v) >= 5e-4}
        return {"intercept": round(float(self.m.intercept_[0]), 4), "weights": w}


def is_down(r: Row) -> bool:
    return not r.strong and r.act.is_question


def is_up(r: Row) -> bool:
    return not r.strong and r.act in (Act.STATEMENT, Act.REFLECTION, Act.INFORMATION)


class Fitted:
    def __init__(self, rows: list[Row]):
        down = [r for r in rows if is_down(r)]
        up = [r for r in rows if is_up(r)]
        opn = [r for r in rows if r.y_open >= 0 and (r.open_ok or is_up(r))]  # the rows it decides
        self.down = Sub(down, [r.y_q for r in down])
        self.up = Sub(up, [r.y_q for r in up])
        self.open = Sub(opn, [r.y_open for r in opn])

    def probs(self, rows: list[Row]) -> tuple[np.ndarray, np.ndarray]:
        """P(question) from the model that decides each row (down/up; 1 otherwise), P(open)."""
        pq = np.ones(len(rows))
        for sub, pick in ((self.down, is_down), (self.up, is_up)):
            idx = [i for i, r in enumerate(rows) if pick(r)]
            if idx:
                pq[idx] = sub.probs([rows[i] for i in idx])
        return pq, self.open.probs(rows)

    def to_json(self, th: dict[str, float], meta: dict) -> dict:
        return {
            "schema": MODEL_SCHEMA,
            "feature_version": FEATURE_VERSION,
            "version": meta["version"],
            "trained_on": meta["trained_on"],
            "cv": meta["cv"],
            "thresholds": th,
            "down": self.down.to_json() if meta["question_flips"] else None,
            "up": self.up.to_json() if meta["question_flips"] else None,
            "open": self.open.to_json(),
        }


def _fit(x, y) -> LogisticRegression:
    return LogisticRegression(C=C_REG, solver="liblinear", max_iter=1000, random_state=0).fit(x, y)


# ------------------------------------------------------------------ decisions (mirror acts._model_layer)
def decide(rows: list[Row], pq, po, th: dict[str, float]) -> list[tuple[bool, bool]]:
    """Per row: (is a question, is an open question) after the layer."""
    out = []
    for r, p, o in zip(rows, pq, po):
        q, op = r.act.is_question, r.act is Act.OPEN_QUESTION
        if is_down(r) and p < th["q_low"]:
            q, op = False, False
        elif is_up(r) and p > th["q_high"]:
            q, op = True, o >= 0.5
        elif r.act in (Act.OPEN_QUESTION, Act.CLOSED_QUESTION) and r.open_ok:
            op = o > th["open_high"] if not op else o >= th["open_low"]
        out.append((q, op))
    return out


def utterance_scores(rows: list[Row], preds: list[tuple[bool, bool]]) -> dict[str, tuple]:
    utt: dict[tuple, list] = {}
    for r, (q, o) in zip(rows, preds):
        g = utt.setdefault((r.conv, r.variant, r.utt), [r.gold_q, r.gold_open, False, False])
        g[2] |= q
        g[3] |= o
    return {"question": _f1([(g[0], g[2]) for g in utt.values()]), "open": _f1([(g[1], g[3]) for g in utt.values()])}


def _f1(pairs) -> tuple[float, float, float]:
    tp = sum(g and p for g, p in pairs)
    fp = sum(p and not g for g, p in pairs)
    fn = sum(g and not p for g, p in pairs)
    pr, rc = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return pr, rc, 2 * pr * rc / max(pr + rc, 1e-9)


def choose_thresholds(rows: list[Row], pq, po) -> dict[str, float]:
    """Grid search on out-of-fold probabilities: question F1 first, then open F1."""
    best = (-1.0, {})
    for lo in Q_LOW:
        for hi in Q_HIGH:
            th = {"q_low": lo, "q_high": hi, "open_low": 0.0, "open_high": 1.01}
            best = max(best, (utterance_scores(rows, decide(rows, pq, po, th))["question"][2], th), key=lambda b: b[0])
    th = best[1]
    best = (-1.0, th)
    for lo in OPEN_LOW:
        for hi in OPEN_HIGH:
            t2 = {**th, "open_low": lo, "open_high": hi}
            best = max(best, (utterance_scores(rows, decide(rows, pq, po, t2))["open"][2], t2), key=lambda b: b[0])
    return best[1]


def oof_probs(rows: list[Row], folds: int) -> tuple[np.ndarray, np.ndarray]:
    groups = np.array([r.conv for r in rows])
    pq, po = np.zeros(len(rows)), np.zeros(len(rows))
    for tr, te in GroupKFold(n_splits=folds).split(np.zeros(len(rows)), groups=groups):
        m = Fitted([rows[i] for i in tr])
        pq[te], po[te] = m.probs([rows[i] for i in te])
    return pq, po


def nested_cv(rows: list[Row]) -> list[tuple[bool, bool]]:
    """Outer 5-fold grouped CV; thresholds from an inner 4-fold grouped CV per fold."""
    groups = np.array([r.conv for r in rows])
    preds: list[tuple[bool, bool]] = [(False, False)] * len(rows)
    for k, (tr, te) in enumerate(GroupKFold(n_splits=5).split(np.zeros(len(rows)), groups=groups)):
        train = [rows[i] for i in tr]
        th = choose_thresholds(train, *oof_probs(train, 4))
        test = [rows[i] for i in te]
        for i, p in zip(te, decide(test, *Fitted(train).probs(test), th)):
            preds[i] = p
        print(f"  fold {k}: thresholds {th}", flush=True)
    return preds


def cv_table(rows: list[Row], preds) -> dict:
    rules = [(r.act.is_question, r.act is Act.OPEN_QUESTION) for r in rows]
    table = {}
    print(f"{'variant':<11}{'metric':<10}{'rules P/R/F1':>22}{'rules+model P/R/F1':>24}")
    for v in VARIANTS:
        idx = [i for i, r in enumerate(rows) if r.variant == v]
        sub = [rows[i] for i in idx]
        a = utterance_scores(sub, [rules[i] for i in idx])
        b = utterance_scores(sub, [preds[i] for i in idx])
        for m in ("question", "open"):
            print(f"{v:<11}{m:<10}{_fmt(a[m]):>22}{_fmt(b[m]):>24}")
            table[f"{v}/{m}"] = {"rules_f1": round(a[m][2], 4), "model_f1": round(b[m][2], 4)}
    return table


def _fmt(t) -> str:
    return "/".join(f"{x:.3f}" for x in t)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--no-spacy", action="store_true")
    ap.add_argument("--cv-only", action="store_true")
    ap.add_argument("--cache", type=Path, default=None, help="pickle of the rows (reused if present)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument(
        "--question-flips", action="store_true",
        help="also ship the question/non-question flips (off: they did not raise grouped-CV F1)",
    )
    args = ap.parse_args(argv)
    global Q_LOW, Q_HIGH
    if not args.question_flips:
        Q_LOW, Q_HIGH = (0.0,), (1.01,)  # never fire: P is in (0, 1)
    t0 = time.perf_counter()
    if args.cache and args.cache.exists():
        rows = pickle.loads(args.cache.read_bytes())
    else:
        rows = build_rows(args.csv, args.limit, not args.no_spacy)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(rows))
    n_conv = len({r.conv for r in rows})
    print(f"{len(rows)} leader sentences ({n_conv} conversations) in {time.perf_counter() - t0:.0f} s")
    print("grouped 5-fold CV by conversation (nested thresholds), utterance level:")
    table = cv_table(rows, nested_cv(rows))
    if args.cv_only:
        return 0
    th = choose_thresholds(rows, *oof_probs(rows, 5))
    meta = {
        "version": f"{FEATURE_VERSION}.{len({r.conv for r in rows})}conv",
        "trained_on": "AnnoMI dev, therapist sentences, punctuated + stripped; scripts/train_acts.py",
        "cv": table,
        "question_flips": args.question_flips,
    }
    model = Fitted(rows).to_json(th, meta)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(model, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"thresholds {th}; wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
