"""`RagPipeline`: the one code path behind the CLI, the batch runner, the UI and evaluation."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rag.citations import resolve_citations
from rag.config import Settings
from rag.embeddings import Embedder, create_embedder
from rag.generators import Generator, create_generator
from rag.index import StoredIndex, load_index
from rag.retrieval import Retriever, clean_query
from rag.types import Answer, Hit

__all__ = ["RagPipeline"]


@dataclass
class RagPipeline:
    """Retrieve, generate, check citations.

    Construction is cheap; the index and models load on first use.

    Example:
        >>> pipeline = RagPipeline.from_settings(load_settings())
        >>> answer = pipeline.ask("Who is the chief economist at CITIC Securities?")
        >>> answer.text, [c.source for c in answer.citations]
    """

    settings: Settings
    embedder: Embedder | None = None
    generator: Generator | None = None
    index: StoredIndex | None = None
    _retriever: Retriever | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> RagPipeline:
        return cls(settings=settings)

    def _ensure_loaded(self) -> Retriever:
        if self._retriever is None:
            if self.index is None:
                self.index = load_index(self.settings.index_dir)
            self.index.require_compatible(self.settings.embedder)
            if self.embedder is None:
                self.embedder = create_embedder(
                    self.settings.embedder, batch_size=self.settings.embed_batch_size, device=self.settings.device
                )
            self._retriever = Retriever(self.index, self.embedder)
        return self._retriever

    def _generator(self) -> Generator:
        if self.generator is None:
            self._ensure_loaded()
            assert self.embedder is not None
            self.generator = create_generator(self.settings, self.embedder)
        return self.generator

    def retrieve(self, question: str, k: int | None = None) -> list[Hit]:
        """Top-k passages for the question, best first."""
        return self._ensure_loaded().search(question, k or self.settings.top_k)

    def ask(self, question: str, k: int | None = None) -> Answer:
        """Answer a question from the indexed documents, with checked citations."""
        question = clean_query(question)
        started = time.perf_counter()
        hits = self.retrieve(question, k)
        retrieved = time.perf_counter()
        generator = self._generator()
        generation = generator.generate(question, hits)
        generated = time.perf_counter()
        cited = resolve_citations(generation.text, hits)
        finished = time.perf_counter()
        return Answer(
            question=question,
            text=cited.text,
            refused=generation.refused,
            citations=cited.citations,
            passages=tuple(hits),
            generator=generator.name,
            timings_ms={
                "retrieve": (retrieved - started) * 1000,
                "generate": (generated - retrieved) * 1000,
                "cite": (finished - generated) * 1000,
                "total": (finished - started) * 1000,
            },
            notes=generation.notes + cited.notes,
        )
