import math

import pytest

from rag.answer.refusal import REFERENCE_SENTENCE_SCORE, RefusalEvidence, threshold_for

WEIGHTS = {"sentence_weight": 4.0, "extractive_refused_weight": 1.0}


def test_reference_evidence_keeps_the_base_threshold():
    evidence = RefusalEvidence(REFERENCE_SENTENCE_SCORE, extractive_refused=False)
    assert threshold_for(0.2, evidence, **WEIGHTS) == pytest.approx(0.2)


def test_weak_evidence_lowers_the_threshold_and_strong_evidence_raises_it():
    weak = threshold_for(0.2, RefusalEvidence(REFERENCE_SENTENCE_SCORE - 0.1, False), **WEIGHTS)
    strong = threshold_for(0.2, RefusalEvidence(REFERENCE_SENTENCE_SCORE + 0.1, False), **WEIGHTS)
    refused = threshold_for(0.2, RefusalEvidence(REFERENCE_SENTENCE_SCORE, True), **WEIGHTS)
    assert weak < 0.2 < strong
    # In log-odds the move is exactly weight x difference.
    assert math.log(weak / (1 - weak)) == pytest.approx(math.log(0.2 / 0.8) - 0.4)
    assert math.log(refused / (1 - refused)) == pytest.approx(math.log(0.2 / 0.8) - 1.0)


def test_plain_greedy_and_missing_evidence_keep_the_base():
    assert threshold_for(0.0, RefusalEvidence(0.0, True), **WEIGHTS) == 0.0
    assert threshold_for(0.3, None, **WEIGHTS) == 0.3


def test_threshold_stays_a_probability():
    assert 0 < threshold_for(0.5, RefusalEvidence(-50.0, True), **WEIGHTS) < 1
    assert 0 < threshold_for(0.5, RefusalEvidence(50.0, False), **WEIGHTS) < 1
