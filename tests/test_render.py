"""HTML scorecard rendering without a browser: content, escaping, self-containment and
well-formedness of the page built from hand-made Scorecards."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from analysis.results import Evidence, Metric, Reliability, RescueMoment
from analysis.types import Act, Confidence
from service.render import (
    CSP,
    build_page,
    format_clock,
    format_duration,
    format_metric_value,
    render_scorecard_html,
)
from scorecard_factory import degenerate_scorecard, realistic_scorecard, silences_of

ROOT = Path(__file__).resolve().parents[1]
VOID = {"meta", "link", "br", "img", "input", "hr", "area", "base", "col", "embed", "source", "track", "wbr"}


class Page(HTMLParser):
    """Collects tags, attributes, ids and text; checks that elements nest and close."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)

    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())

    def count(self, tag: str, **attrs: str) -> int:
        return sum(1 for t, a in self.tags if t == tag and all(cls_match(a, k, v) for k, v in attrs.items()))


def cls_match(attrs: dict, key: str, value: str) -> bool:
    key = key.rstrip("_")
    if key == "class":
        return value in (attrs.get("class") or "").split()
    return attrs.get(key) == value


@pytest.fixture(scope="module")
def real() -> tuple[str, Page]:
    html = render_scorecard_html(realistic_scorecard())
    return html, Page(html)


@pytest.fixture(scope="module")
def degen() -> tuple[str, Page]:
    html = render_scorecard_html(degenerate_scorecard())
    return html, Page(html)


# --------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0:00"), (65.9, "1:05"), (599, "9:59"), (3725, "1:02:05"), (None, "--:--"), (float("nan"), "--:--")],
)
def test_format_clock(seconds, text):
    assert format_clock(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(4.24, "4.2 s"), (9.96, "10 s"), (42, "42 s"), (59.6, "1:00 min"), (125, "2:05 min"), (3725, "1:02:05 h")],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (0.573, "share", "57%"),
        (1.0, "share", "100%"),
        (1.234, "ratio", "1.2"),
        (4.24, "s", "4.2 s"),
        (125.0, "s", "2:05 min"),
        (3, "count", "3"),
        (2.5, "count", "2.5"),
        (1.5, "per_10_min", "1.5 per 10 min"),
        (None, "share", "n/a"),
        (float("inf"), "ratio", "n/a"),
        (2.5, "widgets", "2.5 widgets"),
    ],
)
def test_format_metric_value(value, unit, text):
    assert format_metric_value(value, unit) == text


# --------------------------------------------------------------------------- realistic page


def test_headline_score_focus_and_redo_come_first(real):
    html, page = real
    sc = realistic_scorecard()
    assert re.search(r'id="overall-score"><span class="num">66</span>', html)
    assert "Rubric default v2026.1" in page.all_text()
    main = html.index('<main id="main"')
    score, focus, redo = (html.index(m, main) for m in ('id="overall-score"', 'id="focus"', 'id="redo"'))
    dims = html.index('id="dimensions"')
    assert main < score < focus < redo < dims
    focus_html = html[focus:redo]
    assert "ask &#34;What options do you see?&#34; and wait 3 seconds" in focus_html
    assert "Biggest gap: <b>Rescue avoidance</b>, 35/100" in focus_html
    assert sc.redo_moment.alternative.replace("'", "&#39;") in html[redo:dims]


def test_every_section_has_its_content(real):
    html, page = real
    text = page.all_text()
    for heading in ("Score by dimension", "Metrics", "Who spoke when", "Rescue moments", "Best question",
                    "GROW structure", "Debrief: questions for your self-review", "Transcript"):
        assert page.count("h2") and heading in text, heading
    assert page.count("li", class_="dim") == 6
    assert page.count("li", class_="tile") == len(realistic_scorecard().metrics)
    assert "Medium confidence" in text and "2 of 9 waits overlap with a backchannel" in text
    assert page.count("li", class_="rescue") == 2
    assert "Why it rates 3/3: takeover; interrupted the coachee." in text
    assert "Try instead “What have you already tried with her, and what happened?”" in text
    assert page.count("li", class_="covered") == 3 and page.count("li", class_="missing") == 1
    assert "Order: Goal → Reality → Options (roughly G → R → O → W)" in text
    assert page.count("div", class_="notes") == 3
    assert "Covered at 3:33, reached 3rd" in text


def test_transcript_lists_every_sentence_with_act_label_and_time(real):
    _, page = real
    sc = realistic_scorecard()
    rows = [a for t, a in page.tags if t == "li" and "row" in (a.get("class") or "").split()]
    assert [r["id"] for r in rows] == [f"s-{s.index}" for s in sc.sentences]
    assert page.count("span", class_="act-advice") >= 1 and "Advice" in page.all_text()
    assert page.count("time", datetime="PT2M7S") == 1  # 2:07, the first rescue
    assert page.count("a", class_="tag-rescue") == 4  # two rescues, cue and response each
    assert "2:07 Dana Whitfield Advice Rescue 1 response You should just put her" in page.all_text()


def test_timeline_svg_draws_segments_questions_silences_and_rescues(real):
    _, page = real
    sc = realistic_scorecard()
    svg = [a for t, a in page.tags if t == "svg" and a.get("role") == "img"]
    assert svg[0]["aria-labelledby"] == "tl-title tl-desc"
    assert page.count("rect", class_="tl-bar") == len(sc.timeline) + 2  # + 2 legend swatches
    questions = [s for s in sc.sentences if s.speaker == sc.roles.leader and s.act.is_question]
    assert sum(1 for t, a in page.tags if "tl-q" in (a.get("class") or "").split()) == len(questions) + 3
    assert page.count("g", class_="tl-rescue") == len(sc.rescues)
    assert page.count("rect", class_="tl-silence") == 6
    assert "6 silences of 2 s or more, the longest 6.3 s at 3:35" in page.all_text()


def test_bars_stay_inside_the_plot(real):
    view = build_page(realistic_scorecard()).timeline
    for bar in view.bars:
        assert view.plot_left <= bar.x and bar.x + bar.w <= view.plot_right + 1.0


# --------------------------------------------------------------------------- safety


def test_page_is_self_contained(real, degen):
    for html, page in (real, degen):
        assert "http://" not in html and "https://" not in html
        for tag, attrs in page.tags:
            for key in ("src", "href", "xlink:href", "action", "poster", "srcset"):
                value = attrs.get(key)
                assert value is None or value.startswith(("#", "data:")), (tag, key, value)
        assert "url(" not in re.sub(r"url\(#tl-hatch\)", "", html)
        assert "@import" not in html and "@font-face" not in html
        assert page.count("script") == 0 and page.count("iframe") == 0 and page.count("img") == 0
        assert page.count("meta", **{"http-equiv": "Content-Security-Policy", "content": CSP}) == 1
        assert CSP.startswith("default-src 'none'; style-src 'unsafe-inline'; img-src data:")


def test_hostile_text_is_escaped_everywhere(degen):
    html, page = degen
    assert "<script>" not in html.lower() and "<img" not in html.lower() and "<b>in</b>" not in html
    assert "You need to &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; get the pipeline &amp; the forecast" in html
    assert "Sam &lt;img src=x onerror=alert(1)&gt;" in html
    assert all(not k.startswith("on") for _, attrs in page.tags for k in attrs)
    assert "Only speaker <b>in</b> the recording" in page.all_text()  # shown as text


def test_hostile_question_text_is_escaped_inside_svg_titles():
    sc = realistic_scorecard()
    evil = dataclasses.replace(sc.sentences[1], text="What now?</title><script>x()</script>")
    html = render_scorecard_html(dataclasses.replace(sc, sentences=(sc.sentences[0], evil) + sc.sentences[2:]))
    assert "<script>" not in html
    assert "Open question: What now?&lt;/title&gt;&lt;script&gt;x()&lt;/script&gt;</title>" in html


def test_html_is_well_formed(real, degen):
    for html, page in (real, degen):
        assert html.startswith("<!DOCTYPE html>")
        assert page.errors == [] and page.stack == []
        assert page.count("h1") == 1 and page.count("main") == 1 and page.count("html", lang="en") == 1
        ids = [a["id"] for _, a in page.tags if "id" in a]
        assert len(ids) == len(set(ids))
        targets = {a["href"][1:] for _, a in page.tags if (a.get("href") or "").startswith("#")}
        assert targets <= set(ids), targets - set(ids)


# --------------------------------------------------------------------------- degenerate input


def test_degenerate_scorecard_says_what_is_missing(degen):
    html, page = degen
    text = page.all_text()
    assert html.index("Low confidence: treat these numbers as a rough guide") < html.index('id="overall-score"')
    assert "only one speaker was found" in text and "recording shorter than 3 minutes" in text
    # the tile repeats neither reason: the banner already lists them
    assert text.count("only one speaker was found") == 1
    assert "n/a" in text and "Not defined for this recording." in text and "No questions were asked." in text
    assert "No focus behaviour was chosen for this conversation." in text
    assert text.count("No redo moment was found in this conversation.") == 1
    assert "No open question was followed by a coachee answer" in text
    assert "The rubric reported no dimension scores for this recording." in text
    assert "None found (there is no coachee in this recording)." in text
    assert "GROW coverage was not reported for this recording." in text
    assert page.count("li", class_="missing") == 4
    assert "Coachee none found" in text and "(inferred, low confidence)" in text
    assert "No rescue moments. No silences of 2 s or more." in text


def test_missing_timeline_falls_back_to_sentences_and_says_so():
    sc = dataclasses.replace(realistic_scorecard(), timeline=())
    page = Page(render_scorecard_html(sc))
    assert page.count("rect", class_="tl-bar") == len(sc.sentences) + 2
    assert "No speech segments were recorded; the bars show sentence times instead." in page.all_text()


def test_unknown_metrics_acts_and_cueless_rescues_are_shown_not_hidden():
    sc = realistic_scorecard()
    pace = Metric("talk_pace", "Talk pace", 152.0, "wpm", "120-160")
    cut_in = RescueMoment(30.0, Act.ADVICE, None, Evidence(30.0, 31.0, "S0", "Just do it."), 1, (), True, "")
    html = render_scorecard_html(dataclasses.replace(sc, metrics=sc.metrics + (pace,), rescues=(cut_in,)))
    text = Page(html).all_text()
    assert "Talk pace 152 wpm Target 120-160" in text
    assert "No coachee cue: the leader cut in." in text and "No alternative was suggested." in text
    assert "Mild" in text


def test_title_override_and_medium_banner():
    sc = realistic_scorecard()
    html = render_scorecard_html(sc, title="Q3 pipeline 1:1 <draft>")
    assert "<title>Q3 pipeline 1:1 &lt;draft&gt;</title>" in html
    assert "<h1>Q3 pipeline 1:1 &lt;draft&gt;</h1>" in html
    assert 'class="banner' not in html
    medium = Reliability(Confidence.MEDIUM, ("noisy",))
    assert 'class="banner banner-medium"' in render_scorecard_html(dataclasses.replace(sc, reliability=medium))


def test_environment_is_not_created_at_import_time():
    code = "import service.render as r; print(r._environment.cache_info().currsize)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


def test_tile_confidence_is_shown_only_when_it_adds_to_the_banner():
    sc = realistic_scorecard()
    page_rel = Reliability(Confidence.MEDIUM, ("recording shorter than 3 minutes",))
    same = dataclasses.replace(sc.metrics[0], reliability=page_rel)
    extra = dataclasses.replace(sc.metrics[1], reliability=dataclasses.replace(page_rel, reasons=("few questions",)))
    worse = dataclasses.replace(sc.metrics[2], reliability=dataclasses.replace(page_rel, confidence=Confidence.LOW))
    tiles = {t.key: t for t in build_page(dataclasses.replace(
        sc, reliability=page_rel, metrics=(same, extra, worse))).scored_tiles}
    assert not tiles["question_statement_ratio"].show_confidence
    assert tiles["open_question_share"].show_confidence and tiles["open_question_share"].reasons == ("few questions",)
    assert tiles["leader_talk_share"].show_confidence and tiles["leader_talk_share"].reasons == ()


def test_evidence_links_only_to_sentences_that_exist_and_acts_name_their_rule():
    sc = realistic_scorecard()
    stray = Evidence(10.0, 11.0, "S1", "Not in the transcript.", "", 999)
    best = dataclasses.replace(sc.best_question, evidence=(stray,))
    html = render_scorecard_html(dataclasses.replace(sc, best_question=best))
    assert 'href="#s-999"' not in html and "Marcus Lee at 0:10" in html
    assert '<span class="act act-advice" title="Decided by: Tells the coachee what to do (&#39;you should&#39;, &#39;you need to&#39;, &#39;you might want to&#39;)">Advice</span>' in html
    assert "modal_you_should" not in html and "wh_start_open" not in html  # never the raw rule name


def test_debrief_prefill_is_shown_as_given(real):
    _, page = real
    assert "Which question was most effective, and why? Pre-filled from this conversation " \
           "Tell me more about how she builds her forecast today." in page.all_text()


def test_silences_are_gaps_between_anyones_speech_even_with_overlap():
    sc = realistic_scorecard()
    segs = (("S0", 1.0, 10.0), ("S1", 4.0, 6.0), ("S1", 11.0, 20.0), ("S0", 19.0, 21.0), ("S1", 24.5, 30.0))
    view = build_page(dataclasses.replace(sc, timeline=segs, silences=silences_of(segs), duration_s=30.0)).timeline
    assert [s.title for s in view.silences] == ["Silence 3.5 s at 0:21"]  # 10-11 is under 2 s
    assert "1 silence of 2 s or more, the longest 3.5 s at 0:21" in view.summary


def test_the_timeline_reads_talk_share_and_silences_from_the_analysis():
    sc = realistic_scorecard()
    talk = next(m for m in sc.metrics if m.key == "leader_talk_share")
    metrics = tuple(dataclasses.replace(m, value=0.61) if m is talk else m for m in sc.metrics)
    view = build_page(dataclasses.replace(sc, metrics=metrics, silences=((30.0, 34.5), (50.0, 51.0)))).timeline
    assert "spoke 61% of the speech time" in view.summary and "39%" in view.summary
    assert [s.title for s in view.silences] == ["Silence 4.5 s at 0:30"]  # 1 s is not drawn
