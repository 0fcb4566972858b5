"""What coachscore does to a recording, as two functions every caller (CLI, job worker,
web app) uses and nothing else:

    transcribe(audio, options, models, hook) -> Transcript        (audio.py)
    score(transcript, choice, names, rubric, nlp, encoder) -> ScoreResult  (scoring.py)

``models`` is a ModelSet (model_set.py): the real models, or scripted fakes at the model
seam for tests. Job bookkeeping (queue, progress, storage) lives in ``service.jobs``.
"""

from service.pipeline.audio import TranscribeOptions, transcribe, transcribe_file
from service.pipeline.model_set import ModelSet, fake_models, models_for
from service.pipeline.scoring import LeaderChoice, PeopleNames, ScoreResult, installed_rubric, score

__all__ = [
    "LeaderChoice", "ModelSet", "PeopleNames", "ScoreResult", "TranscribeOptions",
    "fake_models", "installed_rubric", "models_for", "score", "transcribe",
    "transcribe_file",  # the old import path (service.pipeline was one module); prefer transcribe
]
