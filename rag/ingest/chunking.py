"""Split `Document`s into token-bounded `Chunk`s with the embedder's own tokenizer.

Each chunk's sentences are found here, once, and stored with it (`Chunk.spans`); nothing
downstream splits passage text again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rag.text import split_sentences, titled
from rag.types import Chunk, Document

__all__ = ["ChunkerSettings", "Chunker", "sentence_spans"]

# Paragraphs, then lines, then sentences, then words: the splitter tries them in this order.
_SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


@dataclass(frozen=True)
class ChunkerSettings:
    chunk_size: int
    chunk_overlap: int
    tokenizer: str  # name of the tokenizer that measured the chunks, recorded in the manifest
    # What the embedder reads of a chunk: its text headed by the document title (`rag.text.titled`).
    # Recorded so that an index whose vectors were made from the bare text is re-embedded.
    embedded: str = "text"

    def as_dict(self) -> dict:
        return {
            "chunk_size": self.chunk_size,
            "chunk_overlap": self.chunk_overlap,
            "tokenizer": self.tokenizer,
            "embedded": self.embedded,
        }

    def embedding_text(self, chunk: Chunk) -> str:
        """The text the embedder reads for `chunk`."""
        return titled(chunk.title, chunk.text) if self.embedded == "title+text" else chunk.text


def sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """The sentences of `text` as (start, end) offsets: what `Chunk.spans` holds."""
    return tuple((s.start, s.end) for s in split_sentences(text))


class Chunker:
    """Token-aware recursive splitter.

    Args:
        settings: sizes in tokens, as counted by `count_tokens`.
        count_tokens: the embedder's token counter (without special tokens), so no chunk
            is longer than the embedder can read.

    Example:
        >>> chunker = Chunker(ChunkerSettings(200, 40, "words"), lambda t: len(t.split()))
        >>> chunks = list(chunker.split(document))
    """

    def __init__(self, settings: ChunkerSettings, count_tokens: Callable[[str], int]) -> None:
        if settings.chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {settings.chunk_size}")
        if not 0 <= settings.chunk_overlap < settings.chunk_size:
            raise ValueError(f"chunk_overlap must be in [0, chunk_size), got {settings.chunk_overlap}")
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self.settings = settings
        self._splitter = RecursiveCharacterTextSplitter(
            chunk_size=settings.chunk_size,
            chunk_overlap=settings.chunk_overlap,
            length_function=count_tokens,
            separators=_SEPARATORS,
            keep_separator="end",
            strip_whitespace=True,
        )

    def split(self, document: Document) -> Iterator[Chunk]:
        """Chunks of one document, in order, each with its character offsets and sentence spans."""
        text = document.text
        cursor = 0
        for piece in self._splitter.split_text(text):
            if not piece.strip():
                continue
            start = text.find(piece, cursor)
            if start < 0:  # the splitter never rewrites text, but stay safe
                start = text.find(piece)
            if start < 0:
                raise RuntimeError(f"chunk of {document.doc_id} not found in its text")
            yield Chunk(
                chunk_id=Chunk.make_id(document.doc_id, start),
                doc_id=document.doc_id,
                source=document.source,
                title=document.title,
                text=piece,
                start=start,
                end=start + len(piece),
                spans=sentence_spans(piece),
                pages=document.page_starts(start, start + len(piece)),
                page_label=document.page_label,
            )
            cursor = start + 1
