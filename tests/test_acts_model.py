"""The trained layer over the rule-based acts (analysis/acts/model.py)."""

import json
from importlib import resources

import pytest

import analysis.acts.label as acts
from analysis.acts import classify_sentence, describe_rule, is_strong_rule, label_transcript
from analysis.acts.model import (
    FEATURE_VERSION,
    MODEL_SCHEMA,
    ActsModel,
    LogReg,
    SentenceContext,
    load_model,
    model_from_dict,
    sentence_features,
)
from analysis.errors import ModelMissingError
from analysis.types import Act, Speaker, Transcript, Turn


def _one_turn(text, *, after="Well, I guess so."):
    return Transcript(
        duration_s=10.0,
        speakers=(Speaker("L"), Speaker("C")),
        turns=(
            Turn("C", 0.0, 2.0, "I don't know, it has been a hard week."),
            Turn("L", 2.0, 5.0, text),
            Turn("C", 5.0, 8.0, after),
        ),
    )


def leader_labels(text, **kw):
    return [(s.act, s.rule) for s in label_transcript(_one_turn(text), "L", None, **kw) if s.speaker == "L"]


def _model_json():
    ref = resources.files("analysis.data").joinpath("acts/question_model.json")
    return ref.read_text(encoding="utf-8"), json.loads(ref.read_text(encoding="utf-8"))


def test_packaged_model_loads_once_and_is_small_and_versioned():
    text, data = _model_json()
    assert len(text.encode()) < 200_000
    assert data["schema"] == MODEL_SCHEMA and data["feature_version"] == FEATURE_VERSION
    model = load_model()
    assert isinstance(model, ActsModel) and model.version == data["version"]
    assert load_model() is model  # loaded once
    assert 0.0 <= model.open_low < 0.5 < model.open_high <= 1.01


@pytest.mark.parametrize(
    "change, found",
    [
        ({"schema": "coachscore.acts-model/0"}, "schema 'coachscore.acts-model/0' / feature_version 1;"),
        ({"feature_version": 99}, "schema 'coachscore.acts-model/1' / feature_version 99;"),
    ],
)
def test_model_file_with_wrong_version_is_refused(change, found):
    _, data = _model_json()
    with pytest.raises(ModelMissingError) as err:
        model_from_dict({**data, **change})
    assert err.value.code == "model_missing"
    assert found in str(err.value)
    assert str(err.value).endswith(
        f"expected {MODEL_SCHEMA!r} / {FEATURE_VERSION}: retrain with scripts/train_acts.py"
    )


def test_features_are_deterministic_and_sorted():
    ctx = SentenceContext(
        text="So where does that leave you?", act=Act.CLOSED_QUESTION, rule="wh_start_fact", position=1,
        n_sentences=2, turn_text="Okay. So where does that leave you?", question_before=False,
        question_after=False, prev_other="I quit last week.", next_other="Yeah, I think so.",
    )
    feats = sentence_features(ctx)
    assert feats == sorted(set(feats)) == sentence_features(ctx)
    assert {"qmark", "so", "ends_turn", "w1=where", "next1=yeah", "rule=wh_start_fact", "punctuated"} <= set(feats)


def test_labelling_with_the_model_is_deterministic():
    text = "Okay. Where would you like to start? You said the mornings are hard."
    assert label_transcript(_one_turn(text), "L", None) == label_transcript(_one_turn(text), "L", None)


def test_clear_examples_with_the_packaged_model():
    # an open "where" question the rule calls a fact question: the flip is recorded
    (act, rule), = leader_labels("Where would you like to start?")
    assert act is Act.OPEN_QUESTION
    assert rule.startswith("model:open p=") and rule.endswith("(was wh_start_fact)")
    # a specific fact stays closed (metrics.md), as do the rules without the model
    assert leader_labels("What time do you go to bed?") == [(Act.CLOSED_QUESTION, "wh_start_specific")]
    assert leader_labels("Where would you like to start?", use_model=False) == [
        (Act.CLOSED_QUESTION, "wh_start_fact")
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("What options have you considered?", Act.OPEN_QUESTION),
        ("How did that land?", Act.OPEN_QUESTION),
        ("Tell me more about that.", Act.OPEN_QUESTION),
        ("what do you think", Act.OPEN_QUESTION),
        ("Anything else?", Act.OPEN_QUESTION),
        ("Did you send it?", Act.CLOSED_QUESTION),
        ("Is that the main issue?", Act.CLOSED_QUESTION),
        ("How many deals slipped?", Act.CLOSED_QUESTION),
        ("Tuesday or Wednesday?", Act.CLOSED_QUESTION),
        ("did you send it", Act.CLOSED_QUESTION),
        ("You sent it, right?", Act.CLOSED_QUESTION),
        ("You talked to her?", Act.CLOSED_QUESTION),
        ("When did you start?", Act.CLOSED_QUESTION),
        ("Have you thought about what you want?", Act.CLOSED_QUESTION),
        ("Have you talked to your manager about it?", Act.LEADING_QUESTION),
        ("You should give her a template.", Act.ADVICE),
        ("I'll call Tom myself.", Act.TAKEOVER),
    ],
)
def test_spec_examples_hold_with_the_model(text, expected):
    assert leader_labels(text)[-1][0] is expected


def _extreme(p_question: float, p_open: float) -> ActsModel:
    def const(p):
        return LogReg(weights={}, intercept=50.0 if p > 0.5 else -50.0)

    return ActsModel("test", const(p_question), const(p_question), const(p_open), 0.5, 0.5, 0.4, 0.6)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("What options have you considered?", Act.OPEN_QUESTION),  # wh + "?": stays a question
        ("Why is that important to you?", Act.OPEN_QUESTION),
        ("Did you send it?", Act.CLOSED_QUESTION),
        ("Could you describe what a good week looks like?", Act.OPEN_QUESTION),
        ("Have you talked to your manager about it?", Act.LEADING_QUESTION),
        ("Why don't you send her the checklist?", Act.LEADING_QUESTION),
    ],
)
def test_a_model_that_says_no_question_cannot_override_strong_rules(monkeypatch, text, expected):
    monkeypatch.setattr(acts, "load_model", lambda: _extreme(0.0, 0.0 if expected is Act.CLOSED_QUESTION else 1.0))
    (act, rule), = leader_labels(text)
    assert act is expected and not rule.startswith("model:")


def test_strong_statements_and_spec_forms_resist_an_extreme_model(monkeypatch):
    monkeypatch.setattr(acts, "load_model", lambda: _extreme(1.0, 1.0))
    assert leader_labels("You should give her a template.") == [(Act.ADVICE, "modal_you_should")]
    assert leader_labels("I'll call Tom myself.") == [(Act.TAKEOVER, "first_person_takeover")]
    assert leader_labels("Did you send it?") == [(Act.CLOSED_QUESTION, "aux_inversion")]
    assert leader_labels("How many deals slipped?") == [(Act.CLOSED_QUESTION, "wh_start_specific")]
    monkeypatch.setattr(acts, "load_model", lambda: _extreme(0.0, 0.0))
    assert leader_labels("Tell me more about that.") == [(Act.OPEN_QUESTION, "invitation")]
    assert leader_labels("walk me through it") == [(Act.OPEN_QUESTION, "invitation")]


def test_an_extreme_model_does_flip_weak_rules_and_says_so(monkeypatch):
    monkeypatch.setattr(acts, "load_model", lambda: _extreme(0.0, 0.0))
    (act, rule), = leader_labels("You talked to her?")
    assert not act.is_question
    assert rule.startswith("model:not_question p=0.00 (was qmark_declarative) ")
    monkeypatch.setattr(acts, "load_model", lambda: _extreme(1.0, 1.0))
    (act, rule), = leader_labels("That was a tough quarter.")
    assert (act, rule) == (Act.OPEN_QUESTION, "model:question p=1.00 open p=1.00 (was default_statement)")
    # the coachee's sentences are never touched
    sents = label_transcript(_one_turn("Okay."), "L", None)
    assert [s.act for s in sents if s.speaker == "C"] == [Act.STATEMENT, Act.STATEMENT]


def test_is_strong_rule():
    assert is_strong_rule("What options have you considered?", Act.OPEN_QUESTION, "wh_start_open")
    assert is_strong_rule("So, on a scale, how sure are you?", Act.CLOSED_QUESTION, "clause_wh_start_specific")
    assert not is_strong_rule("what do you think", Act.OPEN_QUESTION, "wh_start_open")  # no "?"
    assert not is_strong_rule("You talked to her?", Act.CLOSED_QUESTION, "qmark_declarative")
    assert is_strong_rule("tell me more", Act.OPEN_QUESTION, "invitation")
    assert is_strong_rule("Okay.", Act.STATEMENT, "acknowledgement")
    assert not is_strong_rule("That was a tough quarter.", Act.STATEMENT, "default_statement")


def test_model_rules_are_described_in_plain_english():
    text = describe_rule("model:open p=0.67 (was wh_start_fact)")
    assert text == (
        "a small trained model judged it an open question (P(open)=0.67); the rule said: "
        "starts with a wh-word; when/where/who/which asks for a specific fact"
    )
    flip = describe_rule("model:not_question p=0.08 (was qmark_declarative) second_person_declarative")
    assert "_" not in flip and flip.endswith("now: a declarative about the coachee ('you're...', 'your...')")


def test_rules_only_matches_classify_sentence():
    (act, rule), = leader_labels("Where would you like to start?", use_model=False)
    assert (act, rule) == classify_sentence("Where would you like to start?", is_leader=True)
