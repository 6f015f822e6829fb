"""Frozen dataclasses that flow between the pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.text import Sentence, split_sentences

__all__ = [
    "SentenceVerdict",
    "Document",
    "Chunk",
    "Hit",
    "HitSignals",
    "Citation",
    "Generation",
    "Usage",
    "Answer",
    "StreamEvent",
    "TextPiece",
    "QuickAnswer",
    "FinalAnswer",
    "REFUSAL_TEXT",
]

REFUSAL_TEXT = "I could not find this in the documents."


@dataclass(frozen=True)
class Document:
    """One loaded source file.

    Attributes:
        doc_id: stable id, the file path relative to its corpus root (posix separators).
        source: same relative path, shown to users and written in batch output.
        title: first non-empty line of the text, or the file name.
        text: the extracted plain text.
        sha256: hash of the raw file bytes, used for incremental re-indexing.
        path: absolute path of the file when it was loaded.
        notes: what the loader left out or changed, for the document list (hidden text dropped).
        hidden: the text it left out because no reader sees it (screened, never indexed).
        pages: for a paged format, page n's (start, end) in `text` at index n - 1 (empty: none).
        page_label: what a page is called: "page" (PDF), "slide" (PPTX).
    """

    doc_id: str
    source: str
    title: str
    text: str
    sha256: str
    path: str
    notes: tuple[str, ...] = ()
    hidden: str = field(default="", repr=False)
    pages: tuple[tuple[int, int], ...] = ()
    page_label: str = "page"

    def page_starts(self, start: int, end: int) -> tuple[tuple[int, int], ...]:
        """(offset where it begins, page number) of every page that holds text in [start, end)."""
        return tuple(
            (max(page_start, start), number)
            for number, (page_start, page_end) in enumerate(self.pages, 1)
            if page_end > page_start and page_start < end and page_end > start
        )


@dataclass(frozen=True)
class Chunk:
    """A passage of a document; `start` and `end` are character offsets into `Document.text`.

    `spans` are its sentences as (start, end) offsets into `text`, found once when the document
    is chunked and stored with the chunk; everything downstream reads `sentences` instead of
    splitting the text again. A chunk made without them (an index written before spans were
    stored, a test) has them computed here, once. `flags` (empty for most chunks) say the
    passage reads as instructions to an AI: it is shown to users but never used as evidence.
    """

    chunk_id: str
    doc_id: str
    source: str
    title: str
    text: str
    start: int
    end: int
    spans: tuple[tuple[int, int], ...] | None = None
    # Why the passage is held back from generators: instruction-like text (`rag.ingest.screening`).
    flags: tuple[str, ...] = ()
    # In a paged document: (document offset where it begins, page number) of each page the
    # chunk holds text of, first page first; `page_label` says whether pages are PDF pages or slides.
    pages: tuple[tuple[int, int], ...] = ()
    page_label: str = "page"

    def __post_init__(self) -> None:
        if self.spans is None:
            object.__setattr__(self, "spans", tuple((s.start, s.end) for s in split_sentences(self.text)))

    @property
    def sentences(self) -> tuple[Sentence, ...]:
        """The chunk's sentences with their offsets in `text`."""
        assert self.spans is not None
        return tuple(Sentence(self.text[start:end], start, end) for start, end in self.spans)

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    def page_at(self, offset: int) -> int | None:
        """The page holding document offset `offset` of this chunk (None: not a paged document)."""
        if not self.pages:
            return None
        holding = [number for begins, number in self.pages if begins <= offset]
        return holding[-1] if holding else self.pages[0][1]

    @staticmethod
    def make_id(doc_id: str, start: int) -> str:
        return f"{doc_id}:{start}"


@dataclass(frozen=True)
class HitSignals:
    """Why a chunk was ranked where it is: each retriever's score and rank (None = not in its list).

    `dense_score` is the cosine similarity to the query, filled in for every hit (also for hits
    found only lexically), because the retrieval refusal gate reads it.
    """

    dense_score: float
    lexical_score: float | None = None
    dense_rank: int | None = None
    lexical_rank: int | None = None
    fused_score: float | None = None
    fused_rank: int | None = None
    rerank_score: float | None = None


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its ranking score and 1-based rank.

    `score` is what the ranking used: cosine similarity (dense), BM25 (lexical), the fused score
    (hybrid) or the reranker's score. `signals` explains it.
    """

    chunk: Chunk
    score: float
    rank: int
    signals: HitSignals | None = None

    @property
    def similarity(self) -> float:
        """Cosine similarity between question and passage (the refusal gate's measure)."""
        return self.signals.dense_score if self.signals is not None else self.score


@dataclass(frozen=True)
class Citation:
    """An `[n]` marker in an answer resolved to the passage it points to.

    `quote` is the passage text the answer relies on; `quote_start`/`quote_end` are its
    character offsets in the source document.
    """

    marker: int
    chunk_id: str
    doc_id: str
    source: str
    title: str
    passage: str
    quote: str
    quote_start: int
    quote_end: int
    # In a paged document (PDF, PPTX): the page (or slide) the quote starts on, and the one it
    # ends on when that is a later one; `page_label` is "page" or "slide".
    page: int | None = None
    last_page: int | None = None
    page_label: str = "page"

    def location(self) -> dict:
        """The page fields of the JSON forms: {"page": 2}, {"pages": [2, 3]}, {"slide": 4}, or {}."""
        if self.page is None:
            return {}
        if self.last_page is not None and self.last_page != self.page:
            return {f"{self.page_label}s": [self.page, self.last_page]}
        return {self.page_label: self.page}

    def location_text(self) -> str:
        """ "p. 2", "pp. 2-3", "slide 4", or "" (not a paged document)."""
        if self.page is None:
            return ""
        spans = self.last_page is not None and self.last_page != self.page
        if self.page_label == "page":
            return f"pp. {self.page}-{self.last_page}" if spans else f"p. {self.page}"
        return f"{self.page_label}s {self.page}-{self.last_page}" if spans else f"{self.page_label} {self.page}"


# Token counts an LLM reports for one answer: prompt_tokens, cached_tokens (prefix reused),
# completion_tokens and, for the local model, refusal_probability.
Usage = dict[str, float]


@dataclass(frozen=True)
class Generation:
    """Raw generator output: text with `[n]` markers that refer to 1-based passage positions."""

    text: str
    refused: bool
    notes: tuple[str, ...] = ()
    # The model wrote nothing that answers (only markers, the prompt echoed back, the question
    # restated): reported as a refusal, which the pipeline may replace with the extractive answer.
    no_answer: bool = False
    # Token counts of this answer (empty for a generator with no model or none to report).
    usage: Usage = field(default_factory=dict, compare=False)
    # Parts of a question that asks several things which the passages do not answer.
    uncovered: tuple[str, ...] = ()


_TIMING_LABELS = (
    ("retrieve", "retrieval"),
    ("quick", "quick answer"),
    ("first_token", "first token"),
    ("verify", "verified"),
    ("total", "total"),
)


def _duration(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


@dataclass(frozen=True)
class SentenceVerdict:
    """The claim verifier's verdict on one answer sentence.

    Attributes:
        sentence: the sentence as shown, markers included.
        markers: the passage numbers it cites (none: it was checked against every passage).
        score: P(supported) by the best of those passages.
        supported: the score reached the verifier's threshold.
    """

    sentence: str
    markers: tuple[int, ...]
    score: float
    supported: bool

    def to_dict(self) -> dict:
        return {
            "sentence": self.sentence,
            "markers": list(self.markers),
            "score": self.score,
            "supported": self.supported,
        }


@dataclass(frozen=True)
class Answer:
    """What the pipeline returns for one question.

    `timings_ms` holds milestones in milliseconds since the question arrived: `retrieve`,
    `quick` (quick answer shown), `evidence` (trimmed prompt ready), `first_token`, `generate`
    and `total`; a stage that did not run has no key.
    """

    question: str
    text: str
    refused: bool
    citations: tuple[Citation, ...]
    passages: tuple[Hit, ...]
    generator: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    # Answer sentences that carry no valid citation (flagged, not hidden).
    uncited: tuple[str, ...] = ()
    # The standalone question used for retrieval when a follow-up was rewritten.
    search_query: str | None = None
    # With an LLM generator: the extractive answer shown before the LLM's (None otherwise).
    quick: Answer | None = None
    # Reported by an LLM generator: prompt_tokens, cached_tokens, completion_tokens (counts) and,
    # for the local one, refusal_probability and the refusal_threshold it was held to; with the
    # extractive side on, evidence_score (best sentence) and extractive_refused (1.0 or 0.0).
    usage: dict[str, float] = field(default_factory=dict)
    # What a front end reacts to, as typed fields (`notes` says the same in words): the language
    # model wrote no answer and the extractive answer stands in for it; the [n] markers dropped
    # because no passage n exists, in the order they were written.
    extractive_stands: bool = False
    removed_citations: tuple[int, ...] = ()
    # Passages retrieved but held back from the generator: they read as instructions to an AI
    # (`Chunk.flags`). Shown to users as such, never numbered, quoted or cited.
    withheld: tuple[Hit, ...] = ()
    # The claim verifier's verdict per answer sentence (empty when refused or verification is off).
    verdicts: tuple[SentenceVerdict, ...] = ()
    # Parts of a several-part question the documents do not answer ("who said so?"), as asked.
    uncovered: tuple[str, ...] = ()

    @property
    def unsupported(self) -> tuple[SentenceVerdict, ...]:
        return tuple(v for v in self.verdicts if not v.supported)

    def to_dict(self) -> dict:
        """JSON-ready form, the shape written by `rag batch` and `rag ask --json`."""
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "generator": self.generator,
            "citations": [
                {
                    "marker": c.marker,
                    "chunk_id": c.chunk_id,
                    "doc_id": c.doc_id,
                    "source": c.source,
                    "title": c.title,
                    "quote": c.quote,
                    "quote_start": c.quote_start,
                    "quote_end": c.quote_end,
                    **c.location(),
                }
                for c in self.citations
            ],
            "passages": [
                {
                    "rank": h.rank,
                    "chunk_id": h.chunk.chunk_id,
                    "doc_id": h.chunk.doc_id,
                    "source": h.chunk.source,
                    "title": h.chunk.title,
                    "score": round(h.score, 6),
                    "similarity": round(h.similarity, 6),
                    "start": h.chunk.start,
                    "end": h.chunk.end,
                    "text": h.chunk.text,
                    "spans": [list(span) for span in h.chunk.spans or ()],
                    **({f"{h.chunk.page_label}s": [n for _, n in h.chunk.pages]} if h.chunk.pages else {}),
                }
                for h in self.passages
            ],
            "withheld": [
                {
                    "chunk_id": h.chunk.chunk_id,
                    "source": h.chunk.source,
                    "title": h.chunk.title,
                    "flags": list(h.chunk.flags),
                    "text": h.chunk.text,
                }
                for h in self.withheld
            ],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "notes": list(self.notes),
            "uncited": list(self.uncited),
            "verdicts": [v.to_dict() for v in self.verdicts],
            "uncovered": list(self.uncovered),
            "search_query": self.search_query,
            "quick_answer": None if self.quick is None else self.quick.quick_dict(),
            "usage": dict(self.usage),
        }

    def timing_summary(self) -> list[str]:
        """Per-answer timings since the question, e.g. ["retrieval 21 ms", "total 4.2 s"], plus
        prompt size and generation speed when an LLM reported them."""
        parts = [
            f"{label} {_duration(self.timings_ms[key])}" for key, label in _TIMING_LABELS if key in self.timings_ms
        ]
        usage = self.usage
        if usage.get("prompt_tokens"):
            parts.append(f"prompt {usage['prompt_tokens']} tokens ({usage.get('cached_tokens', 0)} cached)")
        first, done = self.timings_ms.get("first_token"), self.timings_ms.get("generate")
        if usage.get("completion_tokens") and first is not None and done is not None and done > first:
            parts.append(f"{usage['completion_tokens'] / ((done - first) / 1000):.1f} tokens/s")
        return parts

    def quick_dict(self) -> dict:
        """The short JSON form of a quick answer: text, refusal and where its citations point."""
        return {
            "answer": self.text,
            "refused": self.refused,
            "citations": [
                {"marker": c.marker, "chunk_id": c.chunk_id, "source": c.source, "quote": c.quote, **c.location()}
                for c in self.citations
            ],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


@dataclass(frozen=True)
class TextPiece:
    """A piece of the answer text as the generator writes it (all of it at once when it does not stream)."""

    text: str


@dataclass(frozen=True)
class QuickAnswer:
    """With an LLM generator, the first event: the extractive answer, shown until the LLM's is done."""

    answer: Answer


@dataclass(frozen=True)
class FinalAnswer:
    """The last event: the checked answer (citations resolved, grounding and refusal decided)."""

    answer: Answer


# One step of a streamed answer: [QuickAnswer], TextPiece..., FinalAnswer. Consume with `match`
# or `isinstance`.
StreamEvent = TextPiece | QuickAnswer | FinalAnswer
