"""The two labelled corpora the acts are tuned on, as transcripts with per-utterance gold.

AnnoMI dev (therapist = leader) and ESConv dev (supporter = leader); shared by
``train_acts.py``, ``eval_annomi.py`` and ``eval_esconv.py``. Text is read from
../shared at run time and never written into the repository.

Gold per leader utterance (None where the corpus has no such label):
- question: AnnoMI ``question_exists``; ESConv strategy "Questions"
- open: AnnoMI ``question_subtype == open``; ESConv None
- advice: AnnoMI ``therapist_input_subtype == advice``; ESConv "Providing Suggestions"
- reflection: AnnoMI ``reflection_exists``; ESConv the two restatement/reflection strategies
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from analysis.types import Speaker, Transcript, TranscriptMeta, Turn

ANNOMI_CSV = Path("/work/shared/data/annomi-dev/annomi-dev.csv")
ANNOMI_LEADER, ANNOMI_COACHEE = "therapist", "client"
ESCONV_JSONL = Path("/work/shared/data/esconv-dev/esconv-dev.jsonl")
ESCONV_LEADER = "supporter"
LABELS = ("question", "open", "advice", "reflection")
REFLECTION_STRATEGIES = frozenset({"Restatement or Paraphrasing", "Reflection of feelings"})
WORDS_PER_S = 2.5


@dataclass(frozen=True)
class Conversation:
    """One conversation: its transcript (one turn per utterance) and, for each turn index
    of a leader utterance, its gold labels (``LABELS`` -> bool or None)."""

    corpus: str  # "annomi" | "esconv"
    cid: str
    leader: str
    transcript: Transcript
    gold: dict[int, dict[str, bool | None]]
    group: str = ""  # AnnoMI: the annotator id; ESConv: ""
    quality: str = ""  # AnnoMI mi_quality ("high"/"low")


def weak_asr(text: str) -> str:
    """Punctuation stripped, lower-cased (apostrophes kept, as most ASR does)."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s']", " ", text.lower())).strip()


def identity(text: str) -> str:
    return text


VARIANTS = {"punctuated": identity, "stripped": weak_asr}


def _annomi_rows(path: Path, limit: int | None) -> dict[str, list[dict[str, str]]]:
    convs: dict[str, list[dict[str, str]]] = defaultdict(list)
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            convs[row["transcript_id"]].append(row)
    ids = sorted(convs, key=int)[: limit or None]
    return {i: sorted(convs[i], key=lambda r: int(r["utterance_id"])) for i in ids}


def _seconds(ts: str) -> float:
    h, m, s = (int(x) for x in ts.split(":"))
    return float(h * 3600 + m * 60 + s)


def _annomi_transcript(rows: list[dict[str, str]], transform: Callable[[str], str]) -> Transcript:
    """One turn per utterance; ends from the next start (timestamps have 1 s resolution)."""
    starts = [_seconds(r["timestamp"]) for r in rows]
    turns = []
    for k, r in enumerate(rows):
        est = starts[k] + max(len(r["utterance_text"].split()) / WORDS_PER_S, 0.5)
        nxt = starts[k + 1] if k + 1 < len(rows) else None
        if nxt is None:
            end = est
        else:
            end = max(nxt, starts[k] + 0.1) if nxt > starts[k] else min(est, starts[k] + 1.0)
        turns.append(Turn(r["interlocutor"], starts[k], end, transform(r["utterance_text"]), source_index=k))
    return Transcript(
        duration_s=max(t.end for t in turns),
        speakers=(Speaker(ANNOMI_LEADER, "Therapist"), Speaker(ANNOMI_COACHEE, "Client")),
        turns=tuple(turns),
        meta=TranscriptMeta(source="utterances"),
    )


def annomi(transform=identity, path: Path = ANNOMI_CSV, limit: int | None = None) -> list[Conversation]:
    out = []
    for cid, utts in _annomi_rows(path, limit).items():
        gold = {
            k: {
                "question": u["question_exists"] == "True",
                "open": u["question_subtype"] == "open",
                "advice": u["therapist_input_subtype"] == "advice",
                "reflection": u["reflection_exists"] == "True",
            }
            for k, u in enumerate(utts)
            if u["interlocutor"] == ANNOMI_LEADER
        }
        out.append(Conversation("annomi", cid, ANNOMI_LEADER, _annomi_transcript(utts, transform), gold,
                                utts[0]["annotator_id"], utts[0]["mi_quality"]))
    return out


def esconv(transform=identity, path: Path = ESCONV_JSONL, limit: int | None = None) -> list[Conversation]:
    out = []
    with path.open(encoding="utf-8") as fh:
        dialogues = [json.loads(line) for line in fh if line.strip()]
    for d in dialogues[: limit or None]:
        turns, gold, t = [], {}, 0.0
        for k, u in enumerate(d["utterances"]):
            text = transform(u["text"])
            dur = max(len(text.split()) / WORDS_PER_S, 0.5)
            turns.append(Turn(speaker=u["speaker"], start=t, end=t + dur, text=text, source_index=k))
            t += dur + 0.5
            if u["speaker"] == ESCONV_LEADER:
                s = u["strategy"]
                gold[k] = {"question": s == "Questions", "open": None, "advice": s == "Providing Suggestions",
                           "reflection": s in REFLECTION_STRATEGIES}
        tr = Transcript(duration_s=t, speakers=(Speaker(ESCONV_LEADER, "Supporter"), Speaker("seeker", "Seeker")),
                        turns=tuple(turns), meta=TranscriptMeta(source="utterances"))
        out.append(Conversation("esconv", str(d["id"]), ESCONV_LEADER, tr, gold))
    return out
