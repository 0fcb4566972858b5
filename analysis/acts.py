"""Coaching acts: every sentence of a transcript gets exactly one Act and the name of the
rule that decided it (see metrics.md "Acts").

The classifier is a short, ordered list of named linguistic rules over the sentence's
surface form (``sentences.features``), plus part-of-speech features when a spaCy span
is available (imperative mood). Questions are found without "?" too: wh-word or
auxiliary-inversion starts, invitations ("tell me", "walk me through"), tag questions.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from analysis.acts_model import ActsModel, SentenceContext, load_model, sentence_features, turn_contexts
from analysis.grow import grow_stage
from analysis.sentences import TextFeatures, features, split_turn_timed
from analysis.types import Act, Sentence, Transcript, Turn


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# ------------------------------------------------------------------ word classes
WH = r"(?:what|how|why|when|where|who|which|whose|whom)"
WH_CONTR = (
    r"(?:what's|whats|how's|where's|who's|when's|why's|what're|how're|who're|where're|"
    r"what've|what'd|how'd|why'd|where'd|who'd|what'll|who'll|how'll|when'd)"
)
AUX = r"(?:do|does|did|is|are|was|were|am|can|could|would|will|should|shall|have|has|had|may|might)"
NEG_AUX = (
    r"(?:don't|doesn't|didn't|isn't|aren't|wasn't|weren't|can't|couldn't|wouldn't|won't|"
    r"shouldn't|haven't|hasn't|hadn't|ain't)"
)
PRON = r"(?:i|you|we|they|he|she|it|y'all|ya|u)"
SUBJ = (
    r"(?:" + PRON[3:-1] + r"|that|this|there|these|those|your|my|his|her|their|our|the|a|an|"
    r"any|anyone|anybody|anything|someone|somebody|something|everyone|everybody|everything|"
    r"people|things|other|some|all|most|either|each|one|nobody|no one|someone|it's|that's)"
)
BACKCHANNEL_WORDS = frozenset(
    "yeah yes yep yup okay ok k right alright all sure mm mmm hmm hm mhm uh huh um "
    "gotcha got it i see oh wow really cool great good nice fine true exactly absolutely "
    "totally definitely of course makes sense interesting indeed no wow ah aha thanks "
    "thank you sounds".split()
)

# ------------------------------------------------------------------ question patterns
_WH_START = _rx(
    rf"^(?:{WH_CONTR}\b|{WH} (?!{PRON}\b|a\b|an\b)\w)"
)
# "when teens drink, ..." / "where she works": a subordinate clause, not a question,
# unless an auxiliary follows within two words or the sentence ends in "?".
_WH_SUBORDINATE = _rx(
    rf"^(?:(?:when|where|which|while|whenever|wherever)(?! (?:\w+ )?(?:{AUX}|{NEG_AUX})\b)|"
    r"which (?:is|was|means|meant|makes|made)\b)"
)
_WH_PRON_START = _rx(rf"^{WH} {PRON}\b")  # "what you said is ..." (free relative)
_INVERSION_START = _rx(rf"^(?:{AUX}|{NEG_AUX}) (?:n't |not )?{SUBJ}\b")
_TALK_TO_ME = r"talk to me (?:(?:a )?(?:little |bit )+)?(?:more )?about"
_INVITATION = _rx(
    r"^(?:please )?(?:(?:could|can|would|will) you (?:please )?(?:just )?)?"
    r"(?:tell me|tell us|walk me through|walk us through|help me understand|" + _TALK_TO_ME + "|"
    r"talk me through|talk about|talk a (?:little|bit)|say (?:a (?:little|bit) |something )?more|repeat back|"
    r"describe|explain|elaborate|share (?:with me|more|a bit|a little)|give me an example|"
    r"give me a sense|fill me in|catch me up|remind me|help me (?:to )?understand|"
    r"go on|keep going|let's (?:talk|hear|explore|look at)|"
    r"let me hear|paint (?:me )?a picture)\b"
)
_CURIOUS = _rx(
    r"^(?:i'm|i am|i was|i'd be|i'll be|i)? ?(?:just |really |kind of |also )?"
    r"(?:wonder|wondering|curious|interested to (?:know|hear)|"
    r"(?:would|'d) (?:like|love) to (?:know|hear|understand|ask)|want to (?:know|hear|understand))\b"
)
_WONDER_ANY = _rx(
    r"\bi(?:'m| am| was|'d be)? (?:just |really |also |kind of )?(?:wonder|wondered|wondering|curious|interested to (?:know|hear)) "
    r"(?:\w+ )?(?:if|whether|what|how|why|where|when|who|about)\b"
)
_ELLIPTIC_ANY = _rx(
    r"^(?:anything else|any ?thing (?:else|more)|anyone else|any (?:others?|more)|"
    r"any (?:questions|other (?:questions|thoughts|concerns|things|reasons)|thoughts|concerns|ideas))\b"
)
_CONTINUER = _rx(r"^(?:oh )?(?:yeah|yes|really|uh huh|mm hmm|mhm|hmm|is that so|is it|did you|do you)$")
_CURIOUS_CLOSED = _rx(r"\b(?:wonder|wondering|curious) (?:if|whether)\b")
_ASK_PREFIX = _rx(r"^(?:let me|can i|could i|may i|i want to|i'd like to|i wanted to) (?:just )?ask (?:you )?")
_MID_WH_INVERSION = _rx(
    rf"\b(?:{WH}(?: (?!{AUX}\b|{NEG_AUX}\b|{PRON}\b)\w+)?) (?:{AUX}|{NEG_AUX}) (?:{PRON}|your|my|his|her|their|our|the|this|that|"
    r"these|those|all|things|there|anything|everything|people)\b"
)
_MID_WH_CONTR = _rx(rf"\b(?:what's|how's|why's|where's|whats) (?!{PRON}\b)")  # not "who's" (relative)
_MID_INVERSION = _rx(
    rf"\b(?:(?:do|did|does|are|were|have|can|could|would|will|is) {PRON}|"
    rf"(?:doesn't|don't|isn't|didn't|wouldn't|won't|aren't) (?:{PRON}|that|this)) \w+"
)
# A check-question closing an unpunctuated sentence ("..., is that right").
_END_CHECK = _rx(
    r"\b(?:is that (?:right|correct|true|fair|okay|ok)|does that (?:make sense|sound (?:right|okay|ok|good|fair))|"
    r"how (?:does|would) that sound|what do you think|am i right|you know what i mean|"
    r"(?:doesn't|don't|wouldn't|isn't) (?:that|it|you) \w+(?: you)?|or not|right or wrong|"
    r"(?:isn't|doesn't|wasn't|didn't|aren't|won't|wouldn't|can't|hasn't|haven't) "
    r"(?:it|he|she|they|that|there|you|we)(?: \w+)?)\s*[.!?]?\s*$"
)
_MID_INVITATION = _rx(
    r"\b(?:tell me|walk me through|help me understand|" + _TALK_TO_ME + r"|say (?:something |a bit |a little )?more|"
    r"give me (?:a|an|some) (?:\w+ )?(?:sense|idea|example|timeframe|picture))\b"
)
_TAG_END = _rx(
    r"(?:,?\s*\b(?:right|correct|yeah|yes|no|okay|ok|huh|eh|true|is that right|is that correct|"
    r"isn't it|aren't you|don't you|didn't you|doesn't it|wasn't it|won't you|can't you|"
    r"isn't that right|am i right|does that make sense|you know what i mean|or not|or))\s*\?[\s\"'”’]*$"
)
_TAG_WORDS = _rx(
    r"^(?:right|correct|yeah|yes|no|okay|ok|huh|eh|true|is that right|is that correct|"
    r"isn't it|does that make sense|or not|or|all right|alright|you know)$"
)
_IMPERATIVE_HAVE = _rx(r"^(?:have|do) (?:a|an|some|the) (?:good|great|nice|lovely|look|go|try|seat|think)\b")
_WH_ALONE = _rx(rf"^(?:{WH}|how come|how so)$")
_WH_FINAL = _rx(rf"\b({WH})$")  # "Acting out would be what?"
_QUANT_HOW = _rx(r"^how (?:many|much|long|often|old|far|soon|late|early|big|frequently)\b")
_OPEN_WH = _rx(
    r"^(?:what|how|why|what's|whats|how's|why's|what're|how're|what've|what'd|how'd|why'd|"
    r"what'll|how'll)\b"
)
_CLOSED_WHAT = _rx(
    r"^what(?:'s| is| was| were)? (?:time|day|date|year|month|number|age|percentage|"
    r"the (?:most|least|longest|shortest|first|last|\w+est)\b)\b"
)
_HOW_DEGREE = _rx(  # "how confident are you", "how important is it": a point on a scale
    rf"^how (?!(?:{AUX}|{NEG_AUX}|about|so|come|else|{PRON}|that|this|things|the|your|it's|"
    r"that's|you're|we're|they're|come|exactly|well|far)\b)\w+ (?:(?:is|are|was|were|would|do|does|did) |do you)"
)
# A yes/no form that asks for content: "Do you have any thoughts about...?",
# "Can you think of anything else...?", "Is there anything else...?".
_ELABORATION = _rx(
    r"^\w+ (?:you|there|i) (?:\w+ )?(?:\w+ )?(?:any (?:thoughts|ideas|other|more|sense|examples?)|"
    r"anything(?! else)|anything else|some (?:thoughts|ideas)|think of|say more|tell me|share|"
    r"describe|explain)\b"
)
_TRAILING_OR = _rx(r"\bor\W*\?\W*$")
_POLITE_OPEN = _rx(
    r"^(?:could|can|would|will) you (?:please )?(?:just )?(?:tell|describe|explain|say|share|"
    r"talk|walk|help me|give me|elaborate|expand|think of|think about what|imagine)\b"
)
_LEADING_START = _rx(
    r"^(?:have you (?:ever )?(?:thought about|thought of|considered|tried|looked at|looked into|"
    r"talked to|asked|spoken to)(?! (?:what|how|why|when|where|who|whether|if|that|this|it|them|"
    r"him|her|those|these|anything|something|any|yourself)\b)|"
    r"would it (?:help|make sense|be (?:better|easier|worth|helpful|good|a good idea))|"
    r"could you (?:just|try|maybe)|can you (?:just|try)|would you (?:consider|think about \w+ing)|"
    r"do you think you (?:should|could|might)|is it worth|shouldn't you|couldn't you|can't you|"
    r"would you be (?:open|willing) to (?:try|\w+ing)|i (?:wonder|am wondering|'m wondering) (?:if|whether) "
    r"you(?:'d| would) be (?:open|willing) to)\b"
)
_LEADING_ANY = _rx(
    r"\b(?:why don't you|why not|why wouldn't you|wouldn't it be|wouldn't you|don't you think|"
    r"do you not think|isn't it (?:better|easier|best)|what if you|what if we|"
    r"how about (?:you|we|trying|just|\w+ing)|what about (?:trying|just|\w+ing))\b"
)

# ------------------------------------------------------------------ statement patterns
_TAKEOVER = _rx(
    r"(?:\bleave (?:it|this|that) (?:with|to) me|^(?:i've got (?:this|it)|i got this)|"
    r"\bi(?:'ll| will|'m going to| am going to|'m gonna| can| could) (?:just |personally |go ahead and )?"
    r"(?:take care of|handle|deal with|sort|fix|call|ring|phone|email|talk to|speak to|"
    r"have a word|reach out|follow up|escalate|take over|take it|take this|take that|look after|"
    r"chase|set up|arrange|book|write to|do it|do that|do this|step in|cover)(?! you\b)|"
    r"\blet me (?:just )?(?:handle|take care of|deal with|sort|fix|take (?:it|this|that|over)|call|"
    r"talk to|speak to|reach out|chase|look into|follow up|step in)(?! you\b)|"
    r"\bi(?:'ll| will) \w+ (?:\w+ )?myself)\b"
)
_ADVICE_MODAL = _rx(
    # contracted obligation opening the sentence is directive ("You've got to call her");
    # inside a clause it usually describes ("a call you've got to make")
    r"^you(?:'ve| have) (?:really |just |probably |definitely )?(?:got to|gotta)\b|"
    r"^you'd (?:really |probably |just )?better\b(?! believe)|"
    r"\byou (?:really |just |probably |definitely |still |also |do |certainly |absolutely )?"
    r"(?:should|ought to|must(?! (?:like|be|feel|have|know|think|love|hate|really)\b)|"
    r"need to(?! worry)(?= \w)|got to|gotta|had better|"
    r"might want to|may want to|might wanna|could try|might try|might consider|could consider|"
    r"could always|may wish to|want to make sure)\b"
)
_ADVICE_FRAME = _rx(
    r"\b(?:i(?:'d| would|'m going to| am going to|'m gonna| will|'ll| really| strongly| just)* "
    r"(?:suggest|recommend|advise|encourage|urge|propose)|my (?:suggestion|advice|recommendation)|"
    r"what i(?:'d| would) (?:do|suggest|recommend|like to recommend|like to suggest)|"
    r"if i were you|i(?:'d| would) (?:like|want|love) you to|i want you to(?! know)|i need you to|"
    r"we (?:strongly )?(?:recommend|suggest|advise)|i (?:really )?hope you(?:'ll| will| can| consider| really| think)|"
    r"it(?:'s| is|'d be| would be| might be| may be) (?:really |very |probably )?"
    r"(?:a good idea|best|better|important|essential|wise|helpful) "
    r"(?:to (?!you\b|me\b|know\b|see\b|hear\b)|if you|that you (?!recogni[sz]e|were|are|know)|for you to)|"
    r"it(?:'s| is|'d be| would be) (?:really |probably )?good if you|"
    r"(?:works|work) (?:well|best|better) if you|"
    r"the best (?:thing|way|option|approach|plan)(?: to do| for you)? (?:is|would be)|"
    r"(?<!\bto )(?<!\bme )(?<!\bwanna )make sure (?:that )?(?:you|your|to|it|she|he|they|the|there)\b|"
    r"don't forget|remember to|(?:one|the) thing (?:you|to) (?:could|can|might|should)? ?(?:do|try)|"
    r"something you (?:could|can|might) (?:try|do|consider)|"
    r"(?:we|you) (?:will |'ll )?(?:need|have) to (?:start|stop|get|make|cut|keep|take|look|quit)|"
    r"(?:she|he|it|this|that|they) (?:really )?needs to|you(?:'re going to|'re gonna| are going to|'ll| will) "
    r"(?:need to|have to|want to|take|call|use|start|stop|keep|let|bring|come back)|"
    r"if you (?:actually |just |really )?(?:quit|stop|cut|try|use|take|start)\b.*\byou(?:'ll| will| can)\b)"
)
_IMPERATIVE_VERBS = frozenset(
    "try send call give make take go ask write start stop keep use put get set remember "
    "consider focus avoid cut eat drink exercise pick book schedule email text check plan "
    "speak find bring read practice practise limit reduce switch drop quit be follow prepare "
    "delegate document join sign apply buy save stay turn move change add block talk tell "
    "leave let have think walk share see look hold push list write note prioritize "
    "prioritise decide commit pause breathe do don't".split()
)
_NOT_IMPERATIVE = _rx(
    r"^(?:tell me|tell us|let me|let's|see you|take care|have a (?:good|great|nice)|"
    r"thank|excuse|bless|welcome|imagine|guess|hope|mind you|say|do you|does|be right|"
    r"talk to you|look forward|have you|let us know|let me know|let's see|go ahead and tell)\b"
)
_REFLECTION_FRAME = _rx(
    r"^(?:it sounds|that sounds like (?:you|your)\b|sounds like|it seems|seems like|it looks like|looks like|what i'm hearing|"
    r"i'm hearing|i hear (?:you|that)|what you're saying|you're saying|you are saying|"
    r"you (?:also |just |already |earlier )?(?:said|mentioned|told me)|you've (?:also )?said|if i understand|if i'm hearing|in other words|"
    r"on (?:the )?one hand|on the other hand|(?:a )?part of you|it's like you|you feel|"
    r"you're feeling|you are feeling|you felt|you've been feeling|you seem|it sound like|"
    r"i get the (?:impression|feeling|sense)|it strikes me|my sense is|i hear your|"
    r"what i hear|i sense|i'm getting the sense)\b"
)
_YOU_DECLARATIVE = _rx(
    r"^(?:you|your|you're|you've|you'd|for you)\b(?! (?:should|must|need to|have to|ought|"
    r"'ll|will|can't|might want|may want|could try|know what i mean|'re welcome|are welcome))"
)
# "So ..." + a declarative restates the coachee, unless the leader talks about
# themself or the session ("So I'd like to ask...", "So let's...", "So that's great").
_NOT_SUMMARY = _rx(
    r"^(?:i|i'm|i'd|i've|i'll|we|we're|we'll|we've|let|let's|um|uh|here's|that's (?:great|good|fine|"
    r"okay|wonderful|excellent)|today|now|first|next|thank|thanks|bye|nice|good|great|okay)\b"
)
_INFORMATION = _rx(
    r"\b(?:\d+|percent|monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|"
    r"march|april|june|july|august|september|october|november|december|research|studies|"
    r"study shows|evidence|statistics|data shows|guidelines|policy|deadline|scheduled|"
    r"the (?:review|meeting|deadline|report|budget|process|plan|team) (?:is|was|has|moved|will))\b"
)
_EVALUATIVE = _rx(
    r"\b(?:great|good|tough|hard|bad|awful|amazing|wonderful|fantastic|nice|terrible|difficult|"
    r"love|glad|happy|sorry|impressive|excellent|perfect|awesome|brilliant)\b"
)


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
) -> tuple[Act, str]:
    """Return (act, rule) for one sentence.

    ``other_holds_floor``: the other person is talking around this turn (backchannel
    context); ``turn_word_count``: words in the whole turn (None = this sentence is the
    turn); ``prev_other_text``: the other speaker's preceding turn (for reflections);
    ``doc``: an optional spaCy Span/Doc of ``text`` for POS features; ``prev_act``: the
    act of the previous sentence in the same turn (for a lone tag like "Okay?");
    ``ends_turn``: False when the same speaker goes on talking after this sentence.
    """
    f = features(text)
    words = f.words
    if not words:
        return Act.STATEMENT, "empty"
    if f.qmark and _CONTINUER.match(f.norm) and other_holds_floor:
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
    return _leader_statement(f, doc, prev_other_text)


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
    if f.qmark and _TAG_WORDS.match(f.core or f.norm) and prev_act is not None:
        if prev_act in (Act.ADVICE, Act.TAKEOVER):
            return prev_act, "rhetorical_tag_on_advice"
    if form == "tag" and is_leader:
        body = features(_TAG_END.sub("", f.raw.strip()))
        if body.words and _advice_rule(body, doc) is not None:
            return Act.ADVICE, "rhetorical_tag_on_advice"
    if form == "qmark_declarative" and is_leader and not ends_turn:
        # a rising declarative the leader talks straight past is a check, not a question
        if f.had_so or _YOU_DECLARATIVE.match(f.core) or _REFLECTION_FRAME.match(f.core):
            return Act.REFLECTION, "declarative_check_mid_turn"
        return Act.STATEMENT, "declarative_check_mid_turn"
    if is_leader and (_LEADING_START.match(clause) or _LEADING_ANY.search(f.core)):
        return Act.LEADING_QUESTION, "leading_" + form
    return _open_or_closed(f, form, clause)


def _not_a_question_after_all(f: TextFeatures, form: str, doc: Any) -> bool:
    """Unpunctuated question forms that are not questions: a false start cut off after a
    word or three ("Is that-"), the tail of an interrupted sentence whose subject came
    before the cut ("-is a big con."), and a wh-clause that is the subject of "is/was"
    (a pseudo-cleft: "What some people do is try...", needs spaCy)."""
    if f.cut_off and len(f.words) <= 3 and not form.startswith("invitation"):
        return True
    if form == "aux_inversion" and _CONTINUATION.match(f.raw):
        return True
    return form == "wh_start" and doc is not None and _pseudo_cleft(doc)


def _voiced(f: TextFeatures) -> bool:
    """The question is inside quotation marks: the leader voices the coachee's own
    thought ('you're thinking, "How will I manage?"'), a reflection, not a question to
    answer. A question outside the quote ('When you say "maybe", what...?') still asks."""
    raw = f.raw.strip()
    m = _OPEN_QUOTE.search(raw)
    if m is None:  # the quote may have opened in an earlier sentence
        return bool(_ENDS_IN_QUOTE.search(raw))
    close = _CLOSE_QUOTE.search(raw, m.end())
    outside = [raw[: m.start()], raw[close.end():] if close else ""]
    return not any(_question_form(features(part)) for part in outside if part.strip(" ,.;:-"))


_OPEN_QUOTE = _rx(r"(?:^|(?<=[\s,:;(\u2014-]))[\"\u201c](?=\S)")
_CLOSE_QUOTE = _rx(r"(?<=\S)[\"\u201d]")
_ENDS_IN_QUOTE = _rx(r"\?\s*[\"\u201d]\W*$")


def _pseudo_cleft(span: Any) -> bool:
    """spaCy: the sentence's first wh-word sits in a clausal subject of a root "be", and
    that clause is not itself inverted ("what does X look like is..." is a run-on question)."""
    wh = next((t for t in span if t.lower_ in _WH_WORDS), None)
    if wh is None or (wh.i + 1 < len(wh.doc) and wh.nbor().lower_ in _INVERTING_AUX):
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


_WH_WORDS = frozenset(WH[3:-1].split("|")) | {"what's", "how's"}
# After a wh-word these only start a question ("what does..."); "is"/"was" may also be
# the pseudo-cleft's own verb ("what is happening ... is ...").
_INVERTING_AUX = frozenset(AUX[3:-1].split("|")) - {"is", "was"}


def _question_form(f: TextFeatures) -> tuple[str, str] | None:
    """(name of the surface form that makes this a question, the clause it starts), or None."""
    core = _ASK_PREFIX.sub("", f.core)
    form = _start_form(core)
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
        if _TAG_END.search(f.raw.strip()):
            return "tag", core
        if _WH_PRON_START.match(core) or _WH_START.match(core) or _WH_ALONE.match(core):
            return "wh_start", core
        if _WH_FINAL.search(core):
            return "wh_final", _WH_FINAL.search(core).group(1)
        return "qmark_declarative", core
    return (inside, core) if inside is not None else None


def _start_form(core: str) -> str | None:
    if _INVITATION.match(core):
        return "invitation"
    if _CURIOUS.match(core) and re.search(rf"\b(?:{WH}|if|whether|about)\b", core):
        return "i_wonder"
    if _WH_START.match(core) and not _WH_SUBORDINATE.match(core):
        return "wh_start"
    if _ELLIPTIC_ANY.match(core):
        return "elliptic_any"
    if _INVERSION_START.match(core) and not _IMPERATIVE_HAVE.match(core):
        return "aux_inversion"
    return None


def _later_clauses(raw: str) -> list[str]:
    """Cores of the comma/dash-separated clauses after the first, last first: a
    question often follows a preface ("So, on a scale of 1 to 10, how ...?")."""
    parts = re.split(r"[,;:\u2014\u2013]|\s-+\s|--", raw)[1:]
    return [c for c in (_ASK_PREFIX.sub("", features(p).core) for p in reversed(parts)) if c]


def _question_inside(f: TextFeatures, core: str) -> str | None:
    """Question forms after the sentence start (run-on ASR text, prefaces)."""
    if _WONDER_ANY.search(core):
        return "i_wonder"
    if _MID_WH_INVERSION.search(core) or _MID_WH_CONTR.search(core) and not _ends_in_period(f):
        return "wh_inside"
    if _MID_INVITATION.search(core):
        return "invitation_inside"
    if not _has_terminal_punct(f) and _MID_INVERSION.search(core):
        return "aux_inversion_inside"
    if _END_CHECK.search(core):
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
        if _CURIOUS_CLOSED.search(clause) and not f.qmark:
            return Act.STATEMENT, "i_wonder_speculation"
        if _CURIOUS_CLOSED.search(clause):
            return Act.CLOSED_QUESTION, form + "_if"
        return Act.OPEN_QUESTION, form + "_wh"
    if base in ("wh_start", "wh_inside", "wh_final"):
        wh = clause if base == "wh_start" else _wh_clause(clause)
        if _QUANT_HOW.match(wh) or _CLOSED_WHAT.match(wh) or _HOW_DEGREE.match(wh):
            return Act.CLOSED_QUESTION, form + "_specific"
        if _OPEN_WH.match(wh):
            return Act.OPEN_QUESTION, form + "_open"
        return Act.CLOSED_QUESTION, form + "_fact"
    if _POLITE_OPEN.match(clause):
        return Act.OPEN_QUESTION, "polite_invitation"
    if base == "aux_inversion" and _ELABORATION.search(clause):
        return Act.OPEN_QUESTION, "yes_no_form_inviting_elaboration"
    if _TRAILING_OR.search(f.raw):
        return Act.OPEN_QUESTION, "trailing_or"
    return Act.CLOSED_QUESTION, form


def _wh_clause(core: str) -> str:
    m = _MID_WH_INVERSION.search(core) or _MID_WH_CONTR.search(core)
    return core[m.start():] if m else core


def _plain_statement(f: TextFeatures) -> tuple[Act, str]:
    if _INFORMATION.search(f.core) and not _EVALUATIVE.search(f.core):
        return Act.INFORMATION, "fact_marker"
    return Act.STATEMENT, "default_statement"


def _leader_statement(f: TextFeatures, doc: Any, prev_other_text: str | None) -> tuple[Act, str]:
    if _TAKEOVER.search(f.core):
        return Act.TAKEOVER, "first_person_takeover"
    if _REFLECTION_FRAME.match(f.core):
        return Act.REFLECTION, "reflection_frame"
    advice = _advice_rule(f, doc)
    if advice is not None:
        return Act.ADVICE, advice
    if _YOU_DECLARATIVE.match(f.core):
        return Act.REFLECTION, "second_person_declarative"
    if f.had_so and f.core and not _NOT_SUMMARY.match(f.core):
        return Act.REFLECTION, "so_summary"
    if prev_other_text and _echoes(f.core, prev_other_text):
        return Act.REFLECTION, "echoes_coachee"
    return _plain_statement(f)


def _advice_rule(f: TextFeatures, doc: Any) -> str | None:
    if _CONTINUATION.match(f.raw) and not _EXPLICIT_ADVICE.search(f.core):
        return None  # "-and get it out of the way": the end of an interrupted sentence
    if _ADVICE_MODAL.search(f.core):
        return "modal_you_should"
    if _ADVICE_FRAME.search(f.core):
        return "advice_frame"
    if _NOT_IMPERATIVE.match(f.core):
        return None
    if _imperative_words(f.core_words):
        return "imperative"
    if doc is not None and _imperative_pos(doc):
        return "imperative_pos"
    return None


def _imperative_words(words: list[str]) -> bool:
    core = " ".join(words)
    if not words or _NOT_IMPERATIVE.match(core):
        return False
    head = [w for w in words[:4] if w not in {"please", "definitely", "really", "always", "never", "first"}]
    if not head:
        return False
    verb = head[0]
    if verb in {"do", "have", "let", "see", "look", "think", "talk", "tell", "walk", "be", "don't"}:
        return _imperative_with_object(head)
    return verb in _IMPERATIVE_VERBS


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
    content = [t for t in tokens if t.tag_ not in ("UH", "CC") and t.lower_ not in _SKIP_HEAD]
    if not content:
        return False
    head = content[0]
    if head.tag_ != "VB" or head.dep_ not in ("ROOT", "conj") or not head.is_alpha or len(head) < 3:
        return False
    if head.lower_ in _PROCESS_VERBS or head.i + 1 >= len(head.doc):
        return False
    children = list(head.children)
    if any(c.dep_ in ("nsubj", "nsubjpass", "expl") for c in children):
        return False
    return not any(c.lower_ in ("me", "us") for c in children)


_PROCESS_VERBS = frozenset(
    "let see say hang think remind help talk tell catch imagine guess want mind be thank "
    "excuse wait hold come look go".split()
)
_EXPLICIT_ADVICE = _rx(r"\b(?:suggest|recommend|advise|my advice|should)\b")
_CONTINUATION = _rx(r"^\s*(?:-|\u2014|\u2013|\.\.\.|\u2026)")
_SKIP_HEAD = frozenset(
    "so well just please now then maybe okay ok yeah and but um uh".split()
)
_STOP = frozenset(
    "i you me my your we us our it its a an the and or but so to of in on at for with that this "
    "is are was were be been am do does did have has had just really like know yeah okay um uh "
    "not no what how about there they them he she her him his it's that's i'm you're don't "
    "kind sort think feel get got can could would will very well mean".split()
)


def _echoes(core: str, prev_other_text: str) -> bool:
    """True when most content words of a leader sentence repeat the coachee's last turn."""
    mine = [w for w in core.split() if w not in _STOP and len(w) > 2]
    theirs = set(features(prev_other_text).norm.split())
    if len(core.split()) <= 4 and mine:  # a short repeat: "A six." after "...maybe a six"
        return all(w in theirs for w in mine)
    if len(mine) < 3:
        return False
    return sum(w in theirs for w in mine) / len(mine) >= 0.6


# ------------------------------------------------------------------ transcripts
def label_transcript(
    transcript: Transcript, leader: str, nlp: Any = None, *, use_model: bool = True
) -> tuple[Sentence, ...]:
    """Split every turn into sentences and give each exactly one act.

    Times are seconds (from the turn's words, else proportional inside the turn);
    ``index`` numbers sentences across the transcript; ``grow`` is set on leader questions.
    With ``nlp`` (a spaCy Language) turns are parsed once with ``nlp.pipe``. With
    ``use_model`` (and the packaged model file present) the trained layer of
    ``analysis.acts_model`` may flip question/non-question and open/closed on leader
    sentences whose rule is not strong; the flip is recorded in ``rule`` ("model:...").
    """
    turns = transcript.turns
    docs: Iterable[Any] = [None] * len(turns)
    if nlp is not None:
        unused = [p for p in _UNUSED_PIPES if p in nlp.pipe_names]
        docs = nlp.pipe([t.text for t in turns], disable=unused, batch_size=256)
    model = load_model() if use_model else None
    out: list[Sentence] = []
    for ti, (turn, doc) in enumerate(zip(turns, docs)):
        out.extend(_label_turn(turns, ti, turn, doc, leader, len(out), model))
    return tuple(out)


# Only tags, dependencies and sentence starts are used; skipping these halves the time.
_UNUSED_PIPES = ("ner", "lemmatizer", "attribute_ruler")


def _label_turn(
    turns: tuple[Turn, ...], ti: int, turn: Turn, doc: Any, leader: str, first_index: int,
    model: ActsModel | None = None,
) -> list[Sentence]:
    is_leader = turn.speaker == leader
    prev_other = _neighbour(turns, ti, -1, turn.speaker)
    next_other = _neighbour(turns, ti, +1, turn.speaker)
    is_last = ti == len(turns) - 1
    other_holds_floor = turn.overlapped or (prev_other is not None and (next_other is not None or is_last))
    n_words = len(features(turn.text).words)
    prev_text = prev_other.text if prev_other is not None else None
    prev_act: Act | None = None
    timed = split_turn_timed(turn, None, doc)
    spans = [
        doc.char_span(s.char_start, s.char_end, alignment_mode="expand") if doc is not None else None for s in timed
    ]
    labels: list[tuple[Act, str]] = []
    for k, (s, span) in enumerate(zip(timed, spans)):
        labels.append(
            classify_sentence(
                s.text,
                is_leader=is_leader,
                other_holds_floor=other_holds_floor,
                turn_word_count=n_words,
                prev_other_text=prev_text,
                doc=span,
                prev_act=prev_act,
                ends_turn=k == len(timed) - 1,
            )
        )
        prev_act = labels[-1][0]
    if is_leader and model is not None and timed:
        sents = [(s.text, a, r) for s, (a, r) in zip(timed, labels)]
        ctxs = turn_contexts(sents, turn.text, prev_text, next_other.text if next_other is not None else None)
        labels = [_model_layer(c, span, model) for c, span in zip(ctxs, spans)]
    out: list[Sentence] = []
    for s, (act, rule) in zip(timed, labels):
        grow = grow_stage(s.text) if is_leader and act.is_question else None
        out.append(
            Sentence(
                index=first_index + len(out),
                speaker=turn.speaker,
                start=s.start,
                end=s.end,
                text=s.text,
                turn_index=ti,
                act=act,
                rule=rule,
                source_index=turn.source_index,
                grow=grow,
            )
        )
    return out


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


def _model_layer(ctx: SentenceContext, span: Any, model: ActsModel) -> tuple[Act, str]:
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
            new_act, new_rule = _leader_statement(features(ctx.text), span, ctx.prev_other)
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
_SPECIFIC_FACT = _rx(
    r"\b(?:how (?:many|much|long|often|old|far|soon|late|early|frequently)|"
    r"what (?:time|day|date|year|month|number|age|percentage))\b"
)


def open_flip_allowed(text: str, rule: str, strong: bool) -> bool:
    """May the trained layer change open/closed for this question (spec forms stay put)?"""
    base = rule.removeprefix("clause_")
    if base in _ALWAYS_OPEN or (strong and base == "aux_inversion"):
        return False
    return not _SPECIFIC_FACT.search(features(text).norm)


def _neighbour(turns: tuple[Turn, ...], ti: int, step: int, speaker: str) -> Turn | None:
    """The adjacent turn (ti+step) if it is by another speaker."""
    j = ti + step
    if 0 <= j < len(turns) and turns[j].speaker != speaker:
        return turns[j]
    return None


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


_MODEL_RULE = re.compile(r"^model:(\w+) p=([\d.]+)(?: open p=[\d.]+)? \(was ([^)]*)\)(?: (\S+))?$")
_MODEL_VERDICT = {
    "open": "an open question",
    "closed": "a closed question",
    "question": "a question",
    "not_question": "not a question",
}


def describe_rule(rule: str) -> str:
    """A plain-English explanation of a rule name from ``classify_sentence`` or of a flip
    by the trained layer ("model:open p=0.71 (was wh_start_fact)")."""
    m = _MODEL_RULE.match(rule)
    if m:
        verdict = _MODEL_VERDICT.get(m.group(1), m.group(1))
        prob = "P(open)" if m.group(1) in ("open", "closed") else "P(question)"
        then = f"; now: {describe_rule(m.group(4))}" if m.group(4) else ""
        return (
            f"a small trained model judged it {verdict} ({prob}={m.group(2)}); "
            f"the rule said: {describe_rule(m.group(3))}{then}"
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
