import pytest

from rag.mentions import numbers
from rag.models.verifier_features import FEATURES, Aligner, stems

EVIDENCE = "Exports rose 8.5% in March, the customs office said. Imports fell as coal demand weakened."
# Words usually written lower-case (the shipped list has about 30,000): capitalised at a claim's
# start they open no name.
LOWER_CASE = frozenset({"exports", "imports"})


def _features(claim: str, question: str = "") -> dict[str, float]:
    return dict(zip(FEATURES, Aligner(idf={}, lower_case=LOWER_CASE).features(claim, EVIDENCE, question), strict=True))


def test_a_copied_claim_aligns_fully_and_conflicts_with_nothing():
    f = _features("Exports rose 8.5% in March.")
    assert f["coverage"] == 1.0 and f["missing_count"] == 0.0
    assert f["number_missing"] == f["negation_mismatch"] == f["direction_conflict"] == 0.0
    assert f["similarity"] == 0.5  # no embedder: neutral


def test_each_kind_of_changed_detail_shows_in_its_feature():
    assert _features("Exports rose 9.5% in March.")["number_missing"] == 1.0
    assert _features("Exports fell 8.5% in March.")["direction_conflict"] == 1.0
    assert _features("Exports did not rise 8.5% in March.")["negation_mismatch"] == 1.0
    assert _features("Exports rose 8.5% in March, Reuters said.")["name_missing"] == 0.5  # March is there
    assert _features("All exports rose 8.5% in March.")["quantifier_mismatch"] == 0.5
    assert _features("Exports rose 8.5% in March because of Tesla.")["missing_count"] > 0


def test_a_name_counts_only_where_the_evidence_says_what_the_claim_says_of_it():
    evidence = (
        "The harbour was rebuilt by the Venetians in 1420. Trade grew for a century. "
        "Much later, the Ottomans ruled the island until 1897."
    )
    aligner = Aligner(idf={})
    name_missing = FEATURES.index("name_missing")
    # The Ottomans are named, but about something else: a name swapped in from the same document.
    assert aligner.features("The harbour was rebuilt by the Ottomans in 1420.", evidence)[name_missing] > 0
    assert aligner.features("The harbour was rebuilt by the Venetians in 1420.", evidence)[name_missing] == 0
    # A claim that joins two sentences finds each name where its own words are.
    joined = "The Venetians rebuilt the harbour, and the Ottomans ruled the island until 1897."
    assert aligner.features(joined, evidence)[name_missing] == 0


def test_a_negation_word_inside_a_title_negates_nothing():
    evidence = '"The Year Without a Santa Claus" inspired "Christmas Without Snow", the 2008 special.'
    aligner = Aligner(idf={})
    negation = FEATURES.index("negation_mismatch")
    denied = aligner.features('The 2008 special was not inspired by "The Year Without a Santa Claus".', evidence)
    restated = aligner.features('The 2008 special was inspired by "The Year Without a Santa Claus".', evidence)
    assert denied[negation] == 1.0 and restated[negation] == 0.0
    no_at_start = aligner.features("No film was made in 1974.", "A film was made in 1974.")
    assert no_at_start[negation] == 1.0


def test_a_not_in_a_clause_the_claim_does_not_draw_on_denies_nothing():
    negation = FEATURES.index("negation_mismatch")
    aligner = Aligner(idf={})
    evidence = (
        "Without supercritical pressure the cycle's range is small; in steam turbines, "
        "turbine entry temperatures are typically 565 degrees."
    )
    claim = "Steam turbine entry temperatures are typically 565 degrees."
    assert aligner.features(claim, evidence)[negation] == 0.0
    denied = "In steam turbines, turbine entry temperatures are not typically 565 degrees."
    assert aligner.features(denied, evidence)[negation] == 1.0


def test_a_bare_answer_is_not_denied_by_a_not_in_the_evidence():
    negation = FEATURES.index("negation_mismatch")
    aligner = Aligner(idf={})
    evidence = "Bowdoin College was founded in 1794, though it did not admit women until 1971."
    assert aligner.features("Bowdoin College", evidence, "Which college was founded first?")[negation] == 0.0
    assert aligner.features("Not Bowdoin College", evidence, "Which college was founded first?")[negation] == 1.0


def test_a_rewording_may_say_not_in_other_words_but_a_near_copy_may_not():
    aligner = Aligner(idf={})
    negation = FEATURES.index("negation_mismatch")
    evidence = "In 1107 the Normans under Bohemond besieged Dyrrachium and failed to take the city."
    reworded = aligner.features("Bohemond's Norman army could not capture Dyrrachium in that year.", evidence)
    assert reworded[negation] == 0.0
    toggled = aligner.features("In 1107 the Normans under Bohemond did not besiege Dyrrachium.", evidence)
    assert toggled[negation] == 1.0
    plain = "In 1107 the Normans under Bohemond besieged Dyrrachium and took the city."
    assert aligner.features("Bohemond's Norman army could not capture Dyrrachium in that year.", plain)[negation] == 1.0


def test_a_quantifier_said_in_other_words_is_no_conflict():
    aligner = Aligner(idf={})
    quantifier = FEATURES.index("quantifier_mismatch")
    evidence = "The Portuguese destroyed the fort and captured part of the Huguenots in its final years."
    assert aligner.features("The Portuguese took some of the Huguenots prisoner.", evidence)[quantifier] == 0.0
    assert aligner.features("The fort was destroyed in its last years.", evidence)[quantifier] == 0.0
    assert aligner.features("The Portuguese took all of the Huguenots prisoner.", evidence)[quantifier] > 0
    # "part" alone is no quantifier.
    split = "The Vistula divides Warsaw into a left part and a right part."
    assert aligner.features("Some of Warsaw lies on the left bank.", split)[quantifier] > 0


def test_only_the_capitalised_part_of_a_hyphenated_word_is_a_name():
    evidence = "The initiative will bring AI-powered automation to manufacturing."
    assert _features_of("AI-driven automation will reach manufacturing.", evidence)["name_missing"] == 0.0


def _features_of(claim: str, evidence: str) -> dict[str, float]:
    return dict(zip(FEATURES, Aligner(idf={}).features(claim, evidence), strict=True))


def test_an_opposite_direction_beside_the_same_word_conflicts_even_in_a_mixed_sentence():
    evidence = "Beijing is preparing a more proactive policy to accelerate upgrading and long-term investment."
    direction = FEATURES.index("direction_conflict")
    aligner = Aligner(idf={})
    # "faster" goes up and "less" down: the sentence as a whole has no one direction.
    assert aligner.features("Beijing plans a less proactive policy and faster upgrading.", evidence)[direction] == 1.0
    assert aligner.features("Beijing plans a more proactive policy and faster upgrading.", evidence)[direction] == 0.0
    assert aligner.features("Beijing favours short-term investment.", evidence)[direction] == 1.0
    # Opposite words beside different things are no conflict.
    assert aligner.features("Beijing plans a more proactive policy with less red tape.", evidence)[direction] == 0.0


def test_two_parts_of_a_near_copy_exchanged_are_a_conflict_but_a_passive_rewording_is_not():
    swap = FEATURES.index("name_order_swapped")
    aligner = Aligner(idf={})
    evidence = "China aims to lead in 6G technology, building on its dominance in 5G networks."
    assert (
        aligner.features("China aims to lead in 5G technology, building on its dominance in 6G networks.", evidence)[
            swap
        ]
        == 1.0
    )
    assert (
        aligner.features("China aims to lead in 6G technology, building on its dominance in 5G.", evidence)[swap] == 0.0
    )
    passive = aligner.features("Beta was acquired by Acme in 2020.", "Acme acquired Beta in 2020.")
    assert passive[swap] == 0.0


def test_an_acronym_and_its_spelled_out_name_are_one_name_in_the_order_of_names():
    swap = FEATURES.index("name_order_swapped")
    evidence = "The Artificial Intelligence Plus initiative will deepen AI-powered automation in industry."
    claim = "The initiative meant to deepen AI-powered automation in industry is the Artificial Intelligence Plus one."
    assert Aligner(idf={}).features(claim, evidence)[swap] == 0.0


def test_which_of_two_came_first_is_read_from_their_years():
    direction = FEATURES.index("direction_conflict")
    aligner = Aligner(idf={})
    evidence = "Monaco was a side project; the band was formed in 1995.Rise Against is a band formed in 1999."
    assert aligner.features("Rise Against was formed before Monaco.", evidence)[direction] == 1.0
    assert aligner.features("Monaco was formed before Rise Against.", evidence)[direction] == 0.0
    question = "Which band was formed first, Monaco or Rise Against?"
    assert aligner.features("Rise Against", evidence, question)[direction] == 1.0
    assert aligner.features("Monaco", evidence, question)[direction] == 0.0
    # Without a year for each, nothing is read.
    assert (
        aligner.features("Rise Against was formed before Monaco.", "Monaco and Rise Against are bands.")[direction]
        == 0.0
    )


def test_the_question_words_do_not_count_as_the_answer():
    right = _features("Coal demand weakened.", question="Which demand weakened?")
    assert right["answer_coverage"] == 1.0 and right["coverage"] == 1.0
    wrong = _features("Oil demand weakened.", question="Which demand weakened?")
    assert wrong["answer_coverage"] == 0.0 and wrong["coverage"] == pytest.approx(2 / 3)


def test_helpers():
    assert numbers("Sales of 1,200 units, up 4.5%, twice the 2019 level.") == {"1200", "4.5", "2019", "2"}
    assert stems("The exports were rising") == ["export", "rise"]


def test_long_evidence_is_cut_at_sentence_ends_without_losing_text():
    from rag.models.verifier_features import passage_segments

    sentences = [f"Sentence {n} tells how the harbour of town {n} was rebuilt after the storm." for n in range(40)]
    text = " ".join(sentences)
    pieces = passage_segments(text, max_chars=300)
    assert len(pieces) > 5 and all(len(p) <= 300 for p in pieces)
    assert " ".join(pieces) == text
    assert passage_segments("One sentence only.") == ["One sentence only."]
    assert passage_segments("   ") == []


def test_embedding_features_read_the_closest_segment_and_every_token():
    import numpy as np

    from rag.models.verifier_features import Encoded

    def unit(*values):
        v = np.array(values, dtype=np.float32)
        return v / np.linalg.norm(v)

    claim = Encoded(unit(1, 0, 0), np.stack([unit(1, 0, 0), unit(0, 1, 0)]))
    near = Encoded(unit(1, 0.1, 0), np.stack([unit(1, 0, 0)]))
    far = Encoded(unit(0, 0, 1), np.stack([unit(0, 1, 0)]))
    f = dict(
        zip(FEATURES, Aligner(idf={}).features("a claim", "some evidence", "", (claim, [far, near], None)), strict=True)
    )
    assert f["similarity"] == pytest.approx(float(unit(1, 0.1, 0)[0]), abs=1e-5)
    # Both claim tokens find an exact match, one in each segment.
    assert f["token_precision"] == pytest.approx(1.0) and f["token_weakest"] == pytest.approx(1.0)
    assert f["question_similarity"] == 0.0  # no question
    asked = Encoded(unit(0, 0.2, 1), np.stack([unit(0, 0, 1)]))
    vectors = (claim, [far, near], asked)
    f = dict(zip(FEATURES, Aligner(idf={}).features("a claim", "some evidence", "a question?", vectors), strict=True))
    assert f["question_similarity"] == pytest.approx(float(unit(0, 0.2, 1)[2]), abs=1e-5)  # closest: `far`


def test_directions_are_read_by_stem_and_on_two_axes():
    evidence = "The government is expanding funding for robotics. The plan was released after the plenum."

    def flipped(claim: str) -> float:
        return dict(zip(FEATURES, Aligner(idf={}).features(claim, evidence), strict=True))["direction_conflict"]

    assert flipped("The government is cutting funding for robotics.") == 1.0
    assert flipped("The government is expanding funding for robotics.") == 0.0
    assert flipped("The plan was released before the plenum.") == 1.0
    assert flipped("The plan was released after the plenum.") == 0.0


def test_a_name_counts_only_where_the_evidence_says_the_claim_s_words_of_it():
    aligner = Aligner(idf={}, lower_case=frozenset({"she"}))
    evidence = (
        "Calendar Girl Murders is a 1984 television movie that starred Tom Skerritt and Sharon Stone. "
        "Sharon Yvonne Stone (born March 10, 1958) is an American actress."
    )

    def missing(claim: str, text: str = evidence, question: str = "") -> float:
        return dict(zip(FEATURES, aligner.features(claim, text, question), strict=True))["name_missing"]

    assert missing("Tom Skerritt was born in March.") > 0  # the birth month is Sharon Stone's
    assert missing("Sharon Stone was born in March.") == 0
    # A pronoun takes the name from the sentence before it.
    assert missing("Sharon Stone played a photographer.", "It starred Sharon Stone. She played a photographer.") == 0
    # No one else is named where the claim's words are: two sentences may join the facts.
    harbin = "The Harbin Ice Festival is held in winter. The city lies on the Songhua River, which supplies its ice."
    assert missing("The festival's ice comes from the Songhua River.", harbin, "Which river supplies the ice?") == 0
    # Names listed together are each described in their own words.
    plants = "Phacelia is a genus of herbaceous plants. Nymphaea is a genus of aquatic flowering herbs."
    assert missing("Phacelia and Nymphaea are herbs.", plants) == 0


def test_a_count_of_years_the_evidence_s_years_give_is_found():
    evidence = "In 1943 he asked the faculty for a statement. The resulting report was published in 1945."
    aligner = Aligner(idf={})
    f = dict(zip(FEATURES, aligner.features("The report came out two years after he asked.", evidence), strict=True))
    weeks = dict(
        zip(FEATURES, aligner.features("The report came out two weeks after he asked.", evidence), strict=True)
    )
    assert f["number_missing"] == 0.0 and f["coverage"] > weeks["coverage"]  # "years" is said by 1943 and 1945
    f = dict(zip(FEATURES, aligner.features("The report came out three years after he asked.", evidence), strict=True))
    assert f["number_missing"] == 1.0
