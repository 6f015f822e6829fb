import math

import pytest

from rag.evaluate.metrics import (
    contains_any,
    hit_at_k,
    mean,
    ndcg_at_k,
    normalize_answer,
    recall_at_k,
    reciprocal_rank,
    token_f1,
)


def test_rank_metrics_hand_computed():
    ranked = ["x", "a", "y", "b"]
    relevant = {"a", "b"}
    assert hit_at_k(ranked, relevant, 1) == 0.0
    assert hit_at_k(ranked, relevant, 2) == 1.0
    assert recall_at_k(ranked, relevant, 2) == 0.5
    assert reciprocal_rank(ranked, relevant) == 0.5
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(ranked, relevant, 10) == pytest.approx(expected)


def test_repeated_document_counts_once_in_ndcg():
    assert ndcg_at_k(["a", "a", "a"], {"a"}, 10) == 1.0


def test_undefined_is_none():
    assert hit_at_k(["a"], set(), 1) is None
    assert reciprocal_rank([], set()) is None
    assert contains_any("x", []) is None
    assert token_f1("x", []) is None
    assert mean([None, None]) is None
    assert mean([1.0, None, 0.0]) == 0.5


def test_answer_normalization_and_matching():
    assert normalize_answer("The  Five\u2011Year Plan!") == normalize_answer("five-year plan") == "fiveyear plan"
    assert contains_any("It was Ming Ming, the economist.", ["ming ming"]) == 1.0
    assert contains_any("Nobody.", ["Ming Ming"]) == 0.0
    assert contains_any("It grew 10% a year", ["10 percent"]) == 1.0
    assert token_f1("Ming Ming said", ["Ming Ming"]) == pytest.approx(0.8)
    assert token_f1("", ["a"]) == 0.0
