"""Coaching acts: one act per sentence, with the rule that decided it."""

import pytest

from analysis.acts import classify_sentence, label_transcript
from analysis.types import Act, GrowStage, Speaker, Transcript, Turn


def leader(text, **kw):
    r = classify_sentence(text, is_leader=True, **kw)
    return r.act, r.name


def act(text, **kw):
    return leader(text, **kw)[0]


@pytest.mark.parametrize(
    "text",
    [
        "What options have you considered?",
        "How did that land?",
        "Tell me more about that.",
        "Walk me through it.",
        "Help me understand what happened",
        "what do you think",  # no "?" (ASR dropped it)
        "so how are things going",
        "Why is that important to you?",
        "Could you describe what a good week looks like?",
        "I'm wondering what you make of that.",
        "Say more about that.",
        "Any questions?",
        "Anything else?",
    ],
)
def test_open_questions(text):
    assert act(text) is Act.OPEN_QUESTION


@pytest.mark.parametrize(
    "text",
    [
        "Did you send it?",
        "Is that the main issue?",
        "How many deals slipped?",
        "Tuesday or Wednesday?",
        "did you send it",  # auxiliary inversion without "?"
        "are you going to the review",
        "You sent it, right?",  # tag question
        "She agreed to it, didn't she?",
        "Okay?",
        "You talked to her?",  # declarative with rising intonation
        "I wonder if she knows?",
    ],
)
def test_closed_questions(text):
    assert act(text) is Act.CLOSED_QUESTION


@pytest.mark.parametrize(
    "text",
    [
        "Have you thought about calling the decision maker directly?",
        "Why don't you send her the checklist?",
        "Wouldn't it be easier to ask her?",
        "Don't you think she is ready?",
        "What if you just told her?",
        "How about trying a shorter meeting?",
        "Have you tried giving her a deadline",
        "Would it help to write it down?",
    ],
)
def test_leading_questions(text):
    assert act(text) is Act.LEADING_QUESTION


def test_have_you_thought_about_a_wh_clause_is_not_leading():
    assert act("Have you thought about what you want?") is Act.CLOSED_QUESTION
    assert act("What options have you considered?") is Act.OPEN_QUESTION


@pytest.mark.parametrize(
    "text",
    [
        "You should give her a template.",
        "What I'd do is call him.",
        "Just send it.",
        "My suggestion is to wait a week.",
        "I'd recommend a shorter agenda.",
        "You need to talk to her today.",
        "Make sure you send the notes.",
        "Give her a template.",
        "Don't wait for her to ask.",
        "It's important to follow up in writing.",
        "If I were you I'd escalate it.",
    ],
)
def test_advice(text):
    assert act(text) is Act.ADVICE


def test_rhetorical_tag_on_advice_is_advice_not_a_question():
    assert leader("You should just call her, right?") == (Act.ADVICE, "rhetorical_tag_on_advice")
    # a lone tag after advice in the same turn belongs to the advice
    assert leader("Okay?", prev_act=Act.ADVICE) == (Act.ADVICE, "rhetorical_tag_on_advice")


@pytest.mark.parametrize(
    "text",
    [
        "I'll call Tom myself.",
        "Let me handle that.",
        "Leave it with me.",
        "I'll take care of the customer.",
        "I can talk to finance for you.",
        "I'm going to email the VP tonight.",
    ],
)
def test_takeover(text):
    assert leader(text) == (Act.TAKEOVER, "first_person_takeover")


def test_first_person_future_toward_the_coachee_is_not_a_takeover():
    assert act("I'll send you the notes.") is not Act.TAKEOVER
    assert act("Let me ask you something.") is not Act.TAKEOVER


@pytest.mark.parametrize(
    "text, rule",
    [
        ("So you're stuck between the two options.", "second_person_declarative"),
        ("It sounds like she's overwhelmed.", "reflection_frame"),
        ("You feel like nobody listens.", "reflection_frame"),
        ("What I'm hearing is that the deadline worries you.", "reflection_frame"),
        ("So she keeps missing the standup.", "so_summary"),
    ],
)
def test_reflections(text, rule):
    assert leader(text) == (Act.REFLECTION, rule)


def test_echo_of_the_coachee_is_a_reflection():
    prev = "The pipeline review keeps slipping because marketing never sends the numbers."
    got = leader("Pipeline review slipping, marketing numbers missing.", prev_other_text=prev)
    assert got == (Act.REFLECTION, "echoes_coachee")


def test_information_and_statement():
    assert leader("The review moved to Thursday.") == (Act.INFORMATION, "fact_marker")
    assert leader("That was a tough quarter.") == (Act.STATEMENT, "default_statement")


def test_backchannel_needs_short_lone_ack_while_other_holds_floor():
    assert leader("Mm-hmm.", other_holds_floor=True, turn_word_count=2) == (
        Act.BACKCHANNEL,
        "backchannel_short_ack",
    )
    assert leader("Got it.", other_holds_floor=True, turn_word_count=2)[0] is Act.BACKCHANNEL
    # more in the turn: an acknowledgement statement, not a backchannel
    assert leader("Okay.", other_holds_floor=True, turn_word_count=12) == (
        Act.STATEMENT,
        "acknowledgement",
    )
    assert leader("Okay.", other_holds_floor=False, turn_word_count=1)[0] is Act.STATEMENT
    assert act("That is a really long answer.", other_holds_floor=True) is not Act.BACKCHANNEL


def test_coachee_sentences_get_no_leader_only_acts():
    assert classify_sentence("I'll call Tom myself.", is_leader=False).act is Act.STATEMENT
    assert classify_sentence("You should see it.", is_leader=False).act is Act.STATEMENT
    assert classify_sentence("What would you do?", is_leader=False).act is Act.OPEN_QUESTION


def test_empty_sentence_is_a_statement():
    assert leader("...") == (Act.STATEMENT, "empty")


def _transcript(turns):
    return Transcript(
        duration_s=turns[-1].end,
        speakers=(Speaker("L"), Speaker("C")),
        turns=tuple(turns),
    )


def test_label_transcript_gives_every_sentence_one_act():
    tr = _transcript(
        [
            Turn("L", 0.0, 4.0, "Hi. What would you like to get out of today?", source_index=0),
            Turn("C", 4.5, 10.0, "I'm stuck with Tom. I don't know what to do.", source_index=1),
            Turn("L", 10.0, 10.5, "Mm-hmm.", source_index=2),
            Turn("C", 10.5, 14.0, "He keeps missing deadlines.", source_index=3),
            Turn("L", 14.5, 18.0, "I'll call Tom myself. What options do you see", source_index=4),
        ]
    )
    sents = label_transcript(tr, "L", None)
    assert [s.act for s in sents] == [
        Act.STATEMENT,
        Act.OPEN_QUESTION,
        Act.STATEMENT,
        Act.STATEMENT,
        Act.BACKCHANNEL,
        Act.STATEMENT,
        Act.TAKEOVER,
        Act.OPEN_QUESTION,
    ]
    assert [s.index for s in sents] == list(range(8))
    assert [s.turn_index for s in sents] == [0, 0, 1, 1, 2, 3, 4, 4]
    assert [s.source_index for s in sents] == [0, 0, 1, 1, 2, 3, 4, 4]
    assert sents[1].grow is GrowStage.GOAL
    assert sents[7].grow is GrowStage.OPTIONS
    assert all(s.grow is None for s in sents if not s.act.is_question)
    assert all(s.rule for s in sents)
    assert all(0.0 <= s.start <= s.end <= tr.duration_s for s in sents)
    assert sents[6].start == 14.5 and sents[7].end == 18.0


def test_label_transcript_does_not_mutate_and_is_deterministic():
    tr = _transcript([Turn("L", 0.0, 2.0, "So what happened?"), Turn("C", 2.0, 3.0, "Not much.")])
    assert label_transcript(tr, "L", None) == label_transcript(tr, "L", None)


@pytest.fixture(scope="session")
def nlp():
    from models.nlp import load_nlp

    return load_nlp()


@pytest.mark.slow
def test_spacy_imperative_and_unpunctuated_turns(nlp):
    tr = _transcript(
        [
            Turn("C", 0.0, 3.0, "i dont know what to do about the forecast"),
            Turn("L", 3.0, 9.0, "that was a tough week for the team what do you think you could do next"),
            Turn("C", 9.0, 12.0, "maybe talk to her"),
            Turn("L", 12.0, 14.0, "Escalate it to the regional director."),
        ]
    )
    sents = label_transcript(tr, "L", nlp)
    leader_acts = [(s.act, s.text) for s in sents if s.speaker == "L"]
    assert leader_acts[0][0] is Act.STATEMENT
    assert leader_acts[1] == (Act.OPEN_QUESTION, "what do you think you could do next")
    assert leader_acts[2][0] is Act.ADVICE
    assert sents[-1].rule.name == "imperative_pos"


@pytest.mark.slow
def test_load_nlp_is_cached(nlp):
    from models.nlp import load_nlp

    assert load_nlp() is nlp


def test_load_nlp_missing_model_raises_model_missing():
    from analysis.errors import ModelMissingError
    from models.nlp import load_nlp

    with pytest.raises(ModelMissingError) as e:
        load_nlp("no_such_spacy_model_xyz")
    assert e.value.code == "model_missing"
    assert "'no_such_spacy_model_xyz' is not installed" in e.value.message


def test_subordinate_wh_clause_is_not_a_question():
    assert act("When teens drink, things can go wrong.") is Act.STATEMENT
    assert act("Which is why it matters.") is Act.STATEMENT
    assert act("When did you start?") is Act.CLOSED_QUESTION


def test_question_after_a_preface_clause():
    assert leader("So, on a scale of 1 to 10, how ready are you?") == (
        Act.CLOSED_QUESTION,
        "clause_wh_start_specific",
    )
    assert leader("So, let me ask you this, what are some of her concerns?")[0] is Act.OPEN_QUESTION


def test_unpunctuated_check_question_at_the_end():
    assert leader("so you talked to her last week is that right") == (Act.CLOSED_QUESTION, "check_tag")
    assert act("okay so how is all of this affecting your team") is Act.OPEN_QUESTION


def test_yes_no_form_that_invites_elaboration_is_open():
    assert leader("Do you have any thoughts about what might help?") == (
        Act.OPEN_QUESTION,
        "yes_no_form_inviting_elaboration",
    )


def test_interrupted_fragment_is_not_advice():
    assert act("-and get it out of the way.") is not Act.ADVICE
    assert act("-so I'd suggest you wait.") is Act.ADVICE


def test_greeting_and_epistemic_must_are_not_advice():
    assert act("It's good to see you again.") is not Act.ADVICE
    assert act("You must like that job.") is not Act.ADVICE
    assert act("Let me just make sure I've understood.") is not Act.ADVICE
    assert act("Let's take a look at the numbers.") is not Act.ADVICE


@pytest.mark.parametrize(
    "text, rule",
    [
        ("So, kind of keeping your options open.", "so_summary"),
        ("I get the impression that the team matters a lot to you.", "reflection_frame"),
        ("It strikes me that it's all or nothing for her.", "reflection_frame"),
    ],
)
def test_more_reflections(text, rule):
    assert leader(text) == (Act.REFLECTION, rule)


def test_so_about_the_leader_or_session_is_not_a_reflection():
    assert act("So I'd like to ask you a scaling question.") is not Act.REFLECTION
    assert act("So that's great.") is not Act.REFLECTION


def test_short_repeat_of_the_coachee_is_a_reflection():
    assert leader("A six.", prev_other_text="I'd say maybe a six.") == (Act.REFLECTION, "echoes_coachee")
    assert leader("A six.", prev_other_text="I don't know.")[0] is not Act.REFLECTION


def test_every_rule_name_has_a_description():
    from analysis.acts import describe_name as describe_rule

    texts = [
        "What happened?", "How many?", "Where is it?", "I wonder if so.", "I wonder what.",
        "So, on a scale, how ready are you?", "Why don't you call her?", "Tell me more.",
        "You sent it, right?", "You sent it?", "Send it.", "You should go.", "I'll call her.",
        "It sounds like it.", "So she left.", "The review is on Monday.", "That was tough.",
    ]
    rules = {leader(t)[1] for t in texts} | {"backchannel_short_ack", "acknowledgement", "empty"}
    assert len(rules) >= 15
    for rule in rules:
        assert "_" not in describe_rule(rule), rule
    assert describe_rule("no_such_rule") == "no_such_rule"
    assert describe_rule("leading_clause_wh_start_open").startswith("carries the leader's own solution")


def test_i_wonder_if_without_question_mark_is_speculation():
    assert leader("I wonder if she knows.") == (Act.STATEMENT, "i_wonder_speculation")
    assert act("I'm wondering what you make of that") is Act.OPEN_QUESTION


def test_restarted_words_do_not_look_like_inversion():
    assert act("I can- I can hear that you are eager to finish-") is not Act.CLOSED_QUESTION
    assert not act("Someone who's not 21 yet is not allowed-").is_question


def test_rising_declarative_the_leader_talks_past_is_a_check():
    assert leader("So you sent it?", ends_turn=False) == (Act.REFLECTION, "declarative_check_mid_turn")
    assert leader("So you sent it?")[0] is Act.CLOSED_QUESTION
    assert leader("Did you send it?", ends_turn=False)[0] is Act.CLOSED_QUESTION


def test_restarts_wh_alone_and_wh_final():
    assert act("Why?") is Act.OPEN_QUESTION
    assert leader("Acting out would be what?") == (Act.OPEN_QUESTION, "wh_final_open")
    assert act("Did- have you thought about that?") is Act.CLOSED_QUESTION  # no solution named
    assert act("Have you talked to your manager about it?") is Act.LEADING_QUESTION


def test_cut_off_false_start_and_interrupted_tail_are_not_questions():
    # a false start of a few words, abandoned mid-sentence
    assert not act("Would you--").is_question
    assert not act("Is it-").is_question
    # ...but a cut-off invitation still invites, and a longer cut-off question still asks
    assert act("So, tell me-") is Act.OPEN_QUESTION
    assert act("Have you had a chance to speak with the team and-").is_question
    # the tail of an interrupted sentence: its subject came before the cut
    assert not act("-is a real risk for the quarter.").is_question
    assert act("-is a real risk for the quarter?").is_question


@pytest.mark.slow
def test_pseudo_cleft_is_a_statement_but_an_inverted_run_on_is_a_question(nlp):
    def spacy_act(text):
        return classify_sentence(text, is_leader=True, doc=nlp(text)).act

    assert not spacy_act("What most new managers do is try to fix everything themselves.").is_question
    assert not spacy_act("And what's going on with the pipeline is that two deals slipped.").is_question
    assert spacy_act("what does a good week look like for you is that something you want").is_question
    assert spacy_act("What would you say is the main blocker.").is_question
    # without a parse the wh-start rule stands
    assert act("What most new managers do is try to fix everything themselves.").is_question


def test_talk_to_me_a_little_more_about_is_an_invitation():
    assert leader("Okay, so talk to me a little bit more about the hiring plan.") == (
        Act.OPEN_QUESTION,
        "invitation",
    )


def test_a_question_in_quotation_marks_voices_the_coachee():
    assert leader('You\'re probably thinking, "How will I ever hit that number?"') == (
        Act.REFLECTION,
        "voiced_thought",
    )
    # the quote opened in an earlier sentence
    assert leader('What would my team think of me?"') == (Act.REFLECTION, "voiced_thought")
    # a question outside the quotation still asks
    assert act('So when you say "maybe", what does that mean?') is Act.OPEN_QUESTION
    assert act('What would you say if she asked, "Why now?"') is Act.OPEN_QUESTION
    # the coachee quoting someone is not a reflection
    assert classify_sentence('He asked me, "Why now?"', is_leader=False).name != "voiced_thought"


def test_contracted_obligation_opening_a_sentence_is_advice():
    assert leader("You've got to escalate this today.") == (Act.ADVICE, "modal_you_should")
    assert leader("So you'd better loop in finance first.") == (Act.ADVICE, "modal_you_should")
    # inside a clause it describes the coachee's situation; an idiom is not advice
    assert act("That's a call you've got to make on your own.") is not Act.ADVICE
    assert act("You'd better believe it was a hard week.") is not Act.ADVICE
    # an elliptical "need to" with nothing to do is not a directive
    assert act("Only if you feel like you need to.") is not Act.ADVICE


def test_reported_coachee_words_are_a_reflection_frame():
    assert leader("And you also mentioned that you have to present on Friday.") == (
        Act.REFLECTION,
        "reflection_frame",
    )
    assert leader("That sounds like you were stretched thin.") == (Act.REFLECTION, "reflection_frame")
    assert act("That sounds like a good plan.") is not Act.REFLECTION


# ------------------------------------------------------------------ misfires (issue 9 item 3)
def _leader_acts(text, nlp=None):
    tr = Transcript(
        duration_s=10.0,
        speakers=(Speaker("L"), Speaker("C")),
        turns=(Turn("C", 0.0, 2.0, "It has been a hard week, honestly."), Turn("L", 2.0, 5.0, text),
               Turn("C", 5.0, 8.0, "Well, I guess so.")),
    )
    return [s for s in label_transcript(tr, "L", nlp) if s.speaker == "L"]


@pytest.mark.parametrize("text", ["Let's talk about the Q3 pipeline.", "let's look at the budget"])
def test_an_agenda_statement_is_not_an_invitation(text):
    assert not act(text).is_question


@pytest.mark.parametrize("text", ["Let's talk about what happened.", "Let's explore how you felt about it."])
def test_lets_talk_about_what_still_invites(text):
    assert act(text) is Act.OPEN_QUESTION


@pytest.mark.parametrize(
    "text",
    ["Which of those feels right to you, and why?", "Where are things right now?", "where are you with the hiring plan",
     "Which option would you pick, and how would you start?"],
)
def test_state_and_why_questions_are_open(text):
    assert act(text) is Act.OPEN_QUESTION


@pytest.mark.parametrize("text", ["Where do you live?", "Which day works?", "Where is the meeting?"])
def test_place_and_choice_questions_stay_closed(text):
    assert act(text) is Act.CLOSED_QUESTION


@pytest.mark.parametrize(
    "text",
    ["And I'd have them use the tailored demo script", "And I'd have them use the tailored demo script.",
     "I would get the team to review it first.", "If it were me, I'd send it today."],
)
def test_what_i_would_have_them_do_is_advice(text):
    assert act(text) is Act.ADVICE
    assert all(s.act is Act.ADVICE for s in _leader_acts(text))


def test_misfires_hold_with_spacy(nlp):
    assert not _leader_acts("Let's talk about the Q3 pipeline.", nlp)[0].act.is_question
    assert _leader_acts("Where are things right now?", nlp)[0].act is Act.OPEN_QUESTION
    assert _leader_acts("And I'd have them use the tailored demo script", nlp)[0].act is Act.ADVICE
    assert _leader_acts("What's on your mind this week?", nlp)[0].grow is GrowStage.GOAL


def test_a_rule_result_is_a_record_with_its_evidence():
    r = classify_sentence("You should call her today.", is_leader=True)
    assert (r.name, r.act, r.evidence, r.probability, r.replaced) == (
        "modal_you_should", Act.ADVICE, "you should", None, None,
    )
    assert classify_sentence("What options have you considered?", is_leader=True).evidence == "what"
    assert classify_sentence("I'll call Tom myself.", is_leader=True).evidence == "i'll call"
    # no pattern to point at: the whole sentence is the evidence
    assert classify_sentence("You sent it?", is_leader=True).evidence is None
    # the JSON string is the rule name
    assert r.code() == "modal_you_should"


def test_a_verdict_of_the_trained_layer_keeps_what_the_rule_said():
    from analysis.acts import describe_rule, explain_act
    from analysis.types import RuleResult

    was = RuleResult("default_statement", Act.STATEMENT)
    verdict = RuleResult("model", Act.ADVICE, None, 0.714, was, Act.ADVICE, 4, 5)
    assert verdict.by_model and not was.by_model
    assert verdict.code() == "model:advice p=0.71 near=advice 4/5 (was default_statement)"
    text = describe_rule(verdict)
    assert "judged it advice (probability 71%; 4 of the 5 closest labelled examples are advice)" in text
    assert text.endswith("the wording rules alone said: no question, advice, takeover, reflection or fact markers")
    # what the page shows: plain English, with the words when the rule found some
    text = explain_act(classify_sentence("You should call her today.", is_leader=True))
    assert text.startswith("Tells the coachee what to do") and '"you should"' in text
    assert "modal_you_should" not in text


# ------------------------------------------------------------------ patterns found reading both corpora
@pytest.mark.parametrize("text", ["Enjoy your day!", "Stay strong!", "Good luck with it.", "Have a lovely evening."])
def test_closing_wishes_are_not_advice(text):
    assert act(text) is not Act.ADVICE


def test_why_not_alone_asks_for_reasons_but_why_not_x_suggests():
    assert act("Why not?") is Act.OPEN_QUESTION
    assert act("Why not just call her?") is Act.LEADING_QUESTION


def test_who_knows_is_an_idiom_not_a_question():
    assert not act("And who knows, maybe the board will appreciate it.").is_question


def test_an_announced_question_is_a_question():
    assert act("I just wanted to ask you how it helps you.") is Act.OPEN_QUESTION


def test_empathy_is_not_advice_but_an_adverb_before_suggest_is():
    assert act("I understand and have been in your shoes.") is not Act.ADVICE
    assert act("I highly suggest joining an online group.") is Act.ADVICE
