"""Plain-English explanations of the rule names (and trained-layer flips) of ``rules``."""

from __future__ import annotations

import re


# ------------------------------------------------------------------ rule descriptions
_RULE_TEXT = {
    "empty": "no words",
    "backchannel_short_ack": "a short acknowledgement alone in its turn while the other person talks",
    "backchannel_continuer": "a rising 'yeah?'/'really?' alone in its turn, inviting the other to go on",
    "acknowledgement": "a short acknowledgement inside a longer turn",
    "invitation": "an invitation to elaborate ('tell me', 'walk me through')",
    "invitation_inside": "an invitation to elaborate after a preface",
    "i_wonder": "'I wonder/I'm curious' followed by a question",
    "i_wonder_speculation": "'I wonder if...' said as a speculation, without a question mark",
    "wh_start": "starts with a wh-word",
    "wh_inside": "a wh-word with auxiliary inversion after a preface",
    "wh_final": "a wh-word at the end of a '?' sentence ('...would be what?')",
    "elliptic_any": "an elliptical 'anything else?'/'any questions?'",
    "aux_inversion": "starts with an auxiliary before its subject ('did you', 'is that')",
    "aux_inversion_inside": "auxiliary inversion after a preface in unpunctuated text",
    "check_tag": "ends in a check question ('is that right', 'what do you think')",
    "tag": "a statement with a tag ('..., right?')",
    "qmark_declarative": "a declarative sentence ending in '?'",
    "declarative_check_mid_turn": "a rising declarative the leader talks straight past (a check)",
    "voiced_thought": "a question in quotation marks: the leader voices the coachee's own thought",
    "polite_invitation": "'could you tell/describe...'",
    "trailing_or": "ends in an open 'or?'",
    "yes_no_form_inviting_elaboration": "a yes/no form asking for content ('any thoughts about...?')",
    "rhetorical_tag_on_advice": "advice followed by a rhetorical tag",
    "first_person_takeover": "the leader takes the task ('I'll call Tom', 'leave it with me')",
    "reflection_frame": "a reflective frame ('it sounds like', 'you feel')",
    "second_person_declarative": "a declarative about the coachee ('you're...', 'your...')",
    "so_summary": "a 'So ...' summary of what the coachee said",
    "echoes_coachee": "repeats the coachee's own words",
    "modal_you_should": "'you should/need to/might want to'",
    "advice_frame": "a suggestion frame ('I'd suggest', 'make sure', 'it's important to')",
    "imperative": "an imperative ('send it', 'give her a template')",
    "imperative_pos": "an imperative verb with no subject (part-of-speech tags)",
    "fact_marker": "a fact (numbers, dates, research)",
    "default_statement": "no question, advice, takeover, reflection or fact markers",
}
_SUFFIX_TEXT = {
    "_open": "; what/how/why asks for an open answer",
    "_specific": "; asks for a number or specific fact",
    "_fact": "; when/where/who/which asks for a specific fact",
    "_if": "; 'if/whether' makes it yes/no",
    "_wh": "; a wh-clause makes it open",
}


_MODEL_RULE = re.compile(r"^model:(\w+) p=([\d.]+) near=(\w+) (\d+)/(\d+) \(was (.*)\)$")
_ACT_WORDS = {
    "open_question": "an open question",
    "closed_question": "a closed question",
    "leading_question": "a leading question (a suggestion phrased as a question)",
    "advice": "advice",
    "takeover": "the leader taking over the task",
    "reflection": "a reflection of what the other person said",
    "information": "information",
    "statement": "a plain statement",
    "backchannel": "a backchannel",
}


def describe_rule(rule: str) -> str:
    """A plain-English explanation of a rule name from ``classify_sentence`` or of a verdict
    of the trained layer ("model:advice p=0.71 near=advice 4/5 (was default_statement)")."""
    m = _MODEL_RULE.match(rule)
    if m:
        act, prob, near, votes, k, was = m.groups()
        return (
            f"a trained model that reads the sentence's meaning judged it {_ACT_WORDS.get(act, act)} "
            f"(probability {float(prob):.0%}; {votes} of the {k} closest labelled examples are "
            f"{_ACT_WORDS.get(near, near)}); the wording rules alone said: {describe_rule(was)}"
        )
    text, name = "", rule
    if name.startswith("leading_"):
        text, name = "carries the leader's own solution; ", name[len("leading_"):]
    if name.startswith("clause_"):
        text, name = text + "after a preface clause, ", name[len("clause_"):]
    suffix = ""
    for end, extra in _SUFFIX_TEXT.items():
        if name.endswith(end) and name[: -len(end)] in _RULE_TEXT:
            name, suffix = name[: -len(end)], extra
            break
    if name not in _RULE_TEXT:
        return rule  # unknown rule: shown as is
    return text + _RULE_TEXT[name] + suffix
