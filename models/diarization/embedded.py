"""Embedded default diarizer for mono audio: pyannote segmentation-3.0 + CAM++ + clustering.

1. Segmentation: pyannote's ``segmentation-3.0`` slides over the audio in 10 s chunks
   (``step_ratio`` x 10 s apart) and marks, per ~17 ms frame, which of up to three
   *local* speakers talk (speech, speaker changes and overlap in one model).
2. Embeddings: for every (chunk, local speaker) that is active, a CAM++ embedding of that
   speaker's frames (frames where only they speak, when there are enough), at most
   a few seconds nearest the chunk centre. One fbank pass serves every chunk.
3. Clustering: agglomerative clustering (cosine, centroid linkage) of the embeddings,
   forced to ``num_speakers`` when it is known (or kept within min/max), then each chunk's
   local speakers are assigned to distinct clusters (Hungarian assignment).
4. Reconstruction: pyannote's aggregation of the clustered chunk activities, capped by
   the frame-level speaker count, gives the final segments.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from analysis.errors import ModelError
from analysis.types import ModelInfo, ProgressHook, Segment, no_progress
from models.audio_types import Audio
from models.diarization.base import (
    STAGE,
    TWO_SPEAKERS,
    DiarizationResult,
    SpeakerCount,
    relabel_by_appearance,
)
from models.diarization.weights import DiarizationWeights

log = logging.getLogger(__name__)

FBANK_SHIFT_S = 0.01
FBANK_WIN_S = 0.025


def prepare_pyannote_env() -> None:
    """Offline + no telemetry: must run before pyannote/huggingface are imported.

    Also imports pyannote.audio once with its torchcodec warning silenced: that warning
    (30 lines, on every run without system FFmpeg libraries) is about pyannote decoding
    files itself, which we never ask it to do (it gets PyAV-decoded waveforms)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["PYANNOTE_METRICS_ENABLED"] = "false"
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"(?s)\s*torchcodec is not installed correctly", category=UserWarning)
        try:
            import pyannote.audio  # noqa: F401
        except ImportError:  # the caller's own import reports it
            pass


@dataclass(frozen=True)
class EmbeddedParams:
    """Tuning of the embedded diarizer (defaults measured, see scripts/eval_diarization.py).

    ``step_ratio``: segmentation chunk step as a fraction of the 10 s chunk.
    ``embed_buckets_s``: lengths (s) that an embedding's speech is cut to (nearest the
    chunk centre), the largest one that fits; shorter speech (>= ``min_embed_s``) is tiled.
    ``threshold``: cosine-distance threshold when the speaker count is not fixed.
    ``min_duration_off``: gaps shorter than this (s) inside a speaker's speech are filled.
    ``speech_threshold``: a frame is speech when the powerset's P(not silence) exceeds it
    (pyannote's argmax needs silence to lose to every single class; far-field speech is
    often split across classes): its speakers are then the likeliest non-silent class.
    ``min_active_ratio``: an embedding takes part in building the clusters when its
    speaker talks alone for this share of the 10 s chunk (pyannote: 0.2, i.e. 2 s). At
    0.2 a coachee who only says a few short words beside a talkative leader never seeds
    a cluster, and a forced 2-speaker run splits the leader in two instead (AMI trn03:
    DER 0.25 -> 0.003 at 0.1).
    """

    step_ratio: float = 0.25
    batch_size: int = 16
    block_chunks: int = 64
    embed_buckets_s: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
    min_embed_s: float = 0.4
    embed_batch: int = 16
    threshold: float = 0.7
    min_cluster_size: int = 4
    min_duration_off: float = 0.1
    method: str = "centroid"
    speech_threshold: float = 0.3
    min_active_ratio: float = 0.1


@lru_cache(maxsize=2)
def _load_segmentation(segmentation_dir: str):
    prepare_pyannote_env()
    from pyannote.audio import Model

    model = Model.from_pretrained(segmentation_dir)
    if model is None:
        raise ModelError(f"pyannote could not load the segmentation model in {segmentation_dir}")
    return model.eval()


@lru_cache(maxsize=2)
def _load_embedding(campplus_path: str):
    from models.diarization.campplus import load_campplus

    return load_campplus(Path(campplus_path))


class EmbeddedDiarizer:
    """segmentation-3.0 + CAM++ diarizer; models load once per process, on first use."""

    name = "embedded-segmentation3-campplus"

    def __init__(
        self, weights: DiarizationWeights, params: EmbeddedParams | None = None, device: str = "cpu"
    ) -> None:
        self.weights = weights
        self.params = params or EmbeddedParams()
        self.device = device  # "cpu" | "cuda" | "auto"

    def _torch_device(self):
        import torch

        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)

    def model_info(self) -> ModelInfo:
        p = self.params
        return ModelInfo(
            name=self.name,
            version="pyannote/segmentation-3.0+campplus_cn_en_common",
            details={"step_ratio": f"{p.step_ratio:g}", "max_embed_s": f"{max(p.embed_buckets_s):g}"},
        )

    def diarize(
        self,
        audio: Audio,
        *,
        speakers: SpeakerCount = TWO_SPEAKERS,
        hook: ProgressHook = no_progress,
    ) -> DiarizationResult:
        """Segments of ``audio`` (mixed to mono), labels S0.. by first appearance."""
        try:
            segments = self._run(audio, speakers, hook)
        except (ModelError, MemoryError):
            raise
        except Exception as e:  # torch / pyannote internals
            raise ModelError(f"embedded diarization failed: {type(e).__name__}: {e}") from e
        hook(STAGE, audio.duration_s, audio.duration_s)
        renamed, speakers = relabel_by_appearance(segments)
        return DiarizationResult(renamed, speakers, self.model_info())

    # ------------------------------------------------------------------ pipeline steps

    def _run(self, audio, speakers: SpeakerCount, hook) -> list[Segment]:
        import torch

        total = audio.duration_s
        waveform = torch.from_numpy(np.ascontiguousarray(audio.mono(), dtype=np.float32))
        with torch.inference_mode():
            segs, frames = self._segment(waveform, audio.sample_rate, total, hook)
            count = _speaker_count(segs, frames)
            if np.nanmax(count.data) == 0:
                return []
            embeddings = self._embed(
                waveform, segs, frames, lambda f: hook(STAGE, (0.6 + 0.3 * f) * total, total)
            )
        hook(STAGE, 0.9 * total, total)
        hard = self._cluster(embeddings, segs, speakers)
        return self._reconstruct(segs, hard, count, speakers.at_most or speakers.exact)

    def _segment(self, waveform, sample_rate: int, seconds: float, hook: ProgressHook):
        prepare_pyannote_env()
        from pyannote.audio import Inference

        model = _load_segmentation(str(self.weights.segmentation_dir))
        duration = model.specifications.duration
        inference = Inference(
            model,
            duration=duration,
            step=self.params.step_ratio * duration,
            skip_aggregation=True,
            skip_conversion=True,
            batch_size=self.params.batch_size,
            device=self._torch_device(),
        )

        segs = self._slide(inference, waveform, sample_rate, seconds, hook)
        if not model.specifications.powerset:  # multilabel model: probabilities already
            return segs, model.receptive_field
        multilabel = _to_multilabel(segs.data, _powerset_mapping(model), self.params.speech_threshold)
        return type(segs)(multilabel, segs.sliding_window), model.receptive_field

    def _slide(self, inference, waveform, sample_rate: int, seconds: float, hook: ProgressHook):
        """pyannote's chunked segmentation, fed in blocks of ``block_chunks`` whole chunks
        (pyannote copies every chunk of what it is given): same chunks, bounded memory."""
        from pyannote.core import SlidingWindow, SlidingWindowFeature

        window = int(round(inference.duration * sample_rate))
        step = int(round(inference.step * sample_rate))
        k = self.params.block_chunks
        n = waveform.shape[0]
        parts = []
        for first in range(0, max(n - window, 0) + 1, k * step):
            last_block = first + k * step > max(n - window, 0)
            piece = waveform[first:] if last_block else waveform[first : first + window + (k - 1) * step]
            out = inference({"waveform": piece[None], "sample_rate": sample_rate})
            parts.append(out.data)
            hook(STAGE, 0.6 * seconds * min(1.0, (first + piece.shape[0]) / max(n, 1)), seconds)
            if last_block:
                break
        chunks = SlidingWindow(start=0.0, duration=inference.duration, step=inference.step)
        return SlidingWindowFeature(np.concatenate(parts), chunks)

    def _embed(self, waveform, segs, frames, progress=lambda fraction: None) -> np.ndarray:
        """(chunks, local speakers, 192) embeddings; NaN where a speaker has too little speech.

        Frame selections are cut or tiled to a few fixed lengths and run in batches: CPU
        convolution kernels are reused across calls of one shape, and batches are faster."""
        import torch

        from models.diarization.campplus import EMBEDDING_DIM, fbank

        device = self._torch_device()
        model = _load_embedding(str(self.weights.campplus_path)).to(device)
        feats = fbank(waveform).to(device)  # (n_fbank, 80)
        data = np.nan_to_num(segs.data, nan=0.0)
        num_chunks, num_frames, num_local = data.shape
        jobs: dict[int, list[tuple[int, int, np.ndarray]]] = {}
        for c in range(num_chunks):
            lo, hi, seg_idx = _fbank_frames(segs.sliding_window[c].start, segs.sliding_window.duration, frames, num_frames)
            hi = min(hi, feats.shape[0])
            if hi - lo < 10:
                continue
            active = data[c][seg_idx[: hi - lo]] > 0.5  # (fbank frames, local speakers)
            clean = active & (active.sum(axis=1, keepdims=True) == 1)
            for k in range(num_local):
                rows = self._select_rows(clean[:, k], active[:, k])
                if rows is not None:
                    jobs.setdefault(rows.size, []).append((c, k, lo + rows))
        out = np.full((num_chunks, num_local, EMBEDDING_DIM), np.nan, dtype=np.float32)
        done, todo = 0, sum(len(items) for items in jobs.values())
        for items in jobs.values():
            for b in range(0, len(items), self.params.embed_batch):
                batch = items[b : b + self.params.embed_batch]
                x = torch.stack([feats[torch.from_numpy(rows).to(device)] for _, _, rows in batch])
                emb = model(x - x.mean(dim=1, keepdim=True)).cpu().numpy()
                for (c, k, _), e in zip(batch, emb):
                    out[c, k] = e
                done += len(batch)
                progress(done / todo)
        return out

    def _select_rows(self, clean: np.ndarray, active: np.ndarray) -> np.ndarray | None:
        """Frame indices for one embedding: clean frames (else all active ones) nearest the
        chunk centre, cut to the largest bucket length that fits or tiled up to the smallest;
        None when under min_embed_s."""
        p = self.params
        min_rows = int(p.min_embed_s / FBANK_SHIFT_S)
        mask = clean if clean.sum() >= min_rows else active
        rows = np.flatnonzero(mask)
        if rows.size < min_rows:
            return None
        buckets = [int(b / FBANK_SHIFT_S) for b in p.embed_buckets_s]
        fits = [b for b in buckets if b <= rows.size]
        if not fits:
            return np.resize(rows, buckets[0])  # tile short speech up to the smallest bucket
        size = max(fits)
        keep = np.argsort(np.abs(rows - mask.size / 2), kind="stable")[:size]
        return np.sort(rows[keep])

    def _cluster(self, embeddings, segs, speakers: SpeakerCount) -> np.ndarray:
        prepare_pyannote_env()
        p = self.params
        clustering = _clustering_class()(metric="cosine", constrained_assignment=True)
        clustering.min_active_ratio = p.min_active_ratio
        clustering.instantiate(
            {"method": p.method, "threshold": p.threshold, "min_cluster_size": p.min_cluster_size}
        )
        valid = ~np.isnan(embeddings).any(axis=2)
        if not valid.any():
            return np.where(segs.data.sum(axis=1) > 0, 0, -2).astype(np.int8)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):  # pyannote print()s a clustering notice
            hard, _, _ = clustering(
                embeddings=embeddings,
                segmentations=segs,
                num_clusters=speakers.exact,
                min_clusters=speakers.at_least,
                max_clusters=speakers.at_most,
            )
        if printed.getvalue().strip():
            log.info("clustering: %s", printed.getvalue().strip())
        hard = hard.copy()
        hard[np.nansum(segs.data, axis=1) == 0] = -2  # inactive local speakers
        return hard

    def _reconstruct(self, segs, hard, count, cap: int | None) -> list[Segment]:
        from pyannote.audio.pipelines.utils import SpeakerDiarizationMixin
        from pyannote.core import SlidingWindowFeature

        if cap:
            count = SlidingWindowFeature(np.minimum(count.data, cap).astype(np.int8), count.sliding_window)
        num_chunks, num_frames, _ = segs.data.shape
        num_clusters = int(hard.max()) + 1
        clustered = np.full((num_chunks, num_frames, max(num_clusters, 1)), np.nan)
        for c in range(num_chunks):
            for k in np.unique(hard[c]):
                if k >= 0:
                    clustered[c, :, k] = np.max(segs.data[c][:, hard[c] == k], axis=1)
        discrete = SpeakerDiarizationMixin.to_diarization(
            SlidingWindowFeature(clustered, segs.sliding_window), count
        )
        annotation = SpeakerDiarizationMixin.to_annotation(
            discrete, min_duration_on=0.0, min_duration_off=self.params.min_duration_off
        )
        return [
            Segment(str(label), float(turn.start), float(turn.end))
            for turn, _, label in annotation.itertracks(yield_label=True)
        ]


@lru_cache(maxsize=1)
def _clustering_class() -> type:
    """pyannote's agglomerative clustering with our ``min_active_ratio`` (see EmbeddedParams)."""
    from pyannote.audio.pipelines.clustering import AgglomerativeClustering

    class Clustering(AgglomerativeClustering):
        min_active_ratio = 0.2

        def filter_embeddings(self, embeddings, segmentations=None, min_active_ratio=None):
            ratio = self.min_active_ratio if min_active_ratio is None else min_active_ratio
            return super().filter_embeddings(embeddings, segmentations, min_active_ratio=ratio)

    return Clustering


def _powerset_mapping(model) -> np.ndarray:
    from pyannote.audio.utils.powerset import Powerset

    spec = model.specifications
    return Powerset(len(spec.classes), spec.powerset_max_classes).mapping.numpy()


def _to_multilabel(log_probs: np.ndarray, mapping: np.ndarray, speech_threshold: float) -> np.ndarray:
    """(chunks, frames, speakers) 0/1 activity from powerset log-probabilities (chunks,
    frames, classes; class 0 = silence): speech where P(any speaker) > speech_threshold,
    its speakers the likeliest non-silent class. At 0.5 this differs from the plain argmax
    only where silence wins the argmax with P(silence) < 0.5 (speech split across classes)."""
    probs = np.exp(log_probs)
    speech = 1.0 - probs[..., 0] > speech_threshold
    best = 1 + np.argmax(probs[..., 1:], axis=-1)
    return np.where(speech[..., None], mapping[best], 0.0).astype(np.float32)


def _speaker_count(segs, frames):
    from pyannote.audio.pipelines.utils import SpeakerDiarizationMixin

    return SpeakerDiarizationMixin.speaker_count(segs, frames, warm_up=(0.0, 0.0))


def _fbank_frames(start: float, duration: float, frames, num_frames: int):
    """fbank row range [lo, hi) of the chunk at ``start`` and, per row, its segmentation
    frame index (rows are 10 ms apart, centred 12.5 ms after their start)."""
    lo = max(0, math.ceil(start / FBANK_SHIFT_S))
    hi = int((start + duration - FBANK_WIN_S) / FBANK_SHIFT_S) + 1
    centres = np.arange(lo, hi) * FBANK_SHIFT_S + FBANK_WIN_S / 2 - start
    idx = np.rint((centres - frames.start - frames.duration / 2) / frames.step).astype(int)
    return lo, hi, np.clip(idx, 0, num_frames - 1)
