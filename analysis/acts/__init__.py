"""Coaching acts: every sentence of a transcript gets exactly one Act and the name of the
rule that decided it (see metrics.md "Acts").

Modules, in the order a sentence meets them:
``patterns`` (word classes and surface patterns), ``rules`` (the ordered rules of
``classify_sentence``), ``model`` (the small trained layer) and ``layer`` (when it may
change a rule result), ``label`` (``label_transcript``: a whole transcript), and
``explain`` (``describe_rule``: plain-English explanations).
"""

from __future__ import annotations

from analysis.acts.explain import describe_rule
from analysis.acts.label import label_transcript
from analysis.acts.layer import is_strong_rule, open_flip_allowed
from analysis.acts.rules import classify_sentence

__all__ = ["classify_sentence", "describe_rule", "is_strong_rule", "label_transcript", "open_flip_allowed"]
