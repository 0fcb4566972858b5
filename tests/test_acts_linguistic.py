"""The linguistic block beside the embedding (analysis/acts/linguistic.py): form features
from the spaCy parse, text-only features without one, and the model's input layout."""

import numpy as np
import pytest

from analysis.acts.context import turn_contexts
from analysis.acts.linguistic import DENSE_NAMES, LING_NAMES, N_BUCKETS, ling_features
from analysis.acts.meaning import EXTRA_NAMES, HEADS, MeaningModel
from analysis.types import Act


@pytest.fixture(scope="module")
def parse():
    from analysis.acts.label import _UNUSED_PIPES
    from models.nlp import load_nlp

    nlp = load_nlp()
    disabled = [p for p in _UNUSED_PIPES if p in nlp.pipe_names]
    return lambda text: nlp(text, disable=disabled)[:]


def _on(span, text, prev_q=False):
    v = ling_features(span, text, prev_q)
    return {n for n, x in zip(DENSE_NAMES, v) if x and n not in ("parsed", "log_tokens")}


@pytest.mark.slow
@pytest.mark.parametrize("text, expected, absent", [
    ("Try writing it down tonight.", {"imperative", "first=verb_base"}, {"subj_you", "aux_inversion"}),
    ("You could talk to her about it.", {"modal_you", "subj_you", "first=pronoun"}, {"imperative"}),
    ("You need to call him.", {"need_you", "subj_you"}, {"modal_you"}),
    ("Did you go?", {"aux_inversion", "ends_qmark", "first=aux_or_modal"}, {"wh_first"}),
    ("What do you think about that?", {"wh_first", "first=wh", "ends_qmark"}, {"aux_inversion"}),
    ("where are things right now", {"wh_first"}, {"ends_qmark"}),  # unpunctuated, lower case
    ("I went there yesterday.", {"subj_i_we"}, {"subj_you", "imperative", "modal_you"}),
])
def test_parse_features(parse, text, expected, absent):
    on = _on(parse(text), text)
    assert expected <= on and not (absent & on), on


@pytest.mark.slow
def test_hashed_bigrams_are_stable_and_bounded(parse):
    a = ling_features(parse("Could you say more about that?"), "Could you say more about that?", False)
    b = ling_features(parse("Could you say more about that?"), "Could you say more about that?", False)
    hashed = a[len(DENSE_NAMES):]
    assert np.array_equal(a, b) and hashed.shape == (N_BUCKETS,)
    assert 1 <= hashed.sum() <= 8 and set(np.unique(hashed)) <= {0.0, 1.0}


def test_without_a_parse_only_text_features_are_set():
    v = ling_features(None, "so what happened then?", True)
    on = {n for n, x in zip(LING_NAMES, v) if x}
    assert on == {"ends_qmark", "prev_sentence_question", "log_tokens"}


def test_contexts_carry_the_block_and_the_previous_question():
    ctxs = turn_contexts([("How was it?", Act.OPEN_QUESTION, "wh_start"), ("Tell me.", Act.STATEMENT, "x")],
                         "How was it? Tell me.", None, None)
    assert [c.ling[DENSE_NAMES.index("prev_sentence_question")] for c in ctxs] == [0.0, 1.0]


def test_model_inputs_put_the_standardised_block_between_embedding_and_extras():
    ctxs = turn_contexts([("Tell me.", Act.STATEMENT, "x")], "Tell me.", None, None)
    d = 4 + len(LING_NAMES) + len(EXTRA_NAMES)
    mean, scale = np.full(len(LING_NAMES), 0.5, np.float32), np.full(len(LING_NAMES), 2.0, np.float32)
    m = MeaningModel("t", np.zeros((len(HEADS), d), np.float32), np.zeros(len(HEADS), np.float32), {},
                     np.zeros((1, 4), np.float32), (Act.STATEMENT,), mean, scale)
    x = m.inputs(np.ones((1, 4), np.float32), ctxs)
    assert x.shape == (1, d)
    assert np.allclose(x[0, 4:4 + len(LING_NAMES)], (ctxs[0].ling - 0.5) * 2.0)
    plain = MeaningModel("t", m.weights, m.intercepts, {}, m.prototypes, m.prototype_acts)
    assert plain.inputs(np.ones((1, 4), np.float32), ctxs).shape == (1, 4 + len(EXTRA_NAMES))
