"""An answer writer with no language model: it quotes the passage sentences that best answer
the question, each with its `[n]` citation, and refuses when nothing relevant was retrieved."""

from __future__ import annotations

from collections.abc import Sequence

from rag.answer.evidence import ScoredSentence, score_sentences
from rag.answer.generators.base import Generation, TextStream
from rag.answer.grounding import passages_text, question_constraints, sentence_windows, unmet_constraint
from rag.models.embedders import Embedder
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
    gates_refusal = False

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
        one that meets the question's constraints (`rag.answer.grounding`): a year the question names
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
            meeting = self._meeting_constraints(ranked, question, passages)
            if isinstance(meeting, str):
                return Generation(REFUSAL_TEXT, True, (f"best sentence: {meeting}",))
            lead = meeting
        chosen = [lead]
        for sentence in ranked:
            if len(chosen) >= self.max_sentences or sentence.score < self.score_ratio * lead.score:
                break
            if sentence is not lead:
                chosen.append(sentence)
        return Generation(" ".join(f"{s.text} [{s.marker}]" for s in chosen), False)

    def _meeting_constraints(
        self, ranked: list[ScoredSentence], question: str, passages: Sequence[Hit]
    ) -> ScoredSentence | str:
        """The best sentence scoring at least `min_sentence_score` that meets the question's
        constraints, its neighbours and passage title as its support and all passages as the
        sources (as for an LLM's answer); else why the best sentence does not."""
        constraints = question_constraints(question)
        sources = passages_text(passages)
        windows: dict[int, dict[int, str]] = {}
        first_problem = ""
        for sentence in ranked:  # best first
            if sentence.score < self.min_sentence_score:
                break
            if sentence.marker not in windows:
                windows[sentence.marker] = sentence_windows(passages[sentence.marker - 1])
            title = passages[sentence.marker - 1].chunk.title
            support = windows[sentence.marker].get(sentence.offset, f"{title} {sentence.text}")
            problem = unmet_constraint(constraints, sentence.text, support, sources)
            if problem is None:
                return sentence
            first_problem = first_problem or problem
        return first_problem

    def generate(self, question: str, passages: list[Hit]) -> Generation:
        if not passages:
            return Generation(REFUSAL_TEXT, True, ("no passages to answer from",))
        return self.answer_from(self.rank_sentences(question, passages), question, passages)

    def stream(self, question: str, passages: list[Hit], refusal_threshold: float | None = None) -> TextStream:
        """The whole answer as one piece (no model: no usage to report, no refusal gate)."""
        yield self.generate(question, passages).text
        return None

    def warm_up(self) -> None:
        """Nothing of its own to load: the embedder loads with the index."""
