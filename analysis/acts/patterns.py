"""Word classes and surface patterns of the coaching-act rules (see ``rules``).

Regular expressions over a sentence's normalised text (``sentences.features``): word
classes, question forms, and the statement forms (takeover, advice, reflection, fact).
"""

from __future__ import annotations

import re


def rx(pattern: str) -> re.Pattern[str]:
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
WH_START = rx(
    rf"^(?:{WH_CONTR}\b|{WH} (?!{PRON}\b|a\b|an\b|knows\b)\w)"  # "who knows, maybe...": an idiom
)
# "when teens drink, ..." / "where she works": a subordinate clause, not a question,
# unless an auxiliary follows within two words or the sentence ends in "?".
WH_SUBORDINATE = rx(
    rf"^(?:(?:when|where|which|while|whenever|wherever)(?! (?:\w+ )?(?:{AUX}|{NEG_AUX})\b)|"
    r"which (?:is|was|means|meant|makes|made)\b)"
)
WH_PRON_START = rx(rf"^{WH} {PRON}\b")  # "what you said is ..." (free relative)
INVERSION_START = rx(rf"^(?:{AUX}|{NEG_AUX}) (?:n't |not )?{SUBJ}\b")
TALK_TO_ME = r"talk to me (?:(?:a )?(?:little |bit )+)?(?:more )?about"
INVITATION = rx(
    r"^(?:please )?(?:(?:could|can|would|will) you (?:please )?(?:just )?)?"
    r"(?:tell me|tell us|walk me through|walk us through|help me understand|" + TALK_TO_ME + "|"
    r"talk me through|talk about|talk a (?:little|bit)|say (?:a (?:little|bit) |something )?more|repeat back|"
    r"describe|explain|elaborate|share (?:with me|more|a bit|a little)|give me an example|"
    r"give me a sense|fill me in|catch me up|remind me|help me (?:to )?understand|"
    r"go on|keep going|"
    # "Let's talk about the Q3 pipeline." sets an agenda; about what/how or "your X" it invites
    r"let's (?:talk|hear|explore|look at)(?: about)? (?=what|how|why|where|when|whether|if|you\b|your\b|more\b)|"
    r"let me hear|paint (?:me )?a picture)\b"
)
CURIOUS = rx(
    r"^(?:i'm|i am|i was|i'd be|i'll be|i)? ?(?:just |really |kind of |also )?"
    r"(?:wonder|wondering|curious|interested to (?:know|hear)|"
    r"(?:would|'d) (?:like|love) to (?:know|hear|understand|ask)|want to (?:know|hear|understand))\b"
)
WONDER_ANY = rx(
    r"\bi(?:'m| am| was|'d be)? (?:just |really |also |kind of )?(?:wonder|wondered|wondering|curious|interested to (?:know|hear)) "
    r"(?:\w+ )?(?:if|whether|what|how|why|where|when|who|about)\b"
)
ELLIPTIC_ANY = rx(
    r"^(?:anything else|any ?thing (?:else|more)|anyone else|any (?:others?|more)|"
    r"any (?:questions|other (?:questions|thoughts|concerns|things|reasons)|thoughts|concerns|ideas))\b"
)
CONTINUER = rx(r"^(?:oh )?(?:yeah|yes|really|uh huh|mm hmm|mhm|hmm|is that so|is it|did you|do you)$")
CURIOUS_CLOSED = rx(r"\b(?:wonder|wondering|curious) (?:if|whether)\b")
ASK_PREFIX = rx(
    r"^(?:let me|can i|could i|may i|i (?:just |really |also )?(?:want|wanted|would like|'d like) to) (?:just )?ask (?:you )?"
)
MID_WH_INVERSION = rx(
    rf"\b(?:{WH}(?: (?!{AUX}\b|{NEG_AUX}\b|{PRON}\b)\w+)?) (?:{AUX}|{NEG_AUX}) (?:{PRON}|your|my|his|her|their|our|the|this|that|"
    r"these|those|all|things|there|anything|everything|people)\b"
)
MID_WH_CONTR = rx(rf"\b(?:what's|how's|why's|where's|whats) (?!{PRON}\b)")  # not "who's" (relative)
MID_INVERSION = rx(
    rf"\b(?:(?:do|did|does|are|were|have|can|could|would|will|is) {PRON}|"
    rf"(?:doesn't|don't|isn't|didn't|wouldn't|won't|aren't) (?:{PRON}|that|this)) \w+"
)
# A check-question closing an unpunctuated sentence ("..., is that right").
END_CHECK = rx(
    r"\b(?:is that (?:right|correct|true|fair|okay|ok)|does that (?:make sense|sound (?:right|okay|ok|good|fair))|"
    r"how (?:does|would) that sound|what do you think|am i right|you know what i mean|"
    r"(?:doesn't|don't|wouldn't|isn't) (?:that|it|you) \w+(?: you)?|or not|right or wrong|"
    r"(?:isn't|doesn't|wasn't|didn't|aren't|won't|wouldn't|can't|hasn't|haven't) "
    r"(?:it|he|she|they|that|there|you|we)(?: \w+)?)\s*[.!?]?\s*$"
)
MID_INVITATION = rx(
    r"\b(?:tell me|walk me through|help me understand|" + TALK_TO_ME + r"|say (?:something |a bit |a little )?more|"
    r"give me (?:a|an|some) (?:\w+ )?(?:sense|idea|example|timeframe|picture))\b"
)
TAG_END = rx(
    r"(?:,?\s*\b(?:right|correct|yeah|yes|no|okay|ok|huh|eh|true|is that right|is that correct|"
    r"isn't it|aren't you|don't you|didn't you|doesn't it|wasn't it|won't you|can't you|"
    r"isn't that right|am i right|does that make sense|you know what i mean|or not|or))\s*\?[\s\"'”’]*$"
)
TAG_WORDS = rx(
    r"^(?:right|correct|yeah|yes|no|okay|ok|huh|eh|true|is that right|is that correct|"
    r"isn't it|does that make sense|or not|or|all right|alright|you know)$"
)
IMPERATIVE_HAVE = rx(r"^(?:have|do) (?:a|an|some|the) (?:good|great|nice|lovely|look|go|try|seat|think)\b")
WH_ALONE = rx(rf"^(?:{WH}|how come|how so)$")
WH_FINAL = rx(rf"\b({WH})$")  # "Acting out would be what?"
QUANT_HOW = rx(r"^how (?:many|much|long|often|old|far|soon|late|early|big|frequently)\b")
# "Which of those feels right, and why?": an open "why/how" after a choice opens it.
OPEN_TAIL = rx(r"\b(?:and|or|but) (?:why|how)\b")
# "Where are things right now?", "Where are you with the plan?": the state of things, not a place.
STATE_WHERE = rx(
    r"^where (?:are|is|do|does|did) (?:things|it|that|this|we|you|the team|your team|matters|everything)"
    r"(?: \w+)? (?:right now|now|at|with|stand|currently|today|these days|going|heading)\b"
)
OPEN_WH = rx(
    r"^(?:what|how|why|what's|whats|how's|why's|what're|how're|what've|what'd|how'd|why'd|"
    r"what'll|how'll)\b"
)
CLOSED_WHAT = rx(
    r"^what(?:'s| is| was| were)? (?:time|day|date|year|month|number|age|percentage|"
    r"the (?:most|least|longest|shortest|first|last|\w+est)\b)\b"
)
HOW_DEGREE = rx(  # "how confident are you", "how important is it": a point on a scale
    rf"^how (?!(?:{AUX}|{NEG_AUX}|about|so|come|else|{PRON}|that|this|things|the|your|it's|"
    r"that's|you're|we're|they're|come|exactly|well|far)\b)\w+ (?:(?:is|are|was|were|would|do|does|did) |do you)"
)
# A yes/no form that asks for content: "Do you have any thoughts about...?",
# "Can you think of anything else...?", "Is there anything else...?".
ELABORATION = rx(
    r"^\w+ (?:you|there|i) (?:\w+ )?(?:\w+ )?(?:any (?:thoughts|ideas|other|more|sense|examples?)|"
    r"anything(?! else)|anything else|some (?:thoughts|ideas)|think of|say more|tell me|share|"
    r"describe|explain)\b"
)
TRAILING_OR = rx(r"\bor\W*\?\W*$")
POLITE_OPEN = rx(
    r"^(?:could|can|would|will) you (?:please )?(?:just )?(?:tell|describe|explain|say|share|"
    r"talk|walk|help me|give me|elaborate|expand|think of|think about what|imagine)\b"
)
LEADING_START = rx(
    r"^(?:have you (?:ever )?(?:thought about|thought of|considered|tried|looked at|looked into|"
    r"talked to|asked|spoken to)(?! (?:what|how|why|when|where|who|whether|if|that|this|it|them|"
    r"him|her|those|these|anything|something|any|yourself)\b)|"
    r"would it (?:help|make sense|be (?:better|easier|worth|helpful|good|a good idea))|"
    r"could you (?:just|try|maybe)|can you (?:just|try)|would you (?:consider|think about \w+ing)|"
    r"do you think you (?:should|could|might)|is it worth|shouldn't you|couldn't you|can't you|"
    r"would you be (?:open|willing) to (?:try|\w+ing)|i (?:wonder|am wondering|'m wondering) (?:if|whether) "
    r"you(?:'d| would) be (?:open|willing) to)\b"
)
LEADING_ANY = rx(
    r"\b(?:why don't you|why not(?= \w)|why wouldn't you|wouldn't it be|wouldn't you|don't you think|"
    r"do you not think|isn't it (?:better|easier|best)|what if you|what if we|"
    r"how about (?:you|we|trying|just|\w+ing)|what about (?:trying|just|\w+ing))\b"
)

# ------------------------------------------------------------------ statement patterns
TAKEOVER = rx(
    r"(?:\bleave (?:it|this|that) (?:with|to) me|^(?:i've got (?:this|it)|i got this)|"
    r"\bi(?:'ll| will|'m going to| am going to|'m gonna| can| could) (?:just |personally |go ahead and )?"
    r"(?:take care of|handle|deal with|sort|fix|call|ring|phone|email|talk to|speak to|"
    r"have a word|reach out|follow up|escalate|take over|take it|take this|take that|look after|"
    r"chase|set up|arrange|book|write to|do it|do that|do this|step in|cover)(?! you\b)|"
    r"\blet me (?:just )?(?:handle|take care of|deal with|sort|fix|take (?:it|this|that|over)|call|"
    r"talk to|speak to|reach out|chase|look into|follow up|step in)(?! you\b)|"
    r"\bi(?:'ll| will) \w+ (?:\w+ )?myself)\b"
)
ADVICE_MODAL = rx(
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
ADVICE_FRAME = rx(
    r"\b(?:i(?:'d| would|'m going to| am going to|'m gonna| will|'ll| really| strongly| just| highly| definitely"
    r"| do| also| truly)* "
    r"(?:suggest|recommend|advise|encourage|urge|propose)|my (?:suggestion|advice|recommendation)|"
    r"what i(?:'d| would) (?:do|suggest|recommend|like to recommend|like to suggest)|"
    r"if i were you|if i were in your (?:shoes|position)|if it were me|"
    # what I would have others do in their place: "I'd have them use the tailored demo script"
    r"i(?:'d| would) (?:probably |just |definitely |also )?(?:have|get|ask|tell|make) "
    r"(?:them|him|her|the team|your team|everyone|people) (?:to )?(?!be\b)\w+|"
    r"i(?:'d| would) (?:like|want|love) you to|i want you to(?! know)|i need you to|"
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
IMPERATIVE_VERBS = frozenset(
    "try send call give make take go ask write start stop keep use put get set remember "
    "consider focus avoid cut eat drink exercise pick book schedule email text check plan "
    "speak find bring read practice practise limit reduce switch drop quit be follow prepare "
    "delegate document join sign apply buy save stay turn move change add block talk tell "
    "leave let have think walk share see look hold push list write note prioritize "
    "prioritise decide commit pause breathe do don't".split()
)
NOT_IMPERATIVE = rx(
    r"^(?:tell me|tell us|let me|let's|see you|take care|have a (?:good|great|nice|lovely|wonderful)|"
    # closing wishes are not advice: "Enjoy your day!", "Stay strong!"
    r"enjoy (?:your|the)|stay (?:strong|safe|positive|well|healthy)|good luck|keep (?:safe|well|strong)|"
    r"thank|excuse|bless|welcome|imagine|guess|hope|mind you|say|do you|does|be right|"
    r"talk to you|look forward|have you|let us know|let me know|let's see|go ahead and tell)\b"
)
REFLECTION_FRAME = rx(
    r"^(?:it sounds|that sounds like (?:you|your)\b|sounds like|it seems|seems like|it looks like|looks like|what i'm hearing|"
    r"i'm hearing|i hear (?:you|that)|what you're saying|you're saying|you are saying|"
    r"you (?:also |just |already |earlier )?(?:said|mentioned|told me)|you've (?:also )?said|if i understand|if i'm hearing|in other words|"
    r"on (?:the )?one hand|on the other hand|(?:a )?part of you|it's like you|you feel|"
    r"you're feeling|you are feeling|you felt|you've been feeling|you seem|it sound like|"
    r"i get the (?:impression|feeling|sense)|it strikes me|my sense is|i hear your|"
    r"what i hear|i sense|i'm getting the sense)\b"
)
YOU_DECLARATIVE = rx(
    r"^(?:you|your|you're|you've|you'd|for you)\b(?! (?:should|must|need to|have to|ought|"
    r"'ll|will|can't|might want|may want|could try|know what i mean|'re welcome|are welcome))"
)
# "So ..." + a declarative restates the coachee, unless the leader talks about
# themself or the session ("So I'd like to ask...", "So let's...", "So that's great").
NOT_SUMMARY = rx(
    r"^(?:i|i'm|i'd|i've|i'll|we|we're|we'll|we've|let|let's|um|uh|here's|that's (?:great|good|fine|"
    r"okay|wonderful|excellent)|today|now|first|next|thank|thanks|bye|nice|good|great|okay)\b"
)
INFORMATION = rx(
    r"\b(?:\d+|percent|monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|"
    r"march|april|june|july|august|september|october|november|december|research|studies|"
    r"study shows|evidence|statistics|data shows|guidelines|policy|deadline|scheduled|"
    r"the (?:review|meeting|deadline|report|budget|process|plan|team) (?:is|was|has|moved|will))\b"
)
EVALUATIVE = rx(
    r"\b(?:great|good|tough|hard|bad|awful|amazing|wonderful|fantastic|nice|terrible|difficult|"
    r"love|glad|happy|sorry|impressive|excellent|perfect|awesome|brilliant)\b"
)


# ------------------------------------------------------------------ helpers of single rules
OPEN_QUOTE = rx(r"(?:^|(?<=[\s,:;(\u2014-]))[\"\u201c](?=\S)")
CLOSE_QUOTE = rx(r"(?<=\S)[\"\u201d]")
ENDS_IN_QUOTE = rx(r"\?\s*[\"\u201d]\W*$")


WH_WORDS = frozenset(WH[3:-1].split("|")) | {"what's", "how's"}
# After a wh-word these only start a question ("what does..."); "is"/"was" may also be
# the pseudo-cleft's own verb ("what is happening ... is ...").
INVERTING_AUX = frozenset(AUX[3:-1].split("|")) - {"is", "was"}


PROCESS_VERBS = frozenset(
    "let see say hang think remind help talk tell catch imagine guess want mind be thank "
    "excuse wait hold come look go".split()
)
EXPLICIT_ADVICE = rx(r"\b(?:suggest|recommend|advise|my advice|should)\b")
CONTINUATION = rx(r"^\s*(?:-|\u2014|\u2013|\.\.\.|\u2026)")
SKIP_HEAD = frozenset(
    "so well just please now then maybe okay ok yeah and but um uh".split()
)
STOP = frozenset(
    "i you me my your we us our it its a an the and or but so to of in on at for with that this "
    "is are was were be been am do does did have has had just really like know yeah okay um uh "
    "not no what how about there they them he she her him his it's that's i'm you're don't "
    "kind sort think feel get got can could would will very well mean".split()
)
