import pytest

from rag.errors import IndexMismatchError, IndexNotFoundError, InputError
from rag.indexing import update_index
from rag.pipeline import RagPipeline


@pytest.fixture
def pipeline(settings, embedder):
    update_index(settings, embedder=embedder)
    return RagPipeline(settings=settings, embedder=embedder)


def test_ask_returns_cited_answer(pipeline):
    answer = pipeline.ask("Where was the Fuji apple developed?")
    assert not answer.refused
    assert "Japan" in answer.text
    assert answer.citations and answer.citations[0].source == "apples.txt"
    cited = answer.citations[0]
    assert cited.quote in cited.passage
    assert set(answer.timings_ms) == {"retrieve", "generate", "cite", "total"}
    record = answer.to_dict()
    assert record["citations"][0]["source"] == "apples.txt"
    assert [p["rank"] for p in record["passages"]] == list(range(1, len(answer.passages) + 1))


def test_retrieval_is_deterministic(pipeline):
    first = [(h.chunk.chunk_id, h.score) for h in pipeline.retrieve("river dam")]
    assert first == [(h.chunk.chunk_id, h.score) for h in pipeline.retrieve("river dam")]
    assert first[0][0].startswith("rivers.md")


def test_top_k(pipeline):
    assert len(pipeline.retrieve("apples", k=2)) == 2


@pytest.mark.parametrize("question", ["", "   ", "\x00\x01\x02"])
def test_empty_question(pipeline, question):
    with pytest.raises(InputError, match="empty"):
        pipeline.ask(question)


def test_very_long_question_is_answered(pipeline):
    answer = pipeline.ask("Fuji apple Japan " * 20000)
    assert answer.passages


def test_no_index(settings, embedder):
    with pytest.raises(IndexNotFoundError):
        RagPipeline(settings=settings, embedder=embedder).ask("anything")


def test_index_from_other_embedder_refused(pipeline, settings, embedder):
    other = RagPipeline(settings=settings.replace(embedder="some-other-model"), embedder=embedder)
    with pytest.raises(IndexMismatchError, match="some-other-model"):
        other.retrieve("apples")
