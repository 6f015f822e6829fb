"""Every sentence of an answer checked by the claim verifier against the passages it cites.

A sentence that cites nothing is checked against every passage the answer was written from; a
sentence made of markers alone is no claim and gets no verdict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rag.answer.citations import answer_sentences
from rag.models.verifier import Verifier
from rag.text import content_words, marker_numbers, strip_markers
from rag.types import Citation, Hit, SentenceVerdict

__all__ = ["verify_answer", "cited_numbering"]


def cited_numbering(citations: Sequence[Citation], hits: Sequence[Hit]) -> dict[int, int]:
    """For an answer whose markers were renumbered in order of appearance
    (`rag.answer.citations.resolve_citations`): each marker's passage number in `hits`."""
    position = {hit.chunk.chunk_id: n for n, hit in enumerate(hits, start=1)}
    return {c.marker: position[c.chunk_id] for c in citations if c.chunk_id in position}


def verify_answer(
    text: str,
    hits: Sequence[Hit],
    verifier: Verifier,
    question: str = "",
    numbering: Mapping[int, int] | None = None,
) -> tuple[SentenceVerdict, ...]:
    """One verdict per answer sentence that states something. Marker n points to passage n of
    `hits`, or to passage `numbering[n]` when given (see `cited_numbering`); markers pointing
    nowhere are ignored."""
    if numbering is None:
        numbering = {n: n for n in range(1, len(hits) + 1)}
    claims = []
    for sentence in answer_sentences(text):
        claim = " ".join(strip_markers(sentence).split())
        if not content_words(claim):
            continue
        markers = tuple(dict.fromkeys(m for m in marker_numbers(sentence) if m in numbering))
        cited = [hits[numbering[m] - 1] for m in markers] or list(hits)
        claims.append((sentence, markers, claim, [hit.chunk.text for hit in cited]))
    # A sentence of a longer answer need not give what the question asks for; a lone one must.
    supports = verifier.support_all(
        [(claim, passages) for _, _, claim, passages in claims], question, whole_answer=len(claims) == 1
    )
    return tuple(
        SentenceVerdict(sentence, markers, support.score, support.supported)
        for (sentence, markers, _, _), support in zip(claims, supports, strict=True)
    )
