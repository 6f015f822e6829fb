"""Optional reranking of a short list with a cross-encoder: the packaged INT8 ONNX
ms-marco-MiniLM-L-12-v2 (`rag.models.catalog`), an ONNX folder, or a sentence-transformers
`CrossEncoder` path or hub name. Off unless the `reranker` setting names one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from rag.errors import ConfigError

__all__ = ["Reranker", "CrossEncoderReranker", "create_reranker"]


class Reranker(Protocol):
    """Scores (query, passage) pairs; higher is more relevant."""

    name: str

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray: ...


class CrossEncoderReranker:
    """sentence-transformers `CrossEncoder`, loaded on first use."""

    def __init__(self, model: str, device: str = "cpu") -> None:
        self.name = model
        self._device = device
        self._model = None

    def _load(self):
        if self._model is None:
            try:
                from sentence_transformers import CrossEncoder
            except ImportError as exc:  # pragma: no cover - a core dependency
                raise ConfigError(f"reranking needs sentence-transformers ({exc})") from None
            try:
                self._model = CrossEncoder(self.name, device=self._device)
            except Exception as exc:  # model files missing, not a cross-encoder, no hub access
                reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
                raise ConfigError(f"reranker {self.name!r} could not be loaded: {reason}") from None
        return self._model

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        if not passages:
            return np.zeros(0, dtype=np.float32)
        scores = self._load().predict([(query, p) for p in passages], show_progress_bar=False)
        return np.asarray(scores, dtype=np.float32).reshape(len(passages), -1)[:, -1]


def create_reranker(model: str, device: str = "cpu", threads: int = 0) -> Reranker | None:
    """A reranker for the `reranker` setting; None when it is empty (the default). A short name of
    a packaged ONNX cross-encoder (`rag.models.catalog`) or a folder holding `model.onnx` runs with
    onnxruntime; anything else is a sentence-transformers `CrossEncoder` path or hub name."""
    if not model:
        return None
    from rag.models.catalog import onnx_model

    found = onnx_model(model, "cross-encoder")
    if found is not None:
        from rag.models.onnx import OnnxCrossEncoder

        return OnnxCrossEncoder(*found, threads=threads)
    return CrossEncoderReranker(model, device)
