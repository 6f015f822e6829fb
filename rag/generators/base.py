"""The `Generator` protocol every answer writer implements."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from rag.types import REFUSAL_TEXT, Hit

__all__ = ["Generation", "Generator", "finish_generation"]


@dataclass(frozen=True)
class Generation:
    """Raw generator output: text with `[n]` markers that refer to 1-based passage positions."""

    text: str
    refused: bool
    notes: tuple[str, ...] = ()


@runtime_checkable
class Generator(Protocol):
    """Writes an answer from numbered passages; `[n]` markers refer to 1-based positions.

    `streams` says whether `stream` yields text as it is written (LLMs); when False the pipeline
    calls `generate` and shows its result at once.
    """

    name: str
    streams: bool

    def generate(self, question: str, passages: list[Hit]) -> Generation: ...

    def stream(self, question: str, passages: list[Hit]) -> Iterator[str]: ...


def finish_generation(text: str) -> Generation:
    """Wrap raw LLM text; an answer that gives the refusal sentence is a refusal, whatever else it says."""
    text = text.strip()
    if REFUSAL_TEXT.rstrip(".").lower() in text.lower():
        return Generation(REFUSAL_TEXT, True, ("the model said the passages do not contain the answer",))
    return Generation(text, False)
