"""`RagPipeline`: the one code path behind the CLI, the batch runner, the UI and evaluation."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from rag.answer.answering import unmet_need
from rag.answer.citations import CitedAnswer, repair_citations, resolve_citations
from rag.answer.evidence import answer_relevance, select_evidence
from rag.answer.generators import Generation, Generator, create_generator, extractive_generator
from rag.answer.generators.base import Streamed, finish_generation
from rag.answer.generators.extractive import ExtractiveGenerator
from rag.answer.grounding import GroundingCheck, check_answer
from rag.answer.refusal import RefusalEvidence, threshold_for
from rag.answer.verification import cited_numbering, verify_answer
from rag.config import Settings
from rag.errors import ModelNotFoundError
from rag.index.generations import StoredIndex, load_index
from rag.models.cross_encoders import create_reranker
from rag.models.embedders import Embedder, create_embedder
from rag.models.verifier import Verifier, create_verifier
from rag.retrieve.questions import question_parts, standalone_query
from rag.retrieve.retriever import RetrievalOptions, Retriever, clean_query
from rag.types import REFUSAL_TEXT, Answer, FinalAnswer, Hit, QuickAnswer, StreamEvent, TextPiece

__all__ = ["RagPipeline", "EXTRACTIVE_STANDS_NOTE"]

# The note on an LLM answer replaced by the extractive one (the model wrote no answer).
EXTRACTIVE_STANDS_NOTE = "the model wrote no answer; the extractive answer stands"


@dataclass
class RagPipeline:
    """Retrieve, generate, check citations.

    Construction is cheap; the index and models load on first use.

    Example:
        >>> pipeline = RagPipeline.from_settings(load_settings())
        >>> answer = pipeline.ask("Who is the chief economist at CITIC Securities?")
        >>> answer.text, [c.source for c in answer.citations]
    """

    settings: Settings
    embedder: Embedder | None = None
    generator: Generator | None = None
    index: StoredIndex | None = None
    _retriever: Retriever | None = field(default=None, init=False, repr=False)
    _extractive: ExtractiveGenerator | None = field(default=None, init=False, repr=False)
    _has_flagged: bool = field(default=False, init=False, repr=False)
    verifier: Verifier | None = None
    _verifier_problem: str = field(default="", init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> RagPipeline:
        return cls(settings=settings)

    def load(self) -> None:
        """Load the index and build the retriever and embedder now (they otherwise load on first use)."""
        self._ensure_loaded()

    def warm_up(self) -> None:
        """Load everything the first question would wait for: the index, the embedding model and
        the generator, warmed up (a local LLM reads its fixed system prompt into its cache)."""
        self._ensure_loaded()
        assert self.embedder is not None
        _ = self.embedder.dimension
        self._generator().warm_up()

    def _ensure_loaded(self) -> Retriever:
        if self._retriever is None:
            if self.index is None:
                self.index = load_index(self.settings.index_dir)
            self.index.require_compatible(self.settings.embedder)
            self._has_flagged = any(record.flagged for record in self.index.manifest.documents.values())
            if self.embedder is None:
                self.embedder = create_embedder(
                    self.settings.embedder,
                    batch_size=self.settings.embed_batch_size,
                    device=self.settings.device,
                    threads=self.settings.model_threads,
                )
            self._retriever = Retriever(
                self.index,
                self.embedder,
                RetrievalOptions.from_settings(self.settings),
                create_reranker(self.settings.reranker, self.settings.device, self.settings.model_threads),
            )
        return self._retriever

    def _generator(self) -> Generator:
        if self.generator is None:
            self._ensure_loaded()
            assert self.embedder is not None
            self.generator = create_generator(self.settings, self.embedder)
        return self.generator

    def _claim_verifier(self) -> Verifier | None:
        """The verifier of the `verifier` setting, loaded once; None (with the reason kept for the
        answer's notes) when it cannot be, so answers still come."""
        if self.verifier is None and not self._verifier_problem:
            try:
                self.verifier = create_verifier(self.settings.verifier)
            except ModelNotFoundError as exc:
                self._verifier_problem = f"answer sentences not verified: {exc}"
        return self.verifier

    def _verdicts(self, question: str, cited: CitedAnswer, hits: list[Hit]) -> tuple[tuple, tuple[str, ...]]:
        verifier = self._claim_verifier()
        if verifier is None:
            return (), (self._verifier_problem,)
        try:
            verdicts = verify_answer(cited.text, hits, verifier, question, cited_numbering(cited.citations, hits))
        except ModelNotFoundError as exc:
            return (), (f"answer sentences not verified: {exc}",)
        unsupported = sum(not v.supported for v in verdicts)
        note = (
            (f"{unsupported} of {len(verdicts)} sentences not supported by the passages they cite",)
            if unsupported
            else ()
        )
        return verdicts, note

    def retrieve(self, question: str, k: int | None = None) -> list[Hit]:
        """Top-k passages for the question, best first."""
        return self._ensure_loaded().search(question, k or self.settings.top_k)

    def _evidence(self, query: str, k: int | None) -> tuple[list[Hit], tuple[Hit, ...]]:
        """The top k passages a generator may read, and the flagged ones ranked among them.

        A flagged passage reads as instructions to an AI (`rag.ingest.screening`): it is held
        back, and the next passage takes its place, so an attack costs the answer no evidence.
        """
        k = k or self.settings.top_k
        if not (self._ensure_loaded() and self._has_flagged and self.settings.hold_back_instructions):
            return self.retrieve(query, k), ()
        usable: list[Hit] = []
        withheld: list[Hit] = []
        for hit in self.retrieve(query, 2 * k):
            if len(usable) == k:
                break
            if hit.chunk.flagged:
                withheld.append(hit)
            else:
                usable.append(replace(hit, rank=len(usable) + 1))
        return usable, tuple(withheld)

    def _retrieval_refusal(self, hits: list[Hit]) -> Generation | None:
        """The first refusal gate, shared by all generators: nothing close enough was retrieved."""
        if not hits:
            return Generation(REFUSAL_TEXT, True, ("no passages retrieved",))
        best = max(hit.similarity for hit in hits)
        if best < self.settings.min_score:
            note = f"best passage similarity {best:.2f} below min_score {self.settings.min_score}"
            return Generation(REFUSAL_TEXT, True, (note,))
        return None

    def ask(self, question: str, k: int | None = None, history: Sequence[str] = ()) -> Answer:
        """Answer a question from the indexed documents, with checked citations.

        Args:
            question: the user's question.
            k: passages to retrieve (default: settings.top_k).
            history: earlier user questions of the conversation, oldest first; a follow-up
                question is searched together with the previous one (see `Answer.search_query`).
        """
        answer = None
        for event in self.stream(question, k, history):
            if isinstance(event, FinalAnswer):
                answer = event.answer
        assert answer is not None
        return answer

    def _sentence_writer(self) -> ExtractiveGenerator:
        """Scores passage sentences for an LLM generator's quick answer and trimmed evidence."""
        if self._extractive is None:
            self._ensure_loaded()
            assert self.embedder is not None
            self._extractive = extractive_generator(self.settings, self.embedder)
        return self._extractive

    def _checked(
        self,
        question: str,
        generation: Generation,
        hits: list[Hit],
        generator: str,
        timings: dict[str, float],
        started: float,
        search_query: str | None,
        verify: bool = False,
        **extra,
    ) -> Answer:
        """An `Answer` with citations resolved against the passages as retrieved (untrimmed), and
        with `verify`, every sentence checked by the verifier; `timings["total"]` is taken last."""
        cited = resolve_citations(generation.text, hits) if not generation.refused else None
        text = cited.text if cited else generation.text
        verdicts, verdict_notes = (), ()
        if verify and cited and self.settings.verify_answers:
            verdicts, verdict_notes = self._verdicts(question, cited, hits)
            timings["verify"] = (time.perf_counter() - started) * 1000
        timings["total"] = (time.perf_counter() - started) * 1000
        return Answer(
            question=question,
            text=text,
            refused=generation.refused,
            citations=cited.citations if cited else (),
            passages=tuple(hits),
            generator=generator,
            timings_ms=timings,
            notes=generation.notes
            + (cited.notes if cited else ())
            + verdict_notes
            + _withheld_note(extra.get("withheld", ())),
            uncited=cited.uncited if cited else (),
            search_query=search_query,
            removed_citations=cited.removed if cited else (),
            verdicts=verdicts,
            uncovered=generation.uncovered if cited else (),
            **extra,
        )

    def _grounded(
        self, question: str, generation: Generation, hits: list[Hit], fallback: Generation | None
    ) -> tuple[Generation, bool]:
        """An LLM answer after the model-free checks of `rag.answer.grounding`: refused when it invents
        a number or misses the question's constraints; when the model wrote no answer at all
        (markers, an echo, the question restated, words not about the question:
        `min_answer_relevance`, or not the kind of answer asked for where the passages' best
        sentence has it), the extractive answer `fallback` stands in (the flag returned with the
        answer says so)."""
        if generation.refused and not generation.no_answer:
            return generation, False
        notes = generation.notes
        if not generation.refused:
            check = check_answer(question, generation.text, hits)
            if check.passed and self.settings.min_answer_relevance > 0:
                assert self.embedder is not None
                relevance = answer_relevance(question, generation.text, self.embedder)
                if relevance < self.settings.min_answer_relevance:
                    problem = (
                        f"the answer is not about the question (relevance {relevance:.2f} below "
                        f"min_answer_relevance {self.settings.min_answer_relevance})"
                    )
                    check = GroundingCheck(no_answer=True, problems=(problem,))
            if check.passed and fallback is not None and not fallback.refused:
                # "Which official…?" answered without a person, where the passages' best
                # sentence names one: the model echoed a passage instead of answering.
                need = unmet_need(question, generation.text, people_only=True)
                if need is not None and unmet_need(question, fallback.text, people_only=True) is None:
                    check = GroundingCheck(no_answer=True, problems=(f"{need} (the passages do)",))
            if check.passed:
                return generation, False
            notes += tuple(f"answer not grounded: {problem}" for problem in check.problems)
            if not check.no_answer:
                return Generation(REFUSAL_TEXT, True, notes), False
        if fallback is not None and not fallback.refused:
            return Generation(fallback.text, False, notes + (EXTRACTIVE_STANDS_NOTE,)), True
        return Generation(REFUSAL_TEXT, True, notes, no_answer=True), False

    def stream(self, question: str, k: int | None = None, history: Sequence[str] = ()) -> Iterator[StreamEvent]:
        """Yield the answer text as the generator writes it (`TextPiece`s), then the checked answer
        (`FinalAnswer`).

        With an LLM generator (one that streams), a `QuickAnswer` comes first: the best passage
        sentences, cited, ready as soon as retrieval is done. The LLM then reads only the best
        sentences (`settings.evidence_budget` tokens of them) with their passage numbers.
        """
        question = clean_query(question)
        started = time.perf_counter()

        def since_start() -> float:
            return (time.perf_counter() - started) * 1000

        search_query = standalone_query(question, history)
        query = search_query or question
        hits, withheld = self._evidence(query, k)
        timings = {"retrieve": since_start()}
        generator = self._generator()
        generation = self._retrieval_refusal(hits)
        quick = None
        fallback: Generation | None = None
        evidence: RefusalEvidence | None = None
        prompt_passages = hits
        if generation is None and generator.streams and (self.settings.quick_answer or self.settings.evidence_budget):
            writer = self._sentence_writer()
            ranked, fallback = writer.rank_and_answer(query, hits, parts=question_parts(question))
            assert fallback is not None
            evidence = RefusalEvidence(max((s.score for s in ranked), default=0.0), fallback.refused)
            if self.settings.quick_answer:
                quick_timings = {"retrieve": timings["retrieve"]}
                quick = self._checked(
                    question, fallback, hits, writer.name, quick_timings, started, search_query, withheld=withheld
                )
                timings["quick"] = quick_timings["total"]
                yield QuickAnswer(quick)
            if self.settings.evidence_budget:
                assert self.embedder is not None
                prompt_passages = select_evidence(
                    ranked, hits, self.settings.evidence_budget, self.embedder.count_tokens
                )
            timings["evidence"] = since_start()
        options: dict[str, float] = {}
        usage: dict[str, float] = {}
        stands = False
        if generation is None and generator.streams:
            pieces = []
            if generator.gates_refusal and self.settings.refusal_evidence:
                options["refusal_threshold"] = threshold_for(self.settings.refusal_threshold, evidence)
            streamed = Streamed(generator.stream(query, prompt_passages, **options))
            for piece in streamed:
                if "first_token" not in timings:
                    timings["first_token"] = since_start()
                pieces.append(piece)
                yield TextPiece(piece)
            usage = streamed.usage
            generation = finish_generation("".join(pieces))
            if self.settings.grounding_check:
                generation, stands = self._grounded(query, generation, hits, fallback)
            if fallback is not None and fallback.uncovered and not generation.refused:
                # Whether the documents answer each part is read from the passage sentences (the
                # extractive check), whichever writer wrote the answer.
                generation = replace(generation, uncovered=fallback.uncovered)
        else:
            if generation is None and isinstance(generator, ExtractiveGenerator):
                generation = generator.rank_and_answer(query, hits, parts=question_parts(question))[1]
            if generation is None:
                generation = generator.generate(query, hits)
            yield TextPiece(generation.text)
        if not generation.refused and not isinstance(generator, ExtractiveGenerator):
            # A model may write a passage's sentence and cite another passage; the extractive
            # writer cites the passage it quotes.
            text, repairs = repair_citations(generation.text, hits)
            generation = replace(generation, text=text, notes=generation.notes + repairs)
        timings["generate"] = since_start()
        if evidence is not None:
            usage |= {
                "evidence_score": round(evidence.sentence_score, 4),
                "extractive_refused": float(evidence.extractive_refused),
            }
        if "refusal_threshold" in options:
            usage["refusal_threshold"] = round(options["refusal_threshold"], 4)
        answer = self._checked(
            question,
            generation,
            hits,
            generator.name,
            timings,
            started,
            search_query,
            verify=True,
            quick=quick,
            usage=usage,
            extractive_stands=stands,
            withheld=withheld,
        )
        yield FinalAnswer(answer)


def _withheld_note(withheld: tuple[Hit, ...]) -> tuple[str, ...]:
    if not withheld:
        return ()
    sources = ", ".join(sorted({hit.chunk.source for hit in withheld}))
    plural = "s" if len(withheld) > 1 else ""
    return (f"{len(withheld)} passage{plural} held back: text that reads as instructions to an AI ({sources})",)
