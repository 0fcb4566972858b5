"""Plain-English explanations of the rule results (and trained-layer flips) of ``rules``."""

from __future__ import annotations

from analysis.types import RuleResult


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
    "modal_you_should": "tells the coachee what to do ('you should', 'you need to', 'you might want to')",
    "advice_frame": "a suggestion frame ('I'd suggest', 'make sure', 'it's important to')",
    "imperative": "an instruction ('send it', 'give her a template')",
    "imperative_pos": "an instruction: a verb with no subject (found by grammar tags)",
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
_ACT_PLURAL = {
    "open_question": "open questions",
    "closed_question": "closed questions",
    "leading_question": "leading questions",
    "advice": "advice",
    "takeover": "the leader taking over",
    "reflection": "reflections",
    "information": "information",
    "statement": "plain statements",
    "backchannel": "backchannels",
}


def describe_rule(result: RuleResult) -> str:
    """A plain-English explanation of what decided a sentence's act: the rule, or the
    trained layer with its probability, the act of the closest labelled examples, and
    what the rules alone had said."""
    replaced = result.replaced
    if result.name == "reviewer" and replaced is not None:  # analysis.overrides
        return f"a reviewer set this act; the machine had judged it {_ACT_WORDS[replaced.act.value]}"
    if result.name != "model" or replaced is None:
        return describe_name(result.name)
    act = result.act.value
    near = ""  # one vote in five is no majority: not worth saying
    if result.nearest is not None and result.nearest_votes >= 2:
        near = (f"; {result.nearest_votes} of the {result.nearest_of} closest labelled examples are "
                f"{_ACT_PLURAL[result.nearest.value]}")
    return (
        f"a trained model that reads the sentence's meaning judged it {_ACT_WORDS[act]} "
        f"(probability {result.probability or 0.0:.0%}{near}); "
        f"the wording rules alone said: {describe_rule(replaced)}"
    )


def describe_name(rule: str) -> str:
    """A plain-English explanation of a rule name from ``classify_sentence``."""
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


def explain_act(result: RuleResult) -> str:
    """What the scorecard shows for a sentence's act: the explanation, and the words that
    triggered the rule when there are some."""
    text = describe_rule(result)
    if result.evidence and result.replaced is None:
        text += f' (the words "{result.evidence}")'
    first = next((i for i, c in enumerate(text) if c.isalpha()), 0)
    return text[:first] + text[first:first + 1].upper() + text[first + 1:]
