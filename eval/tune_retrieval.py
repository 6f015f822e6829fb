"""Tune retrieval (mode, fusion, dense weight) on SciFact train, SQuAD 2.0 paragraphs and the seed set.

Each dataset is indexed once with the current settings (chunking, embedder) into its own index
directory; queries are embedded once; every configuration then ranks from the same vectors, so the
sweep measures ranking alone. Document rankings come from chunk rankings (best chunk first).

    python eval/tune_retrieval.py --out eval/retrieval_tuning.json

Prints one table per dataset: nDCG@10, recall@100, MRR@10, hit@1 and search latency (p50/p95,
query embedding excluded; it is the same for every configuration and printed separately).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rag.config import load_settings  # noqa: E402
from rag.evaluate.beir.data import BeirData, load_beir, materialize_corpus  # noqa: E402
from rag.evaluate.beir.retrieval import doc_ranking, score_rankings  # noqa: E402
from rag.evaluate.metrics import hit_at_k  # noqa: E402
from rag.index.generations import load_index  # noqa: E402
from rag.ingest.update import update_index  # noqa: E402
from rag.models.embedders import create_embedder  # noqa: E402
from rag.retrieve.retriever import RetrievalOptions, Retriever, clean_query  # noqa: E402

CONFIGS = [
    ("dense", RetrievalOptions(mode="dense")),
    ("lexical (BM25)", RetrievalOptions(mode="lexical")),
    ("hybrid rrf k=60", RetrievalOptions(mode="hybrid", fusion="rrf", rrf_k=60)),
    *[
        (f"hybrid convex w={w}", RetrievalOptions(mode="hybrid", fusion="convex", dense_weight=w))
        for w in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9)
    ],
]


def _seed_dataset(path: Path) -> tuple[dict, dict]:
    queries, qrels = {}, {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        if record.get("answerable", True) and record.get("sources"):
            queries[record["id"]] = record["question"]
            qrels[record["id"]] = {s.removesuffix(".txt") for s in record["sources"]}
    return queries, qrels


def _squad_dataset(directory: Path) -> tuple[BeirData, dict, dict]:
    queries, qrels = {}, {}
    for line in (directory / "dev_sample400.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("answerable") and record.get("context_ids"):
            queries[record["id"]] = record["question"]
            qrels[record["id"]] = set(record["context_ids"])
    data = BeirData(directory / "paragraphs.jsonl", queries, qrels, "squad2")
    return data, queries, qrels


def _index(settings, corpus_dir: Path, index_dir: Path, embedder):
    s = settings.replace(index_dir=str(index_dir), corpus_dir=str(corpus_dir))
    report = update_index(s, embedder=embedder, show_progress=sys.stderr.isatty())
    print(f"  index {index_dir}: {report.summary()}", file=sys.stderr)
    return load_index(index_dir)


def sweep(name, index, embedder, queries, qrels, k_chunks):
    ids = sorted(queries)
    started = time.perf_counter()
    vectors = embedder.embed_queries([clean_query(queries[q]) for q in ids])
    embed_ms = (time.perf_counter() - started) * 1000 / max(len(ids), 1)
    rows = []
    for label, options in CONFIGS:
        retriever = Retriever(index, embedder, options)
        rankings, latencies = {}, []
        for qid, vector in zip(ids, vectors, strict=True):
            t0 = time.perf_counter()
            hits = retriever.search_with_vector(clean_query(queries[qid]), vector, k_chunks)
            latencies.append((time.perf_counter() - t0) * 1000)
            rankings[qid] = doc_ranking([h.chunk.doc_id for h in hits])
        metrics, _ = score_rankings(rankings, qrels)
        metrics["hit@1"] = round(float(np.mean([hit_at_k(rankings[q], qrels[q], 1) for q in ids])), 4)
        rows.append(
            {
                "config": label,
                **metrics,
                "search_ms_p50": round(float(np.percentile(latencies, 50)), 2),
                "search_ms_p95": round(float(np.percentile(latencies, 95)), 2),
            }
        )
    print(f"\n## {name} ({len(ids)} queries; query embedding {embed_ms:.1f} ms/query)")
    print("| configuration | nDCG@10 | recall@100 | MRR@10 | hit@1 | search p50 ms | p95 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['config']} | {r['ndcg@10']:.4f} | {r['recall@100']:.4f} | {r['mrr@10']:.4f} | {r['hit@1']:.4f} "
            f"| {r['search_ms_p50']:.1f} | {r['search_ms_p95']:.1f} |"
        )
    sys.stdout.flush()
    return {"queries": len(ids), "query_embed_ms": round(embed_ms, 2), "configs": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scifact", default=str(REPO.parent / "shared/data/scifact"))
    parser.add_argument("--squad", default=str(REPO.parent / "shared/data/squad2"))
    parser.add_argument("--seed", default=str(REPO / "eval/seed_questions.jsonl"))
    parser.add_argument("--work", default="/tmp/rag-tune", help="where the dataset indexes go")
    parser.add_argument("--datasets", default="seed,squad2,scifact")
    parser.add_argument("--out", help="JSON file for all figures")
    args = parser.parse_args()

    settings = load_settings()
    embedder = create_embedder(settings.embedder, batch_size=settings.embed_batch_size, device=settings.device)
    work = Path(args.work)
    results = {
        "settings": {
            "embedder": settings.embedder,
            "chunk_size": settings.chunk_size,
            "retrieval_candidates": settings.retrieval_candidates,
        }
    }
    wanted = args.datasets.split(",")
    if "seed" in wanted:
        index = _index(settings, REPO / "seeds", work / "seed", embedder)
        queries, qrels = _seed_dataset(Path(args.seed))
        results["seed"] = sweep("seed set (answerable)", index, embedder, queries, qrels, 50)
    if "squad2" in wanted:
        data, queries, qrels = _squad_dataset(Path(args.squad))
        materialize_corpus(data, work / "squad2-corpus")
        index = _index(settings, work / "squad2-corpus", work / "squad2", embedder)
        results["squad2"] = sweep("SQuAD 2.0 dev sample (answerable)", index, embedder, queries, qrels, 50)
    if "scifact" in wanted:
        data = load_beir(args.scifact, "train")
        materialize_corpus(data, work / "scifact-corpus")
        index = _index(settings, work / "scifact-corpus", work / "scifact", embedder)
        results["scifact"] = sweep("SciFact train", index, embedder, data.queries, data.qrels, 400)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
