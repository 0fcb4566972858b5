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
    assert (r.id, r.version) == ("coachscore-default", "1.1.0")
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
        "Leader talk share 60%: 50/100; Interruptions 0: 100/100; the dimension scores their mean, 75/100")
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
        (SMALL + "[targets]\ncharisma = 1\n", "rubric t.toml: field 'targets.charisma': unknown metric 'charisma'"),
        (SMALL + "[targets]\nleader_talk_share = \"low\"\n",
         "rubric t.toml: field 'targets.leader_talk_share' must be a number, got 'low'"),
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


def test_targets_come_from_the_rubric_and_read_as_words():
    from analysis.metrics import SPECS, target_text

    r = load_rubric()
    assert r.targets["leader_talk_share"] == 0.40 and r.targets["grow_stages_covered"] == 4
    shown = {k: target_text(SPECS[k], v) for k, v in r.targets.items()}
    assert shown["leader_talk_share"] == "40% or less"
    assert shown["open_question_share"] == "60% or more"
    assert shown["wait_time_median_s"] == "3 s or more"
    assert shown["rescues_per_10_min"] == "none" and shown["grow_stages_covered"] == "all 4"
    # a rubric without targets shows none
    assert parse_rubric(SMALL, "t").targets == {}
    assert target_text(SPECS["leader_talk_share"], None) == ""


def test_the_registry_lists_every_metric_once_with_a_direction_and_a_plain_label():
    from analysis.metrics import HIGHER, LOWER, REGISTRY

    keys = [s.key for s in REGISTRY]
    assert len(keys) == len(set(keys)) == 19
    for spec in REGISTRY:
        assert spec.direction in (HIGHER, LOWER, None)
        assert spec.unit in ("ratio", "share", "s", "count", "per_10_min")
        assert "_" not in spec.label and ">=" not in spec.label
    # every dimension of the default rubric scores a metric with a better direction and a target
    r = load_rubric()
    specs = {s.key: s for s in REGISTRY}
    for d in r.dimensions:
        for c in d.criteria:
            assert specs[c.metric].direction is not None and c.metric in r.targets
