"""The words that triggered a rule: each rule name (``rules``) maps to the patterns whose
match is shown as its evidence. Rules without one (a "?" at the end, an echo of the
coachee, a default) have the whole sentence as evidence (None)."""

from __future__ import annotations

import re

from analysis.acts.patterns import (
    ADVICE_FRAME, ADVICE_MODAL, CONTINUER, CURIOUS, CURIOUS_CLOSED, ELABORATION, ELLIPTIC_ANY,
    END_CHECK, IMPERATIVE_VERBS, INFORMATION, INVERSION_START, INVITATION, LEADING_ANY,
    LEADING_START, MID_INVERSION, MID_INVITATION, MID_WH_CONTR, MID_WH_INVERSION, POLITE_OPEN,
    REFLECTION_FRAME, TAG_END, TAKEOVER, TRAILING_OR, WH, WH_CONTR, WH_FINAL, WONDER_ANY,
    YOU_DECLARATIVE, rx,
)
from analysis.sentences import TextFeatures

_ADVICE = (ADVICE_MODAL, ADVICE_FRAME)
_WH_WORD = rx(rf"^(?:{WH_CONTR}|{WH})\b")
_WORD_TAIL = rx(r"[\w']*")
_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "backchannel_continuer": (CONTINUER,),
    "invitation": (INVITATION, MID_INVITATION),
    "invitation_inside": (MID_INVITATION,),
    "i_wonder": (CURIOUS, WONDER_ANY),
    "i_wonder_speculation": (CURIOUS_CLOSED,),
    "wh_start": (_WH_WORD,),
    "wh_inside": (MID_WH_INVERSION, MID_WH_CONTR),
    "wh_final": (WH_FINAL,),
    "elliptic_any": (ELLIPTIC_ANY,),
    "aux_inversion": (INVERSION_START,),
    "aux_inversion_inside": (MID_INVERSION,),
    "check_tag": (END_CHECK,),
    "tag": (TAG_END,),
    "polite_invitation": (POLITE_OPEN,),
    "trailing_or": (TRAILING_OR,),
    "yes_no_form_inviting_elaboration": (ELABORATION,),
    "rhetorical_tag_on_advice": _ADVICE,
    "first_person_takeover": (TAKEOVER,),
    "reflection_frame": (REFLECTION_FRAME,),
    "second_person_declarative": (YOU_DECLARATIVE,),
    "modal_you_should": (ADVICE_MODAL,),
    "advice_frame": (ADVICE_FRAME,),
    "fact_marker": (INFORMATION,),
}
_SUFFIXES = ("_open", "_specific", "_fact", "_if", "_wh")


def rule_evidence(name: str, f: TextFeatures) -> str | None:
    """The matched words of ``f`` for rule ``name``, or None (the whole sentence)."""
    if name.startswith("leading_"):
        return _first_match((LEADING_START, LEADING_ANY), f)
    base = name.removeprefix("clause_")
    for suffix in _SUFFIXES:
        if base.endswith(suffix) and base[: -len(suffix)] in _PATTERNS:
            base = base[: -len(suffix)]
            break
    if base == "imperative":
        verb = next((w for w in f.core_words if w in IMPERATIVE_VERBS), None)
        return verb
    return _first_match(_PATTERNS.get(base, ()), f)


def _first_match(patterns: tuple[re.Pattern[str], ...], f: TextFeatures) -> str | None:
    for text in (f.core, f.norm, f.raw.lower().strip()):
        for pattern in patterns:
            m = pattern.search(text)
            if m is None:
                continue
            # a match may end inside a word ("what o" of "what options"): show whole words
            words = (m.group(0) + _WORD_TAIL.match(text, m.end()).group(0)).strip(" ,.?!")
            if words:
                return words
    return None
