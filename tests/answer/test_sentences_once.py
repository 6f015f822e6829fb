"""Passage text is split into sentences once, when it is chunked: answering a question over an
index reads the stored spans and never splits a passage again."""

from __future__ import annotations

import pytest

import rag.answer.citations
import rag.evaluate.judges
import rag.text
import rag.types
from rag.answer.pipeline import RagPipeline
from rag.ingest.update import update_index
from tests.support.fakes import ScriptedGenerator


@pytest.fixture
def split_calls(monkeypatch):
    """Every text that anything asks `split_sentences` to split, wherever it imported it from."""
    calls: list[str] = []
    original = rag.text.split_sentences

    def counting(text: str):
        calls.append(text)
        return original(text)

    for module in (rag.text, rag.types, rag.answer.citations, rag.evaluate.judges):
        if hasattr(module, "split_sentences"):
            monkeypatch.setattr(module, "split_sentences", counting)
    return calls


def _passage_splits(calls: list[str], answer) -> list[str]:
    passages = {hit.chunk.text for hit in answer.passages}
    return [text for text in calls if text in passages]


@pytest.mark.parametrize("generator", ["extractive", "llm"])
def test_no_passage_is_split_while_answering(settings, embedder, split_calls, generator):
    update_index(settings, embedder=embedder)
    split_calls.clear()  # chunking splits each chunk once; from here on nothing may
    llm = ScriptedGenerator("The Fuji apple was developed in Japan in the 1930s [1].")
    pipeline = RagPipeline(settings=settings, embedder=embedder, generator=llm if generator == "llm" else None)
    answer = pipeline.ask("Where was the Fuji apple developed?")
    assert not answer.refused and answer.citations
    assert _passage_splits(split_calls, answer) == []


def test_the_check_sees_a_split(settings, embedder, split_calls):
    """The counter does catch a passage being split (so the test above can fail)."""
    update_index(settings, embedder=embedder)
    pipeline = RagPipeline(settings=settings, embedder=embedder)
    answer = pipeline.ask("Where was the Fuji apple developed?")
    split_calls.clear()
    rag.text.split_sentences(answer.passages[0].chunk.text)
    assert len(_passage_splits(split_calls, answer)) == 1
