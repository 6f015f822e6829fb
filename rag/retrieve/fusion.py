"""Fusion of dense and lexical result lists: pure functions over score arrays.

Both functions score a common candidate set (the union of each retriever's top-N). `convex`
needs both scores for every candidate (the retriever fills in the missing ones exactly:
cosine from the stored vectors, BM25 from the full score vector); `rrf` uses each retriever's
own ranks only, as published (Cormack et al., 2009).
"""

from __future__ import annotations

import numpy as np

__all__ = ["min_max", "convex_fusion", "rrf_fusion", "ranks_of"]


def min_max(scores: np.ndarray) -> np.ndarray:
    """Scale to [0, 1] over the given scores; all-equal scores map to 0."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size == 0:
        return scores
    low, high = float(scores.min()), float(scores.max())
    if high - low <= 1e-12:
        return np.zeros_like(scores)
    return (scores - low) / (high - low)


def convex_fusion(dense: np.ndarray, lexical: np.ndarray, dense_weight: float) -> np.ndarray:
    """`w * minmax(dense) + (1 - w) * minmax(lexical)` over one candidate set.

    Example:
        >>> convex_fusion(np.array([0.9, 0.5]), np.array([0.0, 10.0]), 0.6).round(2)
        array([0.6, 0.4])
    """
    if not 0.0 <= dense_weight <= 1.0:
        raise ValueError(f"dense_weight must be in [0, 1], got {dense_weight}")
    return dense_weight * min_max(dense) + (1.0 - dense_weight) * min_max(lexical)


def ranks_of(scores: np.ndarray, in_list: np.ndarray | None = None) -> np.ndarray:
    """1-based rank of each candidate by descending score (ties: lower index first).

    Candidates with `in_list` False get rank 0 (= not in that retriever's list).
    """
    scores = np.asarray(scores, dtype=np.float64)
    order = np.lexsort((np.arange(scores.size), -scores))
    ranks = np.empty(scores.size, dtype=np.int64)
    ranks[order] = np.arange(1, scores.size + 1)
    if in_list is not None:
        # Rank among the listed candidates only.
        listed = order[in_list[order]]
        ranks[:] = 0
        ranks[listed] = np.arange(1, listed.size + 1)
    return ranks


def rrf_fusion(dense_ranks: np.ndarray, lexical_ranks: np.ndarray, k: int = 60) -> np.ndarray:
    """Reciprocal rank fusion: sum of 1 / (k + rank) over the lists a candidate appears in (rank > 0).

    Example:
        >>> rrf_fusion(np.array([1, 0]), np.array([2, 1]), k=60).round(4)
        array([0.0325, 0.0164])
    """
    if k < 1:
        raise ValueError(f"rrf k must be at least 1, got {k}")
    fused = np.zeros(len(dense_ranks), dtype=np.float64)
    for ranks in (np.asarray(dense_ranks), np.asarray(lexical_ranks)):
        present = ranks > 0
        fused[present] += 1.0 / (k + ranks[present])
    return fused
