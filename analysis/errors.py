"""One small exception tree for the whole project.

Every error carries a stable machine-readable ``code`` (used in the API's error envelope
and CLI messages) and a human-readable message that says what is wrong and what to do.
Third-party errors are wrapped at the boundary with ``raise ... from``.
"""

from __future__ import annotations


class CoachscoreError(Exception):
    """Base of every error this project raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InputError(CoachscoreError):
    """The caller's input is wrong (bad file, bad transcript, bad option)."""

    code = "bad_input"


class AudioDecodeError(InputError):
    """The audio cannot be decoded, is empty, too short, silent or has no audio track."""

    code = "audio_decode_error"


class UnsupportedMediaError(InputError):
    """The file is not a recording in a supported format."""

    code = "unsupported_media"


class TooLittleSpeechError(InputError):
    """The recording decodes but has too little speech to score (or none: code
    ``silent_recording``); the message names the user's file and the rubric's minimum."""

    code = "too_little_speech"


class TranscriptFormatError(InputError):
    """A transcript file (JSON, WebVTT) is malformed; the message names line or field."""

    code = "transcript_format_error"


class RolesError(InputError):
    """The leader/coachee roles cannot be applied to this transcript."""

    code = "roles_error"


class RubricError(InputError):
    """A rubric file is invalid; the message names the field."""

    code = "rubric_error"


class ModelMissingError(CoachscoreError):
    """A model is not present locally; the message names it and the fetch command."""

    code = "model_missing"


class ModelError(CoachscoreError):
    """A model failed while running (wrapped third-party error)."""

    code = "model_error"
