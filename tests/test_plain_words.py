"""Words a VP reads: the rendered scorecard of a realistic conversation shows no raw
labels (snake_case act, rule or metric keys), no speaker codes (S0, S1), no unrounded
numbers and one time format (m:ss)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from scorecard_factory import analysed_scorecard

from service.render import render_scorecard_html

RAW = {
    "snake_case key": re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b"),
    "speaker code": re.compile(r"\bS\d+\b"),
    "unrounded number": re.compile(r"\b\d+\.\d{2,}\b"),
    "comparison sign": re.compile(r"[<>]=|->|=>"),
    "zero-padded time": re.compile(r"(?<![\d:])0\d:\d\d\b"),
}


class _Read(HTMLParser):
    """What a person reads: text outside <style>, and title/aria-label/alt attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("style", "script")
        self.parts.extend(v for k, v in attrs if k in ("title", "aria-label", "alt") and v)

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "script")

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(" ".join(data.split()))


def raw_labels(html: str) -> list[str]:
    return [f"{kind}: {part!r}" for part in _Read(html).parts for kind, rx in RAW.items() if rx.search(part)]


@pytest.mark.parametrize("named", [True, False])
def test_the_scorecard_page_has_no_raw_labels(named):
    html = render_scorecard_html(analysed_scorecard(named))
    assert raw_labels(html) == []


def test_people_are_named_when_known_and_called_leader_and_coachee_otherwise():
    named = " ".join(_Read(render_scorecard_html(analysed_scorecard(True))).parts)
    assert "Dana Whitfield" in named and "Marcus Lee" in named
    unnamed = " ".join(_Read(render_scorecard_html(analysed_scorecard(False))).parts)
    assert "Leader" in unnamed and "Coachee" in unnamed
    assert "Marcus" not in unnamed.replace("Thanks for making time, Marcus", "")


def test_the_checker_finds_what_it_looks_for():
    html = ('<p>closed_question 1, open_question 6</p><p title="Decided by: wh_start_open">x</p>'
            "<p>S0 at 02:07</p><p>10.894 (target >= 0.60)</p><style>.act-open_question{}</style>")
    kinds = {r.split(":")[0] for r in raw_labels(html)}
    assert kinds == set(RAW)


def test_reliability_reasons_name_people_not_speaker_codes():
    """An uncertain-roles reason is written with speaker labels at inference time; the page
    (banner and metric tiles) names the people instead."""
    from dataclasses import replace

    from analysis.results import Reliability
    from analysis.types import Confidence

    sc = analysed_scorecard(False)
    why = f"roles uncertain: inferred: {sc.roles.leader} asks the most questions (3 of 5)"
    shaky = Reliability(Confidence.LOW, (why,))
    sc = replace(sc, reliability=shaky, metrics=tuple(replace(m, reliability=shaky) for m in sc.metrics))
    assert sc.roles.leader in why and raw_labels(render_scorecard_html(sc)) == []
