"""Measure retrieval and extractive answering on the seed question set for several settings.

Usage:
    python eval/seed_sweep.py [--questions eval/seed_questions.jsonl] [--chunk-sizes 200,120,80]
        [--embedders sentence-transformers/all-MiniLM-L6-v2] [--out eval/seed_sweep.json]

Each configuration is indexed into a temporary directory with the real pipeline code; the
figures are document-level hit@1, hit@3 and MRR, plus extractive answer containment and refusal.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.answer.pipeline import RagPipeline  # noqa: E402
from rag.config import load_settings  # noqa: E402
from rag.evaluate.metrics import contains_any, hit_at_k, mean, reciprocal_rank  # noqa: E402
from rag.ingest.update import update_index  # noqa: E402
from rag.models.embedders import create_embedder  # noqa: E402


def run(
    questions: list[dict], embedder_name: str, chunk_size: int, overlap: int, corpus: str, min_score: float
) -> dict:
    embedder = create_embedder(embedder_name)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            overrides={
                "index_dir": tmp,
                "corpus_dir": corpus,
                "embedder": embedder_name,
                "chunk_size": chunk_size,
                "chunk_overlap": overlap,
                "min_score": min_score,
            }
        )
        t0 = time.perf_counter()
        update_index(settings, embedder=embedder)
        index_s = time.perf_counter() - t0
        pipeline = RagPipeline(settings=settings, embedder=embedder)
        rows = []
        for q in questions:
            answer = pipeline.ask(q["question"])
            ranked = [h.chunk.source.rsplit("/", 1)[-1] for h in answer.passages]
            relevant = set(q.get("sources") or [])
            rows.append(
                {
                    "id": q["id"],
                    "answerable": q.get("answerable", True),
                    "top_score": answer.passages[0].score if answer.passages else None,
                    "hit@1": hit_at_k(ranked, relevant, 1),
                    "hit@3": hit_at_k(ranked, relevant, 3),
                    "mrr": reciprocal_rank(ranked, relevant),
                    "contains": contains_any(answer.text, q.get("answers") or [])
                    if q.get("answerable", True)
                    else None,
                    "cited_right_doc": (
                        any(c.source.rsplit("/", 1)[-1] in relevant for c in answer.citations) if relevant else None
                    ),
                    "refused": answer.refused,
                    "ms": answer.timings_ms["total"],
                }
            )
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    return {
        "embedder": embedder_name,
        "chunk_size": chunk_size,
        "chunk_overlap": overlap,
        "min_score": min_score,
        "index_seconds": round(index_s, 2),
        "hit@1": mean([r["hit@1"] for r in rows]),
        "hit@3": mean([r["hit@3"] for r in rows]),
        "mrr": mean([r["mrr"] for r in rows]),
        "answer_contains": mean([r["contains"] for r in answerable]),
        "cited_right_doc": mean([float(r["cited_right_doc"]) for r in answerable]),
        "false_refusal": mean([float(r["refused"]) for r in answerable]),
        "refusal_on_unanswerable": mean([float(r["refused"]) for r in unanswerable]),
        "ask_ms_mean": mean([r["ms"] for r in rows]),
        "items": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", default="eval/seed_questions.jsonl")
    parser.add_argument("--corpus", default="seeds")
    parser.add_argument("--chunk-sizes", default="200,120,80")
    parser.add_argument("--overlap-ratio", type=float, default=0.2)
    parser.add_argument("--embedders", default="sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--min-score", type=float, default=0.0)
    parser.add_argument("--out", default="eval/seed_sweep.json")
    args = parser.parse_args()
    questions = [json.loads(line) for line in Path(args.questions).read_text().splitlines() if line.strip()]
    results = []
    for name in args.embedders.split(","):
        for size in (int(s) for s in args.chunk_sizes.split(",")):
            r = run(questions, name, size, int(size * args.overlap_ratio), args.corpus, args.min_score)
            results.append(r)
            print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items() if k != "items"}))
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
