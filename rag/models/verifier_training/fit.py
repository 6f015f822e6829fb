"""Fit the verifier's weights: word statistics from packaged news, alignment features of the
training pairs, a logistic model over them, the threshold on held-out pairs.

Everything written is JSON (no pickles): `idf.json` and `verifier.json` in the model folder.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rag.models.verifier import IDF, SCHEMA_VERSION, MiniLMVectors, Verifier
from rag.models.verifier_features import FEATURES, Aligner, stems
from rag.models.verifier_training.data import Pair

__all__ = ["build_idf", "pair_features", "fit_weights", "choose_threshold", "write_model"]

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


def pair_features(pairs: Sequence[Pair], idf: dict, vectors: MiniLMVectors, batch: int = 256) -> list[list[float]]:
    """`FEATURES` of every pair, embedding each batch's claims and aligned windows at once."""
    aligner = Aligner(idf=idf["idf"], default_idf=idf["default"], encode=vectors.encode)
    rows = []
    for start in range(0, len(pairs), batch):
        chunk = pairs[start : start + batch]
        windows = [aligner._window(set(stems(p.claim)), p.evidence) for p in chunk]
        vectors.encode([p.claim for p in chunk] + windows)
        rows += [aligner.features(p.claim, p.evidence, p.question) for p in chunk]
        log.info("features: %d/%d pairs", min(start + batch, len(pairs)), len(pairs))
    return rows


def fit_weights(rows: list[list[float]], labels: list[int], regularization: float = 1.0) -> tuple[list[float], float]:
    """Logistic-regression weights and bias (balanced classes, L2)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=regularization, class_weight="balanced", max_iter=2000)
    model.fit(rows, labels)
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
    for name, payload in (
        (IDF, idf),
        (
            "verifier.json",
            {**card, "schema_version": SCHEMA_VERSION, "features": list(FEATURES), "weights": weights, "bias": bias},
        ),
    ):
        temporary = destination / (name + ".tmp")
        temporary.write_text(
            json.dumps(payload, indent=1 if name != IDF else None, sort_keys=True) + "\n", encoding="utf-8"
        )
        temporary.replace(destination / name)


def validate(destination: Path, pairs: Sequence[Pair]) -> list[float]:
    verifier = Verifier(destination)
    return [verifier.probability(p.claim, p.evidence, p.question) for p in pairs]
