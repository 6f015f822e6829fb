"""rag.serve.service: the state shared by the UI, the API and MCP follows the index on disk."""

from __future__ import annotations

import pytest

from rag.errors import ConfigError, IndexNotFoundError
from rag.ingest.update import update_index
from rag.serve.service import ChatOptions, RagService


def test_a_new_generation_written_elsewhere_is_read_by_the_next_question(settings, embedder, corpus):
    update_index(settings, embedder=embedder)
    service = RagService(settings, embedder)
    assert "corpus/tea.txt" not in service.index().manifest.documents
    first = service.index()
    assert service.index() is first  # unchanged on disk: not loaded again
    (corpus / "tea.txt").write_text("Tea\n\nOolong tea comes from Fujian province.\n", encoding="utf-8")
    update_index(settings, embedder=embedder)  # another writer (a CLI run, a watcher)
    assert "corpus/tea.txt" in service.index().manifest.documents
    answer = service.ask("Where does oolong tea come from?", options=ChatOptions(generator="extractive"))
    assert answer.citations[0].source == "corpus/tea.txt"


def test_no_index_and_unknown_writers(settings, embedder):
    service = RagService(settings, embedder)
    with pytest.raises(IndexNotFoundError):
        service.index()
    with pytest.raises(ConfigError, match="unknown generator"):
        service.pipeline(ChatOptions(generator="gpt"))
    assert service.generator_choices()[0] == "extractive" and service.default_generator() == "extractive"


class _FlippingReranker:
    """Scores passages by reversed position: re-ranking turns the order round."""

    def score(self, query, texts):
        return [float(i) for i in range(len(texts))]


def test_the_playground_ranks_by_each_mode(settings, embedder):
    update_index(settings, embedder=embedder)
    service = RagService(settings, embedder)
    lexical = service.retrieve("apples Normandy", 3, mode="lexical", rerank=False)
    assert [h.signals.lexical_rank for h in lexical] == [1, 2, 3][: len(lexical)]
    dense = service.retrieve("apples Normandy", 3, mode="dense", rerank=False)
    assert [h.signals.dense_rank for h in dense] == [1, 2, 3][: len(dense)]
    service._reranker = _FlippingReranker()  # the packaged cross-encoder is exercised by test_app.py
    reranked = service.retrieve("apples Normandy", 3, mode="hybrid", rerank=True)
    assert all(h.signals.rerank_score is not None for h in reranked)
    assert "reranked by ms-marco-MiniLM-L-12-v2" in service.ranking_description("hybrid", True)
    assert service.ranking_description("lexical", False) == "ranked by lexical search"
