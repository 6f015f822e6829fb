import json

import pytest

from rag.index.generations import SCHEMA_VERSION, check_index, load_index
from rag.ingest.update import remove_documents, update_index
from rag.models.cross_encoders import create_reranker
from rag.retrieve.retriever import RetrievalOptions, Retriever, explain


@pytest.fixture
def index(settings, embedder):
    update_index(settings, embedder=embedder)
    return load_index(settings.index_dir)


def test_hybrid_hits_explain_every_retriever(index, embedder):
    hits = Retriever(index, embedder, RetrievalOptions(mode="hybrid")).search("Yangtze river dam", 3)
    assert hits[0].chunk.doc_id == "corpus/rivers.md"
    top = explain(hits[0])
    assert top["dense_rank"] is not None and top["lexical_rank"] is not None and top["fused_rank"] == 1
    # The refusal gate's similarity is the exact cosine, also for hits found only lexically.
    for hit in hits:
        row = index.chunks.index(hit.chunk)
        assert hit.similarity == pytest.approx(
            float(index.embeddings[row] @ embedder.embed_queries(["Yangtze river dam"])[0]), abs=1e-5
        )


def test_modes_agree_with_their_own_retriever(index, embedder):
    dense = Retriever(index, embedder, RetrievalOptions(mode="dense")).search("orchards apples", 2)
    assert [h.score for h in dense] == sorted((h.score for h in dense), reverse=True)
    lexical = Retriever(index, embedder, RetrievalOptions(mode="lexical")).search("orchards apples", 5)
    assert lexical and all(h.chunk.doc_id == "corpus/apples.txt" for h in lexical)
    assert all(h.signals.lexical_rank == h.rank for h in lexical)
    # Nothing matches lexically: lexical mode finds nothing, hybrid still returns dense hits.
    assert Retriever(index, embedder, RetrievalOptions(mode="lexical")).search("zzzz qqqq", 3) == []
    assert Retriever(index, embedder, RetrievalOptions(mode="hybrid")).search("zzzz qqqq", 3)


def test_rrf_and_convex_are_deterministic(index, embedder):
    for fusion in ("rrf", "convex"):
        retriever = Retriever(index, embedder, RetrievalOptions(fusion=fusion))
        first = [(h.chunk.chunk_id, h.score) for h in retriever.search("fab lithography Dresden", 4)]
        assert first == [(h.chunk.chunk_id, h.score) for h in retriever.search("fab lithography Dresden", 4)]
        assert first[0][0].startswith("corpus/chips.html")


class ReverseReranker:
    """Prefers the passage the fused ranking put last."""

    name = "reverse"

    def score(self, query, passages):
        import numpy as np

        return np.arange(len(passages), dtype=np.float32)


def test_reranker_reorders_the_short_list(index, embedder):
    options = RetrievalOptions(rerank_candidates=3)
    plain = Retriever(index, embedder, options).search("river", 3)
    reranked = Retriever(index, embedder, options, ReverseReranker()).search("river", 3)
    assert [h.chunk.chunk_id for h in reranked] == [h.chunk.chunk_id for h in plain][::-1]
    assert reranked[0].signals.rerank_score == 2.0 and reranked[0].signals.fused_rank == 3


def test_missing_reranker_model_is_one_line_error():
    from rag.errors import ConfigError

    reranker = create_reranker("/nonexistent/cross-encoder")
    with pytest.raises(ConfigError, match="could not be loaded"):
        reranker.score("q", ["p"])
    assert create_reranker("") is None


def _lexical_view(index):
    """What BM25 finds for each chunk's own rarest words must be that chunk: rows aligned."""
    for row, chunk in enumerate(index.chunks):
        scores = index.lexical.scores(chunk.text)
        assert scores.argmax() == row or scores[row] == scores.max(), chunk.chunk_id


def test_lexical_and_dense_stay_consistent_across_updates(settings, embedder, corpus):
    update_index(settings, embedder=embedder)
    (corpus / "tea.txt").write_text("Tea\n\nPu-erh tea ferments for years in Yunnan caves.\n", encoding="utf-8")
    update_index(settings, embedder=embedder)  # add
    (corpus / "apples.txt").write_text("Apples\n\nGranny Smith apples came from Australia.\n", encoding="utf-8")
    update_index(settings, embedder=embedder)  # edit
    (corpus / "rivers.md").unlink()
    update_index(settings, embedder=embedder)  # delete
    remove_documents(settings, ["corpus/chips.html"])  # remove by id
    index = load_index(settings.index_dir)
    assert check_index(index) == []
    assert index.lexical.count == len(index.chunks) == index.store.count
    assert sorted({c.doc_id for c in index.chunks}) == ["corpus/apples.txt", "corpus/tea.txt"]
    _lexical_view(index)
    retriever = Retriever(index, embedder, RetrievalOptions(mode="lexical"))
    assert retriever.search("Pu-erh Yunnan", 1)[0].chunk.doc_id == "corpus/tea.txt"
    assert retriever.search("Granny Smith", 1)[0].chunk.doc_id == "corpus/apples.txt"
    assert retriever.search("Yangtze", 3) == [] and retriever.search("Fuji", 3) == []


def test_damaged_lexical_index_is_reported(settings, embedder):
    from rag.errors import IndexCorruptError

    update_index(settings, embedder=embedder)
    index = load_index(settings.index_dir)
    meta = index.path / "lexical" / "rag_lexical.json"
    meta.write_text(json.dumps({"format": 1, "count": 999}), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="rebuild"):
        load_index(settings.index_dir)


def test_version_1_index_is_read_with_bm25_built_in_memory(settings, embedder):
    import shutil

    update_index(settings, embedder=embedder)
    index = load_index(settings.index_dir)
    shutil.rmtree(index.path / "lexical")
    manifest = json.loads((index.path / "manifest.json").read_text())
    manifest["schema_version"] = 1
    del manifest["lexical_format"]
    (index.path / "manifest.json").write_text(json.dumps(manifest))
    old = load_index(settings.index_dir)
    assert old.lexical.count == len(old.chunks) and check_index(old) == []
    embedder.embedded_texts.clear()
    report = update_index(settings.replace(), embedder=embedder)  # upgrades on disk, embeds nothing
    assert report.written and embedder.embedded_texts == []
    upgraded = load_index(settings.index_dir)
    assert upgraded.manifest.schema_version == SCHEMA_VERSION and (upgraded.path / "lexical").is_dir()
