"""General linguistic features of a leader sentence for the trained layer: what its parse
says about its form (mood, modality, question form, subject), not which words it uses.

Computed from the spaCy span the rules already parsed (tags and dependencies only: the
pipeline runs without its lemmatizer and attribute ruler, so no coarse POS) and from the text; without a parse only the text
features are set. Two blocks, in ``LING_NAMES`` order:
- dense: imperative mood, a modal/"need to" governing "you", first word's class, wh-word
  first, auxiliary inversion, subject person, negation, length, ends with "?", the previous
  sentence of the turn a question;
- hashed: tag bigrams (with the lower-cased word) of the first 4 tokens, ``N_BUCKETS``
  buckets, stable across runs (crc32), 0/1.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

N_BUCKETS = 256
_FIRST = ("verb_base", "aux_or_modal", "wh", "pronoun", "adverb", "conjunction", "interjection", "noun_or_det")
DENSE_NAMES = (
    "parsed", "imperative", "modal_you", "need_you", "wh_first", "aux_inversion", "subj_you", "subj_i_we",
    "negation", "ends_qmark", "prev_sentence_question", "log_tokens",
    *(f"first={k}" for k in _FIRST),
)
LING_NAMES = (*DENSE_NAMES, *(f"bigram#{k}" for k in range(N_BUCKETS)))
_WH_TAGS = frozenset({"WDT", "WP", "WP$", "WRB"})
_SECOND = frozenset({"you", "ya", "u"})
_FIRST_PERSON = frozenset({"i", "we"})
_NEED = frozenset({"need", "have", "got", "ought"})
_FINITE = frozenset({"MD", "VBZ", "VBP", "VBD"})
_BE = frozenset({"is", "are", "was", "were", "am"})


def ling_features(span: Any, text: str, prev_sentence_question: bool) -> np.ndarray:
    """The ``LING_NAMES`` vector (float32) of one sentence; ``span`` a spaCy Span or None."""
    out = np.zeros(len(LING_NAMES), np.float32)
    dense = dict.fromkeys(DENSE_NAMES, 0.0)
    words = text.split()
    dense["ends_qmark"] = float(text.rstrip().endswith("?"))
    dense["prev_sentence_question"] = float(prev_sentence_question)
    dense["log_tokens"] = float(np.log1p(len(words)) / 4.0)
    toks = [t for t in span if not t.is_punct and not t.is_space] if span is not None else []
    if toks:
        dense.update(_parse_features(toks))
        for b in _bigram_buckets(toks[:4]):
            out[len(DENSE_NAMES) + b] = 1.0
    out[: len(DENSE_NAMES)] = [dense[n] for n in DENSE_NAMES]
    return out


def _parse_features(toks: list[Any]) -> dict[str, float]:
    first = toks[0]
    subjects = [t for t in toks if t.dep_ in ("nsubj", "nsubjpass")]
    f = {
        "parsed": 1.0,
        "imperative": float(first.tag_ == "VB" and not any(t.head.i == first.i for t in subjects)),
        "modal_you": float(any(t.tag_ == "MD" and _has_you_subject(t.head, subjects) for t in toks)),
        "need_you": float(any(t.lower_ in _NEED and _has_you_subject(t, subjects)
                              and any(c.tag_ == "VB" or c.dep_ == "xcomp" for c in t.children) for t in toks)),
        "wh_first": float(first.tag_ in _WH_TAGS),
        "aux_inversion": float(first.tag_ in _FINITE and any(t.i > first.i and t.head.i in (first.i, first.head.i)
                                                             for t in subjects[:1])),
        "subj_you": float(any(t.lower_ in _SECOND for t in subjects)),
        "subj_i_we": float(any(t.lower_ in _FIRST_PERSON for t in subjects)),
        "negation": float(any(t.dep_ == "neg" for t in toks)),
        f"first={_first_class(first)}": 1.0,
    }
    return f


def _has_you_subject(verb: Any, subjects: list[Any]) -> bool:
    return any(s.head.i == verb.i and s.lower_ in _SECOND for s in subjects)


def _first_class(tok: Any) -> str:
    if tok.tag_ in _WH_TAGS:
        return "wh"
    if tok.tag_ == "VB":
        return "verb_base"
    if tok.tag_ == "MD" or tok.dep_ in ("aux", "auxpass") or (tok.tag_ in _FINITE and tok.lower_ in _BE):
        return "aux_or_modal"
    return {"PRP": "pronoun", "RB": "adverb", "CC": "conjunction", "IN": "conjunction",
            "UH": "interjection"}.get(tok.tag_, "noun_or_det")


def _bigram_buckets(toks: list[Any]) -> set[int]:
    """Buckets of (tag, tag) and (word/tag, tag) bigrams of the first tokens, from a start mark."""
    items = ["<s>", *(t.tag_ for t in toks)]
    worded = ["<s>", *(f"{t.lower_}/{t.tag_}" for t in toks)]
    grams = [f"{a} {b}" for a, b in zip(items, items[1:])] + [f"{a} {b}" for a, b in zip(worded, items[1:])]
    return {zlib.crc32(g.encode()) % N_BUCKETS for g in grams}
