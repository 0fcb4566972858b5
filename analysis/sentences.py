"""Split turns into sentences and give each sentence start/end times.

Boundaries come from ASR punctuation (. ? ! ...) and, when a spaCy pipeline is given,
from its parser where a long stretch has no punctuation (weak ASR). Times are seconds on
the recording's clock: taken from the turn's words when they can be aligned with the
text, else spread over the turn's span in proportion to characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

from analysis.types import Turn, Word

# A terminal mark (., ?, !, ellipsis) plus closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"(?:[.?!]+|…)[\"'”’)\]]*\s+")
_ABBREV = re.compile(
    r"(?:\b(?:mr|mrs|ms|dr|prof|st|jr|sr|vs|etc|e\.g|i\.e|approx|no)\.|\b[A-Z]\.)$", re.I
)
_WORD = re.compile(r"[A-Za-z0-9']+")
# spaCy boundaries inside unpunctuated text are kept only if each side has this many words.
MIN_PARSER_SENT_WORDS = 3


@dataclass(frozen=True)
class TimedSentence:
    """A sentence of one turn: ``text`` is turn.text[char_start:char_end] (stripped);
    ``start`` <= ``end`` are seconds inside the turn's [start, end]."""

    text: str
    char_start: int
    char_end: int
    start: float
    end: float


def split_turn(text: str, nlp: Any = None) -> list[str]:
    """Split a turn's text into sentences (non-empty, stripped, in order)."""
    return [text[a:b] for a, b in sentence_offsets(text, nlp)]


def sentence_offsets(text: str, nlp: Any = None, doc: Any = None) -> list[tuple[int, int]]:
    """Character offsets (start, end) of the sentences of ``text``.

    ``doc`` is an already-parsed spaCy Doc of ``text`` (e.g. from ``nlp.pipe``); when
    neither ``doc`` nor ``nlp`` is given only punctuation decides.
    """
    cuts = set(_punct_cuts(text))
    if doc is None and nlp is not None and text.strip():
        doc = nlp(text)
    if doc is not None:
        cuts |= _parser_cuts(text, doc, cuts)
    cuts |= _question_start_cuts(text, cuts)
    bounds = [0, *sorted(c for c in cuts if 0 < c < len(text)), len(text)]
    out = []
    for a, b in zip(bounds, bounds[1:]):
        a, b = _strip(text, a, b)
        if a < b:
            out.append((a, b))
    return out


def _punct_cuts(text: str) -> list[int]:
    cuts = []
    for m in _BOUNDARY.finditer(text):
        head = text[: m.start() + 1]
        if m.group().startswith(".") and _ABBREV.search(head):
            continue
        cuts.append(m.end())
    return cuts


def _parser_cuts(text: str, doc: Any, punct_cuts: set[int]) -> set[int]:
    """spaCy sentence starts that fall in a stretch with no punctuation boundary and
    leave at least MIN_PARSER_SENT_WORDS words on both sides within that stretch."""
    edges = sorted({0, len(text), *punct_cuts})
    keep = set()
    for sent in list(doc.sents)[1:]:
        c = sent.start_char
        if any(abs(c - e) <= 1 for e in edges):
            continue
        lo = max(e for e in edges if e <= c)
        hi = min(e for e in edges if e >= c)
        left = len(_WORD.findall(text[lo:c]))
        right = len(_WORD.findall(text[c:hi]))
        if left >= MIN_PARSER_SENT_WORDS and right >= MIN_PARSER_SENT_WORDS:
            keep.add(c)
    return keep


def _question_start_cuts(text: str, cuts: set[int]) -> set[int]:
    """Cut before a direct question ("what do you ...", "tell me ...") that starts
    after at least MIN_PARSER_SENT_WORDS words of a stretch, unless the word before
    embeds it ("I know what you ...", "ask how"). In text with no sentence punctuation
    at all (weak ASR) auxiliary-led questions ("... would that work for you") count too."""
    starts = [_QUESTION_START]
    if not _TERMINAL.search(text):
        starts.append(_AUX_QUESTION_START)
    keep = set()
    for pattern in starts:
        for m in pattern.finditer(text):
            c = m.start()
            lo = max([e for e in cuts if e <= c], default=0)
            before = _WORD.findall(text[lo:c].lower())
            if len(before) < MIN_PARSER_SENT_WORDS or before[-1] in _EMBEDDING_WORDS:
                continue
            if pattern is _AUX_QUESTION_START and before[-1] in _NO_AUX_CUT_AFTER:
                continue
            keep.add(c)
    return keep


_TERMINAL = re.compile(r"[.?!…]")
_QUESTION_START = re.compile(
    r"\b(?:(?:and |so |but |okay |ok )?(?:(?:what|how|why|when|where|who|which)"
    r"(?: (?!(?:i|you|we|they|he|she|it)\b)\w+)? "
    r"(?:do|did|does|are|is|was|were|would|could|can|will|have|has|should|might) "
    r"(?:you|we|they|he|she|i|your|my|the|this|that|there|some|any|all|things|it)|"
    r"(?:what|who) (?:happens|happened|brings|brought|seems|feels|makes|made|else)|how come)|"
    r"tell me|walk me through|help me understand)\b",
    re.I,
)
_AUX_QUESTION_START = re.compile(
    r"\b(?:(?:is|are|was|were|has|have) there (?:any|anything|a|an|some|other|ever)|"
    r"(?:do|did|would|could|can|will|have|are|were) you (?!know\b)|"
    r"(?:does|would|will|is|could) that (?:sound|work|make|seem|be|capture|help|okay|right|something))",
    re.I,
)
_EMBEDDING_WORDS = frozenset(
    "know knew wonder wondering wondered ask asked asking understand see saw tell told "
    "remember about of is was that's on sure idea like matter decide figure out explain "
    "me think thinking learn show discuss consider care mind to or if exactly just precisely".split()
)
# No auxiliary-led cut after a subject, a wh-word or a subordinator ("you do you know",
# "what would you", "if you can you").
_NO_AUX_CUT_AFTER = frozenset(
    "i you we they he she it what how why when where who which that than as because "
    "so and but if whether there this things".split()
)


def _strip(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def split_turn_timed(
    turn: Turn, nlp: Any = None, doc: Any = None, offsets: Sequence[tuple[int, int]] | None = None
) -> tuple[TimedSentence, ...]:
    """Sentences of ``turn`` with times: from its words when aligned, else proportional.
    ``offsets`` (character spans) fixes where the sentences are instead of finding them."""
    offsets = sentence_offsets(turn.text, nlp, doc) if offsets is None else offsets
    word_pos = align_words(turn.text, turn.words)
    out = []
    for a, b in offsets:
        start, end = _times_from_words(word_pos, a, b) if word_pos else (None, None)
        if start is None:
            start, end = _proportional(turn, a, b)
        start = min(max(start, turn.start), turn.end)
        end = min(max(end, start), turn.end)
        out.append(TimedSentence(turn.text[a:b], a, b, start, end))
    return tuple(out)


def align_words(text: str, words: Sequence[Word]) -> list[tuple[int, Word]] | None:
    """Char offset of each word in ``text`` (found in order), or None if any is missing."""
    if not words:
        return None
    low = text.lower()
    cursor, out = 0, []
    for w in words:
        token = w.text.strip().lower()
        if not token:
            continue
        i = low.find(token, cursor)
        if i < 0:
            return None
        out.append((i, w))
        cursor = i + len(token)
    return out or None


def _times_from_words(
    word_pos: list[tuple[int, Word]], a: int, b: int
) -> tuple[float | None, float | None]:
    inside = [w for pos, w in word_pos if a <= pos < b]
    if not inside:
        return None, None
    return inside[0].start, inside[-1].end


def _proportional(turn: Turn, a: int, b: int) -> tuple[float, float]:
    n = max(len(turn.text), 1)
    span = turn.end - turn.start
    return turn.start + span * a / n, turn.start + span * b / n


# --------------------------------------------------------------------------- surface features
# Shared by the act, GROW and cue rules. Text is normalised to lower-case words (apostrophes
# kept, stutters like "th-that" collapsed); leading discourse markers ("okay", "so", "um",
# "you know") are peeled off into ``core``, where most rules look.

_APOS = str.maketrans({"’": "'", "‘": "'", "`": "'"})
_NON_WORD = re.compile(r"[^a-z0-9' ]+")
# A word cut off by a dash before a space is a restart: "Did- have you", "is- is that".
_RESTART = re.compile(r"\b[\w']+[-\u2014\u2013]+(?=\s)")
# A stutter fragment is hyphen-attached to the word it starts ("th-that", "I-I", "a-and");
# a short word before a longer one that starts the same way ("we went", "be best") is not.
_STUTTER = re.compile(r"\b(\w{1,3})-(?=\1)", re.IGNORECASE)
_SPACES = re.compile(r"\s+")

# Peeled off the start of a sentence (longest first). "so" is remembered (summary marker).
DISCOURSE = (
    "all right", "alright", "okay", "ok", "k", "well", "and", "but", "yeah", "yes", "yep",
    "yup", "no", "right", "um", "umm", "uh", "er", "erm", "ah", "hmm", "hm", "mm", "mmm",
    "mhm", "uh huh", "mm hmm", "oh", "now", "then", "sure", "great", "good",
    "you know", "i mean", "like", "so", "anyway", "also", "besides", "gotcha", "cool",
    "wow", "fine", "fair enough", "i see", "thanks", "thank you", "sorry", "hey", "hi",
    "hello", "because", "cause", "'cause", "just", "actually", "and so", "or",
)
_DISCOURSE_RE = re.compile(
    r"^(?:" + "|".join(re.escape(d) for d in sorted(DISCOURSE, key=len, reverse=True)) + r")\b\s*"
)
FILLED_PAUSES = frozenset({"um", "umm", "uh", "uhh", "er", "erm", "ah", "hmm", "hm", "mm"})
_QMARK_END = re.compile(r"\?[\s\"'”’)\]\-—–.]*$")
_CUT_OFF_END = re.compile(r"(?:-|—|–|\.\.\.|…)\s*$")


def normalize(text: str) -> str:
    """Lower-case words separated by single spaces; hyphens split words; stutters
    ("th-that", "I-I") collapse to the full word."""
    s = _STUTTER.sub("", _RESTART.sub(" ", text.translate(_APOS)))
    s = s.lower().replace("-", " ").replace("—", " ")
    s = _NON_WORD.sub(" ", s)
    words = [w.strip("'") or w for w in _SPACES.sub(" ", s).strip().split(" ") if w]
    out: list[str] = []
    for w in words:
        if out and out[-1] == w and w not in {"that", "had", "very", "really", "no", "so"}:
            continue  # repeated word ("i i", "the the")
        if len(out) >= 3 and out[-3:-1] == [out[-1], w] and w != out[-1]:
            out.pop()  # restarted pair: "it does it does" -> "it does"
            continue
        out.append(w)
    return " ".join(out)


def strip_discourse(norm: str) -> tuple[str, bool]:
    """Remove leading discourse markers; return (core, had_so)."""
    had_so = False
    core = norm
    while True:
        m = _DISCOURSE_RE.match(core)
        if not m or not m.group().strip():
            return core, had_so
        if m.group().strip() in {"so", "and so"}:
            had_so = True
        core = core[m.end():]


@dataclass(frozen=True)
class TextFeatures:
    """``norm``: normalised sentence; ``core``: ``norm`` without leading discourse
    markers; ``qmark``: ends in "?"; ``cut_off``: ends in a dash/ellipsis."""

    raw: str
    norm: str
    core: str
    had_so: bool
    qmark: bool
    cut_off: bool

    @property
    def words(self) -> list[str]:
        return self.norm.split() if self.norm else []

    @property
    def core_words(self) -> list[str]:
        return self.core.split() if self.core else []


@lru_cache(maxsize=8192)
def features(text: str) -> TextFeatures:
    """Surface features of one sentence; cached (rules, the trained layer and GROW tags
    all ask for the same sentences), safe because TextFeatures is immutable."""
    norm = normalize(text)
    core, had_so = strip_discourse(norm)
    return TextFeatures(
        raw=text,
        norm=norm,
        core=core,
        had_so=had_so,
        qmark=bool(_QMARK_END.search(text.strip())),
        cut_off=bool(_CUT_OFF_END.search(text)),
    )
