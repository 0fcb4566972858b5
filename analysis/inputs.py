"""Transcript inputs: the pipeline's transcript JSON, utterance-level JSON and WebVTT
(Zoom "Name: text" cues, Teams ``<v Name>`` cues).

Design: one Turn per input utterance/cue (so each Turn keeps its ``source_index``);
consecutive turns of the same speaker are merged into one *floor* by the metrics
(``analysis.timing.floors``), never here. Text inputs have no diarization, so their
``segments`` are derived from the turns (one segment per turn). All times are seconds.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

from analysis.attribution import speaker_overlapped
from analysis.errors import InputError, TranscriptFormatError
from analysis.transcript_json import transcript_from_dict
from analysis.types import (
    TRANSCRIPT_SCHEMA,
    Overlap,
    Segment,
    Speaker,
    Transcript,
    TranscriptMeta,
    Turn,
)

WORDS_PER_SECOND = 2.5  # ~150 words a minute, used to estimate missing end times
MIN_UTTERANCE_S = 0.4


@dataclass(frozen=True)
class Utterance:
    """One speaker's utterance from a text transcript; ``end`` None = to be estimated."""

    speaker: str
    start: float
    end: float | None
    text: str
    source_index: int


# --------------------------------------------------------------------------- entry points


def load_transcript(path: Path) -> tuple[Transcript, str | None]:
    """Read a transcript file (.json or .vtt); return it with the leader hint the file
    carries (utterance JSON ``roles.leader``), or None."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as e:
        raise InputError(f"{path}: no such file") from e
    except (OSError, UnicodeDecodeError) as e:
        raise TranscriptFormatError(f"{path}: cannot read as UTF-8 text ({e})") from e
    suffix = path.suffix.lower()
    if suffix == ".vtt" or text.lstrip().startswith("WEBVTT"):
        return parse_webvtt(text), None
    if suffix == ".json" or text.lstrip().startswith("{"):
        return parse_json_transcript(text)
    raise TranscriptFormatError(
        f"{path.name}: not a transcript (expected a .json or .vtt file)"
    )


def parse_json_transcript(text: str) -> tuple[Transcript, str | None]:
    """Parse either the pipeline transcript JSON or utterance-level JSON."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise TranscriptFormatError(
            f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}"
        ) from e
    if not isinstance(data, Mapping):
        raise TranscriptFormatError("transcript JSON must be an object at the top level")
    if "utterances" in data:
        return parse_utterances(data)
    if "schema" in data:
        return with_segments(transcript_from_dict(data)), None
    raise TranscriptFormatError(
        f"transcript JSON: expected field 'schema' ({TRANSCRIPT_SCHEMA!r}) "
        "or field 'utterances' at the top level"
    )


def parse_utterances(data: Mapping[str, Any]) -> tuple[Transcript, str | None]:
    """Utterance-level JSON: ``{"utterances": [{"speaker", "start", "end"?, "text"}],
    "roles": {"leader": ...}?, "duration_s"?}``. Missing ends are estimated."""
    items = data.get("utterances")
    if not isinstance(items, list):
        raise TranscriptFormatError(
            f"field 'utterances': expected a list, got {type(items).__name__}"
        )
    if not items:
        raise TranscriptFormatError("field 'utterances': the list is empty")
    utterances = [_utterance(u, i) for i, u in enumerate(items)]
    duration = _optional_number(data, "duration_s", "duration_s")
    transcript = transcript_from_utterances(utterances, source="utterances", duration_s=duration)
    return transcript, _leader_hint(data)


def parse_webvtt(text: str) -> Transcript:
    """WebVTT with speaker names (Zoom ``Name: text`` or Teams ``<v Name>text</v>``).
    Errors name the 1-based line."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or not lines[0].startswith("WEBVTT"):
        raise TranscriptFormatError("line 1: expected the 'WEBVTT' header")
    utterances: list[Utterance] = []
    for cue in _vtt_cues(lines):
        utterances.extend(_cue_utterances(cue, len(utterances), utterances))
    if not utterances:
        raise TranscriptFormatError("WebVTT file has no cues with text")
    return transcript_from_utterances(utterances, source="webvtt")


# --------------------------------------------------------------------------- building


def transcript_from_utterances(
    utterances: Sequence[Utterance], source: str, duration_s: float | None = None
) -> Transcript:
    """Build a Transcript (one turn per non-empty utterance, sorted by start) with
    estimated end times, derived segments and overlaps. Does not mutate its input."""
    ordered = sorted(utterances, key=lambda u: u.start)
    ends = _estimate_ends(ordered)
    turns = tuple(
        Turn(u.speaker, u.start, end, u.text.strip(), source_index=u.source_index)
        for u, end in zip(ordered, ends)
        if u.text.strip()
    )
    if not turns:
        raise TranscriptFormatError("transcript has no utterance with text")
    overlaps = turn_overlaps(turns)
    turns = tuple(replace(t, overlapped=_is_overlapped(t, overlaps)) for t in turns)
    speakers: list[str] = []
    for t in turns:
        if t.speaker not in speakers:
            speakers.append(t.speaker)
    last_end = max(t.end for t in turns)
    return Transcript(
        duration_s=max(duration_s or 0.0, last_end),
        speakers=tuple(Speaker(label=s, name=s) for s in speakers),
        turns=turns,
        segments=segments_from_turns(turns),
        overlaps=overlaps,
        meta=TranscriptMeta(source=source),
    )


def segments_from_turns(turns: Sequence[Turn]) -> tuple[Segment, ...]:
    """One speech segment per turn (for inputs without diarization)."""
    return tuple(Segment(t.speaker, t.start, t.end) for t in turns if t.end > t.start)


def with_segments(t: Transcript) -> Transcript:
    """Return ``t`` with segments derived from turns when it has none."""
    if t.segments:
        return t
    return replace(t, segments=segments_from_turns(t.turns))


def turn_overlaps(turns: Sequence[Turn]) -> tuple[Overlap, ...]:
    """Intervals where turns of different speakers overlap (turns sorted by start)."""
    found: list[Overlap] = []
    for i, a in enumerate(turns):
        for b in turns[i + 1 :]:
            if b.start >= a.end:
                break
            if b.speaker != a.speaker:
                end = min(a.end, b.end)
                if end > b.start:
                    found.append(Overlap(b.start, end, (a.speaker, b.speaker)))
    return tuple(sorted(found, key=lambda o: o.start))


def _is_overlapped(turn: Turn, overlaps: Sequence[Overlap]) -> bool:
    return speaker_overlapped(turn.speaker, turn.start, turn.end, overlaps)


def _estimate_ends(ordered: Sequence[Utterance]) -> list[float]:
    """End time per utterance: given, or start + words / 2.5 wps (at least 0.4 s),
    clipped at the next utterance's start so that estimates never create overlaps."""
    ends: list[float] = []
    for i, u in enumerate(ordered):
        if u.end is not None:
            ends.append(u.end)
            continue
        estimate = u.start + max(MIN_UTTERANCE_S, len(u.text.split()) / WORDS_PER_SECOND)
        nxt = next((v.start for v in ordered[i + 1 :] if v.start > u.start), None)
        ends.append(min(estimate, nxt) if nxt is not None else estimate)
    return ends


# --------------------------------------------------------------------------- JSON fields


def _utterance(u: Any, i: int) -> Utterance:
    where = f"utterances[{i}]"
    if not isinstance(u, Mapping):
        raise TranscriptFormatError(f"{where}: expected an object, got {type(u).__name__}")
    speaker = u.get("speaker")
    if isinstance(speaker, int) and not isinstance(speaker, bool):
        speaker = f"S{speaker}"
    if not isinstance(speaker, str) or not speaker.strip():
        raise TranscriptFormatError(f"field '{where}.speaker': expected a non-empty string")
    start = _number(u, "start", f"{where}.start")
    end = _optional_number(u, "end", f"{where}.end")
    if end is not None and end < start:
        raise TranscriptFormatError(
            f"field '{where}.end': {end} is before start {start}"
        )
    text = u.get("text")
    if not isinstance(text, str):
        raise TranscriptFormatError(f"field '{where}.text': expected a string")
    return Utterance(speaker.strip(), start, end, text, i)


def _number(d: Mapping[str, Any], key: str, name: str) -> float:
    value = d.get(key)
    if isinstance(value, str):
        value = _parse_clock(value, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TranscriptFormatError(f"field {name!r}: expected a number of seconds, got {value!r}")
    if value < 0:
        raise TranscriptFormatError(f"field {name!r}: must be >= 0 seconds, got {value!r}")
    return float(value)


def _optional_number(d: Mapping[str, Any], key: str, name: str) -> float | None:
    return None if d.get(key) is None else _number(d, key, name)


def _parse_clock(value: str, name: str) -> float:
    """Accept "12.5", "01:02.5" or "00:01:02" for a time field."""
    try:
        seconds = 0.0
        for part in value.strip().split(":"):
            seconds = seconds * 60 + float(part)
        return seconds
    except ValueError as e:
        raise TranscriptFormatError(
            f"field {name!r}: expected a number of seconds, got {value!r}"
        ) from e


def _leader_hint(data: Mapping[str, Any]) -> str | None:
    roles = data.get("roles")
    if roles is None:
        return None
    if not isinstance(roles, Mapping):
        raise TranscriptFormatError("field 'roles': expected an object")
    leader = roles.get("leader")
    if leader is None:
        return None
    if isinstance(leader, int) and not isinstance(leader, bool):
        return str(leader)
    if not isinstance(leader, str) or not leader.strip():
        raise TranscriptFormatError("field 'roles.leader': expected a non-empty string")
    return leader.strip()


# --------------------------------------------------------------------------- WebVTT

_TIMING = re.compile(
    r"^\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s+-->\s+((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})(\s.*)?$"
)
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]+)>")
_TAG = re.compile(r"</?[^>]*>")
_ZOOM_NAME = re.compile(r"^([^:<>]{1,60}?):\s+(.*)$")
_NAME_PARTICLES = {"de", "da", "del", "della", "di", "du", "la", "le", "van", "von", "der", "den", "bin", "al", "el"}
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&nbsp;": " ", "&lrm;": "", "&rlm;": ""}


@dataclass(frozen=True)
class _Cue:
    line: int  # 1-based line of the timing line
    start: float
    end: float
    payload: tuple[str, ...]


def _vtt_cues(lines: Sequence[str]) -> list[_Cue]:
    cues: list[_Cue] = []
    i = 1
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        block_start = i
        while i < len(lines) and lines[i].strip():
            i += 1
        cue = _vtt_block(lines[block_start:i], block_start + 1)
        if cue is not None:
            cues.append(cue)
    return cues


def _vtt_block(block: Sequence[str], first_line: int) -> _Cue | None:
    head = block[0].strip()
    if head.startswith(("NOTE", "STYLE", "REGION")) and "-->" not in head:
        return None
    timing_at = 0 if "-->" in block[0] else 1
    if timing_at >= len(block) or "-->" not in block[timing_at]:
        raise TranscriptFormatError(
            f"line {first_line + timing_at}: expected a cue timing 'HH:MM:SS.mmm --> HH:MM:SS.mmm', "
            f"got {block[min(timing_at, len(block) - 1)].strip()!r}"
        )
    line_no = first_line + timing_at
    m = _TIMING.match(block[timing_at])
    if not m:
        raise TranscriptFormatError(
            f"line {line_no}: bad cue timing {block[timing_at].strip()!r} "
            "(expected 'HH:MM:SS.mmm --> HH:MM:SS.mmm')"
        )
    start, end = _vtt_time(m.group(1)), _vtt_time(m.group(2))
    if end < start:
        raise TranscriptFormatError(f"line {line_no}: cue ends ({m.group(2)}) before it starts ({m.group(1)})")
    return _Cue(line_no, start, end, tuple(block[timing_at + 1 :]))


def _vtt_time(value: str) -> float:
    parts = value.replace(",", ".").split(":")
    seconds = 0.0
    for p in parts:
        seconds = seconds * 60 + float(p)
    return seconds


def _cue_utterances(cue: _Cue, first_index: int, previous: Sequence[Utterance]) -> list[Utterance]:
    """Split a cue's payload into (speaker, text) lines; a line without a name continues
    the previous line's (or cue's) speaker. Time is shared out by word count."""
    parts: list[tuple[str, str]] = []
    for offset, raw in enumerate(cue.payload):
        speaker, text = _payload_line(raw)
        if speaker is None:
            if parts:
                parts[-1] = (parts[-1][0], f"{parts[-1][1]} {text}".strip())
                continue
            if not previous:
                if not text:
                    continue
                raise TranscriptFormatError(
                    f"line {cue.line + 1 + offset}: cue has no speaker name "
                    "(expected 'Name: text' or '<v Name>text</v>')"
                )
            speaker = previous[-1].speaker
        parts.append((speaker, text))
    parts = [(s, t) for s, t in parts if t]
    return _share_time(cue, parts, first_index)


def _payload_line(raw: str) -> tuple[str | None, str]:
    voice = _VOICE.search(raw)
    if voice:
        return voice.group(1).strip(), _clean(raw)
    text = _clean(raw)
    m = _ZOOM_NAME.match(text)
    if m and _looks_like_name(m.group(1)):
        return m.group(1).strip(), m.group(2).strip()
    return None, text


def _looks_like_name(candidate: str) -> bool:
    """'Dana Lee', 'Speaker 2', 'dlee' yes; 'So here's the thing' (text before a colon) no:
    one token of any case, or up to 5 capitalised tokens (name particles allowed)."""
    tokens = candidate.split()
    if not tokens or len(tokens) > 5 or re.search(r"[.!?,;]", candidate):
        return False
    if len(tokens) == 1:
        return True
    return all(t[0].isupper() or t[0].isdigit() or t.lower() in _NAME_PARTICLES for t in tokens)


def _clean(raw: str) -> str:
    text = _TAG.sub("", raw)
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    return " ".join(text.split())


def _share_time(cue: _Cue, parts: Sequence[tuple[str, str]], first_index: int) -> list[Utterance]:
    total = sum(max(1, len(t.split())) for _, t in parts) or 1
    out: list[Utterance] = []
    t0 = cue.start
    for k, (speaker, text) in enumerate(parts):
        share = max(1, len(text.split())) / total
        t1 = cue.end if k == len(parts) - 1 else t0 + share * (cue.end - cue.start)
        out.append(Utterance(speaker, t0, t1, text, first_index + k))
        t0 = t1
    return out
