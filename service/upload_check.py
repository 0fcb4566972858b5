"""Refuse a recording that cannot give a scorecard before it is stored or transcribed.

One check for the API upload, the web upload (both through
``service.api.sessions.accept_recording``, on the temp file before ``Storage.commit``) and
``coachscore analyze``: a silent recording, or one with less speech in total than the rubric's
``[limits] min_speech_s`` (default 20 s; ``COACHSCORE_MIN_SPEECH_S`` overrides it, 0 turns the
check off), raises TooLittleSpeechError with the user's own file name in the message.

Speech is counted by ``models.speech.measure_speech`` (PyAV at 16 kHz + an energy VAD): it
stops at the first ``min_speech_s`` of speech (well under a second for an ordinary recording);
a recording with less is read in full up to 10 minutes of audio and sampled beyond that, and
a sampled file is refused only when the speech found, scaled to its whole length, is short.
"""

from __future__ import annotations

import logging
from pathlib import Path

from analysis.errors import AudioDecodeError, TooLittleSpeechError
from analysis.rubric import Rubric
from models.speech import SpeechMeasure, measure_speech
from service.settings import Settings

log = logging.getLogger("coachscore.upload")


def required_speech_s(settings: Settings, rubric: Rubric) -> float:
    """Seconds of speech a recording needs: the setting when set, else the rubric's limit."""
    return settings.min_speech_s if settings.min_speech_s is not None else rubric.min_speech_s


def check_speech(path: Path, shown_name: str | None, min_speech_s: float,
                 duration_s: float | None = None) -> SpeechMeasure | None:
    """Raise TooLittleSpeechError unless ``path`` has ``min_speech_s`` seconds of speech
    (None when the check is off). ``shown_name`` (the user's file name) replaces ``path``'s
    own name in every message; ``duration_s``: the container's stated length, if known.
    Raises AudioDecodeError for a track that stops decoding part-way."""
    if min_speech_s <= 0:
        return None
    name = f"'{shown_name}'" if shown_name else "the recording"
    try:
        m = measure_speech(path, enough_s=min_speech_s)
    except AudioDecodeError as e:
        raise AudioDecodeError(e.message.replace(f"{path.name}: ", "").replace(path.name, name), code=e.code) from e
    log.debug("speech check of %s: %.1f s of speech in %.1f s read (complete: %s)",
             name, m.speech_s, m.scanned_s, m.complete)
    need = f"a scorecard needs at least {min_speech_s:g} s"
    if m.silent:
        raise TooLittleSpeechError(f"{name} is silent (no sound above -60 dBFS); {need} of speech",
                                   code="silent_recording")
    if m.speech_s >= min_speech_s:
        return m
    if m.complete or (duration_s and m.scanned_s >= duration_s):
        raise TooLittleSpeechError(f"{name} has only {m.speech_s:.1f} s of speech; {need}")
    if not duration_s:  # a long stream of unknown length: what was read is not the whole
        log.warning("speech check of %s: too little speech in the first %.0f s, length unknown; accepted",
                    name, m.scanned_s)
        return m
    estimate = m.speech_s * duration_s / m.scanned_s
    if estimate < min_speech_s:
        raise TooLittleSpeechError(
            f"{name} has only about {estimate:.1f} s of speech (judged from {_minutes(m.scanned_s)} "
            f"of its {_minutes(duration_s)}); {need}")
    return m


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"
