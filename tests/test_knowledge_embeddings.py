"""The local MiniLM embedding function and its registration with Chroma."""

from __future__ import annotations

import numpy as np
from chromadb.utils.embedding_functions import known_embedding_functions

from knowledge.embeddings import (
    DIMENSION,
    EMBEDDING_FUNCTION_NAME,
    MiniLMEmbeddingFunction,
    MiniLMEncoder,
    shared_encoder,
)


def test_vectors_are_unit_length() -> None:
    vectors = shared_encoder().encode(["A model version was promoted.", "模型版本已上线。"])

    assert vectors.shape == (2, DIMENSION)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_padding_does_not_change_vectors() -> None:
    short = "Drift alert."
    batch = [short, "A much longer sentence about population stability index drift alerts " * 5]

    alone = shared_encoder().encode([short])[0]
    padded = shared_encoder().encode(batch)[0]

    np.testing.assert_allclose(alone, padded, atol=1e-4)


def test_batches_keep_input_order() -> None:
    encoder = MiniLMEncoder(batch_size=2)
    texts = [f"{'word ' * (10 - i)}number {i}" for i in range(5)]

    batched = encoder.encode(texts)
    one_by_one = np.stack([encoder.encode([text])[0] for text in texts])

    np.testing.assert_allclose(batched, one_by_one, atol=1e-4)


def test_similar_sentences_score_higher() -> None:
    vectors = shared_encoder().encode(
        [
            "The champion alias points to the production model version.",
            "Which model version serves production traffic?",
            "Sourdough bread needs a long fermentation.",
        ]
    )

    related = float(vectors[0] @ vectors[1])
    unrelated = float(vectors[0] @ vectors[2])

    assert related > unrelated + 0.2


def test_long_text_is_truncated_not_rejected() -> None:
    vector = shared_encoder().encode(["token " * 2000])

    assert vector.shape == (1, DIMENSION)


def test_registered_with_chroma() -> None:
    assert known_embedding_functions[EMBEDDING_FUNCTION_NAME] is MiniLMEmbeddingFunction


def test_config_round_trip() -> None:
    function = MiniLMEmbeddingFunction()

    rebuilt = MiniLMEmbeddingFunction.build_from_config(function.get_config())

    assert rebuilt.name() == EMBEDDING_FUNCTION_NAME
    assert not function.is_legacy()
    assert function.default_space() == "cosine"
    assert np.allclose(rebuilt(["psi drift"])[0], function(["psi drift"])[0])
