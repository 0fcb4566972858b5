"""Coaching acts: every sentence of a transcript gets exactly one Act and the name of the
rule that decided it (see metrics.md "Acts").

Modules, in the order a sentence meets them:
``patterns`` (word classes and surface patterns), ``rules`` (the ordered rules of
``classify_sentence``), ``context`` and ``meaning`` (the trained layer over sentence
embeddings), ``layer`` (which rule results are clear; the model decides the rest),
``label`` (``label_transcript``: a whole transcript), and ``explain`` (``describe_rule``: plain-English explanations).
"""

from __future__ import annotations

from analysis.acts.explain import describe_name, describe_rule, explain_act
from analysis.acts.label import label_transcript
from analysis.acts.layer import is_clear_rule
from analysis.acts.meaning import SentenceEncoder
from analysis.acts.rules import classify_sentence
from analysis.types import RuleResult

__all__ = [
    "RuleResult", "SentenceEncoder", "classify_sentence", "describe_name", "describe_rule", "explain_act",
    "is_clear_rule", "label_transcript",
]
