"""Lexical (BM25) index over the chunk texts, row-aligned with the vector store.

The BM25 index is rebuilt from the chunk records every time a generation is written, in the same
temporary directory as the vectors, so lexical and dense rows can never drift apart: row i of
both is `chunks[i]`. Rebuilding costs about a second per 20k chunks (no model involved), far
below the embedding it accompanies. Files are bm25s's own format (`.npy` arrays + JSON params),
never pickle.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.text import titled

__all__ = ["LexicalIndex", "tokenize", "lexical_text", "LEXICAL_DIR", "LEXICAL_FORMAT"]

log = logging.getLogger(__name__)

LEXICAL_DIR = "lexical"
_META = "rag_lexical.json"
# 2: chunks indexed with their document title (lexical_text).
LEXICAL_FORMAT = 2
# BM25 parameters: bm25s's "lucene" variant with the common k1/b (not tuned).
_K1 = 1.2
_B = 0.75


def lexical_text(title: str, text: str) -> str:
    """What BM25 indexes for a chunk: its document's title, then its text (`rag.text.titled`).

    Repeating the title on every chunk let BM25 match title words anywhere in the document,
    which raised both BM25 and hybrid retrieval on SciFact and SQuAD 2.0 (eval/RESULTS.md).
    """
    return titled(title, text)


def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased word tokens, English stopwords removed, Snowball-stemmed."""
    import bm25s

    return bm25s.tokenize(list(texts), stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)


class LexicalIndex:
    """BM25 scores for every chunk row.

    Example:
        >>> lexical = LexicalIndex.build(["the Yangtze river", "apples in Japan"])
        >>> lexical.scores("Yangtze").argmax()
        0
    """

    def __init__(self, retriever, count: int) -> None:
        self._retriever = retriever
        self._count = count

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        import bm25s

        if not texts:
            return cls(None, 0)
        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs each build at DEBUG
        retriever = bm25s.BM25(k1=_K1, b=_B, method="lucene")
        retriever.index(tokenize(texts), show_progress=False)
        return cls(retriever, len(texts))

    @property
    def count(self) -> int:
        return self._count

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of the query for every row (zeros when no query word is in the index)."""
        if self._retriever is None:
            return np.zeros(0, dtype=np.float32)
        tokens = tokenize([query])[0]
        ids = self._retriever.get_tokens_ids(tokens)
        if not ids:
            return np.zeros(self._count, dtype=np.float32)
        return np.asarray(self._retriever.get_scores_from_ids(ids), dtype=np.float32)

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, rows), best first; rows with a zero score are left out."""
        return self.top(self.scores(query), k)

    @staticmethod
    def top(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, rows) of a `scores` vector, best first, ties by row; zero scores left out."""
        if k <= 0 or scores.size == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        k = min(k, scores.size)
        top = np.argpartition(-scores, k - 1)[:k]
        # Ties broken by row so results are deterministic.
        top = top[np.lexsort((top, -scores[top]))]
        top = top[scores[top] > 0]
        return scores[top], top.astype(np.int64)

    def write(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        if self._retriever is not None:
            self._retriever.save(str(directory), show_progress=False)
        meta = {"format": LEXICAL_FORMAT, "count": self._count, "k1": _K1, "b": _B, "stemmer": "snowball-english"}
        (directory / _META).write_text(json.dumps(meta) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, directory: Path) -> LexicalIndex:
        """Load a saved index; raises OSError/ValueError when files are missing or damaged."""
        import bm25s

        meta = json.loads((directory / _META).read_text(encoding="utf-8"))
        if meta.get("format") != LEXICAL_FORMAT:
            raise ValueError(f"lexical index format {meta.get('format')} (expected {LEXICAL_FORMAT})")
        count = int(meta["count"])
        if count == 0:
            return cls(None, 0)
        retriever = bm25s.BM25.load(str(directory), show_progress=False)
        if int(retriever.scores["num_docs"]) != count:
            raise ValueError(f"lexical index holds {retriever.scores['num_docs']} rows, metadata says {count}")
        return cls(retriever, count)
