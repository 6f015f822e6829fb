"""Parse `[n]` markers in an answer and resolve them to the passages they point to.

Markers outside 1..len(passages) are dropped from the text and reported, never resolved
to some other passage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text import split_sentences
from rag.types import Citation, Hit

__all__ = ["CitedAnswer", "answer_sentences", "resolve_citations", "MARKER"]

# [1]  [1, 3]  [1,3]  — a group of numbers in one pair of brackets.
MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


@dataclass(frozen=True)
class CitedAnswer:
    text: str
    citations: tuple[Citation, ...]
    notes: tuple[str, ...]


_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+(?:\s*,\s*\d+)*\])+")


def answer_sentences(text: str) -> list[str]:
    """Sentences of an answer, with markers written after the full stop ("... end. [2]")
    kept with the sentence they follow."""
    sentences: list[str] = []
    for sentence in split_sentences(text):
        part = sentence.text
        leading = _LEADING_MARKERS.match(part)
        if leading and sentences:
            sentences[-1] += " " + leading.group(0).strip()
            part = part[leading.end() :].strip()
        if part:
            sentences.append(part)
    return sentences


def resolve_citations(text: str, passages: list[Hit]) -> CitedAnswer:
    """Map each valid marker to a `Citation`; remove invalid ones and say so in `notes`.

    The citation's quote is the cited answer sentence when it appears verbatim in the passage
    (extractive answers), otherwise the whole passage.
    """
    notes: list[str] = []
    citations: dict[tuple[int, str], Citation] = {}

    def keep_valid(match: re.Match) -> str:
        numbers = [int(n) for n in re.split(r"\s*,\s*", match.group(1))]
        valid = [n for n in numbers if 1 <= n <= len(passages)]
        for n in numbers:
            if n not in valid:
                notes.append(f"removed citation [{n}]: there are {len(passages)} passages")
        return "".join(f"[{n}]" for n in valid)

    cleaned = MARKER.sub(keep_valid, text)
    cleaned = re.sub(r"[ \t]+(?=[.,;:!?]|$)", "", cleaned)
    for sentence in answer_sentences(cleaned):
        bare = MARKER.sub("", sentence).strip()
        for group in MARKER.finditer(sentence):
            for n in (int(x) for x in re.split(r"\s*,\s*", group.group(1))):
                hit = passages[n - 1]
                chunk = hit.chunk
                offset = chunk.text.find(bare) if bare else -1
                if offset >= 0:
                    quote, start = bare, chunk.start + offset
                else:
                    quote, start = chunk.text, chunk.start
                key = (n, quote)
                if key not in citations:
                    citations[key] = Citation(
                        marker=n,
                        chunk_id=chunk.chunk_id,
                        doc_id=chunk.doc_id,
                        source=chunk.source,
                        title=chunk.title,
                        passage=chunk.text,
                        quote=quote,
                        quote_start=start,
                        quote_end=start + len(quote),
                    )
    return CitedAnswer(cleaned, tuple(citations.values()), tuple(notes))
