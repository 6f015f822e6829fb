"""An answer writer with no language model: it quotes the passage sentences that best answer
the question, each with its `[n]` citation, and refuses when nothing relevant was retrieved."""

from __future__ import annotations

from collections.abc import Iterator

from rag.embeddings import Embedder
from rag.evidence import ScoredSentence, score_sentences
from rag.generators.base import Generation
from rag.types import REFUSAL_TEXT, Hit

__all__ = ["ExtractiveGenerator", "ScoredSentence"]


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
        return score_sentences(question, passages, self.embedder)

    def answer_from(self, ranked: list[ScoredSentence]) -> Generation:
        """The answer made of the best of already-scored sentences, or a refusal."""
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
        return Generation(" ".join(f"{s.text} [{s.marker}]" for s in chosen), False)

    def generate(self, question: str, passages: list[Hit]) -> Generation:
        if not passages:
            return Generation(REFUSAL_TEXT, True, ("no passages to answer from",))
        return self.answer_from(self.rank_sentences(question, passages))

    def stream(self, question: str, passages: list[Hit]) -> Iterator[str]:
        yield self.generate(question, passages).text
