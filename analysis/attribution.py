"""Attribute ASR words to diarized speakers and build turns and overlaps (pure).

Rules (times in seconds):
- A word goes to the speaker whose segments overlap it most.
- Short replies are protected: when a word overlaps segments of two or more speakers and
  one of them is a short segment (<= ``short_segment_s``, e.g. "yes", "mm-hmm") that the
  word covers substantially (>= half of the shorter of word and segment), the short
  segment's speaker gets the word, even when the other speaker's long segment (or a word
  timestamp stretched across a pause by Whisper) overlaps it more. A short segment claims
  at most ``max_reply_words`` words (those overlapping it most).
- A word overlapping no segment goes to the nearest segment's speaker if that segment is
  within ``max_gap_s``; otherwise it stays unattributed (speaker None).
- Sentences stay whole (``keep_sentences_whole``): within a sentence (words up to one ending
  in . ? ! or a pause >= ``sentence_gap_s``), a run of at most ``max_blip_words`` words given
  to another speaker is a diarization blip and goes back to the sentence's speaker (the one
  with most words), unless pauses >= ``reply_gap_s`` set the run off from the sentence's
  other words (a real interjection such as "yes"). Overlaps stay in ``overlaps``; a reply
  that is its own sentence ("Yes.", "No idea.") is never touched.
- Turns are maximal runs of attributed words by one speaker (unattributed words do not
  break a run and are not part of any turn's text).
- Overlaps are the intervals where segments of different speakers overlap; a turn whose
  span meets an overlap involving its speaker is marked ``overlapped``.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, replace
from typing import Sequence

from analysis.types import Overlap, Segment, Speaker, Transcript, TranscriptMeta, Turn, Word


@dataclass(frozen=True)
class AttributionParams:
    max_gap_s: float = 1.0
    short_segment_s: float = 1.5
    max_reply_words: int = 3
    min_overlap_s: float = 0.01
    sentence_gap_s: float = 1.0
    max_blip_words: int = 2
    reply_gap_s: float = 0.3


def build_transcript(
    words: Sequence[Word],
    segments: Sequence[Segment],
    speakers: Sequence[Speaker],
    duration_s: float,
    meta: TranscriptMeta,
    params: AttributionParams = AttributionParams(),
) -> Transcript:
    """A speaker-attributed Transcript; inputs are not modified. Speakers named by a
    segment but missing from ``speakers`` are added (label only)."""
    segs = tuple(sorted(segments, key=lambda s: (s.start, s.end, s.speaker)))
    ordered = sorted(words, key=lambda w: (w.start, w.end))
    labelled = [replace(w, speaker=spk) for w, spk in zip(ordered, attribute_words(ordered, segs, params))]
    attributed = tuple(
        replace(w, speaker=spk) for w, spk in zip(labelled, keep_sentences_whole(labelled, params))
    )
    overlaps = find_overlaps(segs, params.min_overlap_s)
    turns = build_turns(attributed, overlaps)
    all_speakers = _with_segment_speakers(speakers, segs)
    last = max([duration_s] + [w.end for w in attributed] + [s.end for s in segs])
    return Transcript(
        duration_s=last,
        speakers=all_speakers,
        turns=turns,
        words=attributed,
        segments=segs,
        overlaps=overlaps,
        meta=meta,
    )


def _with_segment_speakers(speakers: Sequence[Speaker], segs: Sequence[Segment]) -> tuple[Speaker, ...]:
    known = {s.label for s in speakers}
    extra = [Speaker(label) for label in dict.fromkeys(s.speaker for s in segs) if label not in known]
    return tuple(speakers) + tuple(extra)


# ----------------------------------------------------------------------------- words


def _overlap(a_start: float, a_end: float, b: Segment) -> float:
    return max(0.0, min(a_end, b.end) - max(a_start, b.start))


class _SegmentIndex:
    """Finds the segments overlapping an interval without scanning all of them."""

    def __init__(self, segments: Sequence[Segment]) -> None:
        self.segments = segments
        self.starts = [s.start for s in segments]
        self.max_duration = max((s.duration for s in segments), default=0.0)

    def overlapping(self, start: float, end: float) -> list[tuple[int, float]]:
        """(segment index, overlap seconds) for segments overlapping [start, end)."""
        hi = bisect_left(self.starts, end)
        lo = bisect_left(self.starts, start - self.max_duration)
        out = []
        for k in range(lo, hi):
            ov = _overlap(start, end, self.segments[k])
            if ov > 0:
                out.append((k, ov))
        return out


def attribute_words(
    words: Sequence[Word], segments: Sequence[Segment], params: AttributionParams = AttributionParams()
) -> list[str | None]:
    """Speaker label (or None) for each word, in the order given (see module rules).
    ``segments`` must be sorted by start."""
    index = _SegmentIndex(segments)
    hits = [index.overlapping(w.start, w.end) for w in words]
    choice = [
        _by_overlap(h, segments) if h else _nearest(w, index, params.max_gap_s)
        for w, h in zip(words, hits)
    ]
    best: dict[int, tuple[float, int]] = {}  # word -> (overlap, short segment) claiming it
    for k, claimed in _short_reply_claims(words, hits, segments, params).items():
        for i in claimed:
            ov = dict(hits[i])[k]
            if i not in best or ov > best[i][0]:
                best[i] = (ov, k)
    for i, (_, k) in best.items():
        choice[i] = segments[k].speaker
    return choice


def _by_overlap(hits: list[tuple[int, float]], segments: Sequence[Segment]) -> str:
    per_speaker: dict[str, float] = {}
    for k, ov in hits:
        per_speaker[segments[k].speaker] = per_speaker.get(segments[k].speaker, 0.0) + ov
    return max(per_speaker.items(), key=lambda kv: kv[1])[0]


def _nearest(word: Word, index: _SegmentIndex, max_gap_s: float) -> str | None:
    best, best_gap = None, max_gap_s
    for k, _ in index.overlapping(word.start - max_gap_s, word.end + max_gap_s):
        seg = index.segments[k]
        gap = max(seg.start - word.end, word.start - seg.end, 0.0)
        if gap <= best_gap:
            best, best_gap = seg.speaker, gap
    return best


def _short_reply_claims(
    words: Sequence[Word],
    hits: Sequence[list[tuple[int, float]]],
    segments: Sequence[Segment],
    p: AttributionParams,
) -> dict[int, list[int]]:
    """Short segment index -> indices of the words it claims: words that also overlap
    another speaker and cover it substantially (best overlap first, at most N)."""
    candidates: dict[int, list[tuple[float, int]]] = {}
    for i, (w, h) in enumerate(zip(words, hits)):
        if len({segments[k].speaker for k, _ in h}) < 2:
            continue
        for k, ov in h:
            seg = segments[k]
            if seg.duration <= p.short_segment_s and ov >= 0.5 * min(
                max(w.end - w.start, 1e-6), seg.duration
            ):
                candidates.setdefault(k, []).append((ov, i))
    return {
        k: sorted(i for _, i in sorted(c, key=lambda x: (-x[0], x[1]))[: p.max_reply_words])
        for k, c in candidates.items()
    }


# ----------------------------------------------------------------------------- sentences

_TERMINAL = (".", "?", "!", "…")


def keep_sentences_whole(
    words: Sequence[Word], params: AttributionParams = AttributionParams()
) -> list[str | None]:
    """Speaker per word (words sorted by start, ``speaker`` already set) with diarization
    blips inside a sentence given back to the sentence's speaker (see module rules)."""
    labels = [w.speaker for w in words]
    for first, last in sentence_spans(words, params.sentence_gap_s):
        owner = _owner(labels[first:last])
        for a, b in _blips(words, first, last, owner, params):
            labels[a:b] = [owner] * (b - a)
    return labels


def sentence_spans(words: Sequence[Word], max_gap_s: float) -> list[tuple[int, int]]:
    """[first, last) word index ranges of sentences: a sentence ends with a word ending
    in terminal punctuation or before a pause of ``max_gap_s`` seconds or more."""
    spans, first = [], 0
    for i, w in enumerate(words):
        ends = w.text.strip().rstrip("\"')]»”’").endswith(_TERMINAL)
        if ends or i + 1 == len(words) or words[i + 1].start - w.end >= max_gap_s:
            spans.append((first, i + 1))
            first = i + 1
    return spans


def _owner(labels: Sequence[str | None]) -> str | None:
    """The speaker with most words (ties: the first to speak)."""
    counts: dict[str, int] = {}
    for label in labels:
        if label is not None:
            counts[label] = counts.get(label, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None


def _blips(
    words: Sequence[Word], first: int, last: int, owner: str | None, p: AttributionParams
) -> list[tuple[int, int]]:
    """[a, b) runs of a speaker other than ``owner`` inside sentence [first, last) that are blips."""
    out, a = [], first
    while a < last:
        b = a
        while b < last and words[b].speaker == words[a].speaker:
            b += 1
        spk = words[a].speaker
        if spk is not None and spk != owner and b - a <= p.max_blip_words and not _set_off(words, a, b, first, last, p):
            out.append((a, b))
        a = b
    return out


def _set_off(words: Sequence[Word], a: int, b: int, first: int, last: int, p: AttributionParams) -> bool:
    """True when pauses >= reply_gap_s separate words [a, b) from the sentence's words
    on every side that has any."""
    before = a == first or words[a].start - words[a - 1].end >= p.reply_gap_s
    after = b == last or words[b].start - words[b - 1].end >= p.reply_gap_s
    return before and after


# ----------------------------------------------------------------------------- overlaps


def find_overlaps(segments: Sequence[Segment], min_overlap_s: float = 0.01) -> tuple[Overlap, ...]:
    """Maximal intervals where 2+ different speakers have a segment, >= min_overlap_s long."""
    events = sorted(
        [(s.start, 1, s.speaker) for s in segments if s.end > s.start]
        + [(s.end, -1, s.speaker) for s in segments if s.end > s.start]
    )
    counts: dict[str, int] = {}
    out: list[Overlap] = []
    for (t, delta, speaker), nxt in zip(events, events[1:] + [(None, 0, "")]):
        counts[speaker] = counts.get(speaker, 0) + delta
        if nxt[0] is None or nxt[0] <= t:
            continue  # apply every event at this time before looking at the interval
        active = tuple(sorted(k for k, v in counts.items() if v > 0))
        if len(active) < 2:
            continue
        if out and out[-1].end == t and out[-1].speakers == active:
            out[-1] = Overlap(out[-1].start, nxt[0], active)
        else:
            out.append(Overlap(t, nxt[0], active))
    return tuple(o for o in out if o.end - o.start >= min_overlap_s)


# ----------------------------------------------------------------------------- turns


def join_words(words: Sequence[Word]) -> str:
    """Text of consecutive words (Whisper words carry their own leading space)."""
    parts = [w.text if w.text[:1].isspace() else " " + w.text for w in words]
    return " ".join("".join(parts).split())


def build_turns(words: Sequence[Word], overlaps: Sequence[Overlap] = ()) -> tuple[Turn, ...]:
    """Maximal runs of attributed words by one speaker (words sorted by start)."""
    runs: list[list[Word]] = []
    for w in words:
        if w.speaker is None:
            continue
        if runs and runs[-1][0].speaker == w.speaker:
            runs[-1].append(w)
        else:
            runs.append([w])
    return tuple(_turn(run, overlaps) for run in runs)


def _turn(run: list[Word], overlaps: Sequence[Overlap]) -> Turn:
    speaker = run[0].speaker
    assert speaker is not None
    start, end = run[0].start, max(w.end for w in run)
    overlapped = speaker_overlapped(speaker, start, end, overlaps)
    return Turn(speaker, start, end, join_words(run), tuple(run), overlapped=overlapped)


def speaker_overlapped(speaker: str, start: float, end: float, overlaps: Sequence[Overlap]) -> bool:
    """True when ``speaker`` is in an overlap that intersects [start, end) (seconds)."""
    return any(
        speaker in o.speakers and min(end, o.end) > max(start, o.start) for o in overlaps
    )
