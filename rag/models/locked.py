"""An embedder shared between threads: calls are serialised, long lists embedded in steps."""

from __future__ import annotations

import threading

import numpy as np

from rag.models.embedders import Embedder

__all__ = ["LockedEmbedder"]

_EMBED_STEP = 64  # texts embedded per lock hold, so chat questions interleave with a big upload


class LockedEmbedder:
    """Serialises calls into one embedder (fast tokenizers are not safe across threads) and embeds
    long lists in steps, so questions can be answered while an upload is being embedded."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.name = inner.name

    @property
    def dimension(self) -> int:
        with self._lock:
            return self._inner.dimension

    @property
    def max_tokens(self) -> int:
        with self._lock:
            return self._inner.max_tokens

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return self._inner.count_tokens(text)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return self._inner.embed_queries(texts)

    def embed_documents(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        if len(texts) <= _EMBED_STEP:
            with self._lock:
                return self._inner.embed_documents(texts)
        steps = range(0, len(texts), _EMBED_STEP)
        if show_progress:
            from tqdm.auto import tqdm

            steps = tqdm(steps, desc="Embedding", unit="batch")
        parts = []
        for i in steps:
            with self._lock:
                parts.append(self._inner.embed_documents(texts[i : i + _EMBED_STEP]))
        return np.concatenate(parts)
