from rag.models.verifier_conflicts import (
    directions,
    exchanged,
    figure_of_another,
    in_scope,
    names_reordered,
    negation_conflict,
    opposite_beside,
    option_conflict,
    order_conflict,
    quantifiers_of,
    question_options,
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


def test_names_in_another_order_unless_the_claim_lists_them():
    evidence = "The UK, Germany, Italy and Norway banned flying; Celtic lost to Legia Warsaw."
    assert not names_reordered(["Norway", "Italy", "UK"], "Norway, Italy and the UK banned flying", evidence)
    assert names_reordered(["Legia Warsaw", "Celtic"], "Legia Warsaw lost to Celtic", evidence)
    assert names_reordered(["Norway", "UK"], "Norway made the UK ban flying", evidence)


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


def test_the_options_a_question_offers():
    assert question_options("Was Java or Tikal published first?") == ("Java", "Tikal")
    assert question_options("Which film director was born in 1908 - Tex Avery or John G. Blystone?") == (
        "Tex Avery",
        "John G. Blystone",
    )
    assert question_options("Which magazine came first, Arthur's Magazine or First for Women?") == (
        "Arthur's Magazine",
        "First for Women",
    )
    assert question_options("Which director is also a writer, Serge de Poligny or Ric Viers?") == (
        "Serge de Poligny",
        "Ric Viers",
    )
    assert question_options("Which composer was Hungarian, Béla Bartók or Johann Christoph Pepusch?") == (
        "Béla Bartók",
        "Johann Christoph Pepusch",
    )
    assert question_options('Which is older, "Oceans" or "Don Quixote"?') == ("Oceans", "Don Quixote")
    assert question_options("Who founded Brave New Films?") is None
    assert question_options("Is it red or blue?") is None


def test_the_option_whose_sentences_lack_the_asked_trait_conflicts():
    evidence = (
        "Mira Okafor (born 1971) is a Nigerian sculptor and painter.Tomas Lindqvist is a Swedish painter. "
        "He also works as a stage designer in Malmö."
    )
    question = "Which painter is also a stage designer, Mira Okafor or Tomas Lindqvist?"
    assert option_conflict("Mira Okafor is also a stage designer.", evidence, question)
    assert option_conflict("Okafor", evidence, question)
    assert not option_conflict("Tomas Lindqvist", evidence, question)
    # Numbers are traits too; a comparison asks what both have; naming both picks neither.
    assert not option_conflict(
        "Mira Okafor", evidence, "Which painter was born in 1971, Mira Okafor or Tomas Lindqvist?"
    )
    assert not option_conflict("Mira Okafor", evidence, "Which painter is older, Mira Okafor or Tomas Lindqvist?")
    assert not option_conflict("Mira Okafor and Tomas Lindqvist", evidence, question)


def test_a_trait_said_before_either_option_is_named_may_be_either_s():
    evidence = (
        "The 15th animated feature of the studio, it was the first filmed in widescreen. Harbour Lights tells "
        "the story of a lighthouse keeper.Grey Tide is a 2006 drama film set in Norway."
    )
    question = "Which was the studio's 15th animated feature film, Harbour Lights or Grey Tide?"
    assert not option_conflict("Harbour Lights", evidence, question)


def test_a_figure_beside_what_the_evidence_counts_otherwise():
    evidence = "Its alumni include 335 Rhodes Scholars, and 242 Marshall Scholars."
    assert figure_of_another("Its alumni include 242 Rhodes Scholars.", evidence)
    assert not figure_of_another("Its alumni include 242 Marshall Scholars.", evidence)
    assert not figure_of_another("It has 335 Rhodes Scholars and 5% growth.", "It has 335 Rhodes Scholars; 5% growth.")
