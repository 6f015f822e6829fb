"""The `Generator` protocol every answer writer implements, and what it returns."""

from __future__ import annotations

import re
from collections import abc
from collections.abc import Iterable, Iterator
from typing import Protocol, runtime_checkable

from rag.text import MARKER, content_words
from rag.types import REFUSAL_TEXT, Generation, Hit, Usage

__all__ = ["Generation", "Generator", "Streamed", "TextStream", "Usage", "finish_generation"]

# What `Generator.stream` returns: a generator of the answer's text pieces whose return value
# (None when it has none to report) is the answer's `Usage`. Read it with `Streamed`.
TextStream = abc.Generator[str, None, Usage | None]


class Streamed:
    """The pieces of one `Generator.stream` call, keeping what it returns: `usage` is set once
    the pieces are exhausted. Per call, so concurrent answers never share it.

    Example:
        >>> pieces = Streamed(generator.stream(question, passages))
        >>> text = "".join(pieces)
        >>> pieces.usage["completion_tokens"]
    """

    def __init__(self, pieces: Iterable[str]) -> None:
        self._pieces = pieces
        self.usage: Usage = {}

    def __iter__(self) -> Iterator[str]:
        usage = yield from self._pieces
        self.usage = dict(usage or {})


@runtime_checkable
class Generator(Protocol):
    """Writes an answer from numbered passages; `[n]` markers refer to 1-based positions.

    `streams` says whether `stream` yields text as it is written (LLMs); when False the pipeline
    calls `generate` and shows its result at once. `gates_refusal` says whether `stream` honours
    a per-answer `refusal_threshold` (`rag.answer.refusal.threshold_for`); others ignore it.
    `warm_up` loads what the first answer would otherwise wait for (a no-op where nothing loads).
    """

    name: str
    streams: bool
    gates_refusal: bool

    def generate(self, question: str, passages: list[Hit]) -> Generation: ...

    def stream(self, question: str, passages: list[Hit], refusal_threshold: float | None = None) -> TextStream: ...

    def warm_up(self) -> None: ...


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


def finish_generation(text: str) -> Generation:
    """Wrap raw LLM text. It is a refusal when it gives the refusal sentence (whatever else it
    says) or says so in its own words; an empty answer (only markers) or an echo of the prompt's
    layout is no answer either, and is reported as a refusal with a note saying why."""
    text = text.strip()
    if REFUSAL_TEXT.rstrip(".").lower() in text.lower():
        return Generation(REFUSAL_TEXT, True, ("the model said the passages do not contain the answer",))
    if _OWN_WORDS_REFUSAL.search(text):
        return Generation(REFUSAL_TEXT, True, (f"the model said the passages do not say: {text[:120]}",))
    if not content_words(MARKER.sub(" ", text)):
        return Generation(REFUSAL_TEXT, True, (f"the model wrote no answer: {text[:60]!r}",), no_answer=True)
    if _ECHO.search(text):
        return Generation(
            REFUSAL_TEXT, True, (f"the model echoed the prompt instead of answering: {text[:60]!r}",), no_answer=True
        )
    return Generation(text, False)
