"""Floors: the conversational turns the metrics reason about.

Inputs keep one ``Turn`` per utterance (so sentences keep their ``source_index``), and
ASR/diarization can split one person's speech into several turns. A *floor* is a maximal
run of consecutive turns by the same speaker. Turns whose sentences are all backchannels
("mm-hmm", "okay") do not take or break the floor: per metrics.md they are not turns of
their own. ``Conversation`` bundles what every metric needs, computed once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from analysis.inputs import segments_from_turns
from analysis.types import Act, Roles, Segment, Sentence, Transcript


@dataclass(frozen=True)
class Floor:
    """One speaker holding the floor from ``start`` to ``end`` (seconds)."""

    speaker: str
    start: float
    end: float
    turn_indices: tuple[int, ...]
    sentences: tuple[Sentence, ...]  # non-backchannel sentences, in time order

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Conversation:
    """Transcript + roles + labelled sentences + derived floors and speech segments."""

    transcript: Transcript
    roles: Roles
    sentences: tuple[Sentence, ...]
    floors: tuple[Floor, ...]
    segments: tuple[Segment, ...]

    @property
    def leader(self) -> str:
        return self.roles.leader

    def is_leader(self, speaker: str) -> bool:
        return speaker == self.roles.leader

    def leader_sentences(self) -> tuple[Sentence, ...]:
        return tuple(s for s in self.sentences if s.speaker == self.roles.leader)

    def speech_span(self) -> tuple[float, float]:
        """First speech start and last speech end (0, 0 with no speech)."""
        if not self.segments:
            return 0.0, 0.0
        return min(s.start for s in self.segments), max(s.end for s in self.segments)


def build_conversation(
    transcript: Transcript, roles: Roles, sentences: Sequence[Sentence]
) -> Conversation:
    """Sort sentences by time, derive floors and the speech segments (diarization
    segments, or one per turn when the transcript has none)."""
    ordered = tuple(sorted(sentences, key=lambda s: (s.start, s.index)))
    segments = transcript.segments or segments_from_turns(transcript.turns)
    return Conversation(
        transcript, roles, ordered, build_floors(transcript, ordered),
        tuple(sorted(segments, key=lambda s: s.start)),
    )


def build_floors(transcript: Transcript, sentences: Sequence[Sentence]) -> tuple[Floor, ...]:
    """Merge consecutive same-speaker turns; backchannel-only turns are skipped."""
    by_turn: dict[int, list[Sentence]] = {}
    for s in sentences:
        by_turn.setdefault(s.turn_index, []).append(s)
    floors: list[Floor] = []
    for i, turn in enumerate(transcript.turns):
        said = [s for s in by_turn.get(i, ()) if s.act is not Act.BACKCHANNEL]
        if by_turn.get(i) and not said:
            continue  # a backchannel while the other person holds the floor
        if floors and floors[-1].speaker == turn.speaker:
            last = floors[-1]
            floors[-1] = Floor(
                last.speaker, last.start, max(last.end, turn.end),
                last.turn_indices + (i,), last.sentences + tuple(said),
            )
        else:
            floors.append(Floor(turn.speaker, turn.start, turn.end, (i,), tuple(said)))
    return tuple(floors)
