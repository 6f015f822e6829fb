"""Dense retrieval over the stored index: question -> ranked `Hit`s."""

from __future__ import annotations

import numpy as np

from rag.embeddings import Embedder
from rag.errors import InputError
from rag.index import StoredIndex
from rag.types import Hit

__all__ = ["Retriever", "clean_query"]

MAX_QUERY_CHARS = 4000


def clean_query(query: str) -> str:
    """Strip control characters and whitespace; refuse queries with no text."""
    if not isinstance(query, str):
        raise InputError(f"question must be text, got {type(query).__name__}")
    cleaned = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in query)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise InputError("the question is empty")
    # Embedders read a few hundred tokens; a longer query only costs time.
    return cleaned[:MAX_QUERY_CHARS]


class Retriever:
    """Exact or approximate nearest-neighbour search, deterministic for a given index.

    Example:
        >>> hits = Retriever(index, embedder).search("Who leads the NDRC?", k=5)
    """

    def __init__(self, index: StoredIndex, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder

    def search(self, query: str, k: int) -> list[Hit]:
        if k < 1:
            raise InputError(f"k must be at least 1, got {k}")
        vector = self.embedder.embed_queries([clean_query(query)])
        return self.search_vector(vector[0], k)

    def search_vector(self, vector: np.ndarray, k: int) -> list[Hit]:
        scores, rows = self.index.store.search(vector.reshape(1, -1), k)
        hits = []
        for score, row in zip(scores[0], rows[0], strict=False):
            if row < 0:
                continue
            hits.append(Hit(chunk=self.index.chunks[int(row)], score=float(score), rank=len(hits) + 1))
        return hits
