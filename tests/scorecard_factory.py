"""Hand-made Scorecards for rendering tests: a realistic one and a degenerate one.

The conversation below is written for these tests (a VP coaching a sales manager); times
are seconds, built from a per-line word count so that speech segments, sentences, gaps
and rescue moments agree with each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.results import (
    DebriefPrompt,
    DimensionScore,
    Evidence,
    GrowCoverage,
    GrowStageCoverage,
    Metric,
    Moment,
    Reliability,
    RescueMoment,
    Score,
    Scorecard,
)
from analysis.timing import silences
from analysis.types import SCORECARD_SCHEMA, Act, Confidence, GrowStage, Roles, RuleResult, Segment, Sentence

LEADER, COACHEE = "S0", "S1"
SECONDS_PER_WORD = 0.42

A = Act
G = GrowStage


@dataclass(frozen=True)
class Line:
    """One scripted sentence; ``pause`` is the silence (s) before it."""

    speaker: str
    text: str
    act: Act
    pause: float = 0.4
    grow: GrowStage | None = None
    extra_s: float = 0.0  # stretch a sentence (a long story told slowly)


SCRIPT: tuple[Line, ...] = (
    Line(LEADER, "Thanks for making time, Marcus.", A.STATEMENT, 1.0),
    Line(LEADER, "What would you like to get out of the next half hour?", A.OPEN_QUESTION, 0.2, G.GOAL),
    Line(COACHEE, "Mostly I want to figure out what to do about Priya.", A.STATEMENT, 2.4),
    Line(COACHEE, "Her forecast has been off three quarters in a row and the team is starting to notice.", A.STATEMENT, 0.3),
    Line(LEADER, "Mm-hmm.", A.BACKCHANNEL, 0.3),
    Line(COACHEE, "I have talked to her about it twice, and both times she agreed and nothing changed.", A.STATEMENT, 0.4, extra_s=6.0),
    Line(LEADER, "What would a good outcome look like for her by the end of the quarter?", A.OPEN_QUESTION, 0.8, G.GOAL),
    Line(COACHEE, "Honestly, a forecast within ten percent, and her owning the number instead of me chasing it.", A.STATEMENT, 4.1),
    Line(COACHEE, "Right now I rebuild her commit every Friday night, which is not sustainable, and she knows I do it, so she has stopped doing it herself.", A.STATEMENT, 0.5, extra_s=14.0),
    Line(COACHEE, "I think part of it is that she is new to enterprise deals and the cycles are longer than what she sold before.", A.STATEMENT, 0.6, extra_s=10.0),
    Line(LEADER, "So you are carrying her number and it is costing you your Fridays.", A.REFLECTION, 1.2),
    Line(COACHEE, "Yes, exactly.", A.STATEMENT, 0.5),
    Line(LEADER, "What is happening in her deals right now?", A.OPEN_QUESTION, 0.6, G.REALITY),
    Line(COACHEE, "Two of her big ones slipped because procurement came in late.", A.STATEMENT, 3.6),
    Line(COACHEE, "I don't know, I'm not sure what to do with her at this point.", A.STATEMENT, 0.4),
    Line(LEADER, "You should just put her on a weekly pipeline review with you.", A.ADVICE, 0.5),
    Line(LEADER, "That is what I did with my team last year.", A.INFORMATION, 0.2),
    Line(COACHEE, "Okay, I could try that.", A.STATEMENT, 1.1),
    Line(LEADER, "Did you talk to her about procurement?", A.CLOSED_QUESTION, 0.4, G.REALITY),
    Line(LEADER, "Does she know who signs?", A.CLOSED_QUESTION, 0.3, G.REALITY),
    Line(COACHEE, "Not really.", A.STATEMENT, 0.9),
    Line(LEADER, "Tell me more about how she builds her forecast today.", A.OPEN_QUESTION, 0.5, G.REALITY),
    Line(COACHEE, "She goes by gut feel mostly, she looks at the stage and adds it up, and she does not check whether the buyer has agreed on a close plan, so a lot of it is hope rather than evidence, and I have never really shown her how I do it.", A.STATEMENT, 5.2, extra_s=22.0),
    Line(COACHEE, "Maybe that is on me as much as on her.", A.STATEMENT, 1.5),
    Line(LEADER, "It sounds like she has never seen what a good commit looks like.", A.REFLECTION, 2.0),
    Line(LEADER, "What options do you see?", A.OPEN_QUESTION, 0.4, G.OPTIONS),
    Line(COACHEE, "I could sit with her on Fridays and build it together instead of doing it for her, or pair her with Leo who forecasts well.", A.STATEMENT, 6.3, extra_s=8.0),
    Line(COACHEE, "I'm stuck on whether to escalate the slipped deals though.", A.STATEMENT, 0.7),
    Line(LEADER, "I'll call Tom in procurement myself and sort it out.", A.TAKEOVER, 0.1),
    Line(LEADER, "Wouldn't it be easier to just have Leo run her forecast for a month?", A.LEADING_QUESTION, 0.2, G.OPTIONS),
    Line(COACHEE, "Maybe.", A.STATEMENT, 1.8),
    Line(LEADER, "Okay, so weekly reviews and I will call Tom.", A.STATEMENT, 0.6),
    Line(COACHEE, "Sounds good, thanks.", A.STATEMENT, 0.8),
)

NAMES = ((LEADER, "Dana Whitfield"), (COACHEE, "Marcus Lee"))


def _duration(line: Line) -> float:
    return round(len(line.text.split()) * SECONDS_PER_WORD + line.extra_s, 2)


def build_sentences(script: tuple[Line, ...] = SCRIPT) -> tuple[Sentence, ...]:
    """Lay the script out on a clock: each line starts ``pause`` s after the previous end."""
    out: list[Sentence] = []
    clock, turn = 0.0, -1
    for i, line in enumerate(script):
        if i == 0 or script[i - 1].speaker != line.speaker:
            turn += 1
        start = round(clock + line.pause, 2)
        end = round(start + _duration(line), 2)
        out.append(
            Sentence(i, line.speaker, start, end, line.text, turn, line.act, _rule(line.act), grow=line.grow)
        )
        clock = end
    return tuple(out)


def _rule(act: Act) -> RuleResult:
    return RuleResult({A.OPEN_QUESTION: "wh_start_open", A.ADVICE: "modal_you_should"}.get(act, "default_statement"), act)


def timeline_of(sentences: tuple[Sentence, ...]) -> tuple[tuple[str, float, float], ...]:
    """Merge each turn's sentences into speech segments, split where a pause >= 1 s."""
    segs: list[tuple[str, float, float]] = []
    for s in sentences:
        if segs and segs[-1][0] == s.speaker and s.start - segs[-1][2] < 1.0:
            segs[-1] = (s.speaker, segs[-1][1], s.end)
        else:
            segs.append((s.speaker, s.start, s.end))
    return tuple(segs)


def silences_of(timeline: tuple[tuple[str, float, float], ...]) -> tuple[tuple[float, float], ...]:
    """The analysis' silences between these speech segments."""
    return tuple((g.start, g.end) for g in silences([Segment(*t) for t in timeline]))


def ev(s: Sentence, note: str = "") -> Evidence:
    return Evidence(s.start, s.end, s.speaker, s.text, note, s.index)


def _metrics(sents: tuple[Sentence, ...]) -> tuple[Metric, ...]:
    medium = Reliability(Confidence.MEDIUM, ("2 of 9 waits overlap with a backchannel",))
    return (
        Metric("question_statement_ratio", "Questions vs statements", 1.17, "ratio", "1 or more",
               (ev(sents[1]), ev(sents[15])), detail="7 questions, 6 statements"),
        Metric("open_question_share", "Open questions", 0.57, "share", "60% or more", (ev(sents[12]),)),
        Metric("leader_talk_share", "Leader talk share", 0.28, "share", "40% or less"),
        Metric("total_silence_s", "Total silence", 48.3, "s", ""),
        Metric("longest_silence_s", "Longest silence", 6.3, "s", "", (ev(sents[26], "before this answer"),)),
        Metric("median_wait_after_question_s", "Median wait after a question", 2.4, "s", "3 s or more",
               reliability=medium),
        Metric("wait_3s_share", "Questions with a wait of 3 s or more", 0.43, "share", "50% or more"),
        Metric("silence_broken_by_leader", "Silence broken by leader", 2, "count", "none",
               (ev(sents[19], "re-asked before Marcus answered"),)),
        Metric("stacked_questions", "Stacked questions", 1, "count", "none"),
        Metric("rescue_count", "Rescue moments", 2, "count", "none"),
        Metric("rescues_per_10_min", "Rescue rate", 4.1, "per_10_min", "none"),
        Metric("first_rescue_at_s", "First rescue", sents[15].start, "s", ""),
        Metric("interruptions", "Interruptions", 1, "count", "none"),
        Metric("longest_leader_monologue_s", "Longest leader monologue", 7.9, "s", "60 s or less"),
        Metric("longest_coachee_story_s", "Longest coachee story", 48.7, "s", "60 s or more"),
    )


def _dimensions() -> tuple[DimensionScore, ...]:
    rows = (
        ("questions", "Questions vs statements", "question_statement_ratio", 1.17, 78, 20),
        ("open", "Open questions", "open_question_share", 0.57, 70, 15),
        ("listening", "Listening (talk share)", "leader_talk_share", 0.28, 92, 15),
        ("silence", "Silence and wait time", "median_wait_after_question_s", 2.4, 55, 15),
        ("rescue", "Rescue avoidance", "rescue_count", 2, 35, 25),
        ("grow", "GROW structure", "grow_stages_covered", 3, 65, 10),
    )
    return tuple(
        DimensionScore(k, label, mk, mv, float(sc), float(w), round((100 - sc) * w / 100, 2),
                       f"{label}: {sc}/100 against the default thresholds.")
        for k, label, mk, mv, sc, w in rows
    )


def _rescues(s: tuple[Sentence, ...]) -> tuple[RescueMoment, ...]:
    return (
        RescueMoment(s[15].start, Act.ADVICE, ev(s[14]), ev(s[15]), 2,
                     ("no open question on this topic yet",), False,
                     "What have you already tried with her, and what happened?"),
        RescueMoment(s[28].start, Act.TAKEOVER, ev(s[27]), ev(s[28]), 3,
                     ("takeover", "interrupted the coachee"), True,
                     "What would you do if I weren't here?"),
    )


def _grow(s: tuple[Sentence, ...]) -> GrowCoverage:
    return GrowCoverage(
        (
            GrowStageCoverage(G.GOAL, True, s[1].start, ev(s[1])),
            GrowStageCoverage(G.REALITY, True, s[12].start, ev(s[12])),
            GrowStageCoverage(G.OPTIONS, True, s[25].start, ev(s[25])),
            GrowStageCoverage(G.WILL, False, None, None),
        ),
        True,
        "Goal, then Reality, then Options; Will was never asked.",
    )


def realistic_scorecard() -> Scorecard:
    """A 5-minute, two-speaker conversation with two rescues and three GROW stages."""
    s = build_sentences()
    best = Moment("Best question", (ev(s[21]), ev(s[22], "48 s answer")),
                  "Marcus talked for 48 seconds and found his own part in the problem.")
    redo = Moment("Redo moment", (ev(s[27]), ev(s[28])),
                  "Marcus was about to weigh his options; taking the call away ended his thinking.",
                  "What would you do if I weren't here?")
    return Scorecard(
        schema=SCORECARD_SCHEMA,
        roles=Roles(LEADER, COACHEE, "given by the uploader"),
        duration_s=round(s[-1].end + 2.0, 2),
        speakers=NAMES,
        reliability=Reliability(Confidence.HIGH),
        score=Score(66.0, _dimensions(), "default", "2026.1"),
        metrics=_metrics(s),
        sentences=s,
        rescues=_rescues(s),
        grow=_grow(s),
        best_question=best,
        redo_moment=redo,
        focus="When Marcus says he is stuck, ask \"What options do you see?\" and wait 3 seconds before you offer anything.",
        debrief=(
            DebriefPrompt("What did you notice about Marcus's reaction?"),
            DebriefPrompt("Which question was most effective, and why?", s[21].text),
            DebriefPrompt("If you could redo one moment, what would you change?", s[28].text),
        ),
        timeline=timeline_of(s),
        silences=silences_of(timeline_of(s)),
    )


DEGENERATE_SCRIPT = (
    Line(LEADER, "Right, so the numbers are in and they are not good.", A.STATEMENT, 0.5),
    Line(LEADER, "You need to <script>alert('x')</script> get the pipeline & the forecast fixed.", A.ADVICE, 0.3),
    Line(LEADER, "I will handle the board myself.", A.TAKEOVER, 0.4),
)


def degenerate_scorecard() -> Scorecard:
    """One speaker, no questions, no rescues, no GROW, low confidence, nothing to pick."""
    s = build_sentences(DEGENERATE_SCRIPT)
    low = Reliability(Confidence.LOW, ("only one speaker was found", "recording shorter than 3 minutes"))
    return Scorecard(
        schema=SCORECARD_SCHEMA,
        roles=Roles(LEADER, None, "only speaker <b>in</b> the recording", Confidence.LOW, True),
        duration_s=round(s[-1].end + 1.0, 2),
        speakers=((LEADER, "Sam <img src=x onerror=alert(1)>"),),
        reliability=low,
        score=Score(12.5, (), "default", "2026.1"),
        metrics=(
            Metric("question_statement_ratio", "Questions vs statements", 0.0, "ratio", "1 or more", reliability=low),
            Metric("open_question_share", "Open questions", None, "share", "60% or more", reliability=low,
                   detail="No questions were asked."),
            Metric("leader_talk_share", "Leader talk share", 1.0, "share", "40% or less"),
        ),
        sentences=s,
        rescues=(),
        grow=GrowCoverage((), False, ""),
        best_question=None,
        redo_moment=None,
        focus="",
        debrief=(DebriefPrompt("What did you notice about the coachee's reaction?"),),
        timeline=timeline_of(s),
        silences=silences_of(timeline_of(s)),
    )


def analysed_scorecard(named: bool = True) -> Scorecard:
    """The same conversation scored by the real analysis (acts as scripted), with the
    speakers' names known or, with ``named=False``, only the generated labels."""
    from analysis.scorecard import build_scorecard
    from analysis.types import Speaker, Transcript, Turn

    s = build_sentences()
    turns: list[Turn] = []
    for sentence in s:
        if turns and sentence.turn_index == len(turns) - 1:
            last = turns[-1]
            turns[-1] = Turn(last.speaker, last.start, sentence.end, f"{last.text} {sentence.text}")
        else:
            turns.append(Turn(sentence.speaker, sentence.start, sentence.end, sentence.text))
    names = dict(NAMES) if named else {}
    transcript = Transcript(
        duration_s=round(s[-1].end + 2.0, 2),
        speakers=tuple(Speaker(label, names.get(label)) for label in (LEADER, COACHEE)),
        turns=tuple(turns),
    )
    roles = Roles(LEADER, COACHEE, "inferred: S0 asks the most questions (9 of 9)", Confidence.HIGH, True)
    return build_scorecard(transcript, roles, s)
