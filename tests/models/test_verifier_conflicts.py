from rag.models.verifier_conflicts import (
    directions,
    exchanged,
    in_scope,
    negation_conflict,
    opposite_beside,
    order_conflict,
    quantifiers_of,
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
    assert quantifiers_of({"part"}, "a right-bank part") == set()


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


def test_which_came_first_by_year():
    evidence = "Java is a game published in 2000.Tikal is a game published in 1999."
    assert order_conflict("Java was published before Tikal.", evidence, "")
    assert not order_conflict("Tikal was published before Java.", evidence, "")
    assert order_conflict("Java", evidence, "Was Java or Tikal published first?")
    assert not order_conflict("Java", evidence, "Was Java or Tikal published later?")
    assert not order_conflict("Java was published before Tikal.", "Java and Tikal are games.", "")
