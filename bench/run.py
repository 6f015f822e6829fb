"""Benchmarks: indexing throughput against raw model.encode, embedding speed of each candidate
embedder and cross-encoder on the same chunks, and query latency.

Retrieval latency per configuration (dense, BM25, hybrid RRF, hybrid convex) is measured on the
indexing benchmark's index with SciFact claims as queries (query embedding included).

Usage: python bench/run.py [--docs 400] [--out bench/results.json] [--only SECTION...]

The API's overhead and a watched folder's delay are bench/serving.py's (sections `api`, `watch`).

Local LLM generation (time to first token, total, tokens/s) is measured on the first answerable
seed questions when llama-cpp-python and the packaged model are installed.

Indexing is measured on SciFact abstracts (../shared/data/scifact, first --docs documents) written
out as .txt files, or on the seed articles repeated when that data is absent. Both throughputs are
measured in the same process on the same chunk texts with a warm model, so their ratio shows the
overhead of loading, chunking and saving. Latency is measured on the seed index with the seed
questions (warm process).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.answer.evidence import CONTINUATIONS_READ  # noqa: E402
from rag.answer.pipeline import RagPipeline  # noqa: E402
from rag.config import DEFAULT_EMBEDDER, load_settings  # noqa: E402
from rag.index.generations import load_index  # noqa: E402
from rag.ingest.update import update_index  # noqa: E402
from rag.models.embedders import create_embedder  # noqa: E402
from rag.text import titled  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SCIFACT = REPO.parent / "shared" / "data" / "scifact" / "corpus.jsonl"


def _write_corpus(target: Path, n_docs: int) -> str:
    target.mkdir(parents=True)
    if SCIFACT.exists():
        with SCIFACT.open(encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if i >= n_docs:
                    break
                doc = json.loads(line)
                (target / f"{doc['_id']}.txt").write_text(f"{doc['title']}\n\n{doc['text']}\n", encoding="utf-8")
        return f"SciFact corpus, first {n_docs} abstracts"
    seeds = sorted((REPO / "seeds").iterdir())
    for i in range(n_docs):
        src = seeds[i % len(seeds)]
        (target / f"{i:05d}_{src.name}").write_text(f"Copy {i}\n" + src.read_text(encoding="utf-8"), encoding="utf-8")
    return f"seed articles repeated to {n_docs} files"


def _seed_questions() -> list[dict]:
    """The lines of eval/seed_questions.jsonl."""
    path = REPO / "eval" / "seed_questions.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _percentiles(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)
    q = statistics.quantiles(ordered, n=20, method="inclusive")
    return {"p50_ms": round(statistics.median(ordered), 2), "p95_ms": round(q[18], 2), "n": len(ordered)}


def bench_indexing(n_docs: int, settings_overrides: dict) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        source = _write_corpus(corpus, n_docs)
        settings = load_settings(
            overrides={"index_dir": str(Path(tmp) / "index"), "corpus_dir": str(corpus), **settings_overrides}
        )
        embedder = create_embedder(settings.embedder, batch_size=settings.embed_batch_size)
        embedder.embed_documents(["warm up the model"])
        started = time.perf_counter()
        report = update_index(settings, embedder=embedder)
        index_s = time.perf_counter() - started
        index = load_index(settings.index_dir)
        # What the embedder read while indexing: each chunk under its document title.
        texts = [titled(c.title, c.text) for c in index.chunks]
        started = time.perf_counter()
        embedder.embed_documents(texts)
        encode_s = time.perf_counter() - started
        retrieval = bench_retrieval_configs(index, embedder)
        models = bench_models(texts, _queries(index, 20))
    index_rate = report.chunk_count / index_s
    encode_rate = len(texts) / encode_s
    return {
        "corpus": source,
        "documents": report.document_count,
        "chunks": report.chunk_count,
        "index_seconds": round(index_s, 2),
        "index_chunks_per_s": round(index_rate, 1),
        "raw_encode_seconds": round(encode_s, 2),
        "raw_encode_chunks_per_s": round(encode_rate, 1),
        "index_to_encode_ratio": round(index_rate / encode_rate, 3),
        "retrieval_latency_by_config": retrieval,
        "models_on_these_chunks": models,
    }


EMBEDDER_CANDIDATES = ("sentence-transformers/all-MiniLM-L6-v2", "bge-small-en-v1.5")
CROSS_ENCODERS = ("ms-marco-MiniLM-L-12-v2",)


def _chunks_per_s(embedder, texts: list[str], rounds: int) -> float:
    embedder.embed_documents(texts[:8])
    started = time.perf_counter()
    for _ in range(rounds):
        embedder.embed_documents(texts)
    return round(len(texts) * rounds / (time.perf_counter() - started), 1)


def bench_models(texts: list[str], queries: list[str], rounds: int = 1) -> dict:
    """Embedding chunks/s of each candidate embedder on the same chunk texts, and (query, passage)
    pairs/s of each cross-encoder on 20 passages per query, measured one after the other in
    this process (so their ratios compare like with like)."""
    from rag.models.cross_encoders import create_reranker

    out: dict = {"chunks": len(texts), "embedders": {}, "cross_encoders": {}}
    for name in EMBEDDER_CANDIDATES:
        embedder = create_embedder(name)
        out["embedders"][name] = {
            "chunks_per_s": _chunks_per_s(embedder, texts, rounds),
            "type": type(embedder).__name__,
        }
    # ONNX models run one input per core, side by side; here on one core alone, for the ratio.
    one_core = create_embedder(DEFAULT_EMBEDDER, threads=1)
    out["embedders"][f"{DEFAULT_EMBEDDER} (one core)"] = {"chunks_per_s": _chunks_per_s(one_core, texts, rounds)}
    for name in CROSS_ENCODERS:
        reranker = create_reranker(name)
        reranker.score(queries[0], texts[:4])
        samples = []
        for query in queries:
            started = time.perf_counter()
            reranker.score(query, texts[:20])
            samples.append((time.perf_counter() - started) * 1000)
        out["cross_encoders"][name] = {"pairs": 20, **_percentiles(samples)}
    return out


def _queries(index, n: int) -> list[str]:
    """SciFact claims when the data is there, else the openings of the index's chunks."""
    queries_path = SCIFACT.parent / "queries.jsonl"
    if queries_path.is_file():
        lines = queries_path.read_text(encoding="utf-8").splitlines()[:n]
        return [json.loads(line)["text"] for line in lines]
    return [c.text[:80] for c in index.chunks[:n]]


def bench_retrieval_configs(index, embedder, n_queries: int = 200) -> dict:
    """Query latency (embedding included) per retrieval configuration on the same index and queries."""
    from rag.retrieve.retriever import RetrievalOptions, Retriever

    queries = _queries(index, n_queries)
    configs = {
        "dense": RetrievalOptions(mode="dense"),
        "lexical": RetrievalOptions(mode="lexical"),
        "hybrid_rrf": RetrievalOptions(mode="hybrid", fusion="rrf"),
        "hybrid_convex (default)": RetrievalOptions.from_settings(load_settings()),
    }
    out = {"chunks": len(index.chunks), "queries": len(queries), "k": 5}
    for name, options in configs.items():
        retriever = Retriever(index, embedder, options)
        retriever.search(queries[0], 5)
        samples = []
        for q in queries:
            t = time.perf_counter()
            retriever.search(q, 5)
            samples.append((time.perf_counter() - t) * 1000)
        out[name] = _percentiles(samples)
    return out


def bench_latency(rounds: int) -> dict:
    """Search and extractive `ask` latency on the seed index, with the sentence cross-encoder (the
    default) and without it, question by question in turn so both see the same machine load (the
    local LLM is `bench_generation`'s)."""
    settings = load_settings(overrides={"generator": "extractive"})
    update_index(settings)
    pipeline = RagPipeline.from_settings(settings)
    plain = RagPipeline.from_settings(settings.replace(sentence_reranker=""))
    questions = [q["question"] for q in _seed_questions()]
    pipeline.ask(questions[0])  # warm: load index and models
    plain.ask(questions[0])
    search_ms, ask_ms, plain_ms = [], [], []
    for _ in range(rounds):
        for q in questions:
            t = time.perf_counter()
            pipeline.retrieve(q)
            search_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            pipeline.ask(q)
            ask_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            plain.ask(q)
            plain_ms.append((time.perf_counter() - t) * 1000)
    extra = [a - b for a, b in zip(ask_ms, plain_ms, strict=True)]
    return {
        "index": f"{settings.index_dir} ({len(pipeline.index.chunks)} chunks)",
        "questions": len(questions) * rounds,
        "search": _percentiles(search_ms),
        "ask_extractive": _percentiles(ask_ms),
        "ask_extractive_without_sentence_reranker": _percentiles(plain_ms),
        "sentence_reranker_extra": {
            **_percentiles(extra),
            "pairs_at_most": settings.sentence_rerank_candidates + CONTINUATIONS_READ,
        },
    }


def bench_verifier(rounds: int) -> dict:
    """The claim verifier: ms per (claim, passage) pair on seed chunks (the first sentence of a
    chunk against the next chunk, so never a quotation), one pair at a time and 100 pairs at once
    (`support_all`), nothing cached; what checking every sentence adds to an extractive answer on
    the seed questions (the answer's `verify` milestone minus `generate`); and how long checking
    the local LLM's recorded seed answers takes (their markers read as retrieval positions)."""
    from rag.answer.verification import verify_answer
    from rag.models.verifier import MiniLMVectors, Verifier, create_verifier

    settings = load_settings(overrides={"generator": "extractive", "verify_answers": True})
    update_index(settings)
    pipeline = RagPipeline.from_settings(settings)
    pipeline.load()
    chunks = pipeline.index.chunks[:100]
    verifier = create_verifier(settings.verifier)
    pairs = []
    for i, chunk in enumerate(chunks):
        claim = chunk.sentences[0].text if chunk.sentences else chunk.text[:120]
        pairs.append((claim, [chunks[(i + 1) % len(chunks)].text]))
    verifier.support("The model loads before the clock starts.", ["Loading takes a few seconds."])
    pair_ms = []
    for claim, passages in pairs:
        verifier.vectors.forget()
        t = time.perf_counter()
        verifier.support(claim, passages)
        pair_ms.append((time.perf_counter() - t) * 1000)
    verifier.vectors.forget()
    t = time.perf_counter()
    verifier.support_all(pairs)
    batched_ms = (time.perf_counter() - t) * 1000 / len(pairs)
    float32 = Verifier(verifier.folder, vectors=MiniLMVectors(bfloat16=False))
    float32.support("The model loads before the clock starts.", ["Loading takes a few seconds."])
    t = time.perf_counter()
    float32.support_all(pairs)
    float32_ms = (time.perf_counter() - t) * 1000 / len(pairs)
    questions = [q["question"] for q in _seed_questions()]
    pipeline.ask(questions[0])
    added, sentences = [], []
    for _ in range(rounds):
        for q in questions:
            answer = pipeline.ask(q)
            if "verify" in answer.timings_ms:
                added.append(answer.timings_ms["verify"] - answer.timings_ms["generate"])
                sentences.append(len(answer.verdicts))
    # The local LLM's answers to the seed questions (eval/results/seed_local_shipped.json), checked
    # against their question's passages with nothing cached, as `verify_answers` checks an answer.
    written_ms, written_sentences = [], []
    recorded = REPO / "eval" / "results" / "seed_local_shipped.json"
    if recorded.is_file():
        by_id = {q["id"]: q["question"] for q in _seed_questions()}
        for item in json.loads(recorded.read_text(encoding="utf-8"))["items"]:
            if item["refused"] or item["id"] not in by_id:
                continue
            hits = pipeline.retrieve(by_id[item["id"]])
            verifier.vectors.forget()
            t = time.perf_counter()
            verdicts = verify_answer(item["answer"], hits, verifier, by_id[item["id"]])
            written_ms.append((time.perf_counter() - t) * 1000)
            written_sentences.append(len(verdicts))
    return {
        "verifier": settings.verifier,
        "pair": {**_percentiles(pair_ms), "pairs": len(pair_ms)},
        "pair_batched": {
            "mean_ms": round(batched_ms, 2),
            "pairs": len(pairs),
            "bfloat16": verifier.vectors.bfloat16,
            "float32_mean_ms": round(float32_ms, 2),
        },
        "answer_check_extractive": {
            **_percentiles(added),
            "answers": len(added),
            "mean_sentences": round(sum(sentences) / max(1, len(sentences)), 2),
        },
        "answer_check_local_llm": {
            **_percentiles(written_ms),
            "answers": len(written_ms),
            "mean_sentences": round(sum(written_sentences) / max(1, len(written_sentences)), 2),
        },
    }


def bench_generation(n_questions: int) -> dict:
    """Local LLM: time to first token, total time, prompt and answer tokens, tokens/s (warm model)."""
    from rag.answer.generators import local_generator_available

    settings = load_settings(overrides={"generator": "local"})
    if not local_generator_available(settings):
        return {"skipped": "llama-cpp-python or the local model is not installed (pip install -e '.[local]')"}
    from rag.answer.prompts import build_messages

    pipeline = RagPipeline.from_settings(settings)
    questions = [
        json.loads(line)
        for line in (REPO / "eval" / "seed_questions.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    questions = [q["question"] for q in questions if q.get("answerable", True)][:n_questions]
    # Warm up with a question outside the measured set, so no measured prompt is fully cached.
    pipeline.ask("What are these documents about?")
    generator = pipeline.generator
    llm = generator.llm
    rows = []
    for q in questions:
        hits = pipeline.retrieve(q)
        prompt = "".join(m["content"] for m in build_messages(q, hits))
        started = time.perf_counter()
        first = None
        pieces = []
        for piece in generator.stream(q, hits):
            first = first or time.perf_counter()
            pieces.append(piece)
        total = time.perf_counter() - started
        answer_tokens = llm.count_tokens("".join(pieces))
        decode_s = total - ((first or started) - started)
        rows.append(
            {
                "prompt_tokens": llm.count_tokens(prompt),
                "answer_tokens": answer_tokens,
                "first_token_ms": ((first or started) - started) * 1000,
                "total_ms": total * 1000,
                "decode_tokens_per_s": answer_tokens / decode_s if decode_s > 0 else None,
            }
        )
    return {
        "model": settings.local_model,
        "threads": llm.n_threads,
        "questions": len(rows),
        "prompt_tokens_mean": round(statistics.mean(r["prompt_tokens"] for r in rows), 1),
        "answer_tokens_mean": round(statistics.mean(r["answer_tokens"] for r in rows), 1),
        "first_token": _percentiles([r["first_token_ms"] for r in rows]),
        "total": _percentiles([r["total_ms"] for r in rows]),
        "decode_tokens_per_s_mean": round(
            statistics.mean(r["decode_tokens_per_s"] for r in rows if r["decode_tokens_per_s"]), 2
        ),
        "prompt_tokens_per_s_mean": round(
            statistics.mean(r["prompt_tokens"] / (r["first_token_ms"] / 1000) for r in rows if r["first_token_ms"]), 1
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--generation-questions", type=int, default=5, help="local LLM questions (0: skip)")
    parser.add_argument("--out", default="bench/results.json")
    parser.add_argument(
        "--retrieval-index",
        metavar="DIR",
        help="only measure retrieval latency per configuration on this existing index, print it and exit",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="SECTION",
        help="run only these sections (latency, verifier, api, watch) into --out",
    )
    args = parser.parse_args()
    if args.retrieval_index:
        index = load_index(args.retrieval_index)
        embedder = create_embedder(index.embedder_name)
        print(json.dumps(bench_retrieval_configs(index, embedder, n_queries=100), indent=2))
        return
    settings = load_settings()
    if args.only:
        # Refresh some sections of an existing results file; the others keep their figures.
        from bench.serving import bench_api, bench_watch

        sections = {
            "latency": lambda: bench_latency(args.rounds),
            "verifier": lambda: bench_verifier(args.rounds),
            "api": lambda: bench_api(args.rounds),
            "watch": bench_watch,
        }
        unknown = sorted(set(args.only) - set(sections))
        if unknown:
            parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(sections)}")
        out = Path(args.out)
        results = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else {}
        for name in args.only:
            results[name] = {"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **sections[name]()}
        out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(json.dumps({name: results[name] for name in args.only}, indent=2))
        return
    from bench.serving import bench_api, bench_watch

    results = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "settings": {
            "embedder": settings.embedder,
            "chunk_size": settings.chunk_size,
            "chunk_overlap": settings.chunk_overlap,
            "index_factory": settings.index_factory,
            "top_k": settings.top_k,
        },
        "indexing": bench_indexing(args.docs, {}),
        "latency": bench_latency(args.rounds),
        "verifier": bench_verifier(args.rounds),
        "api": bench_api(args.rounds),
        "watch": bench_watch(),
        "generation_local": bench_generation(args.generation_questions)
        if args.generation_questions
        else {"skipped": "--generation-questions 0"},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
