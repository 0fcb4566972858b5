"""pyannote.audio's own ``SpeakerDiarization`` pipeline built from our local weights.

The peer a user would try first: segmentation-3.0 + CAM++ (the same weight files as the
embedded diarizer), pyannote 3.1's published settings (segmentation step 0.1, embeddings
on non-overlapped speech, centroid agglomerative clustering, threshold 0.7046, minimum
cluster size 12; no PLDA: the hub's PLDA is not available offline). Used by
scripts/eval_diarization.py only, so that our figures stand beside it in one run.
"""

from __future__ import annotations

from unittest import mock

import numpy as np

from models.audio_types import Audio
from models.diarization.base import SpeakerCount
from models.diarization.embedded import _load_embedding, _load_segmentation, prepare_pyannote_env
from models.diarization.weights import DiarizationWeights
from analysis.types import Segment

PYANNOTE_31_PARAMS = {
    "segmentation": {"min_duration_off": 0.0},
    "clustering": {"method": "centroid", "min_cluster_size": 12, "threshold": 0.7045654963945799},
}


class CamppEmbedding:
    """pyannote's PretrainedSpeakerEmbedding interface around our CAM++ module:
    ``(waveforms (B, 1, N), masks (B, F)) -> (B, 192)``, NaN where the mask keeps < 0.4 s."""

    sample_rate = 16_000
    dimension = 192
    metric = "cosine"
    min_num_samples = 6_400

    def __init__(self, weights: DiarizationWeights) -> None:
        self.model = _load_embedding(str(weights.campplus_path))

    def to(self, device):
        self.model.to(device)
        return self

    def __call__(self, waveforms, masks=None) -> np.ndarray:
        import torch

        from models.diarization.campplus import fbank

        out = np.full((waveforms.shape[0], self.dimension), np.nan, dtype=np.float32)
        with torch.inference_mode():
            for b in range(waveforms.shape[0]):
                feats = fbank(waveforms[b, 0])
                if masks is not None:
                    mask = masks[b].numpy()
                    centres = (np.arange(feats.shape[0]) * 0.01 + 0.0125) / (waveforms.shape[-1] / self.sample_rate)
                    idx = np.clip((centres * mask.size).astype(int), 0, mask.size - 1)
                    feats = feats[torch.from_numpy(mask[idx] > 0.5)]
                if feats.shape[0] >= 40:
                    out[b] = self.model((feats - feats.mean(dim=0))[None]).numpy()[0]
        return out


class PyannotePeer:
    """``diarize(audio, speakers)`` like our diarizers, returning plain segments."""

    def __init__(self, weights: DiarizationWeights) -> None:
        prepare_pyannote_env()
        from pyannote.audio.pipelines import speaker_diarization as sd

        embedding = CamppEmbedding(weights)
        segmentation = _load_segmentation(str(weights.segmentation_dir))
        with mock.patch.object(sd, "PretrainedSpeakerEmbedding", lambda *a, **k: embedding), \
                mock.patch.object(sd, "get_plda", lambda *a, **k: None):
            self.pipeline = sd.SpeakerDiarization(
                segmentation=segmentation,
                segmentation_step=0.1,
                embedding="local-campplus",
                embedding_exclude_overlap=True,
                clustering="AgglomerativeClustering",
                embedding_batch_size=16,
                segmentation_batch_size=16,
            )
        self.pipeline.instantiate(PYANNOTE_31_PARAMS)

    def diarize(self, audio: Audio, speakers: SpeakerCount) -> list[Segment]:
        import torch

        waveform = torch.from_numpy(np.ascontiguousarray(audio.mono(), dtype=np.float32))[None]
        output = self.pipeline(
            {"waveform": waveform, "sample_rate": audio.sample_rate},
            num_speakers=speakers.exact, min_speakers=speakers.at_least, max_speakers=speakers.at_most,
        )
        return [
            Segment(str(label), float(turn.start), float(turn.end))
            for turn, _, label in output.speaker_diarization.itertracks(yield_label=True)
        ]
