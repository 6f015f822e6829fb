"""The VectorStore contract, run against FAISS (every index type) and Milvus (milvus-lite)."""

import logging

import numpy as np
import pytest

from rag.index.generations import load_index
from rag.index.stores import (
    FaissStore,
    SearchFilter,
    StoreConfig,
    VectorStore,
    build_store,
    open_store,
    resolve_factory,
    training_sample,
)
from rag.index.stores.faiss_store import VECTORS_FILE
from rag.ingest.update import remove_documents, update_index

DOCS = [f"{folder}/d{i}.txt" for folder in ("a", "a/deep", "b") for i in range(4)] + ["top.txt"]


@pytest.fixture(autouse=True)
def _one_faiss_thread():
    # Small searches; OpenMP threads only spin against other jobs on a loaded 2-core machine.
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield
    faiss.omp_set_num_threads(before)


def _data(n=520, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    owners = [DOCS[i % len(DOCS)] for i in range(n)]
    return vectors, owners


def _faiss(vectors, factory, owners):
    store = FaissStore.create(vectors.shape[1], factory, train_sample=training_sample(vectors, factory))
    store.add(np.arange(len(vectors)), vectors, owners)
    return store


def _exact(vectors, owners, query, k, where=None):
    allowed = [i for i in range(len(vectors)) if where is None or where.matches(owners[i])]
    scores = vectors[allowed] @ query
    order = np.lexsort((allowed, -scores))[:k]
    return [allowed[i] for i in order]


def _milvus_available():
    try:
        import milvus_lite  # noqa: F401
        import pymilvus  # noqa: F401
    except ImportError:
        return False
    return True


BACKENDS = [
    "faiss",
    pytest.param("milvus", marks=pytest.mark.skipif(not _milvus_available(), reason="pip install -e '.[milvus]'")),
]


@pytest.fixture(params=BACKENDS)
def filled(request, tmp_path):
    vectors, owners = _data()
    config = StoreConfig(backend=request.param, index_factory="Flat", milvus_uri=str(tmp_path / "m.db"))
    gen = tmp_path / "gen-1"
    gen.mkdir()
    store, entry = build_store(config, gen, tmp_path, vectors, owners)
    return store, entry, gen, vectors, owners


def test_contract_exact_search_and_filters(filled, tmp_path):
    store, entry, gen, vectors, owners = filled
    assert isinstance(store, VectorStore)
    assert store.count == len(vectors)
    queries = vectors[[3, 77, 200]] + 0.05
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    scores, rows = store.search(queries, 10)
    for q, row in zip(queries, rows, strict=True):
        assert row.tolist() == _exact(vectors, owners, q, 10)
    assert np.all(np.diff(scores, axis=1) <= 1e-6)
    for where in (
        SearchFilter(doc_ids=("b/d1.txt", "top.txt")),
        SearchFilter(folders=("a",)),  # a/ and a/deep/
        SearchFilter(folders=("a/deep",), doc_ids=("a/deep/d2.txt",)),
    ):
        _, rows = store.search(queries[:1], 5, where)
        assert rows[0].tolist() == _exact(vectors, owners, queries[0], 5, where)
    # Reopened from what persist() wrote: same answers.
    reopened = open_store(entry, gen, tmp_path, owners)
    assert reopened.search(queries, 10)[1].tolist() == store.search(queries, 10)[1].tolist()
    # Declared capabilities: a backend without the knob ignores it; nothing else to drop here.
    reopened.set_search_params(nprobe=4)
    reopened.drop_others()
    assert reopened.search(queries, 10)[1].tolist() == store.search(queries, 10)[1].tolist()


@pytest.mark.parametrize("factory", ["Flat", "HNSW16", "IVF8,Flat", "IVF8,SQ8"])
def test_every_faiss_type_searches_and_filters(factory):
    vectors, owners = _data(1000)
    store = _faiss(vectors, factory, owners)
    store.set_search_params(nprobe=8, ef_search=64)
    store.set_search_params(nprobe=8)  # None leaves ef_search as it is
    assert (store.nprobe, store.ef_search) == (8, 64)
    exact = _exact(vectors, owners, vectors[5], 10)
    found = store.search(vectors[5:6], 10)[1][0].tolist()
    assert len(set(found) & set(exact)) >= 8  # approximate types: recall@10 >= 0.8 here
    _, rows = store.search(vectors[:4], 50, SearchFilter(doc_ids=("b/d3.txt",)))
    assert rows.size and all(owners[r] == "b/d3.txt" for r in rows.ravel() if r >= 0)


def test_auto_factory_by_size():
    assert resolve_factory("auto", 5) == "Flat"
    assert resolve_factory("auto", 200_000) == "Flat"
    assert resolve_factory("auto", 1_000_000) == "IVF4096,Flat"
    assert resolve_factory("auto-sq8", 1_000_000) == "IVF4096,SQ8"
    assert resolve_factory("auto", 400, ivf_threshold=100) == "IVF8,Flat"  # >= 39 points per list
    assert resolve_factory("HNSW32", 10**7) == "HNSW32"


def test_invalid_backend_refused():
    with pytest.raises(ValueError, match="choose one of faiss, milvus"):
        StoreConfig(backend="qdrant")


def test_crossing_the_threshold_rebuilds_into_ivf(settings, embedder, corpus, caplog):
    small = settings.replace(ivf_threshold=1000)
    update_index(small, embedder=embedder)
    assert load_index(small.index_dir).manifest.index_type == "Flat"
    for i in range(60):
        (corpus / f"extra{i}.txt").write_text(" ".join(f"word{i}x{j} river" for j in range(120)))
    low = settings.replace(ivf_threshold=40, nprobe=4)
    with caplog.at_level(logging.WARNING, logger="rag.ingest.update"):
        report = update_index(low, embedder=embedder)
    index = load_index(low.index_dir)
    assert index.manifest.index_type.startswith("IVF") and index.store.is_ivf
    assert "rebuilt as faiss IVF" in caplog.text
    assert report.chunks_embedded < report.chunk_count  # the old documents were not re-embedded
    remove_documents(low, ["corpus/rivers.md"])
    index = load_index(low.index_dir)
    assert "corpus/rivers.md" not in {c.doc_id for c in index.chunks} and index.store.count == len(index.chunks)


def test_large_ivf_loads_memory_mapped(tmp_path):
    vectors, owners = _data(3000, 32)
    store = _faiss(vectors, "IVF16,Flat", owners)
    store.persist(tmp_path)
    mapped = FaissStore.read(tmp_path / VECTORS_FILE, owners, mmap=True)
    mapped.set_search_params(nprobe=16)
    store.set_search_params(nprobe=16)
    assert mapped.search(vectors[:3], 5)[1].tolist() == store.search(vectors[:3], 5)[1].tolist()


@pytest.mark.skipif(not _milvus_available(), reason="pip install -e '.[milvus]'")
def test_milvus_index_gives_the_same_hits_as_faiss(settings, embedder, tmp_path):
    from rag.retrieve.retriever import RetrievalOptions, Retriever

    milvus = settings.replace(index_dir=str(tmp_path / "mindex"), vector_store="milvus")
    update_index(settings, embedder=embedder)
    update_index(milvus, embedder=embedder)
    faiss_index, milvus_index = load_index(settings.index_dir), load_index(milvus.index_dir)
    assert milvus_index.manifest.store_backend == "milvus"
    for mode in ("dense", "hybrid"):
        for question in ("Yangtze river dam", "apple orchards in Japan", "lithography fab"):
            a = Retriever(faiss_index, embedder, RetrievalOptions(mode=mode)).search(question, 3)
            b = Retriever(milvus_index, embedder, RetrievalOptions(mode=mode)).search(question, 3)
            assert [h.chunk.chunk_id for h in a] == [h.chunk.chunk_id for h in b]
    # A new generation replaces the collection; the old one is dropped.
    remove_documents(milvus, ["corpus/chips.html"])
    index = load_index(milvus.index_dir)
    assert index.store.count == len(index.chunks) and "corpus/chips.html" not in {c.doc_id for c in index.chunks}
    names = index.store._client.list_collections()
    assert names == [index.manifest.vector_store["collection"]]


def test_retriever_filters_by_folder_and_document(settings, embedder, corpus):
    from rag.retrieve.retriever import RetrievalOptions, Retriever

    (corpus / "sub").mkdir()
    (corpus / "sub" / "dams.txt").write_text("Dams on the Yangtze river hold back floods.\n")
    update_index(settings, embedder=embedder)
    index = load_index(settings.index_dir)
    for mode in ("dense", "hybrid", "lexical"):
        retriever = Retriever(index, embedder, RetrievalOptions(mode=mode))
        assert {h.chunk.doc_id for h in retriever.search("Yangtze river", 5)} >= {
            "corpus/rivers.md",
            "corpus/sub/dams.txt",
        }
        only_sub = retriever.search("Yangtze river", 5, where=SearchFilter(folders=("corpus/sub",)))
        assert only_sub and {h.chunk.doc_id for h in only_sub} == {"corpus/sub/dams.txt"}
        only_doc = retriever.search("Yangtze river", 5, where=SearchFilter(doc_ids=("corpus/rivers.md",)))
        assert only_doc and {h.chunk.doc_id for h in only_doc} == {"corpus/rivers.md"}
