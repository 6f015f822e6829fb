import random

from rag.models.verifier_training.paraphrase import acceptable, paraphrase_pairs

ORIGINAL = "Exports from Guangdong rose 12 percent in May, driven by demand for electric vehicles."


def test_a_real_rewording_that_keeps_the_facts_is_accepted():
    rewrite = "Demand for electric cars pushed Guangdong's foreign sales up by 12 percent in May."
    assert acceptable(ORIGINAL, rewrite, similarity=0.86)


def test_copies_changed_facts_added_names_and_drift_are_rejected():
    assert not acceptable(ORIGINAL, ORIGINAL, similarity=1.0)  # not reworded
    assert not acceptable(ORIGINAL, "Guangdong's foreign sales climbed 15 percent in May on electric car demand.", 0.9)
    assert not acceptable(ORIGINAL, "Electric car demand lifted foreign sales 12 percent in May.", 0.85)  # name lost
    assert not acceptable(
        ORIGINAL, "Demand for electric cars lifted Guangdong's foreign sales 12 percent in May, Reuters reported.", 0.85
    )  # a name the original lacks
    assert not acceptable(ORIGINAL, "Guangdong hosts a 12 percent share of car plants in May.", 0.6)  # meaning drifted
    assert not acceptable(ORIGINAL, "", 0.0)


def test_each_accepted_rewrite_gives_a_supported_pair_and_its_contradiction():
    rewrite = "Demand for electric cars pushed Guangdong's foreign sales up by 12 percent in May."
    evidence = "Guangdong's exports rose 12 percent in May. Demand for electric vehicles drove the rise."
    records = [
        {"original": ORIGINAL, "rewrite": rewrite, "evidence": evidence, "source": "n:1", "similarity": 0.86},
        {"original": ORIGINAL, "rewrite": ORIGINAL, "evidence": evidence, "source": "n:2", "similarity": 1.0},
    ]
    pairs = paraphrase_pairs(records, random.Random(3))
    assert [p.label for p in pairs] == [1, 0]
    assert pairs[0].claim == rewrite and pairs[0].kind == "paraphrase"
    assert pairs[1].claim != rewrite and pairs[1].kind.startswith("paraphrase_") and pairs[1].evidence == evidence
