"""Retrieval over the stored index: question -> ranked `Hit`s (dense, lexical or hybrid, reranked).

Hybrid search takes each retriever's top `candidates`, completes the missing scores exactly
(cosine from the stored vectors, BM25 from the full score vector), fuses them, and optionally
reranks the fused short list with a cross-encoder. Every hit carries `HitSignals` saying where
each retriever ranked it, for `rag search --explain` and the UI playground.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag.config import FUSIONS
from rag.config import RETRIEVAL_MODES as MODES
from rag.errors import InputError
from rag.index.generations import StoredIndex
from rag.index.stores import SearchFilter
from rag.models.cross_encoders import Reranker
from rag.models.embedders import Embedder
from rag.retrieve.fusion import convex_fusion, ranks_of, rrf_fusion
from rag.types import Hit, HitSignals

__all__ = ["Retriever", "RetrievalOptions", "clean_query", "explain", "MODES", "FUSIONS"]

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


@dataclass(frozen=True)
class RetrievalOptions:
    """How to rank: see the `retrieval*`, `fusion*` and `rerank*` settings."""

    mode: str = "hybrid"
    fusion: str = "convex"
    dense_weight: float = 0.7
    rrf_k: int = 60
    candidates: int = 50
    rerank_candidates: int = 20
    nprobe: int | None = None  # IVF lists probed per query (None: the value the index was built with)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"retrieval mode {self.mode!r}; choose one of {', '.join(MODES)}")
        if self.fusion not in FUSIONS:
            raise ValueError(f"fusion {self.fusion!r}; choose one of {', '.join(FUSIONS)}")

    @classmethod
    def from_settings(cls, settings) -> RetrievalOptions:
        return cls(
            mode=settings.retrieval,
            fusion=settings.fusion,
            dense_weight=settings.dense_weight,
            rrf_k=settings.rrf_k,
            candidates=settings.retrieval_candidates,
            rerank_candidates=settings.rerank_candidates,
            nprobe=settings.nprobe,
        )


class Retriever:
    """Deterministic search for a given index and options.

    Example:
        >>> hits = Retriever(index, embedder).search("Who leads the NDRC?", k=5)
        >>> hits[0].signals.dense_rank, hits[0].signals.lexical_rank
    """

    def __init__(
        self,
        index: StoredIndex,
        embedder: Embedder,
        options: RetrievalOptions | None = None,
        reranker: Reranker | None = None,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.options = options or RetrievalOptions()
        self.reranker = reranker
        if self.options.nprobe is not None:
            index.store.set_search_params(nprobe=self.options.nprobe)

    def search(self, query: str, k: int, where: SearchFilter | None = None) -> list[Hit]:
        """The top `k` chunks for `query`; `where` keeps only some documents or source folders."""
        if k < 1:
            raise InputError(f"k must be at least 1, got {k}")
        query = clean_query(query)
        vector = self.embedder.embed_queries([query])[0]
        return self.search_with_vector(query, vector, k, where)

    def search_vector(self, vector: np.ndarray, k: int, where: SearchFilter | None = None) -> list[Hit]:
        """Dense-only search for a ready query vector."""
        scores, rows = self.index.store.search(vector.reshape(1, -1), k, where)
        hits = []
        for score, row in zip(scores[0], rows[0], strict=False):
            if row < 0:
                continue
            signals = HitSignals(dense_score=float(score), dense_rank=len(hits) + 1)
            hits.append(Hit(self.index.chunks[int(row)], float(score), len(hits) + 1, signals))
        return hits

    def search_with_vector(
        self, query: str, vector: np.ndarray, k: int, where: SearchFilter | None = None
    ) -> list[Hit]:
        """Search with the query text (for BM25) and its embedding (for dense), per the options."""
        opts = self.options
        if opts.mode == "dense" and self.reranker is None:
            return self.search_vector(vector, k, where)
        n = max(opts.candidates, k, opts.rerank_candidates if self.reranker else 0)

        dense_rows = np.zeros(0, np.int64)
        if opts.mode != "lexical":
            _, found = self.index.store.search(vector.reshape(1, -1), n, where)
            dense_rows = found[0][found[0] >= 0].astype(np.int64)
        lexical_all = None
        lexical_rows = np.zeros(0, np.int64)
        if opts.mode != "dense":
            lexical_all = self.index.lexical.scores(query)
            if where is not None and lexical_all.size:
                keep = np.fromiter((where.matches(c.doc_id) for c in self.index.chunks), bool, len(self.index.chunks))
                lexical_all = np.where(keep, lexical_all, np.float32(0))
            _, lexical_rows = self.index.lexical.top(lexical_all, n)

        # Candidate order is fixed (dense list, then lexical-only rows) so ties resolve the same way.
        seen = set(dense_rows.tolist())
        rows = np.concatenate([dense_rows, np.array([r for r in lexical_rows if r not in seen], np.int64)])
        if rows.size == 0:
            return []
        dense = np.asarray(self.index.embeddings[rows] @ vector.astype(np.float32), np.float64)
        lexical = lexical_all[rows].astype(np.float64) if lexical_all is not None else np.zeros(rows.size, np.float64)
        in_dense = np.isin(rows, dense_rows)
        in_lexical = np.isin(rows, lexical_rows)
        dense_ranks = ranks_of(dense, in_dense)
        lexical_ranks = ranks_of(lexical, in_lexical)

        if opts.mode == "dense":
            fused = dense
        elif opts.mode == "lexical":
            fused = lexical
        elif opts.fusion == "rrf":
            fused = rrf_fusion(dense_ranks, lexical_ranks, opts.rrf_k)
        else:
            fused = convex_fusion(dense, lexical, opts.dense_weight)
        order = np.lexsort((rows, -fused))
        fused_rank = np.empty(rows.size, np.int64)
        fused_rank[order] = np.arange(1, rows.size + 1)

        rerank_scores: dict[int, float] = {}
        if self.reranker is not None:
            short = order[: opts.rerank_candidates]
            scores = self.reranker.score(query, [self.index.chunks[int(rows[i])].text for i in short])
            rerank_scores = {int(i): float(s) for i, s in zip(short, scores, strict=True)}
            short = sorted(short, key=lambda i: (-rerank_scores[int(i)], int(rows[i])))
            order = np.concatenate([np.array(short, np.int64), order[opts.rerank_candidates :]])

        hits = []
        for position in order[:k]:
            i = int(position)
            signals = HitSignals(
                dense_score=float(dense[i]),
                lexical_score=float(lexical[i]) if lexical_all is not None else None,
                dense_rank=int(dense_ranks[i]) or None,
                lexical_rank=int(lexical_ranks[i]) or None,
                fused_score=float(fused[i]),
                fused_rank=int(fused_rank[i]),
                rerank_score=rerank_scores.get(i),
            )
            score = rerank_scores.get(i, float(fused[i]))
            hits.append(Hit(self.index.chunks[int(rows[i])], score, len(hits) + 1, signals))
        return hits


def explain(hit: Hit) -> dict:
    """Each retriever's rank and score for a hit (None = not in that retriever's list)."""
    sig = hit.signals or HitSignals(dense_score=hit.score, dense_rank=hit.rank)
    return {
        "rank": hit.rank,
        "score": round(hit.score, 4),
        "similarity": round(sig.dense_score, 4),
        "dense_rank": sig.dense_rank,
        "lexical_rank": sig.lexical_rank,
        "bm25": None if sig.lexical_score is None else round(sig.lexical_score, 3),
        "fused_rank": sig.fused_rank,
        "reranked": None if sig.rerank_score is None else round(sig.rerank_score, 4),
    }
