from rag.models.verifier_conflicts import (
    contrast_reversed,
    directions,
    exchanged,
    figure_of_another,
    figures_relabelled,
    in_scope,
    names_reordered,
    negation_conflict,
    opposite_beside,
    quantifiers_of,
    years_apart,
)
from rag.models.verifier_words import stems, words_of


def test_directions_per_axis_and_beside_the_same_word():
    assert directions({"exports", "rose"})[0] == 1 and directions({"exports", "fell"})[0] == -1
    assert directions({"rose", "fell"})[0] == 0  # both ways: no one direction
    assert opposite_beside(words_of("a less proactive policy"), words_of("a more proactive policy"))
    assert not opposite_beside(words_of("a more proactive policy"), words_of("a more proactive policy"))
    assert opposite_beside(words_of("short-term investment"), words_of("long-term investment"))


def test_quantifiers_said_another_way_are_the_same():
    assert quantifiers_of({"some"}, "took some of them") == quantifiers_of(set(), "captured part of them")
    assert quantifiers_of({"final"}, "the final years") == {"last"}
    assert quantifiers_of({"both"}, "vectors with both size and direction") == set()  # joins, not quantifies
    assert quantifiers_of({"both"}, "both firms were fined") == {"both"}
    assert quantifiers_of({"part"}, "a right-bank part") == set()
    listed = "Norway, Italy and the UK all banned flying"
    assert quantifiers_of(set(words_of(listed)), listed) == set()  # "each of these", as the list says
    assert quantifiers_of({"all"}, "all flights were banned") == {"all"}
    assert quantifiers_of({"all"}, "four-fifths of all solar panels") == set()  # the share counts, not "all"
    assert quantifiers_of({"all"}, "the names of all the elements") == {"all"}
    assert quantifiers_of(set(), "something of a resurgence") == {"some"}


def test_names_in_another_order_unless_the_claim_lists_them():
    evidence = "The UK, Germany, Italy and Norway banned flying; Celtic lost to Legia Warsaw."
    assert not names_reordered(["Norway", "Italy", "UK"], "Norway, Italy and the UK banned flying", evidence)
    assert names_reordered(["Legia Warsaw", "Celtic"], "Legia Warsaw lost to Celtic", evidence)
    assert names_reordered(["Norway", "UK"], "Norway made the UK ban flying", evidence)


def test_the_active_voice_for_the_passive_is_no_swap():
    evidence = "Maniac is a short film directed by Shia LaBeouf."
    assert not names_reordered(["Shia LaBeouf", "Maniac"], "Shia LaBeouf directed Maniac", evidence)
    evidence = "Shia LaBeouf directed Maniac."
    assert not names_reordered(["Maniac", "Shia LaBeouf"], "Maniac was directed by Shia LaBeouf", evidence)
    assert names_reordered(["Maniac", "Shia LaBeouf"], "Maniac directed Shia LaBeouf", evidence)
    evidence = "The team was led by Michel Salgado."
    assert names_reordered(["Michel Salgado", "The team"], "Michel Salgado was led by The team", evidence)


def test_a_phrase_opening_the_evidence_may_come_last():
    evidence = "With a 5 percent GDP growth target, China's leadership is signaling confidence. Japan beat Chile."
    assert not names_reordered(["China", "GDP"], "China's leadership set a 5 percent GDP growth target.", evidence)
    assert names_reordered(["Chile", "Japan"], "Chile beat Japan.", evidence)


def test_parts_of_one_name_are_no_order():
    evidence = "The initiative works in eastern Congo. It gives grants in the Democratic Republic of Congo."
    assert not names_reordered(["Democratic Republic", "Congo"], "the Democratic Republic of Congo", evidence)
    evidence = 'The film stars JWoww. It pairs him with Jenni "JWoww" Farley.'
    assert not names_reordered(["Jenni", "JWoww", "Farley"], 'Jenni "JWoww" Farley', evidence)


def test_two_parts_exchanged():
    evidence = "industry poses the problems, science supplies the answers"
    assert exchanged("science poses the problems, industry supplies the answers", evidence)
    assert not exchanged("industry poses problems and science supplies answers", evidence)


def test_a_negation_is_read_in_the_clauses_the_claim_draws_on():
    sentence = "Without supercritical pressure the range is small; turbine entry temperatures are typically 565 degrees"
    scope = in_scope(set(stems("Turbine entry temperatures are typically 565 degrees.")), sentence)
    assert "Without" not in scope and "turbine entry" in scope
    assert negation_conflict("Prices did not rise this year.", "Prices rose this year.", reworded=False)
    assert not negation_conflict("Bowdoin College", "It did not admit women.", reworded=False)
    like = "Like previous measures, this round favors construction."
    assert negation_conflict(like, "Unlike previous measures, which favored construction, this round", reworded=False)


def test_thereafter_is_later():
    assert directions({"thereafter"}) == directions({"after"}) != directions({"before"})


def test_a_figure_beside_what_the_evidence_counts_otherwise():
    evidence = "Its alumni include 335 Rhodes Scholars, and 242 Marshall Scholars."
    assert figure_of_another("Its alumni include 242 Rhodes Scholars.", evidence)
    assert not figure_of_another("Its alumni include 242 Marshall Scholars.", evidence)
    assert not figure_of_another("It has 335 Rhodes Scholars and 5% growth.", "It has 335 Rhodes Scholars; 5% growth.")


def test_a_count_of_years_worked_out_from_two_years():
    evidence = "In 1943 he asked the faculty for a statement. The resulting Report, published in 1945, was influential."
    assert years_apart("The report appeared two years after his request.", evidence) == {"2"}
    assert years_apart("The report appeared three years after his request.", evidence) == set()
    assert years_apart("The report appeared two weeks later.", evidence) == set()


def test_a_contrast_reversed():
    evidence = (
        "But instead of relying on infrastructure spending and real estate, the government is banking on technology."
    )
    assert contrast_reversed("Rather than banking on technology, the government relies on real estate.", evidence)
    assert not contrast_reversed("Rather than real estate spending, the government banks on technology.", evidence)
    assert not contrast_reversed("The government is banking on technology.", evidence)  # no contrast said
    assert not contrast_reversed("Rather than banking on technology, it relies on real estate.", "It relies on it.")
    firms = "Xi stressed the central role of enterprises: firms should lead incremental breakthroughs."
    assert contrast_reversed("Xi said the state, rather than enterprises, should lead breakthroughs.", firms)
    assert not contrast_reversed("Xi said firms, rather than the state, should lead breakthroughs.", firms)


def test_figures_given_each_other_s_labels():
    evidence = "In steam turbines, turbine entry temperatures are typically 565 °C and condenser temperatures are around 30 °C."
    assert figures_relabelled(
        "Condenser temperatures are around 565 °C while turbine entry temperatures are about 30 °C.", evidence
    )
    assert not figures_relabelled(
        "Turbine entry temperatures reach 565 °C and condenser temperatures are 30 °C.", evidence
    )
    assert not figures_relabelled("Condenser temperatures are around 30 °C.", evidence)
    said = "Wilson committed his government to some form of devolved legislature in 1978."
    written = "Wilson committed his government to some form of devolved legislature in 1974. It was not until 1978 that"
    assert figures_relabelled(said, written)  # what the evidence says of 1974, given to 1978
    assert not figures_relabelled(said.replace("1978", "1974"), written)
    assert not figures_relabelled(  # a year is not what the evidence says of an ordinal
        "The Central Committee published the detailed proposal for the 2026 plan.",
        "The goal was in a detailed proposal for the 15th five-year plan from 2026, released by the Central Committee.",
    )


def test_not_said_as_unclear_deficient_or_yet_to_is_no_flipped_negation():
    shown = "Whether depressive symptoms contribute to functional decline has not been elucidated."
    assert not negation_conflict("It is unclear whether depressive symptoms lead to decline.", shown, reworded=True)
    mice = "Mast cells from CRACM1-deficient mice showed defective degranulation."
    assert not negation_conflict("In mice without CRACM1, mast cells degranulated poorly.", mice, reworded=True)
    terms = "The England right-back is yet to agree fresh terms."
    assert not negation_conflict("Clyne has not agreed a new contract.", terms, reworded=True)
    assert negation_conflict("Clyne has not agreed a new contract.", "Clyne agreed fresh terms.", reworded=True)
