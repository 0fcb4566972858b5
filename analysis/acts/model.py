"""A small trained layer over the rule-based acts (see ``scripts/train_acts.py``).

Three logistic regressions over sparse binary features of a leader sentence and its turn
context (see ``ActsModel``). Weights live in
``analysis/data/acts/question_model.json`` (trained on AnnoMI dev only, grouped CV by
conversation). Pure stdlib arithmetic: a sentence has ~30 active features,
so a dict lookup per feature is all the inference there is. Loaded once, lazily;
deterministic. The rules stay the first word: ``label.label_transcript`` only asks this
layer (through ``layer``) where a rule is not strong, and records every flip in the sentence's ``rule``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Mapping

from analysis.errors import ModelMissingError
from analysis.sentences import features
from analysis.types import Act

MODEL_SCHEMA = "coachscore.acts-model/1"
FEATURE_VERSION = 1  # bump when ``sentence_features`` changes; the JSON must match
MODEL_RESOURCE = ("analysis.data", "acts/question_model.json")

_WH = frozenset("what how why when where who which whose whom what's how's why's where's who's".split())
_SUBJECTS = ("you", "i", "we", "it", "that", "they", "he", "she", "there", "this", "your", "my")
_AUX = frozenset(
    "do does did is are was were am can could would will should have has had may might "
    "don't doesn't didn't isn't aren't wasn't weren't can't couldn't wouldn't won't".split()
)
_PUNCT = re.compile(r"[.?!,]")


@dataclass(frozen=True)
class SentenceContext:
    """A leader sentence with what the layer may look at: its rule result, its place in
    the turn, and the neighbouring turns of the other person (None when absent)."""

    text: str
    act: Act
    rule: str
    position: int  # 0-based index of the sentence in its turn
    n_sentences: int
    turn_text: str
    question_before: bool  # an earlier sentence of the same turn is a rule question
    question_after: bool  # a later one is
    prev_other: str | None = None
    next_other: str | None = None


def _bucket(n: int, edges: tuple[int, ...]) -> str:
    for e in edges:
        if n <= e:
            return f"<={e}"
    return f">{edges[-1]}"


def _rule_base(rule: str) -> str:
    return rule.removeprefix("leading_").removeprefix("clause_")


def sentence_features(ctx: SentenceContext) -> list[str]:
    """Names of the active binary features (order irrelevant, no duplicates)."""
    f = features(ctx.text)
    words, core = f.words, f.core_words or f.words
    feats = {"bias", "act=" + ctx.act.value, "rule=" + ctx.rule, "rulebase=" + _rule_base(ctx.rule)}
    feats.add("punctuated" if _PUNCT.search(ctx.turn_text) else "unpunctuated")
    if f.qmark:
        feats.add("qmark")
    if "?" in ctx.turn_text and not f.qmark:
        feats.add("qmark_elsewhere")
    if f.had_so:
        feats.add("so")
    for k in (1, 2, 3):
        if len(core) >= k:
            feats.add(f"w{k}=" + "_".join(core[:k]))
    if words:
        feats.add("first=" + words[0])
        feats.add("last=" + words[-1])
    if len(words) >= 2:
        feats.add("last2=" + "_".join(words[-2:]))
    feats.add("len" + _bucket(len(words), (2, 4, 7, 12, 20, 35)))
    feats.update(_position_features(ctx))
    feats.update(_form_features(core, words))
    feats.update(_neighbour_features(ctx))
    return sorted(feats)


def _position_features(ctx: SentenceContext) -> list[str]:
    out = ["nsent" + _bucket(ctx.n_sentences, (1, 2, 4))]
    if ctx.position == ctx.n_sentences - 1:
        out.append("ends_turn")
    if ctx.position == 0:
        out.append("starts_turn")
    if ctx.question_before:
        out.append("q_before")
    if ctx.question_after:
        out.append("q_after")
    out.append("turnlen" + _bucket(len(ctx.turn_text.split()), (5, 15, 40, 80)))
    return out


def _form_features(core: list[str], words: list[str]) -> list[str]:
    out = []
    subj = next((w for w in core[:3] if w in _SUBJECTS), None)
    out.append(f"subj={subj}")
    if core and core[0] in _AUX and len(core) > 1 and core[1] in _SUBJECTS:
        out.append("inversion_start")
    if any(w in _WH for w in words):
        out.append("wh_any")
    if core and core[0] in _WH:
        out.append("wh_first")
    if words.count("you") + words.count("your") >= 2:
        out.append("you2")
    if "or" in words[-3:]:
        out.append("or_end")
    wh = next((i for i, w in enumerate(words) if w in _WH), None)
    if wh is not None:
        out.append("wh2=" + "_".join(words[wh : wh + 2]))
    out.extend("bow=" + w for w in set(words))
    return out


def _neighbour_features(ctx: SentenceContext) -> list[str]:
    out = []
    if ctx.prev_other is not None:
        prev = ctx.prev_other.strip()
        out.append("prev_q" if prev.endswith("?") else "prev_noq")
        out.append("prevlen" + _bucket(len(prev.split()), (3, 10, 30)))
    else:
        out.append("no_prev")
    if ctx.next_other is not None:
        first, n = _first_word_and_len(ctx.next_other)
        out.append("next1=" + first)
        out.append("nextlen" + _bucket(n, (1, 3, 10, 30)))
    else:
        out.append("no_next")
    return out


@lru_cache(maxsize=256)
def _first_word_and_len(text: str) -> tuple[str, int]:
    """The other person's next turn is shared by every sentence of a turn: normalise once."""
    words = features(text).words
    return (words[0] if words else ""), len(words)


# ------------------------------------------------------------------ model
@dataclass(frozen=True)
class LogReg:
    """Sparse logistic regression: unknown feature names weigh nothing."""

    weights: Mapping[str, float]
    intercept: float

    def prob(self, feats: list[str]) -> float:
        z = self.intercept + math.fsum(self.weights.get(x, 0.0) for x in feats)
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


@dataclass(frozen=True)
class ActsModel:
    """Three small models, each trained only on the rows it decides:
    ``down``: P(question) for a non-strong rule question (flip to a statement below
    ``q_low``); ``up``: P(question) for a rule statement/reflection/information (flip to
    a question above ``q_high``); ``open``: P(open) for an open/closed question (flip
    outside ``[open_low, open_high]``; a flipped-up question is open when P >= 0.5)."""

    version: str
    down: LogReg | None  # None: question/non-question flips are off (they did not help in CV)
    up: LogReg | None
    open: LogReg
    q_low: float
    q_high: float
    open_low: float
    open_high: float


def model_from_dict(data: Mapping[str, object]) -> ActsModel:
    """Validate and build; raises ModelMissingError on a wrong schema or feature version."""
    if data.get("schema") != MODEL_SCHEMA or data.get("feature_version") != FEATURE_VERSION:
        raise ModelMissingError(
            f"acts model file has schema {data.get('schema')!r} / feature_version "
            f"{data.get('feature_version')!r}; expected {MODEL_SCHEMA!r} / {FEATURE_VERSION}: "
            "retrain with scripts/train_acts.py"
        )
    t = data["thresholds"]
    assert isinstance(t, dict)
    return ActsModel(
        version=str(data["version"]),
        down=_logreg(data["down"]) if data.get("down") else None,
        up=_logreg(data["up"]) if data.get("up") else None,
        open=_logreg(data["open"]),
        q_low=float(t["q_low"]),
        q_high=float(t["q_high"]),
        open_low=float(t["open_low"]),
        open_high=float(t["open_high"]),
    )


def _logreg(d: object) -> LogReg:
    assert isinstance(d, dict)
    return LogReg(weights={str(k): float(v) for k, v in d["weights"].items()}, intercept=float(d["intercept"]))


@lru_cache(maxsize=1)
def load_model() -> ActsModel | None:
    """The packaged model, loaded once; None when the file is absent (rules only)."""
    pkg, name = MODEL_RESOURCE
    ref = resources.files(pkg).joinpath(name)
    if not ref.is_file():
        return None
    return model_from_dict(json.loads(ref.read_text(encoding="utf-8")))


def turn_contexts(
    sentences: list[tuple[str, Act, str]],
    turn_text: str,
    prev_other: str | None,
    next_other: str | None,
) -> list[SentenceContext]:
    """Contexts for the (text, act, rule) sentences of one turn, in order (the same
    function builds training rows and inference inputs)."""
    qs = [act.is_question for _, act, _ in sentences]
    return [
        SentenceContext(
            text=text,
            act=act,
            rule=rule,
            position=k,
            n_sentences=len(sentences),
            turn_text=turn_text,
            question_before=any(qs[:k]),
            question_after=any(qs[k + 1:]),
            prev_other=prev_other,
            next_other=next_other,
        )
        for k, (text, act, rule) in enumerate(sentences)
    ]
