"""Answer writers, chosen by name in `Settings.generator`."""

from __future__ import annotations

from rag.config import Settings
from rag.embeddings import Embedder
from rag.errors import ConfigError
from rag.generators.base import Generation, Generator
from rag.generators.extractive import ExtractiveGenerator

__all__ = ["Generation", "Generator", "ExtractiveGenerator", "create_generator"]


def create_generator(settings: Settings, embedder: Embedder) -> Generator:
    if settings.generator == "extractive":
        return ExtractiveGenerator(
            embedder,
            min_score=settings.min_score,
            min_sentence_score=settings.min_sentence_score,
            max_sentences=settings.max_answer_sentences,
            score_ratio=settings.sentence_score_ratio,
        )
    raise ConfigError(f"unknown generator {settings.generator!r}")
