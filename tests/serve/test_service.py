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
