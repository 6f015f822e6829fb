"""Following a question from `RagPipeline.stream` to its `Answer` is a short walk: the modules
whose code runs for one (warm) question, recorded with a profiler."""

from __future__ import annotations

import sys

from rag.answer.pipeline import RagPipeline
from rag.ingest.update import update_index


def _walk(pipeline: RagPipeline, question: str) -> list[str]:
    modules: list[str] = []

    def profile(frame, event, arg):
        name = frame.f_globals.get("__name__", "")
        if event == "call" and name.startswith("rag.") and name not in modules:
            modules.append(name)

    sys.setprofile(profile)
    try:
        pipeline.ask(question)
    finally:
        sys.setprofile(None)
    return modules


def test_a_question_visits_at_most_fourteen_modules(settings, embedder):
    update_index(settings, embedder=embedder)
    pipeline = RagPipeline(settings=settings, embedder=embedder)
    pipeline.ask("Where was the Fuji apple developed?")  # loads the index
    modules = _walk(pipeline, "How long is the Yangtze?")
    assert modules[0] == "rag.answer.pipeline"
    assert {"rag.retrieve.retriever", "rag.answer.citations", "rag.answer.generators.extractive"} <= set(modules)
    # Thirteen since the answer checks are two modules by job (grounding: what the answer rests on;
    # answering: whether a sentence answers what was asked), each under the 420-line cap; fourteen
    # since how a name or a number is matched (rag.mentions) is shared with the claim verifier.
    assert len(modules) <= 14, ", ".join(modules)
