"""Answer writers, chosen by name in `Settings.generator`."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from rag.answer.generators.base import Generation, Generator, Streamed, TextStream, Usage
from rag.answer.generators.extractive import ExtractiveGenerator
from rag.config import Settings
from rag.errors import ConfigError
from rag.models.embedders import Embedder

__all__ = [
    "Generation",
    "Generator",
    "Streamed",
    "TextStream",
    "Usage",
    "ExtractiveGenerator",
    "create_generator",
    "extractive_generator",
    "local_generator_available",
]


def local_generator_available(settings: Settings) -> bool:
    """True when llama-cpp-python is installed and the configured model can be found."""
    from rag.models.gguf import packaged_model_available

    if importlib.util.find_spec("llama_cpp") is None:
        return False
    return Path(settings.local_model).expanduser().is_file() or packaged_model_available(settings.local_model)


def extractive_generator(settings: Settings, embedder: Embedder) -> ExtractiveGenerator:
    """The extractive generator with the settings' sentence thresholds and cross-encoder (also
    the LLM generators' quick answer and evidence scorer)."""
    from rag.models.cross_encoders import create_reranker

    return ExtractiveGenerator(
        embedder,
        min_sentence_score=settings.min_sentence_score,
        max_sentences=settings.max_answer_sentences,
        score_ratio=settings.sentence_score_ratio,
        check_constraints=settings.grounding_check,
        reranker=create_reranker(settings.sentence_reranker, settings.device, settings.model_threads),
        rerank_candidates=settings.sentence_rerank_candidates,
        relevance_gap=settings.sentence_relevance_gap,
        min_relevance=settings.min_sentence_relevance,
    )


def create_generator(settings: Settings, embedder: Embedder) -> Generator:
    """The generator named in settings ("auto" picks local when it is installed)."""
    name = settings.generator
    if name == "auto":
        name = "local" if local_generator_available(settings) else "extractive"
    if name == "extractive":
        return extractive_generator(settings, embedder)
    if name == "local":
        from rag.answer.generators.local import LocalGenerator

        return LocalGenerator.from_settings(settings)
    if name == "hosted":
        from rag.answer.generators.hosted import HostedGenerator

        return HostedGenerator.from_settings(settings)
    raise ConfigError(f"unknown generator {name!r}")
