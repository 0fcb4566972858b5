"""WebVTT and SRT subtitles from a Transcript, with speaker names (pure functions).

One cue per turn; a long turn with word timings is split at word boundaries into cues of
at most ``MAX_CUE_S`` seconds / ``MAX_CUE_CHARS`` characters so players can show it.
WebVTT names the speaker with a voice span (``<v Dana>``); SRT prefixes ``Dana: ``.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.types import Transcript, Turn

MAX_CUE_S = 7.0
MAX_CUE_CHARS = 84
MIN_CUE_S = 0.01  # cue end must follow its start


@dataclass(frozen=True)
class Cue:
    """One subtitle: ``speaker`` is the display name; times in seconds."""

    start: float
    end: float
    speaker: str
    text: str


def cues(t: Transcript) -> tuple[Cue, ...]:
    """The transcript's turns as display cues (in turn order, empty turns skipped)."""
    out: list[Cue] = []
    for turn in t.turns:
        name = t.display_name(turn.speaker)
        out.extend(Cue(s, e, name, text) for s, e, text in _split(turn) if text)
    return tuple(out)


def to_webvtt(t: Transcript) -> str:
    """WebVTT document; cue text and voice names are escaped (&, <, >)."""
    blocks = ["WEBVTT"]
    for i, cue in enumerate(cues(t), start=1):
        voice = _vtt_escape(cue.speaker).replace("\n", " ")
        blocks.append(
            f"{i}\n{_ts(cue.start, '.')} --> {_ts(cue.end, '.')}\n<v {voice}>{_vtt_escape(cue.text)}"
        )
    return "\n\n".join(blocks) + "\n"


def to_srt(t: Transcript) -> str:
    """SubRip document: numbered cues, ``HH:MM:SS,mmm`` times, ``Name: text``."""
    blocks = [
        f"{i}\n{_ts(cue.start, ',')} --> {_ts(cue.end, ',')}\n{cue.speaker}: {cue.text}"
        for i, cue in enumerate(cues(t), start=1)
    ]
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def _split(turn: Turn) -> list[tuple[float, float, str]]:
    """(start, end, text) pieces of one turn; whole turn when it has no word timings."""
    if not turn.words:
        return [(turn.start, max(turn.end, turn.start + MIN_CUE_S), _clean(turn.text))]
    pieces: list[tuple[float, float, str]] = []
    group: list = []
    for w in turn.words:
        text = " ".join(x.text for x in group + [w])
        if group and (w.end - group[0].start > MAX_CUE_S or len(text) > MAX_CUE_CHARS):
            pieces.append(_piece(group))
            group = []
        group.append(w)
    pieces.append(_piece(group))
    return pieces


def _piece(words: list) -> tuple[float, float, str]:
    return (words[0].start, max(words[-1].end, words[0].start + MIN_CUE_S), _clean(" ".join(w.text for w in words)))


def _clean(text: str) -> str:
    return " ".join(text.split())


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _ts(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"
