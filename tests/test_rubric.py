"""Rubric files: the default, scoring by thresholds, weighted mean, precise errors."""

from pathlib import Path

import pytest

from analysis.errors import RubricError
from analysis.results import Metric
from analysis.rubric import focus_behaviour, load_rubric, parse_rubric, score

SMALL = """
id = "acme"
version = "2"
[[dimensions]]
key = "q"
label = "Questions"
metric = "question_statement_ratio"
weight = 3
thresholds = [[0, 0], [1, 100]]
focus = "Ask more."
[[dimensions]]
key = "talk"
label = "Talk"
metric = "leader_talk_share"
weight = 1
thresholds = [[0.4, 100], [0.8, 0]]
if_missing = 50
also = [{ metric = "interruptions", thresholds = [[0, 100], [2, 0]] }]
focus = "Talk less."
"""


def metrics(**values):
    return [Metric(k, k, v, "ratio") for k, v in values.items()]


def test_default_rubric_has_the_spec_weights():
    r = load_rubric()
    assert (r.id, r.version) == ("coachscore-default", "1.0.0")
    assert {d.key: d.weight for d in r.dimensions} == {
        "questions_vs_statements": 20, "open_questions": 15, "listening": 15,
        "silence_and_wait": 15, "rescue_avoidance": 25, "grow_structure": 10,
    }
    assert all(d.focus for d in r.dimensions)


def test_thresholds_interpolate_and_clamp():
    d = parse_rubric(SMALL).dimensions[1]
    assert d.score(0.2) == 100 and d.score(0.6) == pytest.approx(50) and d.score(0.9) == 0
    assert d.score(None) == 50


def test_weighted_mean_with_also_criteria_and_focus():
    r = parse_rubric(SMALL)
    result = score(r, metrics(question_statement_ratio=0.5, leader_talk_share=0.6, interruptions=0))
    assert [d.score for d in result.dimensions] == [50.0, 75.0]
    assert result.overall == pytest.approx((3 * 50 + 1 * 75) / 4, abs=0.05)
    assert (result.rubric_id, result.rubric_version) == ("acme", "2")
    assert result.dimensions[1].explanation == (
        "leader_talk_share = 0.6 -> 50/100; interruptions = 0 -> 100/100; mean -> 75/100")
    # gaps: 3 * 0.5 = 1.5 vs 1 * 0.25: the questions dimension is the focus
    assert focus_behaviour(r, result) == "Ask more."


def test_full_marks_focus():
    r = parse_rubric(SMALL)
    result = score(r, metrics(question_statement_ratio=2, leader_talk_share=0.1, interruptions=0))
    assert result.overall == 100
    assert focus_behaviour(r, result).startswith("Keep doing what you did")


def test_rubric_file_round_trip(tmp_path: Path):
    path = tmp_path / "acme.toml"
    path.write_text(SMALL)
    assert load_rubric(path).id == "acme"


def replace_line(old: str, new: str) -> str:
    assert old in SMALL
    return SMALL.replace(old, new, 1)


@pytest.mark.parametrize(
    "text, message",
    [
        ("id = ", "rubric t.toml: invalid TOML (Invalid value (at end of document))"),
        ('id = "x"\nversion = "1"\n', "rubric t.toml: field 'dimensions' must be a non-empty list of tables"),
        (replace_line('id = "acme"', ""), "rubric t.toml: field 'id' must be a non-empty string"),
        (replace_line('metric = "leader_talk_share"', 'metric = "charisma"'),
         "rubric t.toml: field 'dimensions[1].metric': unknown metric 'charisma' (known: "),
        (replace_line("weight = 3", "weight = 0"), "rubric t.toml: field 'dimensions[0].weight' must be a number > 0, got 0"),
        (replace_line("thresholds = [[0, 0], [1, 100]]", "thresholds = [[0, 0]]"),
         "rubric t.toml: field 'dimensions[0].thresholds' must list at least 2 [value, score] pairs"),
        (replace_line("thresholds = [[0, 0], [1, 100]]", "thresholds = [[0, 0], [1, 120]]"),
         "rubric t.toml: field 'dimensions[0].thresholds[1]' must be [value, score] with score 0-100, got [1, 120]"),
        (replace_line("thresholds = [[0, 0], [1, 100]]", "thresholds = [[1, 0], [0, 100]]"),
         "rubric t.toml: field 'dimensions[0].thresholds[1]': values must be ascending"),
        (replace_line("if_missing = 50", "if_missing = -1"),
         "rubric t.toml: field 'dimensions[1].if_missing' must be a score 0-100, got -1"),
        (replace_line('key = "talk"', 'key = "q"'), "rubric t.toml: field 'dimensions[1].key': duplicate key 'q'"),
        (replace_line('focus = "Ask more."', ""), "rubric t.toml: field 'dimensions[0].focus' must be a non-empty string"),
        (replace_line('metric = "interruptions"', 'metric = "nope"'),
         "rubric t.toml: field 'dimensions[1].also[0].metric': unknown metric 'nope'"),
    ],
)
def test_invalid_rubric_names_the_field(tmp_path: Path, text, message):
    path = tmp_path / "t.toml"
    path.write_text(text)
    with pytest.raises(RubricError) as e:
        load_rubric(path)
    assert str(e.value).replace(f"{tmp_path}/", "").startswith(message)
    assert e.value.code == "rubric_error"


def test_missing_rubric_file(tmp_path: Path):
    with pytest.raises(RubricError) as e:
        load_rubric(tmp_path / "none.toml")
    assert str(e.value) == f"rubric {tmp_path / 'none.toml'}: cannot read the file (No such file or directory)"
