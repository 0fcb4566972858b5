"""The glue between the rules and the trained layer (``meaning``): which rule results are
clear enough to stand, and the model's verdict on the rest, recorded in the rule."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from analysis.acts.context import SentenceContext
from analysis.acts.meaning import K_NEAREST, MeaningModel, SentenceEncoder, decide, extra_features
from analysis.acts.patterns import rx
from analysis.sentences import features
from analysis.types import Act, RuleResult

# Clear rule results the model never changes: no words or a backchannel, an explicit
# invitation to talk, and a "?" question with an unmistakable question form.
_STRONG_QUESTION_FORMS = frozenset(
    {"wh_start", "invitation", "i_wonder", "aux_inversion", "polite_invitation", "elliptic_any",
     "yes_no_form_inviting_elaboration"}
)
_FIXED_STATEMENT_RULES = frozenset({"empty", "acknowledgement", "backchannel_short_ack", "backchannel_continuer"})
# Explicit invitations to talk are open by definition (metrics.md), and clear; a question
# about a number, time or amount is closed (metrics.md: "a specific fact").
_ALWAYS_OPEN = frozenset({"invitation", "invitation_inside", "polite_invitation"})
_SPECIFIC_FACT = rx(
    r"\b(?:how (?:many|much|long|often|old|far|soon|late|early|frequently)|"
    r"what (?:time|day|date|year|month|number|age|percentage))\b"
)


def is_clear_rule(text: str, act: Act, rule: str) -> bool:
    """True when the rule's act stands whatever the trained layer thinks (see above)."""
    if act is Act.BACKCHANNEL or rule in _FIXED_STATEMENT_RULES:
        return True
    if not act.is_question or act is Act.LEADING_QUESTION:
        return False
    base = rule.removeprefix("clause_")
    if base in _ALWAYS_OPEN:
        return True
    form = next((f for f in _STRONG_QUESTION_FORMS if base == f or base.startswith(f + "_")), None)
    return form is not None and features(text).qmark


def needs_model(ctx: SentenceContext) -> bool:
    """Does the trained layer decide this leader sentence? (Open/closed of a clear question
    stayed with the rules: in grouped CV the model's flips there did not beat them.)"""
    return not is_clear_rule(ctx.text, ctx.act, ctx.rule)


def apply_meaning(
    ctxs: Sequence[SentenceContext], results: Sequence[RuleResult], encoder: SentenceEncoder, model: MeaningModel
) -> list[RuleResult]:
    """The result for each context (and its rules' result) after the trained layer; one
    encoder call for all. Clear rule results stand; the model's carry its probability,
    the nearest prototypes' act and the rules' result they replace."""
    out = list(results)
    todo = [k for k, c in enumerate(ctxs) if needs_model(c)]
    if not todo:
        return out
    emb = np.asarray(encoder([ctxs[k].text for k in todo]), dtype=np.float32)
    x = np.hstack([emb, np.stack([extra_features(ctxs[k]) for k in todo])])
    probs, near = model.probs(x), model.nearest(emb)
    for k, p, (nearest, votes) in zip(todo, probs, near):
        c = ctxs[k]
        act, prob = decide(p, c, model)
        if act is Act.OPEN_QUESTION and _SPECIFIC_FACT.search(features(c.text).norm):
            act, prob = Act.CLOSED_QUESTION, float(p[0])  # a number or amount is a specific fact (metrics.md)
        out[k] = RuleResult("model", act, None, prob, results[k], nearest, votes, K_NEAREST)
    return out


_OPEN_CLOSED = (Act.OPEN_QUESTION, Act.CLOSED_QUESTION)
