"""models.embeddings: the real all-MiniLM-L6-v2 from its registry package (slow), and the
cache/shape contract with a fake model (fast)."""

from __future__ import annotations

import numpy as np
import pytest

from models.embeddings import EMBEDDING_DIM, SentenceEncoder


class _CountingModel:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts, **_kw):
        self.seen.extend(texts)
        v = np.array([[len(t), 1.0] + [0.0] * (EMBEDDING_DIM - 2) for t in texts], np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_cache_embeds_each_text_once_and_keeps_order():
    enc = SentenceEncoder(cache_size=10)
    enc._model = model = _CountingModel()
    out = enc(["a", "bbb", "a"])
    assert out.shape == (3, EMBEDDING_DIM) and out.dtype == np.float32
    assert model.seen == ["a", "bbb"]
    np.testing.assert_array_equal(out[0], out[2])
    enc(["bbb", "cc"])
    assert model.seen == ["a", "bbb", "cc"]
    assert enc([]).shape == (0, EMBEDDING_DIM)


def test_cache_is_bounded():
    enc = SentenceEncoder(cache_size=2)
    enc._model = model = _CountingModel()
    enc(["a", "b", "c"])
    enc(["a"])
    assert model.seen == ["a", "b", "c", "a"]


@pytest.mark.slow
def test_real_model_is_normalised_and_meaningful():
    enc = SentenceEncoder()
    v = enc(["You should call her today.", "I'd suggest you ring her this afternoon.", "The weather was cold."])
    assert v.shape == (3, EMBEDDING_DIM)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
