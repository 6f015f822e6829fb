"""An answer writer with no language model: it quotes the passage sentences that best answer
the question, each with its `[n]` citation, and refuses when nothing relevant was retrieved."""

from __future__ import annotations

from collections.abc import Sequence

from rag.answer.answering import (
    NO_DATE,
    NO_NUMBER,
    own_words,
    referent_words,
    search_text,
    unmet_need,
    unmet_own_words,
    unmet_sense,
)
from rag.answer.evidence import ScoredSentence, leaned_on, score_sentences_for
from rag.answer.generators.base import Generation, TextStream
from rag.answer.grounding import (
    passages_text,
    question_constraints,
    sentence_neighbours,
    sentence_windows,
    swapped_name,
    unmet_constraint,
    unmet_names,
)
from rag.models.cross_encoders import Reranker
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
        reranker: a cross-encoder that re-reads the best `rerank_candidates` sentences with the
            question and orders them (`rag.answer.evidence.score_sentences`); None: the score alone.
        relevance_gap: with a reranker, further sentences must be within this many logits of
            the lead (instead of `score_ratio`).
        min_relevance: with a reranker, refuse when no sentence it read reaches this logit.
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
        reranker: Reranker | None = None,
        rerank_candidates: int = 12,
        relevance_gap: float = 3.0,
        min_relevance: float | None = None,
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
        self.reranker = reranker
        self.rerank_candidates = rerank_candidates
        self.relevance_gap = relevance_gap
        self.min_relevance = min_relevance

    def rank_sentences(self, question: str, passages: list[Hit]) -> list[ScoredSentence]:
        """All passage sentences scored against the question, best first, duplicates removed."""
        return self.rank_and_answer(question, passages, answer=False)[0]

    def rank_and_answer(
        self, question: str, passages: Sequence[Hit], answer: bool = True, parts: Sequence[str] = ()
    ) -> tuple[list[ScoredSentence], Generation | None]:
        """The passage sentences ranked for the question (what an LLM's trimmed evidence is cut
        from) and, with `answer`, the extractive answer. A question that asks several things
        (`parts`, from `rag.retrieve.questions.question_parts`) is answered part by part, a sentence each; the parts no
        sentence answers are named in `Generation.uncovered` instead of being dropped.

        The parts are of what the user asked now: `question` may be a follow-up searched
        together with the one before it."""
        parts = tuple(parts) if answer and len(parts) > 1 else (question,)
        queries = [question] + ([search_text(part, parts) for part in parts] if len(parts) > 1 else [])
        rankings = score_sentences_for(queries, list(passages), self.embedder, self.reranker, self.rerank_candidates)
        ranked = rankings[0]
        if not answer:
            return ranked, None
        if len(parts) == 1:
            return ranked, self.answer_from(ranked, question, passages)
        return ranked, self._answer_parts(parts, rankings[1:], question, ranked, passages)

    def _answer_parts(
        self,
        parts: tuple[str, ...],
        rankings: list[list[ScoredSentence]],
        question: str,
        ranked: list[ScoredSentence],
        passages: Sequence[Hit],
    ) -> Generation:
        leads: list[ScoredSentence] = []
        uncovered: list[str] = []
        notes: list[str] = []
        for part, part_ranked in zip(parts, rankings, strict=True):
            lead = self._part_lead(part, own_words(part, parts), part_ranked, passages, referent_words(part, parts))
            if isinstance(lead, str):
                uncovered.append(part)
                notes.append(f"not in the documents: {part} ({lead})")
            elif not any(s.marker == lead.marker and s.offset == lead.offset for s in leads):
                leads.append(lead)
        if not leads:
            # No part stands on its own sentence: the question is answered as one, as if it asked
            # one thing (and refused when that fails too); nothing is claimed about its parts.
            return self.answer_from(ranked, question, passages)
        text = " ".join(f"{s.text} [{s.marker}]" for s in leads)
        return Generation(text, False, tuple(notes), uncovered=tuple(uncovered))

    def _part_lead(
        self,
        part: str,
        words: frozenset[str],
        ranked: list[ScoredSentence],
        passages: Sequence[Hit],
        referent: frozenset[str] = frozenset(),
    ) -> ScoredSentence | str:
        """The sentence that answers one part of a question, or why none does. Only sentences
        close to the part's best one are read (`_close_to`), and only those that speak of the
        part's own `words` (`unmet_own_words`): a name somewhere in the passages does not answer
        "who said so", nor does the bonds' amount say their maturity."""
        scoring = [s for s in ranked if s.score >= self.min_sentence_score]
        if not scoring:
            best = max((s.score for s in ranked), default=0.0)
            return f"best sentence score {best:.2f} below min_sentence_score {self.min_sentence_score}"
        eligible = [s for s in scoring if unmet_own_words(words, s.text, referent) is None]
        if not eligible:
            return unmet_own_words(words, scoring[0].text, referent) or ""
        close = [s for s in eligible if self._close_to(s, eligible[0])]
        if self.check_constraints and passages:
            return self._off_topic(close[0], part, passages) or self._meeting_constraints(
                close, part, passages, need=True
            )
        for sentence in close:
            if unmet_need(part, sentence.text) is None:
                return sentence
        return unmet_need(part, close[0].text) or ""

    def answer_from(self, ranked: list[ScoredSentence], question: str = "", passages: Sequence[Hit] = ()) -> Generation:
        """The answer made of the best of already-scored sentences, or a refusal.

        With `question` and `passages` (and `check_constraints`), the lead sentence is the best
        one that meets the question's constraints (`rag.answer.grounding`): a year the question names
        must be in the sentence or next to it, a quantity or date it asks for must be in the
        sentence. When no sentence above `min_sentence_score` does, the answer is a refusal.
        """
        if not ranked:
            return Generation(REFUSAL_TEXT, True, ("no usable sentence in the retrieved passages",))
        best_score = max(s.score for s in ranked)
        if best_score < self.min_sentence_score:
            note = f"best sentence score {best_score:.2f} below min_sentence_score {self.min_sentence_score}"
            return Generation(REFUSAL_TEXT, True, (note,))
        best_relevance = max((s.relevance for s in ranked if s.relevance is not None), default=None)
        if self.min_relevance is not None and best_relevance is not None and best_relevance < self.min_relevance:
            note = f"best sentence relevance {best_relevance:.2f} below min_sentence_relevance {self.min_relevance}"
            return Generation(REFUSAL_TEXT, True, (note,))
        eligible = [s for s in ranked if s.score >= self.min_sentence_score]
        lead = eligible[0]
        if self.check_constraints and question and passages:
            # Lead with a sentence that holds the kind of answer asked for (a person for "which
            # official…", a date or time for "when", a number) when one does; else with the best
            # that meets the rest.
            off_topic = self._off_topic(eligible[0], question, passages)
            if off_topic is not None:
                return Generation(REFUSAL_TEXT, True, (f"best sentence: {off_topic}",))
            meeting = self._meeting_constraints(eligible, question, passages, need=True, lead=True)
            if meeting in (NO_DATE, NO_NUMBER):
                # The best sentence has no date (or number) and no sentence about what is asked
                # has one: "In what year were the Dragonnades started?" over "he instituted
                # dragonnades…". Other kinds (a cause, a place) are not read reliably enough.
                return Generation(REFUSAL_TEXT, True, (f"best sentence: {meeting}",))
            if isinstance(meeting, str):
                meeting = self._meeting_constraints(eligible, question, passages)
            if isinstance(meeting, str):
                return Generation(REFUSAL_TEXT, True, (f"best sentence: {meeting}",))
            lead = meeting
        chosen = [lead]
        for sentence in eligible:
            if len(chosen) >= self.max_sentences or not self._close_to(sentence, lead):
                break
            if sentence is not lead and sentence.text not in {s.text for s in chosen}:
                chosen.append(sentence)
        parts = [(s.text, s.marker) for s in chosen]
        if self.reranker is not None and passages:
            # "It appoints the board…" needs the sentence that says what "it" is, just before it.
            previous = leaned_on(list(passages), lead)
            if previous is not None:
                parts = [(previous[0], lead.marker)] + [part for part in parts if part[0] != previous[0]]
        return Generation(" ".join(f"{text} [{marker}]" for text, marker in parts), False)

    def _close_to(self, sentence: ScoredSentence, lead: ScoredSentence) -> bool:
        """Whether `sentence` scores close enough to the lead to join the answer."""
        if lead.relevance is not None:
            return sentence.relevance is not None and sentence.relevance >= lead.relevance - self.relevance_gap
        return sentence.score >= self.score_ratio * lead.score

    def _off_topic(self, best: ScoredSentence, question: str, passages: Sequence[Hit]) -> str | None:
        """Why the best sentence shows the question to be about something the passages do not
        say, or None: it speaks of the opposite of what is asked (`unmet_sense`: "Which cell
        never reacts…" over "Many T cells react…"), or its document (what was retrieved of it)
        never names what the question names (`unmet_names`: "Berlin's first stock exchange" over
        "Warsaw's first stock exchange…"), or it names something else where the question names
        what its neighbours never mention (`swapped_name`: "the first Warsaw President" for "the
        first Cetrum President"). A lower sentence that happens to hold a "not" or the name is
        then no answer either."""
        by_document: dict[str, list[Hit]] = {}
        for hit in passages:
            by_document.setdefault(hit.chunk.source, []).append(hit)
        passage = passages[best.marker - 1]
        own = by_document.pop(passage.chunk.source)
        others = [passages_text(hits) for hits in by_document.values()]
        constraints = question_constraints(question)
        neighbours = sentence_neighbours(passage, best.offset)
        # The answer opens with the sentence a continuation leans on ("This has meant…" after
        # "…an increasing plurality…"), so that is what must not say the opposite.
        previous = leaned_on(list(passages), best) if self.reranker is not None else None
        shown = best.text if previous is None else f"{previous[0]} {best.text}"
        return (
            unmet_sense(question, shown)
            or unmet_names(constraints, passages_text(own), others)
            or swapped_name(constraints, question, shown, neighbours, passage.chunk.title)
        )

    def _meeting_constraints(
        self,
        ranked: list[ScoredSentence],
        question: str,
        passages: Sequence[Hit],
        need: bool = False,
        lead: bool = False,
    ) -> ScoredSentence | str:
        """The best of the sentences (all scoring at least `min_sentence_score`) that meets the question's
        constraints, its neighbours and passage title as its support and all passages as the
        sources (as for an LLM's answer); else why the best sentence does not. With `need`, the
        sentence must also hold the kind of answer the question asks for (`unmet_need`, as for a
        `lead` when choosing an answer's first sentence)."""
        constraints = question_constraints(question)
        sources = passages_text(passages)
        windows: dict[int, dict[int, str]] = {}
        first_problem = ""
        for sentence in ranked:  # best first, all scoring at least min_sentence_score
            if sentence.marker not in windows:
                windows[sentence.marker] = sentence_windows(passages[sentence.marker - 1])
            title = passages[sentence.marker - 1].chunk.title
            support = windows[sentence.marker].get(sentence.offset, f"{title} {sentence.text}")
            problem = unmet_constraint(constraints, sentence.text, support, sources)
            if problem is None and need:
                problem = unmet_need(question, sentence.text, lead=lead)
            if problem is None and need and sentence is not ranked[0]:
                # A lower sentence taken for the kind of answer it holds (a year, a number) must
                # still be about what is asked: not "In 1351, the rebellion started" for "In what
                # year were the Dragonnades started?".
                problem = self._off_topic(sentence, question, passages)
            if problem is None:
                return sentence
            first_problem = first_problem or problem
        return first_problem

    def generate(self, question: str, passages: list[Hit]) -> Generation:
        if not passages:
            return Generation(REFUSAL_TEXT, True, ("no passages to answer from",))
        generation = self.rank_and_answer(question, passages)[1]
        assert generation is not None
        return generation

    def stream(self, question: str, passages: list[Hit], refusal_threshold: float | None = None) -> TextStream:
        """The whole answer as one piece (no model: no usage to report, no refusal gate)."""
        yield self.generate(question, passages).text
        return None

    def warm_up(self) -> None:
        """Nothing of its own to load: the embedder loads with the index."""
