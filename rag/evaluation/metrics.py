"""Retrieval and answer metrics as pure functions. Undefined values are `None`, never NaN."""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence

__all__ = [
    "hit_at_k",
    "recall_at_k",
    "reciprocal_rank",
    "ndcg_at_k",
    "normalize_answer",
    "contains_any",
    "token_f1",
    "mean",
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
