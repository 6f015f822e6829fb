"""When the local LLM refuses: its own refusal probability, weighed with the extractive evidence.

The local generator's gate reads p, the probability the model gives the refusal sentence's first
token, and refuses when p reaches a threshold. Alone, p separates unanswerable from answerable
questions only so well: a small model is a weak judge of its own evidence (eval/RESULTS.md). The
pipeline knows two more things before the model starts: how well the best passage sentence
matches the question, and whether the extractive answer found a sentence that meets the
question's constraints (`rag.answer.grounding`). The gate refuses when

    logit(p) + SENTENCE_WEIGHT * (REFERENCE_SENTENCE_SCORE - sentence score)
             + EXTRACTIVE_REFUSED_WEIGHT * [extractive answer refused]  >=  logit(refusal_threshold)

that is, at a per-question threshold on p (`threshold_for`). The weights are a logistic
regression fitted on the SQuAD 2.0 sample (`python eval/calibrate_refusal.py`,
`eval/refusal_calibration.json`), not on the seed set it is reported on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["RefusalEvidence", "threshold_for", "SENTENCE_WEIGHT", "EXTRACTIVE_REFUSED_WEIGHT"]

# Fitted on the first 200 SQuAD 2.0 sample questions (100 + 100), `eval/refusal_calibration.json`,
# in units of logit(p): per point of sentence score below the reference, and when the extractive
# answer refused. The evidence lifts the gate's separation on both sets (eval/RESULTS.md).
SENTENCE_WEIGHT = 1.99
EXTRACTIVE_REFUSED_WEIGHT = 2.775
# The sentence score at which the threshold is `refusal_threshold` itself (fitted with MiniLM's
# scores; bge-small scores the same SQuAD questions' best sentences 0.05 higher, median).
REFERENCE_SENTENCE_SCORE = 0.6
_LIMIT = 1e-4


@dataclass(frozen=True)
class RefusalEvidence:
    """What the extractive side knows about a question before the LLM reads it."""

    sentence_score: float  # the best passage sentence's score against the question
    extractive_refused: bool  # the extractive answer is a refusal (weak or unfitting sentences)


def logit(p: float) -> float:
    p = min(max(p, _LIMIT), 1 - _LIMIT)
    return math.log(p / (1 - p))


def shift(
    evidence: RefusalEvidence,
    sentence_weight: float = SENTENCE_WEIGHT,
    extractive_refused_weight: float = EXTRACTIVE_REFUSED_WEIGHT,
) -> float:
    """How much the evidence adds to the model's refusal log-odds."""
    return sentence_weight * (REFERENCE_SENTENCE_SCORE - evidence.sentence_score) + extractive_refused_weight * float(
        evidence.extractive_refused
    )


def threshold_for(base: float, evidence: RefusalEvidence | None, **weights: float) -> float:
    """The refusal-probability threshold for one question. `base` 0 (plain greedy decoding) and
    a question without evidence keep `base`."""
    if base <= 0 or evidence is None:
        return base
    moved = logit(base) - shift(evidence, **weights)
    return min(max(1 / (1 + math.exp(-moved)), _LIMIT), 1 - _LIMIT)
