"""Pieces of the verifier's training: word statistics from packaged news, the alignment features
of the training pairs, a logistic model over them, the threshold on held-out pairs, and the model
folder.

Everything written is JSON (no pickles): `idf.json` and `verifier.json` in the model folder.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rag.models.verifier import CARD, IDF, SCHEMA_VERSION, Verifier
from rag.models.verifier_features import FEATURES, Aligner, Encoded, passage_segments, stems
from rag.models.verifier_training.data import Pair
from rag.models.verifier_training.vectors import VectorStore

__all__ = [
    "build_idf",
    "pair_features",
    "pair_vectors",
    "texts_to_encode",
    "fit_weights",
    "choose_threshold",
    "write_model",
    "validate",
]

log = logging.getLogger(__name__)

_IDF_WORDS = 40_000


def build_idf(documents: Sequence[str]) -> dict:
    """Inverse document frequency of the stems of `documents` (the most frequent `_IDF_WORDS`)."""
    frequency: Counter[str] = Counter()
    for text in documents:
        frequency.update(set(stems(text)))
    n = len(documents)
    table = {s: round(math.log((n + 1) / (df + 1)) + 1, 3) for s, df in frequency.most_common(_IDF_WORDS) if df >= 2}
    return {"documents": n, "default": round(math.log((n + 1) / 2) + 1, 3), "idf": table}


def pair_features(pairs: Sequence[Pair], aligner: Aligner, store: VectorStore) -> list[list[float]]:
    """`FEATURES` of every pair, from vectors computed beforehand."""
    rows = []
    for n, pair in enumerate(pairs, 1):
        rows.append(aligner.features(pair.claim, pair.evidence, pair.question, pair_vectors(pair, store)))
        if n % 5000 == 0:
            log.info("features: %d/%d pairs", n, len(pairs))
    return rows


def pair_vectors(pair: Pair, store: VectorStore) -> tuple[Encoded, list[Encoded]]:
    return store[pair.claim], [store[s] for s in passage_segments(pair.evidence)]


def texts_to_encode(pairs: Sequence[Pair]) -> list[str]:
    """Every claim, and every segment of every evidence (as the live verifier encodes them)."""
    texts = {p.claim for p in pairs}
    for evidence in {p.evidence for p in pairs}:
        texts.update(passage_segments(evidence))
    return sorted(texts)


def fit_weights(
    rows: list[list[float]],
    labels: list[int],
    regularization: float = 1.0,
    sample_weights: list[float] | None = None,
) -> tuple[list[float], float]:
    """Logistic-regression weights and bias (balanced classes, L2; pairs weighted when given)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=regularization, class_weight="balanced", max_iter=3000)
    model.fit(rows, labels, sample_weight=sample_weights)
    return [round(float(w), 6) for w in model.coef_[0]], round(float(model.intercept_[0]), 6)


def choose_threshold(scores: list[float], labels: list[int]) -> tuple[float, float]:
    """The cut on P(supported) with the best accuracy (midway between neighbouring scores)."""
    ranked = sorted(zip(scores, labels, strict=True))
    positives = sum(labels)
    best_accuracy, best_cut = positives / len(labels), 0.0
    below_negatives = below_positives = 0
    for i, (score, label) in enumerate(ranked):
        below_negatives += label == 0
        below_positives += label == 1
        accuracy = (below_negatives + positives - below_positives) / len(labels)
        following = ranked[i + 1][0] if i + 1 < len(ranked) else 1.0
        if accuracy > best_accuracy and following > score:
            best_accuracy, best_cut = accuracy, (score + following) / 2
    return round(best_cut, 4), round(best_accuracy, 4)


def write_model(destination: Path, idf: dict, weights: list[float], bias: float, card: dict) -> None:
    """`idf.json` and `verifier.json`, each replaced atomically."""
    destination.mkdir(parents=True, exist_ok=True)
    card = {**card, "schema_version": SCHEMA_VERSION, "features": list(FEATURES), "weights": weights, "bias": bias}
    for name, payload in ((IDF, idf), (CARD, card)):
        temporary = destination / (name + ".tmp")
        temporary.write_text(
            json.dumps(payload, indent=1 if name != IDF else None, sort_keys=True) + "\n", encoding="utf-8"
        )
        temporary.replace(destination / name)


def validate(destination: Path, rows: Sequence[Sequence[float]]) -> list[float]:
    """P(supported) of each pair's features through the written model."""
    verifier = Verifier(destination)
    return [verifier.probability_of(row) for row in rows]
