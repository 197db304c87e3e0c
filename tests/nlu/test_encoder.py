"""The sentence encoder (nlu/encoder.py) against the reference implementation.

REFERENCE holds what sentence-transformers 6.2.0 with PyTorch 2.13.0 (CPU) gave for
all-MiniLM-L6-v2 on 2026-12-01 (token ids, and the first 16 dimensions of the normalised
embedding); the NumPy forward pass must agree with it.
"""

from __future__ import annotations

import numpy as np
import pytest

from nlu.encoder import DIMENSION, shared_encoder

REFERENCE = {
    "good night": (
        [101, 2204, 2305, 102],
        [
            -0.078706,
            -0.006403,
            0.031682,
            0.010502,
            -0.000494,
            -0.039318,
            0.044266,
            0.014698,
            0.018287,
            -0.08042,
            -0.006036,
            0.02743,
            0.013007,
            0.033487,
            -0.040912,
            0.054114,
        ],
    ),
    "wassup": (
        [101, 2001, 6342, 2361, 102],
        [
            -0.094714,
            0.042929,
            0.025256,
            0.061789,
            0.072896,
            -0.032818,
            0.056924,
            0.052552,
            -0.061815,
            0.023598,
            -0.045022,
            -0.063474,
            0.018099,
            0.034177,
            -0.121889,
            0.000825,
        ],
    ),
    "how do i get a fishing licence": (
        [101, 2129, 2079, 1045, 2131, 1037, 5645, 11172, 102],
        [
            -0.024051,
            2.8e-05,
            -0.07875,
            -0.042211,
            -0.054947,
            -0.031054,
            0.008045,
            0.028523,
            -0.100529,
            -0.051311,
            -0.022897,
            -0.115072,
            -0.031421,
            0.04341,
            -0.005464,
            -0.002797,
        ],
    ),
    "Furongwang 硬盒 多少钱?": (
        [101, 6519, 5063, 16600, 100, 100, 100, 100, 100, 1029, 102],
        [
            -0.019169,
            0.076037,
            0.073726,
            0.059064,
            -0.046482,
            -0.033784,
            0.113397,
            -0.013262,
            -0.059474,
            0.006985,
            0.142836,
            -0.121396,
            0.024893,
            -0.064781,
            0.022266,
            0.015412,
        ],
    ),
    "Héllo, WORLD!! café—ok?": (
        [101, 7592, 1010, 2088, 999, 999, 7668, 1517, 7929, 1029, 102],
        [
            0.048381,
            0.002705,
            0.048137,
            0.035374,
            0.001434,
            0.00901,
            0.074887,
            -0.049832,
            -0.053702,
            -0.011834,
            0.026421,
            -0.057372,
            0.032577,
            -0.020751,
            0.039068,
            -0.097129,
        ],
    ),
}


@pytest.mark.parametrize("text", REFERENCE)
def test_token_ids_match_the_reference_tokenizer(text: str) -> None:
    assert shared_encoder().tokenizer.encode(text) == REFERENCE[text][0]


def test_embeddings_match_the_reference_model() -> None:
    vectors = shared_encoder().encode(list(REFERENCE))
    expected = np.array([head for _, head in REFERENCE.values()])
    assert vectors.shape == (len(REFERENCE), DIMENSION)
    np.testing.assert_allclose(vectors[:, :16], expected, atol=2e-6)


def test_vectors_have_unit_length_and_do_not_depend_on_the_batch() -> None:
    texts = ["hi", "a much longer sentence about cartons of Liqun for Chen's Store", "你好"]
    together = shared_encoder().encode(texts)
    alone = np.vstack([shared_encoder().encode([text]) for text in texts])
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_paraphrases_lie_closer_than_unrelated_sentences() -> None:
    night, dream, price = shared_encoder().encode(
        ["good night", "dream well", "what is the price of Liqun"]
    )
    assert float(night @ dream) > float(night @ price) + 0.2


def test_long_text_is_cut_to_the_token_limit() -> None:
    ids = shared_encoder().tokenizer.encode("carton " * 500)
    assert (len(ids), ids[0], ids[-1]) == (128, 101, 102)
