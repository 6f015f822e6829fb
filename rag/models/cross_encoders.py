"""Optional reranking of a short list: a cross-encoder from a model path the user configures.

No cross-encoder ships inside any PyPI package, so offline the stage is off unless the user sets
`reranker` to a local model directory (or a hub name where a hub is reachable).
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


def create_reranker(model: str, device: str = "cpu") -> Reranker | None:
    """A reranker for the `reranker` setting; None when it is empty (the default)."""
    return CrossEncoderReranker(model, device) if model else None
