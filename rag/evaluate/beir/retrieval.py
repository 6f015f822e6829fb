"""Scoring our retrieval on a BEIR dataset: index its corpus, fold chunk hits into documents, score.

Chunk hits are folded into a document ranking (a document ranks where its best chunk ranks), and
nDCG@10 / recall@100 are computed as in BEIR's evaluation.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.config import Settings
from rag.evaluate.beir.data import doc_id_of_file, load_beir, materialize_corpus
from rag.evaluate.metrics import hit_at_k, ndcg_at_k, recall_at_k, reciprocal_rank

__all__ = ["CHUNKS_PER_QUERY", "BeirResult", "doc_ranking", "score_rankings", "evaluate_beir"]

log = logging.getLogger("rag.evaluate.beir")

# Chunks fetched per query so that about 100 distinct documents remain after folding.
CHUNKS_PER_QUERY = 400


def doc_ranking(chunk_doc_ids: list[str]) -> list[str]:
    """Fold a chunk ranking into a document ranking (first occurrence = best chunk)."""
    seen: dict[str, None] = {}
    for doc_id in chunk_doc_ids:
        seen.setdefault(doc_id_of_file(doc_id), None)
    return list(seen)


@dataclass
class BeirResult:
    dataset: str
    split: str
    settings: dict
    queries: int
    metrics: dict[str, float]
    latency_ms: dict[str, float]
    per_query: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return self.__dict__


def score_rankings(rankings: dict[str, list[str]], qrels: dict[str, set[str]]) -> tuple[dict, list[dict]]:
    """BEIR-style aggregates (nDCG@10, recall@100, MRR@10, hit@10) over the judged queries."""
    per_query = []
    for qid in sorted(qrels):
        ranked = rankings.get(qid, [])
        relevant = qrels[qid]
        per_query.append(
            {
                "id": qid,
                "ndcg@10": ndcg_at_k(ranked, relevant, 10),
                "recall@100": recall_at_k(ranked, relevant, 100),
                "mrr@10": reciprocal_rank(ranked[:10], relevant),
                "hit@10": hit_at_k(ranked, relevant, 10),
                "top10": ranked[:10],
            }
        )
    names = ("ndcg@10", "recall@100", "mrr@10", "hit@10")
    metrics = {n: round(float(np.mean([q[n] for q in per_query])), 4) if per_query else 0.0 for n in names}
    return metrics, per_query


def evaluate_beir(
    settings: Settings,
    directory: str | Path,
    split: str = "test",
    index_dir: str | Path | None = None,
    max_queries: int | None = None,
    show_progress: bool = False,
    pipeline_factory: Callable | None = None,
) -> BeirResult:
    """Index the dataset's corpus (if needed) into its own directory and score retrieval."""
    from rag.answer.pipeline import RagPipeline
    from rag.ingest.update import update_index

    data = load_beir(directory, split)
    index_dir = Path(index_dir) if index_dir else Path(settings.index_dir) / "beir" / data.name
    corpus_dir = index_dir / "corpus"
    materialize_corpus(data, corpus_dir)
    beir_settings = settings.replace(index_dir=str(index_dir / "index"), corpus_dir=str(corpus_dir))
    report = update_index(beir_settings, show_progress=show_progress)
    log.info("BEIR index: %s", report.summary())

    pipeline = (pipeline_factory or RagPipeline.from_settings)(beir_settings)
    query_ids = list(data.queries)[:max_queries] if max_queries else list(data.queries)
    rankings, latencies = {}, []
    for qid in _progress(query_ids, show_progress):
        started = time.perf_counter()
        hits = pipeline.retrieve(data.queries[qid], CHUNKS_PER_QUERY)
        latencies.append((time.perf_counter() - started) * 1000)
        rankings[qid] = doc_ranking([h.chunk.doc_id for h in hits])
    metrics, per_query = score_rankings(rankings, {q: data.qrels[q] for q in query_ids})
    latency = {
        "p50": round(float(np.percentile(latencies, 50)), 2) if latencies else 0.0,
        "p95": round(float(np.percentile(latencies, 95)), 2) if latencies else 0.0,
    }
    used = {
        k: getattr(settings, k)
        for k in (
            "embedder",
            "chunk_size",
            "chunk_overlap",
            "retrieval",
            "fusion",
            "dense_weight",
            "rrf_k",
            "retrieval_candidates",
            "reranker",
            "rerank_candidates",
        )
    }
    return BeirResult(data.name, split, used, len(query_ids), metrics, latency, per_query)


def _progress(items, show: bool):
    if not show:
        return items
    from tqdm import tqdm

    return tqdm(items, desc="queries", unit="q")
