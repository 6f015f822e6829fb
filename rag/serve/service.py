"""State shared by every client of a long-running front end: the web UI, the HTTP API, MCP.

`RagService` holds one embedder (thread-safe), the loaded index and one generator per answer
writer, and answers through `RagPipeline`. When a writer (`rag index`, a watched folder, an
upload) makes a new index generation live, the next question reads it: the service checks the
index's CURRENT pointer before each one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from rag.answer.generators import Generator, create_generator, local_generator_available
from rag.answer.pipeline import RagPipeline
from rag.config import Settings
from rag.errors import ConfigError
from rag.index.generations import StoredIndex, live_generation, load_index
from rag.models.cross_encoders import Reranker, create_reranker
from rag.models.embedders import Embedder, create_embedder
from rag.models.locked import LockedEmbedder
from rag.retrieve.retriever import RetrievalOptions, Retriever
from rag.types import Answer, Hit, StreamEvent

__all__ = ["ANSWER_WRITERS", "ChatOptions", "RagService"]

log = logging.getLogger("rag.serve")

ANSWER_WRITERS = ("extractive", "local", "hosted")
# The packaged cross-encoder the playground re-ranks with when the `reranker` setting is empty.
DEFAULT_CROSS_ENCODER = "ms-marco-MiniLM-L-12-v2"


@dataclass(frozen=True)
class ChatOptions:
    """Per-question choices of a client."""

    generator: str = "extractive"
    top_k: int | None = None
    hosted_base_url: str | None = None
    hosted_model: str | None = None


class RagService:
    """One embedder, the live index and the generators, shared by every client and thread.

    Args:
        settings: the configuration (`index_dir`, generator settings, ...).
        embedder: an embedder to use instead of the one named in settings (tests pass a fake).
    """

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder: LockedEmbedder | None = LockedEmbedder(embedder) if embedder is not None else None
        self._index: StoredIndex | None = None
        self._generators: dict[tuple, Generator] = {}
        self._reranker: Reranker | None = None
        self._lock = threading.RLock()

    # -- components, loaded on first use

    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                s = self.settings
                self._embedder = LockedEmbedder(
                    create_embedder(s.embedder, s.embed_batch_size, s.device, s.model_threads)
                )
            return self._embedder

    def warm_up(self) -> None:
        """Load the embedding model now (it otherwise loads on the first question), and a local
        LLM with its fixed system prompt already read, so the first answer is as fast as the rest."""
        _ = self.embedder().dimension
        if self.default_generator() == "local":
            self._generator(self._settings_for(ChatOptions(generator="local"))).warm_up()

    def index(self) -> StoredIndex:
        """The live index generation, loaded again when a writer has replaced it.

        Raises:
            IndexNotFoundError: nothing has been indexed yet.
        """
        with self._lock:
            if self._index is not None and live_generation(self.settings.index_dir) != self._index.path.name:
                log.info("the index changed on disk; loading the new generation")
                self._index = None
            if self._index is None:
                index = load_index(self.settings.index_dir)
                index.require_compatible(self.settings.embedder)
                self._index = index
            return self._index

    def reload(self) -> None:
        """Forget the loaded index; the next question reads the live generation from disk."""
        with self._lock:
            self._index = None

    def generator_choices(self) -> list[str]:
        """Answer writers a client may choose: extractive always, local when installed, hosted."""
        local = ["local"] if local_generator_available(self.settings) else []
        return ["extractive", *local, "hosted"]

    def default_generator(self) -> str:
        choices = self.generator_choices()
        wanted = self.settings.generator
        if wanted == "auto":
            wanted = "local" if "local" in choices else "extractive"
        return wanted if wanted in choices else "extractive"

    def _settings_for(self, options: ChatOptions) -> Settings:
        if options.generator not in ANSWER_WRITERS:
            raise ConfigError(f"unknown generator {options.generator!r}; choose {', '.join(ANSWER_WRITERS)}")
        if options.generator == "local" and "local" not in self.generator_choices():
            raise ConfigError("the local generator is not installed here: pip install -e '.[local]'")
        changes: dict = {"generator": options.generator, "top_k": options.top_k}
        if options.generator == "hosted":
            changes["hosted_base_url"] = (options.hosted_base_url or "").strip() or None
            changes["hosted_model"] = (options.hosted_model or "").strip() or None
        try:
            return self.settings.replace(**changes)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"bad setting: {exc}") from None

    def _generator(self, settings: Settings) -> Generator:
        key = (settings.generator, settings.hosted_base_url, settings.hosted_model)
        if settings.generator != "hosted":
            key = (settings.generator,)
        with self._lock:
            if key not in self._generators:
                if len(self._generators) > 8:  # hosted endpoints typed in by clients: keep a few
                    for old_key in [k for k in self._generators if k[0] == "hosted"]:
                        self._generators.pop(old_key)
                self._generators[key] = create_generator(settings, self.embedder())
            return self._generators[key]

    def pipeline(self, options: ChatOptions) -> RagPipeline:
        """A pipeline for one question, sharing the loaded embedder, index and generator."""
        settings = self._settings_for(options)
        embedder = self.embedder()
        index = self.index()
        return RagPipeline(settings=settings, embedder=embedder, generator=self._generator(settings), index=index)

    # -- questions

    def stream(
        self, question: str, previous: Sequence[str] = (), options: ChatOptions | None = None
    ) -> Iterator[StreamEvent]:
        """Answer `question` (a follow-up is searched together with the earlier question); the final
        event's answer carries the user's question and the `search_query` that was used."""
        options = options or ChatOptions(generator=self.default_generator())
        yield from self.pipeline(options).stream(question, options.top_k, history=previous)

    def ask(self, question: str, previous: Sequence[str] = (), options: ChatOptions | None = None) -> Answer:
        options = options or ChatOptions(generator=self.default_generator())
        return self.pipeline(options).ask(question, options.top_k, history=previous)

    def retrieve(
        self, query: str, k: int | None = None, mode: str | None = None, rerank: bool | None = None
    ) -> list[Hit]:
        """The top k passages, ranked as configured, or by retrieval `mode` (dense, lexical,
        hybrid) with or without the cross-encoder (`rerank`), as the playground compares them."""
        if mode is None and rerank is None:
            return self.pipeline(ChatOptions(generator="extractive", top_k=k)).retrieve(query, k)
        s = self.settings
        options = replace(RetrievalOptions.from_settings(s), mode=mode or s.retrieval)
        reranker = self.reranker() if (rerank if rerank is not None else bool(s.reranker)) else None
        return Retriever(self.index(), self.embedder(), options, reranker).search(query, k or s.top_k)

    def reranker(self) -> Reranker:
        """The cross-encoder of the `reranker` setting, else the packaged one; loaded once."""
        with self._lock:
            if self._reranker is None:
                s = self.settings
                self._reranker = create_reranker(s.reranker or DEFAULT_CROSS_ENCODER, s.device, s.model_threads)
            assert self._reranker is not None
            return self._reranker

    def ranking_description(self, mode: str | None = None, rerank: bool | None = None) -> str:
        """How retrieved passages are ranked, in words."""
        s = self.settings
        mode = mode or s.retrieval
        rerank = bool(s.reranker) if rerank is None else rerank
        if mode == "hybrid":
            how = f"ranked by hybrid search (BM25 + dense, {s.fusion} fusion)"
        else:
            how = f"ranked by {mode} search"
        return how + (f", reranked by {s.reranker or DEFAULT_CROSS_ENCODER}" if rerank else "")
