"""Retrieval and answer metrics as pure functions. Undefined values are `None`, never NaN."""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Callable, Sequence

__all__ = [
    "hit_at_k",
    "recall_at_k",
    "reciprocal_rank",
    "ndcg_at_k",
    "normalize_answer",
    "contains_any",
    "token_f1",
    "mean",
    "exact_match",
    "auroc",
    "abstention_scores",
    "alce_citation_scores",
]


def hit_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float | None:
    """1.0 when any relevant id is among the first k, else 0.0; None without relevant ids."""
    if not relevant:
        return None
    return 1.0 if any(r in relevant for r in ranked[:k]) else 0.0


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float | None:
    if not relevant:
        return None
    return len(set(ranked[:k]) & relevant) / len(relevant)


def reciprocal_rank(ranked: Sequence[str], relevant: set[str]) -> float | None:
    if not relevant:
        return None
    for i, r in enumerate(ranked, start=1):
        if r in relevant:
            return 1.0 / i
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float | None:
    """Binary-relevance nDCG; repeated ids count once (several chunks of one document)."""
    if not relevant:
        return None
    seen: set[str] = set()
    dcg = 0.0
    for i, r in enumerate(ranked[:k], start=1):
        if r in relevant and r not in seen:
            dcg += 1.0 / math.log2(i + 1)
        seen.add(r)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """SQuAD normalization (lower case, no punctuation or articles, single spaces), with "%" read
    as "percent" so "10%" matches a reference "10 percent"."""
    text = text.replace("\u2011", "-").replace("\u2010", "-").replace("%", " percent").lower()
    text = "".join(ch for ch in text if ch not in string.punctuation)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def contains_any(prediction: str, references: Sequence[str]) -> float | None:
    if not references:
        return None
    norm = normalize_answer(prediction)
    return 1.0 if any(normalize_answer(r) and normalize_answer(r) in norm for r in references) else 0.0


def token_f1(prediction: str, references: Sequence[str]) -> float | None:
    """Best SQuAD token F1 over the references."""
    if not references:
        return None
    pred = normalize_answer(prediction).split()
    best = 0.0
    for ref in references:
        gold = normalize_answer(ref).split()
        common = Counter(pred) & Counter(gold)
        same = sum(common.values())
        if same == 0:
            continue
        precision, recall = same / len(pred), same / len(gold)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def mean(values: Sequence[float | None]) -> float | None:
    """Mean of the defined values; None when there are none."""
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


def exact_match(prediction: str, references: Sequence[str]) -> float | None:
    """1.0 when the normalized prediction equals a normalized reference."""
    if not references:
        return None
    norm = normalize_answer(prediction)
    return 1.0 if any(norm == normalize_answer(r) for r in references) else 0.0


def auroc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties count half); None without both classes."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return None
    wins = 0.0
    for p in pos:
        for n in neg:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(pos) * len(neg))


def abstention_scores(refused: Sequence[bool], answerable: Sequence[bool]) -> dict[str, float | None]:
    """Refusal as a detector of unanswerable questions: precision, recall, F1 (None when undefined)."""
    pairs = list(zip(refused, answerable, strict=True))
    true_pos = sum(1 for r, a in pairs if r and not a)
    refusals = sum(1 for r, _ in pairs if r)
    unanswerable = sum(1 for _, a in pairs if not a)
    precision = true_pos / refusals if refusals else None
    recall = true_pos / unanswerable if unanswerable else None
    if precision is None or recall is None:
        f1 = None
    else:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def alce_citation_scores(
    sentences: Sequence[tuple[str, Sequence[str]]],
    supports: Callable[[str, Sequence[str]], bool],
) -> dict[str, float | None]:
    """ALCE citation recall and precision of one answer.

    Args:
        sentences: (claim, texts of the passages it cites) per answer sentence.
        supports: whether the given passages, joined, support the claim (the judge).

    Recall: share of sentences with at least one citation whose cited passages jointly support
    them. Precision: share of citations that support their sentence: a citation of a supported
    sentence counts unless it supports nothing alone while the other citations suffice; citations
    of an unsupported sentence count as not supporting (ALCE's `compute_autoais`).
    """
    if not sentences:
        return {"citation_recall": None, "citation_precision": None}
    supported_sentences = 0
    good_citations = 0
    total_citations = 0
    for claim, cited in sentences:
        joint = bool(cited) and supports(claim, cited)
        supported_sentences += joint
        total_citations += len(cited)
        if not joint:
            continue
        if len(cited) == 1:
            good_citations += 1
            continue
        for i, passage in enumerate(cited):
            if supports(claim, [passage]):
                good_citations += 1
            elif not supports(claim, [p for j, p in enumerate(cited) if j != i]):
                good_citations += 1
    return {
        "citation_recall": supported_sentences / len(sentences),
        "citation_precision": good_citations / total_citations if total_citations else None,
    }
