"""FAISS and Milvus on real embeddings (the packaged all-MiniLM-L6-v2): same retrieval contract."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from rag.config import load_settings
from rag.index.generations import load_index
from rag.index.stores import StoreConfig, build_store
from rag.ingest.update import update_index
from rag.models.embedders import create_embedder
from rag.retrieve.retriever import RetrievalOptions, Retriever
from tests.support.paths import REPO, SEEDS, SHARED_DATA

pytestmark = pytest.mark.slow
pytest.importorskip("milvus_lite", reason="pip install -e '.[milvus]'")

SCIFACT = SHARED_DATA / "scifact"
N_DOCS = 200


@pytest.fixture(scope="module")
def embedder():
    return create_embedder(load_settings(env={}).embedder)


def test_seed_questions_same_top_passages(embedder, tmp_path):
    base = load_settings(env={}, overrides={"corpus_dir": str(SEEDS), "index_dir": str(tmp_path / "faiss")})
    milvus = base.replace(index_dir=str(tmp_path / "milvus"), vector_store="milvus")
    update_index(base, embedder=embedder)
    # Switching the backend moves the stored vectors into Milvus without re-embedding.
    shutil.copytree(tmp_path / "faiss", tmp_path / "milvus")
    switched = update_index(milvus, embedder=embedder)
    assert switched.written and switched.chunks_embedded == 0
    a, b = load_index(base.index_dir), load_index(milvus.index_dir)
    assert b.manifest.store_backend == "milvus"
    questions = [json.loads(line)["question"] for line in (REPO / "eval" / "seed_questions.jsonl").open()]
    for mode in ("dense", "hybrid"):
        ra = Retriever(a, embedder, RetrievalOptions(mode=mode))
        rb = Retriever(b, embedder, RetrievalOptions(mode=mode))
        for q in questions:
            assert [h.chunk.chunk_id for h in ra.search(q, 5)] == [h.chunk.chunk_id for h in rb.search(q, 5)], q


def test_scifact_sample_same_results_within_tolerance(embedder, tmp_path):
    docs = []
    with (SCIFACT / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            docs.append(json.loads(line))
            if len(docs) == N_DOCS:
                break
    ids = [d["_id"] for d in docs]
    vectors = embedder.embed_documents([f"{d['title']}\n{d['text']}" for d in docs])
    in_sample = set(ids)
    relevant = {}
    for line in (SCIFACT / "qrels" / "train.tsv").read_text().splitlines()[1:]:
        query_id, doc_id, _ = line.split("\t")
        if doc_id in in_sample:
            relevant[query_id] = doc_id
    claims = {}
    with (SCIFACT / "queries.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            q = json.loads(line)
            if q["_id"] in relevant:
                claims[q["_id"]] = q["text"]
    assert len(claims) >= 20
    queries = embedder.embed_queries(list(claims.values()))
    results = {}
    for name, config in {
        "flat": StoreConfig(index_factory="Flat"),
        "ivf": StoreConfig(index_factory="IVF4,Flat", nprobe=2),
        "milvus": StoreConfig(backend="milvus", milvus_uri=str(tmp_path / "m.db")),
    }.items():
        gen = tmp_path / f"gen-{name}"
        gen.mkdir()
        store, _ = build_store(config, gen, tmp_path, vectors, ids)
        results[name] = store.search(queries, 10)[1]
    flat, milvus, ivf = results["flat"], results["milvus"], results["ivf"]
    # Milvus FLAT and FAISS Flat are both exact: the same lists but for float near-ties.
    overlap = np.mean([len(set(f) & set(m)) / 10 for f, m in zip(flat, milvus, strict=True)])
    assert overlap >= 0.98 and np.mean(flat[:, 0] == milvus[:, 0]) >= 0.95
    # IVF probing half the lists keeps most of the exact top 10 (the auto type's contract).
    assert np.mean([len(set(f) & set(i)) / 10 for f, i in zip(flat, ivf, strict=True)]) >= 0.7
    # And retrieval quality is the same: the judged document's hit rate at 10.
    hits = {
        n: np.mean([ids.index(relevant[q]) in r for q, r in zip(claims, rows, strict=True)])
        for n, rows in results.items()
    }
    assert hits["milvus"] == pytest.approx(hits["flat"], abs=0.02) and hits["flat"] > 0.5
