import pytest

from rag.ingest.chunking import Chunker, ChunkerSettings
from rag.types import Document


def _doc(text: str) -> Document:
    return Document(doc_id="d.txt", source="d.txt", title="T", text=text, sha256="0" * 64, path="/d.txt")


def _words(text: str) -> int:
    return len(text.split())


def test_chunks_respect_token_limit_and_offsets():
    text = "\n\n".join(f"Paragraph {i}. " + " ".join(f"word{i}_{j}" for j in range(37)) + "." for i in range(12))
    chunker = Chunker(ChunkerSettings(50, 10, "words"), _words)
    chunks = list(chunker.split(_doc(text)))
    assert len(chunks) > 5
    for chunk in chunks:
        assert _words(chunk.text) <= 50
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.chunk_id == f"d.txt:{chunk.start}"
    starts = [c.start for c in chunks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_overlap_repeats_text():
    text = " ".join(f"w{i}" for i in range(200))
    chunks = list(Chunker(ChunkerSettings(40, 10, "words"), _words).split(_doc(text)))
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.start < a.end, "consecutive chunks should overlap"


def test_ids_stable_across_runs():
    text = "Alpha beta. " * 300
    chunker = Chunker(ChunkerSettings(30, 5, "words"), _words)
    assert [c.chunk_id for c in chunker.split(_doc(text))] == [c.chunk_id for c in chunker.split(_doc(text))]


def test_long_word_without_spaces_is_split():
    text = "x" * 5000
    chunks = list(Chunker(ChunkerSettings(20, 0, "chars"), len).split(_doc(text)))
    assert all(len(c.text) <= 20 for c in chunks)
    assert "".join(c.text for c in chunks) == text


@pytest.mark.parametrize("size,overlap", [(0, 0), (10, 10), (10, -1)])
def test_invalid_sizes(size, overlap):
    with pytest.raises(ValueError):
        Chunker(ChunkerSettings(size, overlap, "words"), _words)


def test_chunks_carry_their_sentence_spans():
    from rag.text import split_sentences

    text = "\n\n".join(f"Part {i}. The river flows east. Dr. Smith measured it in 1930." for i in range(8))
    chunks = list(Chunker(ChunkerSettings(25, 5, "words"), _words).split(_doc(text)))
    assert len(chunks) > 2
    for chunk in chunks:
        assert chunk.spans == tuple((s.start, s.end) for s in split_sentences(chunk.text))
        assert [s.text for s in chunk.sentences] == [s.text for s in split_sentences(chunk.text)]
