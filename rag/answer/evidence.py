"""Sentence-level evidence: score passage sentences against a question, and cut the passages an
LLM reads down to the sentences that matter, under a token budget.

A small CPU model reads prompts at tens of tokens per second, so prompt length is most of the
wait; and it follows the citation rule better on a few focused sentences than on whole passages.
Sentences are scored once per question and the scores serve twice: the extractive quick answer
and the trimmed evidence for the LLM.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np

from rag.models.cross_encoders import Reranker
from rag.models.embedders import Embedder
from rag.text import content_words, strip_markers
from rag.types import Hit

__all__ = [
    "ScoredSentence",
    "score_sentences",
    "score_sentences_for",
    "answer_relevance",
    "select_evidence",
    "leans_back",
    "leaned_on",
    "previous_sentence",
    "PASSAGE_OVERHEAD_TOKENS",
    "CONTINUATIONS_READ",
]

# Weight of the question's content words found in a sentence, next to embedding similarity.
_LEXICAL_WEIGHT = 0.3
_MIN_SENTENCE_CHARS = 20
# Tokens a passage costs in the prompt besides its text: `[n] (from "title")`, the fences.
PASSAGE_OVERHEAD_TOKENS = 12
# A sentence opening like this leans on the one before it, which is kept with it when it fits.
_LEANS_BACK = re.compile(
    r"^(?:he|she|it|they|this|these|that|those|his|her|its|their|such|the (?:plan|report|move|company|"
    r"ministry|official|document|figure|government|country|proposal)|but|however|also|meanwhile)\b",
    re.IGNORECASE,
)
_THE_WORD = re.compile(r"^the ([a-z]+)\b", re.IGNORECASE)
# The best sentences whose next sentence the cross-encoder also reads when it continues them.
CONTINUATIONS_READ = 4
_NUMBER = re.compile(r"\d")
_ELLIPSIS = " … "


@dataclass(frozen=True)
class ScoredSentence:
    marker: int  # 1-based position of the passage
    text: str
    start: int  # offset in the document
    score: float  # embedding similarity mixed with word overlap
    offset: int = 0  # offset in the passage text
    relevance: float | None = None  # the cross-encoder's logit, for the sentences it read


def leans_back(text: str) -> bool:
    """Whether a sentence opens by pointing to the one before it ("It appoints…", "However, …")."""
    return _LEANS_BACK.match(text) is not None


def _candidates(passages: list[Hit]) -> list[tuple[int, str, int, int]]:
    candidates: list[tuple[int, str, int, int]] = []
    seen: set[tuple[str, int]] = set()
    for marker, hit in enumerate(passages, start=1):
        for sentence in hit.chunk.sentences:
            start = hit.chunk.start + sentence.start
            key = (hit.chunk.doc_id, start)
            if key in seen or len(sentence.text) < _MIN_SENTENCE_CHARS:
                continue
            seen.add(key)
            candidates.append((marker, sentence.text, start, sentence.start))
    return candidates


def score_sentences(
    question: str,
    passages: list[Hit],
    embedder: Embedder,
    reranker: Reranker | None = None,
    rerank_candidates: int = 12,
) -> list[ScoredSentence]:
    """All passage sentences scored against the question, best first, duplicates removed.

    The score mixes embedding similarity with the share of the question's content words
    (names and numbers included) that the sentence contains. With a `reranker`, the
    `rerank_candidates` best of them are read again by the cross-encoder with the question and
    come first, in the order of its `relevance`: on SQuAD 2.0 it puts a sentence holding the
    answer first far more often than the score does (eval/RESULTS.md); the cap bounds its cost.
    """
    return score_sentences_for([question], passages, embedder, reranker, rerank_candidates)[0]


def score_sentences_for(
    questions: list[str],
    passages: list[Hit],
    embedder: Embedder,
    reranker: Reranker | None = None,
    rerank_candidates: int = 12,
) -> list[list[ScoredSentence]]:
    """`score_sentences` for each of several questions, the sentences embedded once."""
    candidates = _candidates(passages)
    if not candidates:
        return [[] for _ in questions]
    vectors = embedder.embed_documents([text for _, text, _, _ in candidates])
    queries = embedder.embed_queries(questions)
    rankings = []
    for question, query in zip(questions, queries, strict=True):
        similarity = vectors @ query
        q_words = content_words(question)
        scored = []
        for (marker, text, start, offset), sim in zip(candidates, similarity, strict=True):
            overlap = len(q_words & content_words(text)) / len(q_words) if q_words else 0.0
            score = (1 - _LEXICAL_WEIGHT) * float(sim) + _LEXICAL_WEIGHT * overlap
            scored.append(ScoredSentence(marker, text, start, score, offset))
        # Ties break on passage order, then position: deterministic.
        order = np.lexsort(([s.start for s in scored], [s.marker for s in scored], [-s.score for s in scored]))
        ranked = [scored[i] for i in order]
        if reranker is not None and rerank_candidates >= 1:
            head, tail = ranked[:rerank_candidates], ranked[rerank_candidates:]
            followers = _followers(head[:CONTINUATIONS_READ], passages)
            head += [s for s in tail if (s.marker, s.offset) in followers]
            tail = [s for s in tail if (s.marker, s.offset) not in followers]
            logits = reranker.score(question, [_in_context(s, passages) for s in head])
            head = [replace(s, relevance=float(r)) for s, r in zip(head, logits, strict=True)]
            # Stable: equal logits keep the score order.
            head.sort(key=lambda s: -s.relevance)
            ranked = head + tail
        rankings.append(ranked)
    return rankings


def _leans_on(previous: str, text: str) -> bool:
    """Whether `text` continues `previous`: it opens by pointing back ("This is called…"), or
    with "The <word>" for a word of `previous` ("The fort was destroyed in 1560")."""
    if leans_back(text):
        return True
    opening = _THE_WORD.match(text)
    return opening is not None and opening.group(1).lower() in content_words(previous)


def _followers(sentences: list[ScoredSentence], passages: list[Hit]) -> set[tuple[int, int]]:
    """(marker, offset) of the sentences that continue one of `sentences` in its passage: the
    answer is often the next sentence ("…complement proteases, and so on. This produces a
    catalytic cascade…"), whose own words say little without the one before."""
    out = set()
    for sentence in sentences:
        spans = passages[sentence.marker - 1].chunk.sentences
        for before, after in pairwise(spans):
            if before.start == sentence.offset and _leans_on(before.text, after.text):
                out.add((sentence.marker, after.start))
    return out


def leaned_on(passages: list[Hit], sentence: ScoredSentence) -> tuple[str, int] | None:
    """The sentence before `sentence` in its passage (text, passage offset) when `sentence`
    continues it ("It appoints…", "The fort was destroyed…"); None otherwise."""
    previous = previous_sentence(passages, sentence)
    return previous if previous is not None and _leans_on(previous[0], sentence.text) else None


def _in_context(sentence: ScoredSentence, passages: list[Hit]) -> str:
    """What the cross-encoder reads for a sentence: under its document's title (what "the fort"
    or "the wars" are is often only there; SQuAD 2.0 sample: answers holding the reference 0.855
    -> 0.875, eval/RESULTS.md), with the sentence before it when it leans on it."""
    previous = leaned_on(passages, sentence)
    text = sentence.text if previous is None else f"{previous[0]} {sentence.text}"
    title = passages[sentence.marker - 1].chunk.title.strip()
    return f"{title}: {text}" if title else text


def previous_sentence(passages: list[Hit], sentence: ScoredSentence) -> tuple[str, int] | None:
    """The sentence just before `sentence` in its passage, with its passage offset."""
    before = [s for s in passages[sentence.marker - 1].chunk.sentences if s.end <= sentence.offset]
    return (before[-1].text, before[-1].start) if before else None


def select_evidence(
    ranked: list[ScoredSentence],
    passages: list[Hit],
    budget_tokens: int,
    count_tokens: Callable[[str], int],
    *,
    min_share: float = 0.5,
) -> list[Hit]:
    """The passages cut down to their best sentences, within `budget_tokens` prompt tokens.

    Positions are kept: item i of the result is passage i, its text replaced by the chosen
    sentences in reading order (" … " where sentences were skipped), or empty when none of its
    sentences was chosen. `[n]` markers therefore mean the same passage before and after trimming.

    Args:
        ranked: `score_sentences` output for these passages.
        passages: the retrieved hits, in prompt order.
        budget_tokens: tokens of evidence text (passage headers included) to aim for; the best
            sentence is always kept, even when it alone is longer.
        count_tokens: tokens in a string.
        min_share: sentences scoring below this share of the best sentence are left out even
            when the budget has room (they add reading time, not evidence).
    """
    if budget_tokens <= 0 or not ranked:
        return list(passages)
    best = max(s.score for s in ranked)
    floor = best * min_share if best > 0 else best
    chosen: dict[int, dict[int, str]] = {}  # marker -> passage offset -> sentence
    used = 0

    def add(marker: int, offset: int, text: str) -> None:
        nonlocal used
        if marker not in chosen:
            chosen[marker] = {}
            used += PASSAGE_OVERHEAD_TOKENS
        if offset not in chosen[marker]:
            chosen[marker][offset] = text
            used += count_tokens(text)

    for n, sentence in enumerate(ranked):
        if n > 0 and sentence.score < floor:
            continue
        if sentence.offset in chosen.get(sentence.marker, {}):
            continue
        cost = count_tokens(sentence.text) + (0 if sentence.marker in chosen else PASSAGE_OVERHEAD_TOKENS)
        if n > 0 and used + cost > budget_tokens:
            continue
        add(sentence.marker, sentence.offset, sentence.text)
        previous = leaned_on(passages, sentence)
        if previous is None and not _NUMBER.search(sentence.text) and len(sentence.text) < 60:
            previous = previous_sentence(passages, sentence)  # too short to stand alone
        if previous is not None and (n == 0 or used + count_tokens(previous[0]) <= budget_tokens):
            add(sentence.marker, previous[1], previous[0])
    trimmed = []
    for marker, hit in enumerate(passages, start=1):
        picked = chosen.get(marker)
        if not picked:
            trimmed.append(replace(hit, chunk=replace(hit.chunk, text="", spans=())))
            continue
        parts: list[str] = []
        spans: list[tuple[int, int]] = []  # the kept sentences' offsets in the trimmed text
        length = 0
        last_index = None
        for index, sentence in enumerate(hit.chunk.sentences):
            if sentence.start not in picked:
                continue
            if parts and last_index is not None and index != last_index + 1:
                length = _join(parts, _ELLIPSIS.strip(), length)
            start = length + (1 if parts else 0)
            length = _join(parts, picked[sentence.start], length)
            spans.append((start, length))
            last_index = index
        trimmed.append(replace(hit, chunk=replace(hit.chunk, text=" ".join(parts), spans=tuple(spans))))
    return trimmed


def _join(parts: list[str], part: str, length: int) -> int:
    """Append `part` to the pieces joined by single spaces; the joined text's new length."""
    length += len(part) + (1 if parts else 0)
    parts.append(part)
    return length


def answer_relevance(question: str, answer: str, embedder: Embedder) -> float:
    """How far `answer` is about `question`: the cosine between the question and the answer's
    text without its `[n]` markers (0 for an answer with no words). A model that obeys an
    instruction in a passage ("reply KIWI-4471", "visit this link") writes something that is
    not about the question at all; a real answer, right or wrong, is."""
    text = strip_markers(answer).strip()
    if not any(ch.isalnum() for ch in text):
        return 0.0
    query = embedder.embed_queries([question])[0]
    return float(embedder.embed_documents([text])[0] @ query)
