"""The glue between the rules and the trained layer (``model``): which rule results the
model may change, and the flip itself, recorded in the sentence's rule."""

from __future__ import annotations

from typing import Any

from analysis.acts.model import ActsModel, SentenceContext, sentence_features
from analysis.acts.patterns import rx
from analysis.acts.rules import leader_statement
from analysis.sentences import features
from analysis.types import Act


# ------------------------------------------------------------------ trained layer
# Rules the model never overrides: a "?" question with an unmistakable form, and the
# acts that carry more than question-ness (advice, takeover, leading questions, backchannels).
_STRONG_QUESTION_FORMS = frozenset(
    {"wh_start", "invitation", "i_wonder", "aux_inversion", "polite_invitation", "elliptic_any",
     "yes_no_form_inviting_elaboration"}
)
_FLIPPABLE_STATEMENTS = frozenset({Act.STATEMENT, Act.REFLECTION, Act.INFORMATION})
_FIXED_STATEMENT_RULES = frozenset({"empty", "acknowledgement", "backchannel_short_ack", "backchannel_continuer"})


def is_strong_rule(text: str, act: Act, rule: str) -> bool:
    """True when the trained layer may not change this rule result (see above)."""
    if act in (Act.LEADING_QUESTION, Act.ADVICE, Act.TAKEOVER, Act.BACKCHANNEL):
        return True
    if rule in _FIXED_STATEMENT_RULES:
        return True
    if not act.is_question:
        return False
    base = rule.removeprefix("clause_")
    if base in _ALWAYS_OPEN:  # "Tell me more", "Could you describe...": a question by form alone
        return True
    form = next((f for f in _STRONG_QUESTION_FORMS if base == f or base.startswith(f + "_")), None)
    return form is not None and features(text).qmark


def model_layer(ctx: SentenceContext, span: Any, model: ActsModel) -> tuple[Act, str]:
    """The rule result, or the model's flip when it is confident and the rule allows it."""
    act, rule = ctx.act, ctx.rule
    strong = is_strong_rule(ctx.text, act, rule)
    may_open = act in _OPEN_CLOSED and open_flip_allowed(ctx.text, rule, strong)
    may_flip = not strong and (
        act.is_question and model.down is not None or act in _FLIPPABLE_STATEMENTS and model.up is not None
    )
    if not (may_open or may_flip):
        return act, rule
    feats = sentence_features(ctx)
    if not strong and act.is_question and model.down is not None:
        p = model.down.prob(feats)
        if p < model.q_low:
            new_act, new_rule = leader_statement(features(ctx.text), span, ctx.prev_other)
            return new_act, f"model:not_question p={p:.2f} (was {rule}) {new_rule}"
    if not strong and act in _FLIPPABLE_STATEMENTS and model.up is not None:
        p = model.up.prob(feats)
        if p > model.q_high:
            po = model.open.prob(feats)
            new_act = Act.OPEN_QUESTION if po >= 0.5 else Act.CLOSED_QUESTION
            return new_act, f"model:question p={p:.2f} open p={po:.2f} (was {rule})"
    if may_open:
        po = model.open.prob(feats)
        if act is Act.CLOSED_QUESTION and po > model.open_high:
            return Act.OPEN_QUESTION, f"model:open p={po:.2f} (was {rule})"
        if act is Act.OPEN_QUESTION and po < model.open_low:
            return Act.CLOSED_QUESTION, f"model:closed p={po:.2f} (was {rule})"
    return act, rule


_OPEN_CLOSED = (Act.OPEN_QUESTION, Act.CLOSED_QUESTION)
# Explicit invitations to talk are open by definition (metrics.md): never made closed;
# a yes/no inversion with "?" ("Did you...?", "Have you thought about X?") stays closed;
# so does a question about a number, time or amount (metrics.md: "a specific fact").
_ALWAYS_OPEN = frozenset({"invitation", "invitation_inside", "polite_invitation"})


# A number, time or amount ("How many...?", "What time...?") is a specific fact: closed.
_SPECIFIC_FACT = rx(
    r"\b(?:how (?:many|much|long|often|old|far|soon|late|early|frequently)|"
    r"what (?:time|day|date|year|month|number|age|percentage))\b"
)


def open_flip_allowed(text: str, rule: str, strong: bool) -> bool:
    """May the trained layer change open/closed for this question (spec forms stay put)?"""
    base = rule.removeprefix("clause_")
    if base in _ALWAYS_OPEN or (strong and base == "aux_inversion"):
        return False
    return not _SPECIFIC_FACT.search(features(text).norm)
