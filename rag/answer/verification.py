"""Every sentence of an answer checked by the claim verifier against the passages it cites.

A sentence that cites nothing is checked against every passage the answer was written from; a
sentence made of markers alone is no claim and gets no verdict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rag.answer.citations import answer_sentences
from rag.models.verifier import Verifier
from rag.text import MARKER, SPACE_BEFORE_PUNCT, content_words, marker_numbers, strip_markers
from rag.types import Citation, Hit, SentenceVerdict

__all__ = ["verify_answer", "cited_numbering", "recite"]


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
    verdicts = []
    for sentence in answer_sentences(text):
        claim = " ".join(strip_markers(sentence).split())
        if not content_words(claim):
            continue
        markers = tuple(dict.fromkeys(m for m in marker_numbers(sentence) if 1 <= m <= len(hits)))
        if numbering is not None:
            markers = tuple(dict.fromkeys(m for m in marker_numbers(sentence) if m in numbering))
        cited = [hits[(numbering[m] if numbering is not None else m) - 1] for m in markers] or list(hits)
        support = verifier.support(claim, [hit.chunk.text for hit in cited], question)
        verdicts.append(SentenceVerdict(sentence, markers, support.score, support.supported))
    return tuple(verdicts)


def recite(text: str, hits: Sequence[Hit], verifier: Verifier, question: str = "") -> tuple[str, tuple[str, ...]]:
    """`text` (markers numbering `hits`) with each sentence that its cited passages do not support
    pointed at the one other passage that does (the best-scoring); notes say what moved.

    A small model often cites the passage next to the one it drew on; the sentence is then true
    to the documents, and only its citation is wrong. A sentence no passage supports keeps its
    markers, and its verdict says so."""
    notes: list[str] = []
    pieces: list[str] = []
    position = 0
    for sentence in answer_sentences(text):
        start = text.find(sentence, position)
        if start < 0:
            continue
        claim = " ".join(strip_markers(sentence).split())
        markers = [m for m in marker_numbers(sentence) if 1 <= m <= len(hits)]
        if markers and content_words(claim):
            cited = verifier.support(claim, [hits[m - 1].chunk.text for m in dict.fromkeys(markers)], question)
            if not cited.supported:
                others = [n for n in range(1, len(hits) + 1) if n not in markers]
                scores = {n: verifier.support(claim, [hits[n - 1].chunk.text], question) for n in others}
                best = max(scores, key=lambda n: scores[n].score, default=None)
                if best is not None and scores[best].supported:
                    moved = MARKER.sub("", sentence)
                    moved = SPACE_BEFORE_PUNCT.sub("", moved).rstrip()
                    replacement = _with_marker(moved, best)
                    pieces.append(text[position:start] + replacement)
                    position = start + len(sentence)
                    cited_list = ", ".join(f"[{m}]" for m in dict.fromkeys(markers))
                    notes.append(f"citation {cited_list} moved to [{best}]: the passage it cited does not support it")
                    continue
        pieces.append(text[position : start + len(sentence)])
        position = start + len(sentence)
    pieces.append(text[position:])
    return "".join(pieces), tuple(notes)


def _with_marker(sentence: str, marker: int) -> str:
    """The sentence with one marker, before its final full stop as the writers place it."""
    if sentence.endswith((".", "!", "?")):
        return f"{sentence[:-1]} [{marker}]{sentence[-1]}"
    return f"{sentence} [{marker}]"
