"""Scale benchmark: vector stores at 100k-1M vectors, embedding throughput, BM25 memory, ingestion RSS.

Run niced, one section at a time if the machine is shared:
    nice -n 19 .venv/bin/python bench/scale.py --sections vectors --sizes 100000,1000000
    nice -n 19 .venv/bin/python bench/scale.py --sections milvus --sizes 100000
    nice -n 19 .venv/bin/python bench/scale.py --sections bm25,embed,ingest
Results are merged into bench/scale_results.json (one entry per section and size) and a markdown
table is written to bench/SCALE.md. Synthetic vectors are clustered 384-d unit vectors; searches
are single queries, k=10, one FAISS thread; recall@10 is against exact search.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

DIM = 384
K = 10
NOTES = ROOT / "bench" / "scale_notes.md"  # hand-written reading of the figures, appended to SCALE.md


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def clustered(n: int, seed: int, centers: int = 2000) -> np.ndarray:
    """Unit vectors around random centres (like topic clusters of text embeddings)."""
    rng = np.random.default_rng(seed)
    middle = rng.standard_normal((centers, DIM)).astype(np.float32)
    out = np.empty((n, DIM), np.float32)
    for start in range(0, n, 100_000):
        end = min(n, start + 100_000)
        block = middle[rng.integers(0, centers, end - start)] + 0.6 * rng.standard_normal((end - start, DIM)).astype(
            np.float32
        )
        out[start:end] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def exact_top(base: np.ndarray, queries: np.ndarray, k: int = K) -> np.ndarray:
    best = np.zeros((len(queries), 0), np.int64)
    best_scores = np.zeros((len(queries), 0), np.float32)
    for start in range(0, len(base), 200_000):
        scores = queries @ base[start : start + 200_000].T
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        best = np.concatenate([best, top + start], axis=1)
        best_scores = np.concatenate([best_scores, np.take_along_axis(scores, top, 1)], axis=1)
        keep = np.argsort(-best_scores, axis=1)[:, :k]
        best, best_scores = np.take_along_axis(best, keep, 1), np.take_along_axis(best_scores, keep, 1)
    return best


def latencies(search, queries: np.ndarray) -> dict:
    times = []
    found = []
    for q in queries:
        t = time.perf_counter()
        rows = search(q.reshape(1, -1))
        times.append((time.perf_counter() - t) * 1000)
        found.append(rows)
    return {"p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95)), "rows": found}


def recall(found: list[np.ndarray], truth: np.ndarray) -> float:
    return float(
        np.mean([len(set(f.ravel().tolist()) & set(t.tolist())) / K for f, t in zip(found, truth, strict=True)])
    )


def bench_faiss(n: int, n_queries: int, factory: str) -> dict:
    import faiss

    from rag.index.stores import StoreConfig, build_store

    faiss.omp_set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
    base = clustered(n, 0)
    queries = clustered(n_queries, 1)
    truth = exact_top(base, queries)
    config = StoreConfig(index_factory=factory)
    work = Path(tempfile.mkdtemp(prefix="scale-"))
    try:
        gen = work / "gen-bench"
        gen.mkdir()
        np.save(work / "emb.npy", base)
        del base
        mapped = np.load(work / "emb.npy", mmap_mode="r")
        before = rss_mb()
        t = time.perf_counter()
        store, entry = build_store(config, gen, work, mapped, [""] * n)
        build_s = time.perf_counter() - t
        build_rss = rss_mb() - before
        del store
        from rag.index.stores import open_store

        t = time.perf_counter()
        before = rss_mb()
        loaded = open_store(entry, gen, work, [""] * n)
        load_s, load_rss = time.perf_counter() - t, rss_mb() - before
        timing = latencies(lambda q: loaded.search(q, K)[1], queries)
        return {
            "section": "vectors",
            "backend": "faiss",
            "n": n,
            "index_type": entry["index_type"],
            "nprobe": entry.get("nprobe"),
            "build_s": round(build_s, 1),
            "build_rss_mb": round(build_rss),
            "load_s": round(load_s, 2),
            "loaded_rss_mb": round(load_rss),
            "disk_mb": round((gen / "vectors.faiss").stat().st_size / 2**20),
            "p50_ms": round(timing["p50_ms"], 3),
            "p95_ms": round(timing["p95_ms"], 3),
            "recall@10": round(recall(timing["rows"], truth), 3),
            "threads": faiss.omp_get_max_threads(),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench_milvus(n: int, n_queries: int) -> dict:
    from rag.index.stores.milvus_store import MilvusStore

    base = clustered(n, 0)
    queries = clustered(n_queries, 1)
    truth = exact_top(base, queries)
    work = Path(tempfile.mkdtemp(prefix="scale-milvus-"))
    try:
        uri = str(work / "m.db")
        store = MilvusStore.create(uri, "rag_gen_bench", DIM)
        t = time.perf_counter()
        for start in range(0, n, 10_000):
            store.add(
                np.arange(start, min(n, start + 10_000)),
                base[start : start + 10_000],
                [""] * len(base[start : start + 10_000]),
            )
        store.persist(work)
        build_s = time.perf_counter() - t
        timing = latencies(lambda q: store.search(q, K)[1], queries)
        disk = sum(f.stat().st_size for f in work.rglob("*") if f.is_file())
        return {
            "section": "milvus",
            "backend": "milvus-lite",
            "n": n,
            "index_type": "FLAT",
            "build_s": round(build_s, 1),
            "inserts_per_s": round(n / build_s),
            "disk_mb": round(disk / 2**20),
            "p50_ms": round(timing["p50_ms"], 3),
            "p95_ms": round(timing["p95_ms"], 3),
            "recall@10": round(recall(timing["rows"], truth), 3),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def synthetic_paragraphs(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(30_000)]
    lengths = rng.integers(40, 70, n)
    return [" ".join(vocab[j] for j in rng.zipf(1.3, size=length) % len(vocab)) for length in lengths]


def bench_bm25(n: int) -> dict:
    from rag.index.lexical import LexicalIndex

    texts = synthetic_paragraphs(n)
    before = rss_mb()
    t = time.perf_counter()
    index = LexicalIndex.build(texts)
    build_s = time.perf_counter() - t
    grown = rss_mb() - before
    work = Path(tempfile.mkdtemp(prefix="scale-bm25-"))
    try:
        index.write(work)
        disk = sum(f.stat().st_size for f in work.rglob("*") if f.is_file())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    times = []
    for q in texts[:50]:
        t = time.perf_counter()
        index.scores(" ".join(q.split()[:6]))
        times.append((time.perf_counter() - t) * 1000)
    return {
        "section": "bm25",
        "n": n,
        "build_s": round(build_s, 1),
        "build_rss_mb": round(grown),
        "disk_mb": round(disk / 2**20),
        "query_p50_ms": round(float(np.percentile(times, 50)), 1),
    }


def bench_embed(n_texts: int, multi_process: bool) -> dict:
    from rag.models.embedders import create_embedder

    embedder = create_embedder("sentence-transformers/all-MiniLM-L6-v2")
    texts = synthetic_paragraphs(n_texts, seed=3)
    embedder.embed_documents(texts[:64])  # load and warm up
    t = time.perf_counter()
    embedder.embed_documents(texts)
    single = n_texts / (time.perf_counter() - t)
    out = {"section": "embed", "n": n_texts, "encode_texts_per_s": round(single, 1), "torch_threads": _torch_threads()}
    if multi_process:
        model = embedder.model
        pool = model.start_multi_process_pool(["cpu", "cpu"])
        try:
            model.encode_document(texts[:64], pool=pool)
            t = time.perf_counter()
            model.encode_document(texts, pool=pool, batch_size=32)
            out["multi_process_2_texts_per_s"] = round(n_texts / (time.perf_counter() - t), 1)
        finally:
            model.stop_multi_process_pool(pool)
    return out


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


_HASH_INDEX = """
import hashlib, re, sys, json
import numpy as np
from rag.config import load_settings
from rag.ingest.update import update_index

class HashEmbedder:
    name = "bench-hash"
    dimension = 384
    max_tokens = 256
    def count_tokens(self, text):
        return len(re.findall(r"\\w+", text))
    def embed_documents(self, texts, show_progress=False):
        out = np.zeros((len(texts), 384), np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"\\w+", t.lower()):
                out[i, int(hashlib.md5(w.encode()).hexdigest()[:6], 16) % 384] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
    def embed_queries(self, texts):
        return self.embed_documents(texts)

settings = load_settings(overrides={"embedder": "bench-hash"})
report = update_index(settings, [sys.argv[1]], embedder=HashEmbedder())
print(json.dumps({"chunk_count": report.chunk_count}))
"""


def bench_ingest(n_files: int, raw_rate: float | None, embedder: str = "real") -> dict:
    """`rag index` on a folder of n small generated files, in a child process: peak RSS, chunks/s.

    With embedder "hash" the model is replaced by a word-hashing stub, to measure the pipeline's
    own memory and speed (file scan, loading, chunking, checkpoint, assembly, FAISS, BM25).
    """
    work = Path(tempfile.mkdtemp(prefix="scale-ingest-"))
    try:
        corpus = work / "corpus"
        corpus.mkdir()
        for i, text in enumerate(synthetic_paragraphs(n_files, seed=5)):
            sub = corpus / f"part{i // 1000:03d}"
            sub.mkdir(exist_ok=True)
            (sub / f"note{i:06d}.txt").write_text(f"Note {i}\n\n{text}\n", encoding="utf-8")
        env = {**os.environ, "RAG_INDEX_DIR": str(work / "index"), "RAG_GENERATOR": "extractive"}
        t = time.perf_counter()
        command = [sys.executable, "-m", "rag.serve.cli", "index", str(corpus), "--json"]
        if embedder == "hash":
            command = [sys.executable, "-c", _HASH_INDEX, str(corpus)]
        proc = subprocess.run(
            command,
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - t
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-2000:])
        report = json.loads(proc.stdout)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rate = report["chunk_count"] / seconds
        return {
            "section": "ingest",
            "n_files": n_files,
            "embedder": embedder,
            "chunks": report["chunk_count"],
            "seconds": round(seconds, 1),
            "chunks_per_s": round(rate, 1),
            "peak_rss_mb": round(peak),
            "ratio_to_raw_encode": None if not raw_rate or embedder == "hash" else round(rate / raw_rate, 2),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_outputs(results: list[dict], out: Path) -> None:
    old = json.loads(out.read_text()) if out.exists() else {"results": []}
    key = lambda r: (r["section"], r.get("n", r.get("n_files")), r.get("index_type", r.get("embedder", "")))  # noqa: E731
    merged = {key(r): r for r in old["results"]}
    merged.update({key(r): r for r in results})
    data = {
        "machine": f"{os.cpu_count()} cores, niced, shared with other jobs",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) if results else old.get("measured_at"),
        "results": sorted(merged.values(), key=lambda r: (r["section"], str(key(r)))),
    }
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, out)
    lines = ["# Scale benchmark (bench/scale.py)", "", f"Measured {data['measured_at']} on {data['machine']}.", ""]
    for section in sorted({r["section"] for r in data["results"]}):
        rows = [r for r in data["results"] if r["section"] == section]
        cols = [c for c in rows[0] if c != "section"]
        lines += [f"## {section}", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        lines += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows]
        lines.append("")
    if NOTES.exists():
        lines += ["## Notes", "", NOTES.read_text().strip(), ""]
    md = out.parent / "SCALE.md"
    md.write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default="vectors,milvus,bm25,embed,ingest")
    parser.add_argument("--sizes", default="100000,1000000", help="vector counts for the vectors section")
    parser.add_argument("--factory", default="auto", help="index_factory for the vectors section")
    parser.add_argument("--milvus-size", type=int, default=100_000)
    parser.add_argument("--bm25-sizes", default="100000")
    parser.add_argument("--embed-texts", type=int, default=2000)
    parser.add_argument("--multi-process", action="store_true", help="also time a 2-process encode pool")
    parser.add_argument("--ingest-files", type=int, default=50_000)
    parser.add_argument("--ingest-embedder", choices=("real", "hash"), default="real")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "scale_results.json")
    parser.add_argument("--table-only", action="store_true", help="rewrite SCALE.md from the JSON, run nothing")
    args = parser.parse_args()
    if args.table_only:
        write_outputs([], args.out)
        return
    sections = args.sections.split(",")
    results = []
    raw_rate = None
    if "vectors" in sections:
        for n in [int(s) for s in args.sizes.split(",")]:
            results.append(bench_faiss(n, args.queries, args.factory))
            print(json.dumps(results[-1]), flush=True)
    if "milvus" in sections:
        results.append(bench_milvus(args.milvus_size, args.queries))
        print(json.dumps(results[-1]), flush=True)
    if "bm25" in sections:
        for n in [int(s) for s in args.bm25_sizes.split(",")]:
            results.append(bench_bm25(n))
            print(json.dumps(results[-1]), flush=True)
    if "embed" in sections:
        results.append(bench_embed(args.embed_texts, args.multi_process))
        raw_rate = results[-1]["encode_texts_per_s"]
        print(json.dumps(results[-1]), flush=True)
    if "ingest" in sections:
        results.append(bench_ingest(args.ingest_files, raw_rate, args.ingest_embedder))
        print(json.dumps(results[-1]), flush=True)
    write_outputs(results, args.out)


if __name__ == "__main__":
    main()
