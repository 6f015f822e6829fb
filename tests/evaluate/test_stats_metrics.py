import pytest

from rag.evaluate.metrics import abstention_scores, alce_citation_scores, auroc, exact_match
from rag.evaluate.stats import bootstrap_ci, bootstrap_stat_ci, paired_bootstrap


def test_exact_match_and_auroc_hand_computed():
    assert exact_match("The Ming Ming.", ["ming ming"]) == 1.0
    assert exact_match("Ming", ["ming ming"]) == 0.0
    assert exact_match("x", []) is None
    # pairs (pos, neg): (0.9,0.1) win, (0.9,0.5) win, (0.5,0.1) win, (0.5,0.5) tie -> 3.5 / 4
    assert auroc([0.9, 0.5, 0.1, 0.5], [True, True, False, False]) == pytest.approx(0.875)
    assert auroc([0.3, 0.2], [True, True]) is None


def test_abstention_precision_recall_f1():
    refused = [True, True, False, False]
    answerable = [False, True, False, True]
    scores = abstention_scores(refused, answerable)
    assert scores == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert abstention_scores([False], [True]) == {"precision": None, "recall": None, "f1": None}
    assert abstention_scores([False, False], [False, True])["f1"] is None  # no refusals: precision undefined


def _supports(claim, cited):
    # A citation supports the claim when it contains the claim's only word.
    return any(claim in c for c in cited)


def test_alce_citation_recall_and_precision():
    sentences = [
        ("alpha", ["alpha here", "beta there"]),  # supported; 2nd citation unneeded -> 1 of 2 good
        ("gamma", ["nothing"]),  # unsupported -> its citation is not good
        ("delta", []),  # no citation -> recall 0, no citations counted
    ]
    scores = alce_citation_scores(sentences, _supports)
    assert scores["citation_recall"] == pytest.approx(1 / 3)
    assert scores["citation_precision"] == pytest.approx(1 / 3)
    assert alce_citation_scores([], _supports) == {"citation_recall": None, "citation_precision": None}
    assert alce_citation_scores([("delta", [])], _supports)["citation_precision"] is None


def test_alce_needed_jointly_counts_as_precise():
    # Neither passage alone holds "a b", together they do: both citations are needed.
    def supports(claim, cited):
        return all(w in " ".join(cited) for w in claim.split())

    scores = alce_citation_scores([("a b", ["a", "b"])], supports)
    assert scores == {"citation_recall": 1.0, "citation_precision": 1.0}


def test_bootstrap_is_deterministic_and_skips_none():
    values = [1.0, 0.0, None, 1.0, 1.0]
    first, second = bootstrap_ci(values), bootstrap_ci(values)
    assert first == second
    assert first["mean"] == 0.75 and first["n"] == 4
    assert 0.0 <= first["ci_low"] <= 0.75 <= first["ci_high"] <= 1.0
    assert bootstrap_ci([None]) == {"mean": None, "ci_low": None, "ci_high": None, "n": 0}
    assert bootstrap_ci([0.5, 0.5]) == {"mean": 0.5, "ci_low": 0.5, "ci_high": 0.5, "n": 2}
    assert bootstrap_stat_ci(0, lambda idx: 1.0) == (None, None)


def test_paired_bootstrap():
    a = {"q1": 0.0, "q2": 0.0, "q3": 0.0, "q4": 0.0, "q5": None}
    b = {"q1": 1.0, "q2": 1.0, "q3": 1.0, "q4": 1.0, "q6": 1.0}
    result = paired_bootstrap(a, b)
    assert result["n"] == 4 and result["diff"] == 1.0 and result["p_value"] == 0.0
    same = paired_bootstrap(a, a)
    assert same["diff"] == 0.0 and same["p_value"] == 1.0
    assert paired_bootstrap({"x": None}, {"x": 1.0})["diff"] is None
