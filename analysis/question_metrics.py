"""Question metrics: question-to-statement ratio, open-question share, act counts."""

from __future__ import annotations

from collections import Counter

from analysis.evidence import metric, of_sentence
from analysis.floors import Conversation
from analysis.reliability import Signals, reliability, with_sample
from analysis.results import Measurement
from analysis.types import RESCUE_ACTS, Act


def question_metrics(conv: Conversation, sig: Signals) -> tuple[Measurement, ...]:
    """Leader questions / statements (backchannels excluded; None when the leader said
    nothing; with no statements the statement count is taken as 1),
    open / all questions, and the share of directive sentences (advice, takeover,
    leading questions) among the leader's non-backchannel sentences."""
    leader = conv.leader_sentences()
    said = [s for s in leader if s.act is not Act.BACKCHANNEL]
    questions = [s for s in said if s.act.is_question]
    statements = [s for s in said if s.act.is_statement]
    opens = [s for s in questions if s.act is Act.OPEN_QUESTION]
    directive = [s for s in said if s.act in RESCUE_ACTS]
    rel = reliability(sig, "text")
    counts = Counter(s.act for s in leader)
    ratio = len(questions) / max(1, len(statements)) if said else None
    return (
        metric("question_statement_ratio", ratio,
               with_sample(rel, len(said), 5, "leader sentences"),
               [of_sentence(s, s.act.label.lower()) for s in questions],
               f"{len(questions)} questions, {len(statements)} statements: "
               + ", ".join(a.counted(counts[a]) for a in Act if counts[a] and a is not Act.BACKCHANNEL)),
        metric("open_question_share", len(opens) / len(questions) if questions else None,
               with_sample(rel, len(questions), 3, "questions"),
               [of_sentence(s, "open") for s in opens], f"{len(opens)} of {len(questions)} questions"),
        metric("directive_share", len(directive) / len(said) if said else None, rel,
               [of_sentence(s, s.act.label.lower()) for s in directive],
               f"{len(directive)} of {len(said)} leader sentences"),
        metric("leader_backchannels", counts[Act.BACKCHANNEL], rel,
               detail="short acknowledgements, not counted as statements"),
    )
