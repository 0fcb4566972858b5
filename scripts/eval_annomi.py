"""Evaluate the act classifier (and, when present, the overall score) on AnnoMI dev.

Per therapist utterance (therapist = leader): question detection F1 (an utterance is a
question if any of its sentences is a question act), open-question F1, advice F1 (our
advice or takeover vs ``therapist_input_subtype == advice``), reflection F1 (vs
``reflection_exists``); each on the original text and on text with punctuation stripped
and lower-cased (a weak ASR), with the drop. Per conversation: ROC AUC of
``analysis.analyze(...).score.overall`` for mi_quality high vs low, if analyze exists.

    .venv/bin/python scripts/eval_annomi.py [--limit N] [--no-spacy] [--errors KIND] [--no-model] [--by-annotator]

The per-utterance figures include the trained open/closed layer (``analysis/acts/model.py``),
which was fit on this same dev set: they are in-sample. The honest figures for that layer
are the grouped cross-validation ones printed by ``scripts/train_acts.py``. ``--no-model``
gives the rules alone (the conversation AUC always uses ``analyze`` as shipped).

Data: Wu et al., "Anno-MI", ICASSP 2022; Future Internet 15(3):110, 2023.
"""

from __future__ import annotations

import argparse
import csv
import logging
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.acts import label_transcript  # noqa: E402
from analysis.types import Act, Sentence, Speaker, Transcript, TranscriptMeta, Turn  # noqa: E402

DEFAULT_CSV = Path("/work/shared/data/annomi-dev/annomi-dev.csv")
LEADER, COACHEE = "therapist", "client"
WORDS_PER_S = 2.5  # to estimate the last utterance's end
log = logging.getLogger("eval_annomi")


@dataclass(frozen=True)
class Utterance:
    index: int
    speaker: str
    start: float
    text: str
    row: dict[str, str]


# ------------------------------------------------------------------ data
def load_conversations(path: Path, limit: int | None) -> dict[str, list[Utterance]]:
    convs: dict[str, list[Utterance]] = defaultdict(list)
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            convs[row["transcript_id"]].append(
                Utterance(int(row["utterance_id"]), row["interlocutor"], _seconds(row["timestamp"]), row["utterance_text"], row)
            )
    ids = sorted(convs, key=int)[: limit or None]
    return {i: sorted(convs[i], key=lambda u: u.index) for i in ids}


def _seconds(ts: str) -> float:
    h, m, s = (int(x) for x in ts.split(":"))
    return float(h * 3600 + m * 60 + s)


def weak_asr(text: str) -> str:
    """Punctuation stripped, lower-cased (apostrophes kept, as most ASR does)."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s']", " ", text.lower())).strip()


def build_transcript(utts: list[Utterance], transform: Callable[[str], str]) -> Transcript:
    """One turn per utterance; ends estimated from the next start (1 s resolution)."""
    turns = []
    for k, u in enumerate(utts):
        nxt = utts[k + 1].start if k + 1 < len(utts) else None
        est = u.start + max(len(u.text.split()) / WORDS_PER_S, 0.5)
        end = max(nxt, u.start + 0.1) if nxt is not None and nxt > u.start else min(est, u.start + 1.0) if nxt is not None else est
        turns.append(Turn(speaker=u.speaker, start=u.start, end=end, text=transform(u.text), source_index=k))
    dur = max(t.end for t in turns)
    return Transcript(
        duration_s=dur,
        speakers=(Speaker(LEADER, "Therapist"), Speaker(COACHEE, "Client")),
        turns=tuple(turns),
        meta=TranscriptMeta(source="utterances"),
    )


# ------------------------------------------------------------------ scoring
GOLD: dict[str, Callable[[dict[str, str]], bool]] = {
    "question": lambda r: r["question_exists"] == "True",
    "open question": lambda r: r["question_subtype"] == "open",
    "advice": lambda r: r["therapist_input_subtype"] == "advice",
    "reflection": lambda r: r["reflection_exists"] == "True",
}
PRED: dict[str, Callable[[list[Sentence]], bool]] = {
    "question": lambda ss: any(s.act.is_question for s in ss),
    "open question": lambda ss: any(s.act is Act.OPEN_QUESTION for s in ss),
    "advice": lambda ss: any(s.act in (Act.ADVICE, Act.TAKEOVER) for s in ss),
    "reflection": lambda ss: any(s.act is Act.REFLECTION for s in ss),
}


def f1(pairs: list[tuple[bool, bool]]) -> tuple[float, float, float, int]:
    tp = sum(g and p for g, p in pairs)
    fp = sum(p and not g for g, p in pairs)
    fn = sum(g and not p for g, p in pairs)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0), tp + fn


def run_variant(
    convs, transform, nlp, errors: str | None, use_model: bool = True, by_annotator: dict | None = None
) -> tuple[dict[str, tuple], dict[str, Transcript], float]:
    """Scores per metric; ``by_annotator`` (if given) collects the same (gold, predicted)
    pairs per annotator_id, plus the "?" baseline, for ``print_annotator_table``."""
    t0 = time.perf_counter()
    pairs: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    transcripts = {}
    for cid, utts in convs.items():
        tr = build_transcript(utts, transform)
        transcripts[cid] = tr
        by_utt: dict[int, list[Sentence]] = defaultdict(list)
        for s in label_transcript(tr, LEADER, nlp, use_model=use_model):
            by_utt[s.source_index].append(s)
        for k, u in enumerate(utts):
            if u.speaker != LEADER:
                continue
            for name in GOLD:
                g, p = GOLD[name](u.row), PRED[name](by_utt[k])
                pairs[name].append((g, p))
                if by_annotator is not None:
                    by_annotator.setdefault(u.row["annotator_id"], defaultdict(list))[name].append((g, p))
                if errors == name and g != p:
                    _show_error(g, p, by_utt[k])
            if by_annotator is not None:
                by_annotator[u.row["annotator_id"]]["?"].append((GOLD["question"](u.row), "?" in transform(u.text)))
                by_annotator[u.row["annotator_id"]]["conv"].append((cid, False))
        pairs["question ('?' baseline)"].extend(
            (GOLD["question"](u.row), "?" in transform(u.text)) for u in utts if u.speaker == LEADER
        )
    return {k: f1(v) for k, v in pairs.items()}, transcripts, time.perf_counter() - t0


def _show_error(gold: bool, pred: bool, sents: list[Sentence]) -> None:
    kind = "FN" if gold else "FP"
    print(kind, " | ".join(f"[{s.act.value}:{s.rule}] {s.text}" for s in sents))


# ------------------------------------------------------------------ AUC
def conversation_auc(convs, transcripts, nlp: Any = None) -> str:
    try:
        from analysis import analyze  # type: ignore[attr-defined]
        from analysis.types import Roles
    except ImportError:
        return "n/a: analysis.analyze does not exist yet (engineer H4); rerun when it does"
    scores, labels = [], []
    for cid, tr in transcripts.items():
        roles = Roles(leader=LEADER, coachee=COACHEE, reason="AnnoMI: therapist is the leader")
        try:
            card = analyze(tr, roles, None, nlp)
        except Exception as e:  # report and keep going: one bad conversation must not hide the rest
            log.warning("analyze failed on conversation %s: %s", cid, e)
            continue
        scores.append(float(card.score.overall))
        labels.append(convs[cid][0].row["mi_quality"] == "high")
    return f"{roc_auc(scores, labels):.3f} (n={len(scores)}, high={sum(labels)})"


def roc_auc(scores: list[float], labels: list[bool]) -> float:
    """Probability that a random positive scores above a random negative (ties = 1/2)."""
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


# ------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    ap.add_argument("--limit", type=int, default=None, help="first N conversations only")
    ap.add_argument("--no-spacy", action="store_true", help="regex splitter/rules only")
    ap.add_argument("--no-auc", action="store_true")
    ap.add_argument("--no-model", action="store_true", help="rules only (skip analysis/acts/model.py)")
    ap.add_argument("--errors", choices=list(GOLD), help="print misclassified utterances")
    ap.add_argument("--errors-variant", choices=["punctuated", "stripped"], default="punctuated")
    ap.add_argument("--by-annotator", action="store_true", help="punctuated F1 per annotator_id")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    nlp = _load_nlp(args.no_spacy)
    convs = load_conversations(args.csv, args.limit)
    n_utt = sum(u.speaker == LEADER for us in convs.values() for u in us)
    results, timing, transcripts = {}, {}, {}
    by_annotator: dict = {}
    for variant, fn in (("punctuated", lambda s: s), ("stripped", weak_asr)):
        err = args.errors if args.errors_variant == variant else None
        extra = by_annotator if args.by_annotator and variant == "punctuated" else None
        results[variant], transcripts[variant], timing[variant] = run_variant(
            convs, fn, nlp, err, not args.no_model, extra
        )
    print_table(results, len(convs), n_utt, timing, "spaCy" if nlp is not None else "regex only")
    if by_annotator:
        print_annotator_table(by_annotator)
    print(f"acts: {_model_note(args.no_model)}")
    if not args.no_auc:
        print("\nconversation ROC AUC of score.overall, mi_quality high vs low:")
        for variant, trs in transcripts.items():
            print(f"  {variant:<11} {conversation_auc(convs, trs, nlp)}")
    return 0


def _model_note(disabled: bool) -> str:
    from analysis.acts.model import load_model

    model = None if disabled else load_model()
    if model is None:
        return "rules only"
    return f"rules + trained layer {model.version} (fit on this dev set: in-sample; see train_acts.py for CV)"


def _load_nlp(disabled: bool) -> Any:
    if disabled:
        return None
    from models.nlp import load_nlp

    return load_nlp()


def print_table(results, n_conv, n_utt, timing, mode) -> None:
    print(f"AnnoMI dev: {n_conv} conversations, {n_utt} therapist utterances; sentences: {mode}")
    print(f"{'metric':<26}{'P':>7}{'R':>7}{'F1':>7}{'n':>6} | {'P':>7}{'R':>7}{'F1':>7} | {'F1 drop':>8}")
    print(f"{'':<26}{'punctuated':>27} | {'stripped + lower-cased':>21} |")
    for name in results["punctuated"]:
        a, b = results["punctuated"][name], results["stripped"][name]
        print(f"{name:<26}{a[0]:>7.3f}{a[1]:>7.3f}{a[2]:>7.3f}{a[3]:>6} | {b[0]:>7.3f}{b[1]:>7.3f}{b[2]:>7.3f} | {a[2] - b[2]:>8.3f}")
    print(f"time: punctuated {timing['punctuated']:.1f} s, stripped {timing['stripped']:.1f} s")


def print_annotator_table(by_annotator: dict) -> None:
    """Per annotator: how often a therapist utterance with "?" is labelled a question, and
    our F1 next to the "?" baseline. Each conversation has one annotator, so this shows
    how much of the error is the annotator's convention rather than the text."""
    print("\nper annotator (punctuated):")
    print(f"{'annotator':<10}{'convs':>6}{'utts':>6}{'? is q':>8}{'question F1':>13}{'? F1':>7}{'open F1':>9}")
    for ann in sorted(by_annotator, key=lambda a: (len(a), a)):
        d = by_annotator[ann]
        with_q = [g for g, p in d["?"] if p]
        share = sum(with_q) / len(with_q) if with_q else float("nan")
        print(
            f"{ann:<10}{len({c for c, _ in d['conv']}):>6}{len(d['question']):>6}{share:>8.2f}"
            f"{f1(d['question'])[2]:>13.3f}{f1(d['?'])[2]:>7.3f}{f1(d['open question'])[2]:>9.3f}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
