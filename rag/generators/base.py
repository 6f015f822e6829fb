"""The `Generator` protocol every answer writer implements."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from rag.types import Hit

__all__ = ["Generation", "Generator"]


@dataclass(frozen=True)
class Generation:
    """Raw generator output: text with `[n]` markers that refer to 1-based passage positions."""

    text: str
    refused: bool
    notes: tuple[str, ...] = ()


@runtime_checkable
class Generator(Protocol):
    name: str

    def generate(self, question: str, passages: list[Hit]) -> Generation: ...

    def stream(self, question: str, passages: list[Hit]) -> Iterator[str]: ...
