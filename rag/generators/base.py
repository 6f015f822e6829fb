"""The `Generator` protocol every answer writer implements."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from rag.text import content_words
from rag.types import REFUSAL_TEXT, Hit

__all__ = ["Generation", "Generator", "finish_generation"]


@dataclass(frozen=True)
class Generation:
    """Raw generator output: text with `[n]` markers that refer to 1-based passage positions."""

    text: str
    refused: bool
    notes: tuple[str, ...] = ()
    # The model wrote nothing that answers (only markers, the prompt echoed back, the question
    # restated): reported as a refusal, which the pipeline may replace with the extractive answer.
    no_answer: bool = False


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


# The refusal in the model's own words: "... is not provided in the given sources", "the
# passages do not mention ...".
_OWN_WORDS_REFUSAL = re.compile(
    r"\bnot (?:provided|mentioned|stated|specified|given|found|included|available)\b[^.]*\b"
    r"(?:sources?|documents?|passages?|texts?|context)\b"
    r"|\b(?:sources?|documents?|passages?|texts?|context) (?:do|does) not (?:say|mention|state|provide|contain|specify|include)\b",
    re.IGNORECASE,
)
# The prompt's own layout echoed back instead of an answer.
_ECHO = re.compile(r"^\s*(?:sources:|question:|\[\d+\] \(from \")|<<<|>>>", re.IGNORECASE)
_MARKERS = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")


def finish_generation(text: str) -> Generation:
    """Wrap raw LLM text. It is a refusal when it gives the refusal sentence (whatever else it
    says) or says so in its own words; an empty answer (only markers) or an echo of the prompt's
    layout is no answer either, and is reported as a refusal with a note saying why."""
    text = text.strip()
    if REFUSAL_TEXT.rstrip(".").lower() in text.lower():
        return Generation(REFUSAL_TEXT, True, ("the model said the passages do not contain the answer",))
    if _OWN_WORDS_REFUSAL.search(text):
        return Generation(REFUSAL_TEXT, True, (f"the model said the passages do not say: {text[:120]}",))
    if not content_words(_MARKERS.sub(" ", text)):
        return Generation(REFUSAL_TEXT, True, (f"the model wrote no answer: {text[:60]!r}",), no_answer=True)
    if _ECHO.search(text):
        return Generation(
            REFUSAL_TEXT, True, (f"the model echoed the prompt instead of answering: {text[:60]!r}",), no_answer=True
        )
    return Generation(text, False)
