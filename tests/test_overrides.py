"""A reviewer's overrides reach the metrics: they are applied inside the analysis (a
sentence's act, or its speaker, by index) before anything is measured, and the scorecard
says who corrected it. Hand-built transcripts, the regex rules (no NLP)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import jsonschema
import pytest
from analysis_builders import S, T, build, roles

from analysis.overrides import CorrectionNote, Overrides
from analysis.scorecard import analyze, scorecard_to_dict
from analysis.types import Act
from service.render import render_scorecard_html

SCHEMA = json.loads(open("analysis/data/scorecard.schema.json").read())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
SCRIPT = [
    T("L", [S("What would you like to get out of this?")]),
    T("C", [S("The launch keeps slipping."), S("I don't know what to do.")]),
    T("L", [S("I talked to the vendor yesterday.")]),
    T("C", [S("Okay, I will think about it.")]),
]


@pytest.fixture
def transcript():
    return build(SCRIPT, names={"L": "Dana Lee", "C": "Sam"})[0]


def metric(card, key):
    return card.metric(key).value


def test_relabelling_a_statement_as_advice_creates_a_rescue_moment(transcript):
    machine = analyze(transcript, roles())
    said = machine.sentences[3]
    assert said.text == "I talked to the vendor yesterday." and said.act is Act.STATEMENT
    assert machine.rescues == () and metric(machine, "directive_share") == 0.0

    corrected = analyze(transcript, roles(), overrides=Overrides(acts={3: Act.ADVICE}))
    assert corrected.sentences[3].act is Act.ADVICE
    assert corrected.sentences[3].rule.replaced.act is Act.STATEMENT  # the machine's label is kept
    assert [r.response.text for r in corrected.rescues] == ["I talked to the vendor yesterday."]
    assert metric(corrected, "directive_share") == 0.5
    assert corrected.score.overall < machine.score.overall
    card = scorecard_to_dict(corrected)
    VALIDATOR.validate(card)
    assert card["sentences"][3]["machine"] == {"act": "statement", "speaker": "L"}
    assert "machine" not in card["sentences"][2]
    assert "judged it a plain statement" in render_scorecard_html(corrected)


def test_relabelling_a_statement_as_a_question_changes_the_question_ratio(transcript):
    machine = analyze(transcript, roles())
    corrected = analyze(transcript, roles(), overrides=Overrides(acts={3: Act.OPEN_QUESTION}))
    assert metric(machine, "question_statement_ratio") == 1.0  # 1 question : 1 statement
    assert metric(corrected, "question_statement_ratio") == 2.0  # 2 leader questions now, the machine found 1


def test_a_speaker_correction_moves_the_sentence_and_its_talk_time(transcript):
    machine = analyze(transcript, roles())
    corrected = analyze(transcript, roles(), overrides=Overrides(speakers={2: "L"}))
    assert [s.speaker for s in machine.sentences] == ["L", "C", "C", "L", "C"]
    assert [s.speaker for s in corrected.sentences] == ["L", "C", "L", "L", "C"]
    assert [s.text for s in corrected.sentences] == [s.text for s in machine.sentences]  # same indices
    assert metric(corrected, "leader_talk_share") > metric(machine, "leader_talk_share")
    moved = corrected.sentences[2]
    assert any(who == "L" and a <= moved.start and moved.end <= b + 1e-6 for who, a, b in corrected.timeline)
    card = scorecard_to_dict(corrected)
    VALIDATOR.validate(card)
    assert card["sentences"][2]["machine"] == {"act": "statement", "speaker": "C"}


def test_unknown_speakers_and_indices_are_ignored(transcript):
    machine = scorecard_to_dict(analyze(transcript, roles()))
    ignored = Overrides(speakers={2: "X"}, acts={99: Act.ADVICE})
    same = scorecard_to_dict(analyze(transcript, roles(), overrides=ignored))
    assert same["metric_values"] == machine["metric_values"] and same["score"] == machine["score"]


def test_the_scorecard_says_who_corrected_it(transcript):
    note = CorrectionNote("2 sentences re-labelled, roles swapped", "Dana Lee",
                          datetime(2026, 12, 3, 9, 30, tzinfo=timezone.utc))
    sc = analyze(transcript, roles(), overrides=Overrides(acts={3: Act.ADVICE}, notes=(note,)))
    card = scorecard_to_dict(sc)
    VALIDATOR.validate(card)
    assert card["corrections"] == [{"what": "2 sentences re-labelled, roles swapped", "by": "Dana Lee",
                                    "at": "2026-12-03T09:30:00+00:00"}]
    assert "Corrected by Dana Lee on 3 Dec 2026: 2 sentences re-labelled, roles swapped." in render_scorecard_html(sc)
    plain = scorecard_to_dict(analyze(transcript, roles()))
    assert plain["corrections"] == [] and "Corrected by" not in render_scorecard_html(analyze(transcript, roles()))


def test_an_older_scorecard_without_corrections_is_still_valid(transcript):
    card = scorecard_to_dict(analyze(transcript, roles()))
    del card["corrections"]
    VALIDATOR.validate(card)


def test_a_speaker_correction_keeps_the_sentences_the_machine_found():
    """Alone, the second sentence would be cut at "did you say" (a question start); moved
    with its turn split, it keeps the machine's boundaries and so every index."""
    from analysis.sentences import split_turn

    second = "So, um, you mentioned, um, asthma, um, acute bronchitis did you say—"
    assert len(split_turn(second)) == 2  # what a fresh split of the moved piece would do
    transcript, _ = build([
        T("L", [S("How are things?")]),
        T("C", [S("So, and then you mentioned quite a few things about medical problems."), S(second)]),
    ])
    machine = analyze(transcript, roles())
    assert [s.text for s in machine.sentences][-1] == second
    corrected = analyze(transcript, roles(), overrides=Overrides(speakers={machine.sentences[-1].index: "L"}))
    assert [s.text for s in corrected.sentences] == [s.text for s in machine.sentences]
    assert corrected.sentences[-1].speaker == "L"
    assert not any("split differently" in r for r in corrected.reliability.reasons)
