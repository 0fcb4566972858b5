"""The rule order: every sentence gets exactly one Act and the name of the rule that
decided it (see metrics.md "Acts").

A short, ordered list of named linguistic rules over the sentence's surface form
(``sentences.features``, patterns in ``patterns``), plus part-of-speech features when a
spaCy span is available (imperative mood). Questions are found without "?" too: wh-word
or auxiliary-inversion starts, invitations ("tell me", "walk me through"), tag questions.
"""

from __future__ import annotations

import re
from typing import Any

from analysis.acts.patterns import (
    ADVICE_FRAME, ADVICE_MODAL, ASK_PREFIX, BACKCHANNEL_WORDS, CLOSED_WHAT, CLOSE_QUOTE,
    CONTINUATION, CONTINUER, CURIOUS, CURIOUS_CLOSED, ELABORATION, ELLIPTIC_ANY, ENDS_IN_QUOTE,
    END_CHECK, EVALUATIVE, EXPLICIT_ADVICE, HOW_DEGREE, IMPERATIVE_HAVE, IMPERATIVE_VERBS,
    INFORMATION, INVERSION_START, INVERTING_AUX, INVITATION, LEADING_ANY, LEADING_START,
    MID_INVERSION, MID_INVITATION, MID_WH_CONTR, MID_WH_INVERSION, NOT_IMPERATIVE, NOT_SUMMARY,
    OPEN_QUOTE, OPEN_TAIL, OPEN_WH, POLITE_OPEN, PROCESS_VERBS, QUANT_HOW, REFLECTION_FRAME, SKIP_HEAD, STATE_WHERE, STOP,
    TAG_END, TAG_WORDS, TAKEOVER, TRAILING_OR, WH, WH_ALONE, WH_FINAL, WH_PRON_START, WH_START,
    WH_SUBORDINATE, WH_WORDS, WONDER_ANY, YOU_DECLARATIVE,
)
from analysis.acts.evidence import rule_evidence
from analysis.sentences import TextFeatures, features
from analysis.types import Act, RuleResult


# ------------------------------------------------------------------ classifier
def classify_sentence(
    text: str,
    *,
    is_leader: bool,
    other_holds_floor: bool = False,
    turn_word_count: int | None = None,
    prev_other_text: str | None = None,
    doc: Any = None,
    prev_act: Act | None = None,
    ends_turn: bool = True,
) -> RuleResult:
    """The act of one sentence and the rule that decided it, with its evidence.

    ``other_holds_floor``: the other person is talking around this turn (backchannel
    context); ``turn_word_count``: words in the whole turn (None = this sentence is the
    turn); ``prev_other_text``: the other speaker's preceding turn (for reflections);
    ``doc``: an optional spaCy Span/Doc of ``text`` for POS features; ``prev_act``: the
    act of the previous sentence in the same turn (for a lone tag like "Okay?");
    ``ends_turn``: False when the same speaker goes on talking after this sentence.
    """
    f = features(text)
    act, name = _decide(f, is_leader, other_holds_floor, turn_word_count, prev_other_text, doc, prev_act, ends_turn)
    return rule_result(act, name, f)


def rule_result(act: Act, name: str, f: TextFeatures) -> RuleResult:
    """The record of rule ``name`` deciding ``act`` for the sentence ``f``."""
    return RuleResult(name, act, rule_evidence(name, f))


def _decide(
    f: TextFeatures, is_leader: bool, other_holds_floor: bool, turn_word_count: int | None,
    prev_other_text: str | None, doc: Any, prev_act: Act | None, ends_turn: bool,
) -> tuple[Act, str]:
    """(act, rule name): the rules in order, first match wins."""
    words = f.words
    if not words:
        return Act.STATEMENT, "empty"
    if f.qmark and CONTINUER.match(f.norm) and other_holds_floor:
        if turn_word_count is None or turn_word_count <= len(words):
            return Act.BACKCHANNEL, "backchannel_continuer"
    if _is_short_ack(words) and not f.qmark:
        whole = turn_word_count is None or turn_word_count <= len(words)
        if whole and other_holds_floor:
            return Act.BACKCHANNEL, "backchannel_short_ack"
        return Act.STATEMENT, "acknowledgement"
    question = _question(f, is_leader, doc, prev_act, ends_turn)
    if question is not None:
        return question
    if not is_leader:
        return _plain_statement(f)
    return leader_statement(f, doc, prev_other_text)


def _is_short_ack(words: list[str]) -> bool:
    return len(words) <= 3 and all(w in BACKCHANNEL_WORDS for w in words)


def _question(
    f: TextFeatures, is_leader: bool, doc: Any, prev_act: Act | None, ends_turn: bool = True
) -> tuple[Act, str] | None:
    """Question acts (open/closed/leading), advice with a rhetorical tag, or None."""
    found = _question_form(f)
    if found is None:
        return None
    form, clause = found
    if not f.qmark and _not_a_question_after_all(f, form, doc):
        return None
    if is_leader and _voiced(f):
        return Act.REFLECTION, "voiced_thought"
    if f.qmark and TAG_WORDS.match(f.core or f.norm) and prev_act is not None:
        if prev_act in (Act.ADVICE, Act.TAKEOVER):
            return prev_act, "rhetorical_tag_on_advice"
    if form == "tag" and is_leader:
        body = features(TAG_END.sub("", f.raw.strip()))
        if body.words and _advice_rule(body, doc) is not None:
            return Act.ADVICE, "rhetorical_tag_on_advice"
    if form == "qmark_declarative" and is_leader and not ends_turn:
        # a rising declarative the leader talks straight past is a check, not a question
        if f.had_so or YOU_DECLARATIVE.match(f.core) or REFLECTION_FRAME.match(f.core):
            return Act.REFLECTION, "declarative_check_mid_turn"
        return Act.STATEMENT, "declarative_check_mid_turn"
    if is_leader and (LEADING_START.match(clause) or LEADING_ANY.search(f.core)):
        return Act.LEADING_QUESTION, "leading_" + form
    return _open_or_closed(f, form, clause)


def _not_a_question_after_all(f: TextFeatures, form: str, doc: Any) -> bool:
    """Unpunctuated question forms that are not questions: a false start cut off after a
    word or three ("Is that-"), the tail of an interrupted sentence whose subject came
    before the cut ("-is a big con."), and a wh-clause that is the subject of "is/was"
    (a pseudo-cleft: "What some people do is try...", needs spaCy)."""
    if f.cut_off and len(f.words) <= 3 and not form.startswith("invitation"):
        return True
    if form == "aux_inversion" and CONTINUATION.match(f.raw):
        return True
    return form == "wh_start" and doc is not None and _pseudo_cleft(doc)


def _voiced(f: TextFeatures) -> bool:
    """The question is inside quotation marks: the leader voices the coachee's own
    thought ('you're thinking, "How will I manage?"'), a reflection, not a question to
    answer. A question outside the quote ('When you say "maybe", what...?') still asks."""
    raw = f.raw.strip()
    m = OPEN_QUOTE.search(raw)
    if m is None:  # the quote may have opened in an earlier sentence
        return bool(ENDS_IN_QUOTE.search(raw))
    close = CLOSE_QUOTE.search(raw, m.end())
    outside = [raw[: m.start()], raw[close.end():] if close else ""]
    return not any(_question_form(features(part)) for part in outside if part.strip(" ,.;:-"))


def _pseudo_cleft(span: Any) -> bool:
    """spaCy: the sentence's first wh-word sits in a clausal subject of a root "be", and
    that clause is not itself inverted ("what does X look like is..." is a run-on question)."""
    wh = next((t for t in span if t.lower_ in WH_WORDS), None)
    if wh is None or (wh.i + 1 < len(wh.doc) and wh.nbor().lower_ in INVERTING_AUX):
        return False
    for anc in [wh, *wh.ancestors]:
        if anc.dep_ == "csubj":
            is_be = anc.head.lemma_ == "be" or anc.head.lower_ in ("is", "was", "'s")
            return is_be and not _inverted(anc)
    return False


def _inverted(verb: Any) -> bool:
    """An auxiliary of ``verb`` comes before its subject ("does staying home look")."""
    aux = [c.i for c in verb.children if c.dep_ == "aux"]
    subj = [c.i for c in verb.children if c.dep_ in ("nsubj", "csubj")]
    return bool(aux and subj and min(aux) < min(subj))


def _question_form(f: TextFeatures) -> tuple[str, str] | None:
    """(name of the surface form that makes this a question, the clause it starts), or None."""
    core = ASK_PREFIX.sub("", f.core)
    form = _start_form(core)
    if form is None and core != f.core and re.match(rf"^{WH}\b", core):
        form = "wh_start"  # "I wanted to ask you how it helps": an announced (indirect) question
    if form is not None:
        return form, core
    inside = _question_inside(f, core)
    if f.qmark:
        for clause in _later_clauses(f.raw):
            form = _start_form(clause)
            if form is not None:
                return "clause_" + form, clause
        if inside is not None:
            return inside, core
        if TAG_END.search(f.raw.strip()):
            return "tag", core
        if WH_PRON_START.match(core) or WH_START.match(core) or WH_ALONE.match(core):
            return "wh_start", core
        if WH_FINAL.search(core):
            return "wh_final", WH_FINAL.search(core).group(1)
        return "qmark_declarative", core
    return (inside, core) if inside is not None else None


def _start_form(core: str) -> str | None:
    if INVITATION.match(core):
        return "invitation"
    if CURIOUS.match(core) and re.search(rf"\b(?:{WH}|if|whether|about)\b", core):
        return "i_wonder"
    if WH_START.match(core) and not WH_SUBORDINATE.match(core):
        return "wh_start"
    if ELLIPTIC_ANY.match(core):
        return "elliptic_any"
    if INVERSION_START.match(core) and not IMPERATIVE_HAVE.match(core):
        return "aux_inversion"
    return None


def _later_clauses(raw: str) -> list[str]:
    """Cores of the comma/dash-separated clauses after the first, last first: a
    question often follows a preface ("So, on a scale of 1 to 10, how ...?")."""
    parts = re.split(r"[,;:\u2014\u2013]|\s-+\s|--", raw)[1:]
    return [c for c in (ASK_PREFIX.sub("", features(p).core) for p in reversed(parts)) if c]


def _question_inside(f: TextFeatures, core: str) -> str | None:
    """Question forms after the sentence start (run-on ASR text, prefaces)."""
    if WONDER_ANY.search(core):
        return "i_wonder"
    if MID_WH_INVERSION.search(core) or MID_WH_CONTR.search(core) and not _ends_in_period(f):
        return "wh_inside"
    if MID_INVITATION.search(core):
        return "invitation_inside"
    if not _has_terminal_punct(f) and MID_INVERSION.search(core):
        return "aux_inversion_inside"
    if END_CHECK.search(core):
        return "check_tag"
    return None


def _ends_in_period(f: TextFeatures) -> bool:
    return f.raw.rstrip().endswith(".")


def _has_terminal_punct(f: TextFeatures) -> bool:
    return bool(re.search(r"[.!?…]\W*$", f.raw.strip()))


def _open_or_closed(f: TextFeatures, form: str, clause: str) -> tuple[Act, str]:
    base = form.removeprefix("clause_")
    if base in ("invitation", "invitation_inside", "elliptic_any"):
        return Act.OPEN_QUESTION, form
    if base == "i_wonder":
        if CURIOUS_CLOSED.search(clause) and not f.qmark:
            return Act.STATEMENT, "i_wonder_speculation"
        if CURIOUS_CLOSED.search(clause):
            return Act.CLOSED_QUESTION, form + "_if"
        return Act.OPEN_QUESTION, form + "_wh"
    if base in ("wh_start", "wh_inside", "wh_final"):
        wh = clause if base == "wh_start" else _wh_clause(clause)
        if QUANT_HOW.match(wh) or CLOSED_WHAT.match(wh) or HOW_DEGREE.match(wh):
            return Act.CLOSED_QUESTION, form + "_specific"
        if OPEN_WH.match(wh) or OPEN_TAIL.search(clause) or STATE_WHERE.match(wh):
            return Act.OPEN_QUESTION, form + "_open"
        return Act.CLOSED_QUESTION, form + "_fact"
    if POLITE_OPEN.match(clause):
        return Act.OPEN_QUESTION, "polite_invitation"
    if base == "aux_inversion" and ELABORATION.search(clause):
        return Act.OPEN_QUESTION, "yes_no_form_inviting_elaboration"
    if TRAILING_OR.search(f.raw):
        return Act.OPEN_QUESTION, "trailing_or"
    return Act.CLOSED_QUESTION, form


def _wh_clause(core: str) -> str:
    m = MID_WH_INVERSION.search(core) or MID_WH_CONTR.search(core)
    return core[m.start():] if m else core


def _plain_statement(f: TextFeatures) -> tuple[Act, str]:
    if INFORMATION.search(f.core) and not EVALUATIVE.search(f.core):
        return Act.INFORMATION, "fact_marker"
    return Act.STATEMENT, "default_statement"


def leader_statement(f: TextFeatures, doc: Any, prev_other_text: str | None) -> tuple[Act, str]:
    if TAKEOVER.search(f.core):
        return Act.TAKEOVER, "first_person_takeover"
    if REFLECTION_FRAME.match(f.core):
        return Act.REFLECTION, "reflection_frame"
    advice = _advice_rule(f, doc)
    if advice is not None:
        return Act.ADVICE, advice
    if YOU_DECLARATIVE.match(f.core):
        return Act.REFLECTION, "second_person_declarative"
    if f.had_so and f.core and not NOT_SUMMARY.match(f.core):
        return Act.REFLECTION, "so_summary"
    if prev_other_text and _echoes(f.core, prev_other_text):
        return Act.REFLECTION, "echoes_coachee"
    return _plain_statement(f)


def _advice_rule(f: TextFeatures, doc: Any) -> str | None:
    if CONTINUATION.match(f.raw) and not EXPLICIT_ADVICE.search(f.core):
        return None  # "-and get it out of the way": the end of an interrupted sentence
    if ADVICE_MODAL.search(f.core):
        return "modal_you_should"
    if ADVICE_FRAME.search(f.core):
        return "advice_frame"
    if NOT_IMPERATIVE.match(f.core):
        return None
    if _imperative_words(f.core_words):
        return "imperative"
    if doc is not None and _imperative_pos(doc):
        return "imperative_pos"
    return None


def _imperative_words(words: list[str]) -> bool:
    core = " ".join(words)
    if not words or NOT_IMPERATIVE.match(core):
        return False
    head = [w for w in words[:4] if w not in {"please", "definitely", "really", "always", "never", "first"}]
    if not head:
        return False
    verb = head[0]
    if verb in {"do", "have", "let", "see", "look", "think", "talk", "tell", "walk", "be", "don't"}:
        return _imperative_with_object(head)
    return verb in IMPERATIVE_VERBS


def _imperative_with_object(head: list[str]) -> bool:
    """Verbs that also open questions/discourse count only with a directive continuation."""
    nxt = head[1] if len(head) > 1 else ""
    return {
        "do": nxt in {"it", "that", "this", "something", "not", "whatever"},
        "don't": nxt not in {"know", "you", "we", "they", "i", "think"},
        "have": nxt in {"a", "her", "him", "them", "someone", "somebody"},
        "let": nxt in {"her", "him", "them", "people", "the", "your"},
        "see": nxt in {"if", "whether"},
        "look": nxt in {"at", "for", "into"},
        "think": nxt == "about" and len(head) > 2 and head[2].endswith("ing"),
        "talk": nxt == "to" and len(head) > 2 and head[2] not in {"me", "us"},
        "tell": nxt in {"her", "him", "them", "your", "the"},
        "walk": nxt in {"her", "him", "them", "away"},
        "be": nxt in {"careful", "clear", "honest", "direct", "firm", "sure", "patient"},
    }.get(head[0], False)


def _imperative_pos(span: Any) -> bool:
    """spaCy: the first content token is a base-form verb heading the sentence with no
    subject (imperative mood), e.g. "Just send it.", "Escalate it to her."; process verbs
    ("let's", "see", "think") and requests to the leader ("remind me") do not count."""
    tokens = [t for t in span if not t.is_punct and not t.is_space]
    content = [t for t in tokens if t.tag_ not in ("UH", "CC") and t.lower_ not in SKIP_HEAD]
    if not content:
        return False
    head = content[0]
    if head.tag_ != "VB" or head.dep_ not in ("ROOT", "conj") or not head.is_alpha or len(head) < 3:
        return False
    if head.lower_ in PROCESS_VERBS or head.i + 1 >= len(head.doc):
        return False
    children = list(head.children)
    if any(c.dep_ in ("nsubj", "nsubjpass", "expl") for c in children):
        return False
    return not any(c.lower_ in ("me", "us") for c in children)


def _echoes(core: str, prev_other_text: str) -> bool:
    """True when most content words of a leader sentence repeat the coachee's last turn."""
    mine = [w for w in core.split() if w not in STOP and len(w) > 2]
    theirs = set(features(prev_other_text).norm.split())
    if len(core.split()) <= 4 and mine:  # a short repeat: "A six." after "...maybe a six"
        return all(w in theirs for w in mine)
    if len(mine) < 3:
        return False
    return sum(w in theirs for w in mine) / len(mine) >= 0.6
