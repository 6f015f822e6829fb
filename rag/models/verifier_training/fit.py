"""Pieces of the verifier's training: word statistics from packaged news, the alignment features
of the training pairs, the two floors of the verifier's rule fitted on them, and the model folder.

Everything written is JSON (no pickles): `idf.json` and `verifier.json` in the model folder.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rag.models.verifier import CARD, IDF, SCHEMA_VERSION, Verifier, support_score
from rag.models.verifier_features import FEATURES, Aligner, Vectors, passage_segments, stems
from rag.models.verifier_training.data import Pair
from rag.models.verifier_training.vectors import VectorStore
from rag.text import split_sentences

__all__ = [
    "build_idf",
    "pair_features",
    "pair_vectors",
    "texts_to_encode",
    "CONFLICTS",
    "fit_floors",
    "accuracy",
    "write_model",
    "validate",
]

log = logging.getLogger(__name__)

_IDF_WORDS = 40_000
# A word is usually written lower-case when this many documents write it so inside a sentence
# ("many", "young"; not "george", "michael").
_LOWER_CASE_DOCUMENTS = 3
_LOWER_CASE_WORD = re.compile(r"(?<![\w'.])[a-z][a-z'-]*")


def build_idf(documents: Sequence[str]) -> dict:
    """Inverse document frequency of the stems of `documents` (the most frequent `_IDF_WORDS`), and
    the words written lower-case inside a sentence in at least `_LOWER_CASE_DOCUMENTS` of them."""
    frequency: Counter[str] = Counter()
    lower_case: Counter[str] = Counter()
    for text in documents:
        frequency.update(set(stems(text)))
        lower_case.update({w for s in split_sentences(text) for w in _LOWER_CASE_WORD.findall(s.text)})
    n = len(documents)
    table = {s: round(math.log((n + 1) / (df + 1)) + 1, 3) for s, df in frequency.most_common(_IDF_WORDS) if df >= 2}
    return {
        "documents": n,
        "default": round(math.log((n + 1) / 2) + 1, 3),
        "idf": table,
        "lower_case": sorted(w for w, df in lower_case.items() if df >= _LOWER_CASE_DOCUMENTS),
    }


def pair_features(pairs: Sequence[Pair], aligner: Aligner, store: VectorStore) -> list[list[float]]:
    """`FEATURES` of every pair, from vectors computed beforehand."""
    rows = []
    for n, pair in enumerate(pairs, 1):
        rows.append(aligner.features(pair.claim, pair.evidence, pair.question, pair_vectors(pair, store)))
        if n % 5000 == 0:
            log.info("features: %d/%d pairs", n, len(pairs))
    return rows


def pair_vectors(pair: Pair, store: VectorStore) -> Vectors:
    question = store[pair.question] if pair.question else None
    return store[pair.claim], [store[s] for s in passage_segments(pair.evidence)], question


def texts_to_encode(pairs: Sequence[Pair]) -> list[str]:
    """Every claim and question, and every segment of every evidence (as the live verifier
    encodes them)."""
    texts = {p.claim for p in pairs} | {p.question for p in pairs if p.question}
    for evidence in {p.evidence for p in pairs}:
        texts.update(passage_segments(evidence))
    return sorted(texts)


# The features that make a claim unsupported whatever else it has.
CONFLICTS = (
    "number_missing",
    "name_missing",
    "negation_mismatch",
    "direction_conflict",
    "quantifier_mismatch",
    "name_order_swapped",
    "option_mismatch",
    "question_unanswered",
)
# The share of on-topic but unrelated claims whose sentence similarity may reach the floor.
_UNRELATED_ABOVE_FLOOR = 0.05


def fit_floors(rows: Sequence[Sequence[float]], labels: Sequence[int], kinds: Sequence[str]) -> tuple[float, float]:
    """The rule's similarity floor and coverage floor.

    The similarity floor is what only 5 % of the "unrelated" pairs reach (a sentence from
    elsewhere in the same article: on topic, not the claim's support), so meaning alone accepts
    few of them. The coverage floor then gives the best balanced accuracy on the pairs. Two
    numbers, not a weight per feature: a model that fits these synthetic pairs closely learns
    their shapes (supported claims copied, contradictions near-copies) and transfers worse
    (eval/RESULTS.md).
    """
    import numpy as np

    similarity = FEATURES.index("similarity")
    unrelated = [row[similarity] for row, kind in zip(rows, kinds, strict=True) if kind == "unrelated"]
    if not unrelated:
        raise ValueError("no unrelated pairs to set the similarity floor by")
    similarity_floor = round(float(np.quantile(unrelated, 1 - _UNRELATED_ABOVE_FLOOR)), 4)
    vetoes = [FEATURES.index(name) for name in CONFLICTS]
    truth = np.asarray(labels, dtype=bool)
    best = (-1.0, 0.5)
    for floor in np.round(np.arange(0.3, 0.99, 0.02), 2):
        decided = np.array([support_score(row, similarity_floor, float(floor), vetoes) >= floor for row in rows])
        balanced = (decided[truth].mean() + (~decided[~truth]).mean()) / 2
        if balanced > best[0] + 1e-9:
            best = (float(balanced), float(floor))
    return similarity_floor, best[1]


def accuracy(scores: Sequence[float], labels: Sequence[int], threshold: float) -> float:
    """The share of pairs whose verdict (score at or above `threshold`) matches the label."""
    return round(sum((s >= threshold) == bool(y) for s, y in zip(scores, labels, strict=True)) / len(labels), 4)


def write_model(destination: Path, idf: dict, card: dict) -> None:
    """`idf.json` and `verifier.json`, each replaced atomically."""
    destination.mkdir(parents=True, exist_ok=True)
    card = {**card, "schema_version": SCHEMA_VERSION, "features": list(FEATURES)}
    for name, payload in ((IDF, idf), (CARD, card)):
        temporary = destination / (name + ".tmp")
        temporary.write_text(
            json.dumps(payload, indent=1 if name != IDF else None, sort_keys=True) + "\n", encoding="utf-8"
        )
        temporary.replace(destination / name)


def validate(destination: Path, rows: Sequence[Sequence[float]]) -> list[float]:
    """The support score of each pair's features through the written model."""
    verifier = Verifier(destination)
    return [verifier.probability_of(row) for row in rows]
