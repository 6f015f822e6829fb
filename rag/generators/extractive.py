"""An answer writer with no language model: it quotes the passage sentences that best answer
the question, each with its `[n]` citation, and refuses when nothing relevant was retrieved."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rag.embeddings import Embedder
from rag.evidence import ScoredSentence, score_sentences
from rag.generators.base import Generation
from rag.grounding import Constraints, question_constraints, unmet_constraint
from rag.text import split_sentences
from rag.types import REFUSAL_TEXT, Hit

__all__ = ["ExtractiveGenerator", "ScoredSentence"]


class ExtractiveGenerator:
    """Select the best supporting sentences from the retrieved passages.

    Args:
        embedder: encodes the question and candidate sentences.
        min_sentence_score: refuse when the best sentence scores below this.
        max_sentences: at most this many sentences in the answer.
        score_ratio: further sentences must score at least this share of the best one.
        check_constraints: lead with the best sentence that meets the question's constraints
            (a year it names, a quantity or date it asks for), refusing when none does.
    """

    name = "extractive"
    streams = False

    def __init__(
        self,
        embedder: Embedder,
        min_sentence_score: float = 0.4,
        max_sentences: int = 2,
        score_ratio: float = 0.85,
        check_constraints: bool = True,
    ) -> None:
        if max_sentences < 1:
            raise ValueError(f"max_sentences must be >= 1, got {max_sentences}")
        if not 0 < score_ratio <= 1:
            raise ValueError(f"score_ratio must be in (0, 1], got {score_ratio}")
        self.embedder = embedder
        self.min_sentence_score = min_sentence_score
        self.max_sentences = max_sentences
        self.score_ratio = score_ratio
        self.check_constraints = check_constraints

    def rank_sentences(self, question: str, passages: list[Hit]) -> list[ScoredSentence]:
        """All passage sentences scored against the question, best first, duplicates removed."""
        return score_sentences(question, passages, self.embedder)

    def answer_from(self, ranked: list[ScoredSentence], question: str = "", passages: Sequence[Hit] = ()) -> Generation:
        """The answer made of the best of already-scored sentences, or a refusal.

        With `question` and `passages` (and `check_constraints`), the lead sentence is the best
        one that meets the question's constraints (`rag.grounding`): a year the question names
        must be in the sentence or next to it, a quantity or date it asks for must be in the
        sentence. When no sentence above `min_sentence_score` does, the answer is a refusal.
        """
        if not ranked:
            return Generation(REFUSAL_TEXT, True, ("no usable sentence in the retrieved passages",))
        if ranked[0].score < self.min_sentence_score:
            note = f"best sentence score {ranked[0].score:.2f} below min_sentence_score {self.min_sentence_score}"
            return Generation(REFUSAL_TEXT, True, (note,))
        lead = ranked[0]
        if self.check_constraints and question and passages:
            constraints = question_constraints(question)
            eligible = [s for s in ranked if s.score >= self.min_sentence_score]
            meeting = next((s for s in eligible if _unmet(constraints, s, passages) is None), None)
            if meeting is None:
                return Generation(REFUSAL_TEXT, True, (f"best sentence: {_unmet(constraints, lead, passages)}",))
            lead = meeting
        chosen = [lead]
        for sentence in ranked:
            if len(chosen) >= self.max_sentences or sentence.score < self.score_ratio * lead.score:
                break
            if sentence is not lead:
                chosen.append(sentence)
        return Generation(" ".join(f"{s.text} [{s.marker}]" for s in chosen), False)

    def generate(self, question: str, passages: list[Hit]) -> Generation:
        if not passages:
            return Generation(REFUSAL_TEXT, True, ("no passages to answer from",))
        return self.answer_from(self.rank_sentences(question, passages), question, passages)

    def stream(self, question: str, passages: list[Hit]) -> Iterator[str]:
        yield self.generate(question, passages).text


def _unmet(constraints: Constraints, sentence: ScoredSentence, passages: Sequence[Hit]) -> str | None:
    """`unmet_constraint` for a passage sentence: its neighbours and passage title are its
    support, all passages the sources (as for an LLM's answer)."""
    hit = passages[sentence.marker - 1]
    sentences = split_sentences(hit.chunk.text)
    at = next((i for i, s in enumerate(sentences) if s.start == sentence.offset), None)
    nearby = [s.text for s in sentences[max(0, at - 1) : at + 2]] if at is not None else [sentence.text]
    support = " ".join([hit.chunk.title, *nearby])
    sources = "\n".join(f"{p.chunk.title}\n{p.chunk.text}" for p in passages)
    return unmet_constraint(constraints, sentence.text, support, sources)
