"""`rag eval-retrieval --beir DIR`: score our retrieval on a BEIR-format dataset.

The corpus is written out as one text file per document (title on the first line) and indexed
with the same code and settings as a user's folder, into its own index directory (incremental,
so a second run re-uses it). Chunk hits are folded into a document ranking (a document ranks
where its best chunk ranks), and nDCG@10 / recall@100 are computed as in BEIR's evaluation.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.config import FUSIONS, RETRIEVAL_MODES, Settings
from rag.errors import InputError
from rag.evaluation.metrics import hit_at_k, ndcg_at_k, recall_at_k, reciprocal_rank
from rag.jsonl import iter_jsonl_objects

__all__ = ["BeirData", "load_beir", "doc_ranking", "judged_pairs", "evaluate_beir", "add_parser", "command"]

log = logging.getLogger(__name__)

# Chunks fetched per query so that about 100 distinct documents remain after folding.
CHUNKS_PER_QUERY = 400


@dataclass
class BeirData:
    corpus_path: Path
    queries: dict[str, str]
    qrels: dict[str, set[str]]
    name: str


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    for number, record in iter_jsonl_objects(path):
        if "_id" not in record:
            raise InputError(f"{path}:{number}: expected an object with an '_id'")
        yield number, record


def load_beir(directory: str | Path, split: str = "test") -> BeirData:
    """Read queries and the split's relevance judgements (corpus is streamed later)."""
    directory = Path(directory)
    corpus, queries_path, qrels_path = (
        directory / "corpus.jsonl",
        directory / "queries.jsonl",
        directory / "qrels" / f"{split}.tsv",
    )
    for path in (corpus, queries_path):
        if not path.is_file():
            raise InputError(f"{path}: not found (a BEIR dataset has corpus.jsonl, queries.jsonl, qrels/)")
    if not qrels_path.is_file():
        available = sorted(p.stem for p in (directory / "qrels").glob("*.tsv"))
        raise InputError(f"{qrels_path}: not found; splits available: {', '.join(available) or 'none'}")
    qrels: dict[str, set[str]] = {}
    with qrels_path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            parts = line.rstrip("\n").split("\t")
            if number == 1 and parts[0] == "query-id":
                continue
            if len(parts) < 3:
                raise InputError(f"{qrels_path}:{number}: expected 'query-id<TAB>corpus-id<TAB>score'")
            try:
                relevant = int(parts[2]) > 0
            except ValueError:
                raise InputError(f"{qrels_path}:{number}: score {parts[2]!r} is not an integer") from None
            if relevant:
                qrels.setdefault(parts[0], set()).add(parts[1])
    queries = {str(r["_id"]): str(r.get("text", "")) for _, r in _read_jsonl(queries_path)}
    missing = sorted(set(qrels) - set(queries))
    if missing:
        raise InputError(f"{qrels_path}: {len(missing)} judged queries not in queries.jsonl (e.g. {missing[0]})")
    return BeirData(corpus, {q: queries[q] for q in sorted(qrels)}, qrels, directory.name)


def _file_name(doc_id: str) -> str:
    return urllib.parse.quote(doc_id, safe="") + ".txt"


def _doc_id(file_name: str) -> str:
    return urllib.parse.unquote(file_name.removesuffix(".txt"))


def materialize_corpus(data: BeirData, target: Path) -> int:
    """Write each corpus document as `<id>.txt` (title, blank line, text); unchanged files are kept."""
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    for _, record in _read_jsonl(data.corpus_path):
        title, text = str(record.get("title") or "").strip(), str(record.get("text") or "").strip()
        content = f"{title}\n\n{text}\n" if title else f"{text}\n"
        path = target / _file_name(str(record["_id"]))
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
        count += 1
    return count


def doc_ranking(chunk_doc_ids: list[str]) -> list[str]:
    """Fold a chunk ranking into a document ranking (first occurrence = best chunk)."""
    seen: dict[str, None] = {}
    for doc_id in chunk_doc_ids:
        seen.setdefault(_doc_id(doc_id), None)
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
    from rag.indexing import update_index
    from rag.pipeline import RagPipeline

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


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval-retrieval", help="score retrieval on a BEIR dataset (nDCG@10, recall@100)")
    p.add_argument("--beir", required=True, metavar="DIR", help="folder with corpus.jsonl, queries.jsonl, qrels/")
    p.add_argument("--split", default="test", help="qrels split to score (default: test)")
    p.add_argument("--beir-index-dir", help="where to index the corpus (default: <index_dir>/beir/<name>)")
    p.add_argument("--retrieval", choices=RETRIEVAL_MODES, help="override setting 'retrieval'")
    p.add_argument("--fusion", choices=FUSIONS, help="override setting 'fusion'")
    p.add_argument("--dense-weight", type=float, help="override setting 'dense_weight'")
    p.add_argument("--max-queries", type=int, help="score only the first N judged queries")
    p.add_argument(
        "--finetune-split",
        metavar="SPLIT",
        help="first fine-tune the embedder on this split's (query, relevant document) pairs (e.g. train), "
        "then index and score --split with it",
    )
    p.add_argument("--finetune-epochs", type=int, default=1)
    p.add_argument("--out", help="write the full result (per-query metrics) as JSON here")


def judged_pairs(data: BeirData, query_ids: list[str]) -> list[tuple[str, str]]:
    """(query text, "title\n\ntext" of a relevant document) for each judged pair of these queries."""
    wanted = {d for q in query_ids for d in data.qrels[q]}
    documents = {}
    for _, record in _read_jsonl(data.corpus_path):
        if str(record["_id"]) in wanted:
            documents[str(record["_id"])] = f"{record.get('title') or ''}\n\n{record.get('text') or ''}".strip()
    return [(data.queries[q], documents[d]) for q in query_ids for d in sorted(data.qrels[q]) if d in documents]


def finetune_on_split(settings: Settings, directory: str | Path, split: str, output: Path, epochs: int) -> str:
    """Fine-tune the settings' embedder on a split's judged pairs (cached in `output`); returns its path."""
    from rag.finetune import finetune_embedder

    if (output / "rag_finetune.json").is_file():
        log.info("re-using the fine-tuned embedder in %s", output)
        return str(output)
    data = load_beir(directory, split)
    pairs = judged_pairs(data, list(data.qrels))
    finetune_embedder(settings.embedder, pairs, output, epochs=epochs, show_progress=sys.stderr.isatty())
    return str(output)


def command(args: argparse.Namespace, settings: Settings) -> int:
    settings = settings.replace(retrieval=args.retrieval, fusion=args.fusion, dense_weight=args.dense_weight)
    index_dir = args.beir_index_dir
    if args.finetune_split:
        if args.finetune_split == args.split:
            raise InputError("--finetune-split must differ from --split (training on the judgements you score)")
        base = Path(index_dir) if index_dir else Path(settings.index_dir) / "beir" / Path(args.beir).name
        tag = f"ft-{args.finetune_split}-e{args.finetune_epochs}"
        model = finetune_on_split(
            settings, args.beir, args.finetune_split, base / f"embedder-{tag}", args.finetune_epochs
        )
        settings = settings.replace(embedder=model)
        index_dir = str(base / tag)
    result = evaluate_beir(
        settings,
        args.beir,
        split=args.split,
        index_dir=index_dir,
        max_queries=args.max_queries,
        show_progress=sys.stderr.isatty(),
    )
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result.to_dict(), indent=1) + "\n", encoding="utf-8")
    m, lat = result.metrics, result.latency_ms
    print(
        f"{result.dataset} ({result.split}, {result.queries} queries, retrieval={settings.retrieval}"
        + (
            f", fusion={settings.fusion}, dense_weight={settings.dense_weight}"
            if settings.retrieval == "hybrid"
            else ""
        )
        + f"): nDCG@10 {m['ndcg@10']:.4f}  recall@100 {m['recall@100']:.4f}  MRR@10 {m['mrr@10']:.4f}  "
        f"latency p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms"
    )
    return 0
