"""Per-item scores of one answer record (the `rag batch` shape) against its `EvalItem`.

Every metric is a number or None; a None comes with a reason in `reasons[metric]`.
"""

from __future__ import annotations

from collections.abc import Sequence

from rag.answer.citations import answer_sentences
from rag.evaluate.dataset import EvalItem
from rag.evaluate.judges import Evidence, Judge
from rag.evaluate.metrics import (
    alce_citation_scores,
    contains_any,
    exact_match,
    hit_at_k,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
    token_f1,
)
from rag.models.embedders import Embedder
from rag.text import content_words, marker_numbers, strip_markers
from rag.types import Chunk

__all__ = ["METRICS", "score_item", "strip_markers", "cited_sentences", "relevant_ranked"]

METRICS = (
    "hit_at_k",
    "recall_at_k",
    "mrr",
    "ndcg_at_10",
    "exact_match",
    "token_f1",
    "contains_answer",
    "semantic_similarity",
    "faithfulness",
    "citation_recall",
    "citation_precision",
    "refusal_correct",
    "quick_contains_answer",
    "quick_refusal_correct",
)


def record_passage(passage: dict) -> Evidence:
    """A passage of an answer record as evidence: with the sentence spans our own records carry,
    as plain text for records of other systems."""
    if not isinstance(passage.get("spans"), list):
        return passage["text"]
    return Chunk(
        chunk_id=passage["chunk_id"],
        doc_id=passage.get("doc_id", ""),
        source=passage.get("source", ""),
        title=passage.get("title", ""),
        text=passage["text"],
        start=passage.get("start", 0),
        end=passage.get("end", 0),
        spans=tuple((int(s), int(e)) for s, e in passage["spans"]),
    )


def cited_sentences(record: dict) -> list[tuple[str, list[Evidence]]]:
    """(sentence without markers, the passages it cites) per answer sentence."""
    passage_text = {p["chunk_id"]: record_passage(p) for p in record.get("passages", [])}
    by_marker: dict[int, Evidence] = {}
    for c in record.get("citations", []):
        by_marker.setdefault(c["marker"], passage_text.get(c["chunk_id"], c.get("quote", "")))
    out = []
    for sentence in answer_sentences(record.get("answer", "")):
        markers = marker_numbers(sentence)
        bare = strip_markers(sentence)
        if not content_words(bare):
            continue
        texts = list(dict.fromkeys(by_marker[m] for m in markers if m in by_marker))
        out.append((bare, texts))
    return out


def _doc_matches(doc_id: str, source: str, wanted: str) -> bool:
    return wanted in (doc_id, source) or doc_id.endswith("/" + wanted)


def relevant_ranked(item: EvalItem, passages: Sequence[dict]) -> tuple[list[str], set[str], str] | None:
    """(ranked ids, relevant ids, level) for the retrieval metrics, or None without relevance data.

    Chunk ids are used when given; else source documents; else RAGAS reference contexts (a
    passage is relevant when it holds most content words of a reference context)."""
    if item.relevant_chunk_ids:
        return [p["chunk_id"] for p in passages], set(item.relevant_chunk_ids), "chunk"
    if item.sources:
        ranked = []
        for p in passages:
            match = next((s for s in item.sources if _doc_matches(p["doc_id"], p.get("source", ""), s)), None)
            ranked.append(match if match is not None else p["doc_id"])
        return ranked, set(item.sources), "document"
    if item.reference_contexts:
        ranked = []
        for p in passages:
            words = content_words(p["text"])
            match = None
            for i, context in enumerate(item.reference_contexts):
                needed = content_words(context)
                if needed and len(needed & words) / len(needed) >= 0.5:
                    match = f"context-{i}"
                    break
            ranked.append(match or p["chunk_id"])
        return ranked, {f"context-{i}" for i in range(len(item.reference_contexts))}, "context"
    return None


def _first_relevant_rank(ranked: list[str], relevant: set[str]) -> int | None:
    return next((i for i, r in enumerate(ranked, start=1) if r in relevant), None)


def _score_quick(item: EvalItem, quick: dict | None, m: dict, reasons: dict) -> None:
    """The quick (extractive) answer shown before an LLM's, scored like the answer itself."""
    if not quick:
        for key in ("quick_contains_answer", "quick_refusal_correct"):
            reasons[key] = "no quick answer (it comes with LLM generators)"
        return
    refused = bool(quick.get("refused"))
    m["quick_refusal_correct"] = 1.0 if refused == (not item.answerable) else 0.0
    if not item.answerable:
        reasons["quick_contains_answer"] = "unanswerable question"
    elif not item.answers:
        reasons["quick_contains_answer"] = "no reference answers"
    else:
        m["quick_contains_answer"] = contains_any(
            "" if refused else strip_markers(quick.get("answer", "")), item.answers
        )


def score_item(item: EvalItem, record: dict, judge: Judge, embedder: Embedder | None, k: int) -> dict:
    """All metrics of one answered item, the reasons for undefined ones, and per-sentence verdicts."""
    m: dict[str, float | None] = dict.fromkeys(METRICS)
    reasons: dict[str, str] = {}
    passages = record.get("passages", [])
    refused = bool(record.get("refused"))
    answer = strip_markers(record.get("answer", ""))

    retrieval = relevant_ranked(item, passages)
    first_rank = None
    if retrieval is None:
        for key in ("hit_at_k", "recall_at_k", "mrr", "ndcg_at_10"):
            reasons[key] = "no sources, relevant_chunk_ids or reference_contexts"
    else:
        ranked, relevant, _level = retrieval
        m["hit_at_k"] = hit_at_k(ranked, relevant, k)
        m["recall_at_k"] = recall_at_k(ranked, relevant, k)
        m["mrr"] = reciprocal_rank(ranked, relevant)
        m["ndcg_at_10"] = ndcg_at_k(ranked, relevant, 10)
        first_rank = _first_relevant_rank(ranked, relevant)

    if not item.answerable:
        for key in ("exact_match", "token_f1", "contains_answer", "semantic_similarity"):
            reasons[key] = "unanswerable question"
    else:
        if item.answers:
            prediction = "" if refused else answer
            m["exact_match"] = exact_match(prediction, item.answers)
            m["token_f1"] = token_f1(prediction, item.answers)
            m["contains_answer"] = contains_any(prediction, item.answers)
        else:
            for key in ("exact_match", "token_f1", "contains_answer"):
                reasons[key] = "no reference answers"
        if item.reference is None:
            reasons["semantic_similarity"] = "no long-form reference"
        elif refused or not answer:
            m["semantic_similarity"] = 0.0
        elif embedder is None:
            reasons["semantic_similarity"] = "no embedder"
        else:
            vectors = embedder.embed_documents([answer, item.reference])
            m["semantic_similarity"] = round(max(0.0, float(vectors[0] @ vectors[1])), 6)

    verdicts = []
    if refused:
        for key in ("faithfulness", "citation_recall", "citation_precision"):
            reasons[key] = "answer refused"
    else:
        sentences = cited_sentences(record)
        if not sentences:
            for key in ("faithfulness", "citation_recall", "citation_precision"):
                reasons[key] = "empty answer"
        else:
            cache: dict[tuple[str, tuple[Evidence, ...]], object] = {}

            def verdict(claim: str, evidence: Sequence[Evidence]):
                key = (claim, tuple(evidence))
                if key not in cache:
                    cache[key] = judge.judge(
                        claim, list(evidence), question=item.question, whole_answer=len(sentences) == 1
                    )
                return cache[key]

            all_passages = [record_passage(p) for p in passages]
            prepare = getattr(judge, "prepare", None)
            if prepare is not None:  # a judge that reads many claims faster together
                prepare([(claim, cited or all_passages) for claim, cited in sentences])
            supported = 0
            for claim, cited in sentences:
                evidence = cited or all_passages  # an uncited sentence is checked against all passages
                v = verdict(claim, evidence) if evidence else None
                ok = bool(v and v.supported)
                supported += ok
                verdicts.append(
                    {"sentence": claim, "cited": len(cited), "score": v.score if v else 0.0, "supported": ok}
                )
            m["faithfulness"] = supported / len(sentences)
            alce = alce_citation_scores(sentences, lambda c, e: verdict(c, e).supported)
            m["citation_recall"] = alce["citation_recall"]
            m["citation_precision"] = alce["citation_precision"]
            if m["citation_precision"] is None:
                reasons["citation_precision"] = "no citations"

    m["refusal_correct"] = 1.0 if refused == (not item.answerable) else 0.0
    _score_quick(item, record.get("quick_answer"), m, reasons)
    for key, value in m.items():
        if value is None and key not in reasons:
            reasons[key] = "undefined"
        elif value is not None:
            m[key] = round(float(value), 6)
    return {
        "metrics": m,
        "reasons": dict(sorted(reasons.items())),
        "refused": refused,
        "first_relevant_rank": first_rank,
        "sentences": verdicts,
    }
