"""An answer writer with no language model: it quotes the passage sentences that best answer
the question, each with its `[n]` citation, and refuses when nothing relevant was retrieved."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from rag.embeddings import Embedder
from rag.generators.base import Generation
from rag.text import content_words, split_sentences
from rag.types import REFUSAL_TEXT, Hit

__all__ = ["ExtractiveGenerator", "ScoredSentence"]

# Weight of the question's content words found in a sentence, next to embedding similarity.
_LEXICAL_WEIGHT = 0.3
_MIN_SENTENCE_CHARS = 20


@dataclass(frozen=True)
class ScoredSentence:
    marker: int  # 1-based position of the passage
    text: str
    start: int  # offset in the document
    score: float


class ExtractiveGenerator:
    """Select the best supporting sentences from the retrieved passages.

    Args:
        embedder: encodes the question and candidate sentences.
        min_sentence_score: refuse when the best sentence scores below this.
        max_sentences: at most this many sentences in the answer.
        score_ratio: further sentences must score at least this share of the best one.
    """

    name = "extractive"
    streams = False

    def __init__(
        self,
        embedder: Embedder,
        min_sentence_score: float = 0.4,
        max_sentences: int = 2,
        score_ratio: float = 0.85,
    ) -> None:
        if max_sentences < 1:
            raise ValueError(f"max_sentences must be >= 1, got {max_sentences}")
        if not 0 < score_ratio <= 1:
            raise ValueError(f"score_ratio must be in (0, 1], got {score_ratio}")
        self.embedder = embedder
        self.min_sentence_score = min_sentence_score
        self.max_sentences = max_sentences
        self.score_ratio = score_ratio

    def rank_sentences(self, question: str, passages: list[Hit]) -> list[ScoredSentence]:
        """All passage sentences scored against the question, best first, duplicates removed."""
        candidates: list[tuple[int, str, int]] = []
        seen: set[tuple[str, int]] = set()
        for marker, hit in enumerate(passages, start=1):
            for sentence in split_sentences(hit.chunk.text):
                start = hit.chunk.start + sentence.start
                key = (hit.chunk.doc_id, start)
                if key in seen or len(sentence.text) < _MIN_SENTENCE_CHARS:
                    continue
                seen.add(key)
                candidates.append((marker, sentence.text, start))
        if not candidates:
            return []
        vectors = self.embedder.embed_documents([text for _, text, _ in candidates])
        query = self.embedder.embed_queries([question])[0]
        similarity = vectors @ query
        q_words = content_words(question)
        scored = []
        for (marker, text, start), sim in zip(candidates, similarity, strict=False):
            overlap = len(q_words & content_words(text)) / len(q_words) if q_words else 0.0
            score = (1 - _LEXICAL_WEIGHT) * float(sim) + _LEXICAL_WEIGHT * overlap
            scored.append(ScoredSentence(marker, text, start, score))
        # Ties break on passage order, then position: deterministic.
        order = np.lexsort(([s.start for s in scored], [s.marker for s in scored], [-s.score for s in scored]))
        return [scored[i] for i in order]

    def generate(self, question: str, passages: list[Hit]) -> Generation:
        if not passages:
            return Generation(REFUSAL_TEXT, True, ("no passages to answer from",))
        ranked = self.rank_sentences(question, passages)
        if not ranked:
            return Generation(REFUSAL_TEXT, True, ("no usable sentence in the retrieved passages",))
        if ranked[0].score < self.min_sentence_score:
            note = f"best sentence score {ranked[0].score:.2f} below min_sentence_score {self.min_sentence_score}"
            return Generation(REFUSAL_TEXT, True, (note,))
        chosen = [ranked[0]]
        for sentence in ranked[1:]:
            if len(chosen) >= self.max_sentences or sentence.score < self.score_ratio * ranked[0].score:
                break
            chosen.append(sentence)
        text = " ".join(f"{s.text} [{s.marker}]" for s in chosen)
        return Generation(text, False)

    def stream(self, question: str, passages: list[Hit]) -> Iterator[str]:
        yield self.generate(question, passages).text
