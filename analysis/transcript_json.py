"""Read and write the versioned transcript JSON (schema ``coachscore.transcript/1``).

Layout (times in seconds)::

    {"schema": "coachscore.transcript/1", "duration_s": 61.2,
     "speakers": [{"label": "S0", "name": "Dana", "channel": null}, ...],
     "words":    [{"text", "start", "end", "probability", "speaker"}, ...],
     "segments": [{"speaker", "start", "end"}, ...],       # diarization speech segments
     "turns":    [{"speaker", "start", "end", "text", "source_index", "overlapped",
                   "word_indices": [first, last_exclusive]}, ...],
     "overlaps": [{"start", "end", "speakers": [...]}, ...],
     "warnings": ["A third speaker, S2, was found: ...", ...],   # optional, plain English
     "meta": {"source", "audio_file", "language", "asr": {"name", "version", "details"},
              "diarizer": {...}, "stage_timings_s": {...}, "num_channels"}}

``warnings`` came later within /1: a transcript without it reads as having none.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from analysis.errors import TranscriptFormatError
from analysis.types import (
    TRANSCRIPT_SCHEMA,
    ModelInfo,
    Overlap,
    Segment,
    Speaker,
    Transcript,
    TranscriptMeta,
    Turn,
    Word,
)


def transcript_to_dict(t: Transcript) -> dict[str, Any]:
    """Serialise a Transcript; turns reference their words by index range."""
    index = {id(w): i for i, w in enumerate(t.words)}
    turns = []
    for turn in t.turns:
        ids = [index[id(w)] for w in turn.words if id(w) in index]
        turns.append(
            {
                "speaker": turn.speaker,
                "start": _r(turn.start),
                "end": _r(turn.end),
                "text": turn.text,
                "source_index": turn.source_index,
                "overlapped": turn.overlapped,
                "word_indices": [min(ids), max(ids) + 1] if ids else None,
            }
        )
    return {
        "schema": TRANSCRIPT_SCHEMA,
        "duration_s": _r(t.duration_s),
        "speakers": [
            {"label": s.label, "name": s.name, "channel": s.channel} for s in t.speakers
        ],
        "words": [
            {
                "text": w.text,
                "start": _r(w.start),
                "end": _r(w.end),
                "probability": round(w.probability, 4),
                "speaker": w.speaker,
            }
            for w in t.words
        ],
        "segments": [
            {"speaker": s.speaker, "start": _r(s.start), "end": _r(s.end)} for s in t.segments
        ],
        "turns": turns,
        "overlaps": [
            {"start": _r(o.start), "end": _r(o.end), "speakers": list(o.speakers)}
            for o in t.overlaps
        ],
        "warnings": list(t.warnings),
        "meta": _meta_to_dict(t.meta),
    }


def transcript_from_dict(data: Any) -> Transcript:
    """Parse a transcript JSON document; raise TranscriptFormatError naming the field."""
    if not isinstance(data, Mapping):
        raise TranscriptFormatError("transcript JSON must be an object at the top level")
    schema = data.get("schema")
    if schema != TRANSCRIPT_SCHEMA:
        raise TranscriptFormatError(
            f"field 'schema': expected {TRANSCRIPT_SCHEMA!r}, got {schema!r}"
        )
    words = tuple(_word(w, f"words[{i}]") for i, w in enumerate(_list(data, "words")))
    speakers = tuple(_speaker(s, f"speakers[{i}]") for i, s in enumerate(_list(data, "speakers")))
    labels = {s.label for s in speakers}
    turns = tuple(
        _turn(t, f"turns[{i}]", words, labels) for i, t in enumerate(_list(data, "turns"))
    )
    segments = tuple(
        Segment(_str(s, "speaker", f"segments[{i}]"), *_span(s, f"segments[{i}]"))
        for i, s in enumerate(_list(data, "segments", required=False))
    )
    overlaps = tuple(
        Overlap(*_span(o, f"overlaps[{i}]"), tuple(o.get("speakers") or ()))
        for i, o in enumerate(_list(data, "overlaps", required=False))
    )
    duration = _num(data, "duration_s", "")
    return Transcript(
        duration_s=duration,
        speakers=speakers,
        turns=turns,
        words=words,
        segments=segments,
        overlaps=overlaps,
        meta=_meta_from_dict(data.get("meta") or {}),
        warnings=_warnings(data),
    )


# --------------------------------------------------------------------------- helpers


def _r(x: float) -> float:
    return round(float(x), 3)


def _meta_to_dict(m: TranscriptMeta) -> dict[str, Any]:
    def model(info: ModelInfo | None) -> dict[str, Any] | None:
        if info is None:
            return None
        return {"name": info.name, "version": info.version, "details": dict(info.details)}

    return {
        "source": m.source,
        "audio_file": m.audio_file,
        "language": m.language,
        "asr": model(m.asr),
        "diarizer": model(m.diarizer),
        "stage_timings_s": {k: round(v, 3) for k, v in m.stage_timings_s.items()},
        "num_channels": m.num_channels,
    }


def _meta_from_dict(d: Mapping[str, Any]) -> TranscriptMeta:
    def model(x: Any) -> ModelInfo | None:
        if not isinstance(x, Mapping):
            return None
        return ModelInfo(str(x.get("name", "")), str(x.get("version", "")), dict(x.get("details") or {}))

    return TranscriptMeta(
        source=str(d.get("source", "json")),
        audio_file=d.get("audio_file"),
        language=d.get("language"),
        asr=model(d.get("asr")),
        diarizer=model(d.get("diarizer")),
        stage_timings_s={str(k): float(v) for k, v in (d.get("stage_timings_s") or {}).items()},
        num_channels=d.get("num_channels"),
    )


def _warnings(data: Mapping[str, Any]) -> tuple[str, ...]:
    items = _list(data, "warnings", required=False)
    for i, w in enumerate(items):
        if not isinstance(w, str) or not w:
            raise TranscriptFormatError(f"field 'warnings[{i}]': expected a non-empty string")
    return tuple(items)


def _list(data: Mapping[str, Any], key: str, required: bool = True) -> list[Any]:
    value = data.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise TranscriptFormatError(f"field {key!r}: expected a list, got {type(value).__name__}")
    return value


def _obj(x: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(x, Mapping):
        raise TranscriptFormatError(f"{where}: expected an object, got {type(x).__name__}")
    return x


def _num(d: Any, key: str, where: str) -> float:
    d = _obj(d, where or "transcript")
    value = d.get(key)
    name = f"{where}.{key}" if where else key
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TranscriptFormatError(f"field {name!r}: expected a finite number, got {value!r}")
    if value < 0:
        raise TranscriptFormatError(f"field {name!r}: must be >= 0 seconds, got {value!r}")
    return float(value)


def _str(d: Any, key: str, where: str) -> str:
    value = _obj(d, where).get(key)
    if not isinstance(value, str) or not value:
        raise TranscriptFormatError(f"field '{where}.{key}': expected a non-empty string")
    return value


def _span(d: Any, where: str) -> tuple[float, float]:
    start, end = _num(d, "start", where), _num(d, "end", where)
    if end < start:
        raise TranscriptFormatError(f"{where}: end ({end}) is before start ({start})")
    return start, end


def _word(d: Any, where: str) -> Word:
    start, end = _span(d, where)
    text = _obj(d, where).get("text")
    if not isinstance(text, str):
        raise TranscriptFormatError(f"field '{where}.text': expected a string")
    prob = d.get("probability", 1.0)
    speaker = d.get("speaker")
    return Word(text, start, end, float(prob), speaker if isinstance(speaker, str) else None)


def _speaker(d: Any, where: str) -> Speaker:
    obj = _obj(d, where)
    return Speaker(_str(obj, "label", where), obj.get("name"), obj.get("channel"))


def _turn(d: Any, where: str, words: tuple[Word, ...], labels: set[str]) -> Turn:
    speaker = _str(d, "speaker", where)
    if speaker not in labels:
        raise TranscriptFormatError(f"field '{where}.speaker': {speaker!r} is not in 'speakers'")
    start, end = _span(d, where)
    span = d.get("word_indices")
    turn_words: tuple[Word, ...] = ()
    if span is not None:
        if not (isinstance(span, list) and len(span) == 2 and 0 <= span[0] <= span[1] <= len(words)):
            raise TranscriptFormatError(f"field '{where}.word_indices': bad range {span!r}")
        turn_words = words[span[0] : span[1]]
    text = d.get("text")
    if not isinstance(text, str):
        raise TranscriptFormatError(f"field '{where}.text': expected a string")
    return Turn(speaker, start, end, text, turn_words, d.get("source_index"), bool(d.get("overlapped")))
