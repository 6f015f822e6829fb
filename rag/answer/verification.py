"""Every sentence of an answer checked by the claim verifier against the passages it cites.

A sentence that cites nothing is checked against every passage the answer was written from; a
sentence made of markers alone is no claim and gets no verdict.
"""

from __future__ import annotations

from collections.abc import Sequence

from rag.answer.citations import answer_sentences
from rag.models.verifier import Verifier
from rag.text import content_words, marker_numbers, strip_markers
from rag.types import Hit, SentenceVerdict

__all__ = ["verify_answer"]


def verify_answer(
    text: str, hits: Sequence[Hit], verifier: Verifier, question: str = ""
) -> tuple[SentenceVerdict, ...]:
    """One verdict per answer sentence that states something; markers outside 1..len(hits) are ignored."""
    verdicts = []
    for sentence in answer_sentences(text):
        claim = " ".join(strip_markers(sentence).split())
        if not content_words(claim):
            continue
        markers = tuple(dict.fromkeys(m for m in marker_numbers(sentence) if 1 <= m <= len(hits)))
        cited = [hits[m - 1] for m in markers] or list(hits)
        support = verifier.support(claim, [hit.chunk.text for hit in cited], question)
        verdicts.append(SentenceVerdict(sentence, markers, support.score, support.supported))
    return tuple(verdicts)
