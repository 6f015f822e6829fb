import pytest

from rag.answer.answering import unmet_sense
from rag.answer.grounding import check_answer, question_constraints, swapped_name, unmet_constraint
from rag.types import Chunk, Hit


def _hit(text: str, title: str = "Economy", n: int = 0) -> Hit:
    chunk = Chunk(f"d{n}:0", f"d{n}", f"d{n}.txt", title, text, 0, len(text))
    return Hit(chunk=chunk, score=0.5, rank=n + 1)


PASSAGES = [
    _hit(
        "The leadership met in Beijing. With an annual 5 percent GDP growth target for 2025, China is confident. "
        "Investment in high-tech manufacturing rose more than 10 percent, outpacing overall fixed-asset investment."
    ),
    _hit("Ming Ming, chief economist at CITIC Securities, expects policy to turn more active.", "Outlook", 1),
    _hit("The Politburo held a study session on January 30. Xi spoke about future industries.", "Politburo", 2),
]


def test_grounded_answer_passes():
    check = check_answer("What GDP growth target did China set for 2025?", "A 5 percent target [1].", PASSAGES)
    assert check.passed and not check.no_answer


def test_year_the_question_names_must_be_in_the_supporting_sentences():
    check = check_answer("What GDP growth target did China set for 2026?", "A 5 percent target for 2025 [1].", PASSAGES)
    assert not check.passed
    assert check.problems == ("the supporting sentences do not mention 2026, which the question asks about",)


def test_month_the_question_names_must_be_in_the_supporting_sentences():
    question = "Which expert spoke at the Politburo study session in {}?"
    check = check_answer(question.format("March"), "Xi spoke about future industries [3].", PASSAGES)
    assert check.problems == ("the supporting sentences do not mention March, which the question asks about",)
    assert check_answer(question.format("January"), "Xi spoke about future industries [3].", PASSAGES).passed
    # "may" is a verb as often as a month: only "May" beside a day or a year counts.
    assert question_constraints("Who may introduce new laws in May?").months == frozenset()
    assert question_constraints("What happened on 12 May?").months == {"may"}


def test_invented_number_is_caught():
    check = check_answer("How much did exports grow?", "Exports grew 14.4 percent [1].", PASSAGES)
    assert "the answer's 14.4 appears in none of the sources" in check.problems


def test_a_number_from_a_passage_the_answer_does_not_cite_still_counts():
    # A small model often cites the neighbouring passage; citation checks report that.
    assert check_answer("What is the target?", "The target is 5 percent [2].", PASSAGES).passed


def test_restating_the_question_is_no_answer():
    check = check_answer(
        "Which economist expects policy to turn more active?",
        "The economist expects policy to turn more active [2].",
        PASSAGES,
    )
    assert check.no_answer and not check.passed


def test_restating_with_other_word_forms_is_no_answer():
    question = "Which economist is expecting policy to turn more active?"
    assert check_answer(question, "The economist expected policy to turn more active [2].", PASSAGES).no_answer
    assert check_answer("What did Xi say China should win?", "Xi said China should win [3].", PASSAGES).no_answer
    assert not check_answer(question, "Ming Ming expected it [2].", PASSAGES).no_answer


def test_a_name_the_sources_never_mention_is_caught():
    check = check_answer("Who is the chief economist at Huatai Securities?", "Ming Ming [2].", PASSAGES)
    assert check.problems == ("the sources never mention huatai, which the question asks about",)
    assert check_answer("Who is the chief economist at CITIC Securities?", "Ming Ming [2].", PASSAGES).passed


def test_a_demonym_counts_as_its_country():
    constraints = question_constraints("Which Chinese carmaker challenges Tesla?")
    assert unmet_constraint(constraints, "BYD [1].", "", "China's BYD challenges Tesla.") is None
    assert unmet_constraint(constraints, "BYD [1].", "", "Japan's Toyota challenges Tesla.") is not None


@pytest.mark.parametrize(
    ("name", "sources"),
    [
        ("Liege", "He moved from R.F.C. de Liège to Dunkerque."),  # accents aside
        ("Sigimund", "King Sigismund's Column stands in the Old Town."),  # one letter dropped
        ("Designated", "Clinton signed the National Highway Designation Act."),  # another ending
    ],
)
def test_a_name_spelled_a_little_otherwise_is_mentioned(name, sources):
    constraints = question_constraints(f"What about the {name} question?")
    assert unmet_constraint(constraints, "It [1].", sources, sources) is None


@pytest.mark.parametrize("name", ["Atlantic", "Hungarian", "Sigmund", "Lodz"])
def test_another_name_is_not_mentioned(name):
    sources = "King Sigismund's Column stands in Warsaw, on the Pacific coast of Poland."
    constraints = question_constraints(f"What about the {name} question?")
    assert unmet_constraint(constraints, "It [1].", sources, sources) is not None


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        ("What cell never reacts with self peptides?", "Many T cells react with self peptides."),
        ("What wasn't Marin's order?", "His orders were to protect the King's land."),
        ("What class contains the least difficult problems?", "NP-complete contains the most difficult problems."),
        ("Who uninvited Washington to dine?", "Saint-Pierre invited Washington to dine with him."),
        ("What follows if the two classes are unequal?", "If they are equal, then P is equal to NP."),
        ("What did public bill committees consider?", "Private bill committees considered the tram network."),
        ("Which readings are directly measurable?", "Such readings are only indirectly measurable."),
        ("What happens at 9 am each day?", "At 9 pm each day the gates close."),
    ],
)
def test_a_sentence_about_the_opposite_does_not_answer(question, sentence):
    assert unmet_sense(question, sentence) is not None


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        ("Which states are not members?", "Norway and Iceland are not members [1]."),
        ("Who was unable to attend?", "The minister could not attend [2]."),
        ("What decides whether or not a problem is solvable?", "Computability theory decides it."),
        (
            "Why are smaller states not dominated by larger ones?",
            "Votes are weighted, so smaller states are not dominated.",
        ),
        ("What balances the force when there is no movement?", "With no movement, static friction balances it."),
        ("What did the most recent survey find?", "The most recent survey found growth."),
        ("What follows if the two classes are unequal?", "If they are not equal then P is not equal to NP."),
        ("Who was uninvited?", "The envoy was never invited to the talks."),
        ("What followed the defeat at the river?", "The victory at the river, where they defeated the army, ended it."),
    ],
)
def test_a_sentence_in_the_same_sense_answers(question, sentence):
    assert unmet_sense(question, sentence) is None


def test_an_ordinal_is_not_a_date():
    constraints = question_constraints("On what date did the fourth plenary session of the 20th Committee open?")
    sources = "The 20th Committee met for the fourth time on 20/10."
    no_date = unmet_constraint(constraints, "The 20th Committee met for the fourth time [1].", sources, sources)
    assert no_date == "the question asks for a date and the answer gives none"
    assert unmet_constraint(constraints, "It met on 20/10 [1].", sources, sources) is None


def test_date_question_needs_a_date():
    question = "On what date did the Politburo hold its study session?"
    assert check_answer(question, "The Politburo held it on January 30 [3].", PASSAGES).passed
    check = check_answer(question, "The Politburo held it in Beijing [1].", PASSAGES)
    assert check.problems == ("the question asks for a date and the answer gives none",)


@pytest.mark.parametrize(
    ("question", "asks", "years", "numbers"),
    [
        ("How many EVs did China export in 2024?", "quantity", {"2024"}, set()),
        ("By how much did investment grow?", "quantity", set(), set()),
        ("What percentage of GDP is it?", "quantity", set(), set()),
        ("On what dates is the conference held?", "date", set(), set()),
        ("Which day did it open?", "date", set(), set()),
        ("How often was 'technology' used in the 13th Five-Year Plan?", "", set(), {"13"}),
        ("Who is the chief economist?", "", set(), set()),
    ],
)
def test_question_constraints(question, asks, years, numbers):
    constraints = question_constraints(question)
    assert (constraints.asks, set(constraints.years), set(constraints.numbers)) == (asks, years, numbers)


def test_question_names_skip_the_first_word_acronyms_and_possessives():
    names = question_constraints("  Which EVs did Huatai's chief economist praise in Beijing?").names
    assert names == {"huatai", "beijing"}
    # A follow-up searched with the question before it: "What" opens a sentence.
    assert question_constraints("Who leads Citic Securities? What did he say? Is That so").names == {
        "citic",
        "securities",
    }


def test_quantity_accepts_number_words():
    constraints = question_constraints("How many sectors were named?")
    assert unmet_constraint(constraints, "Two sectors [1].", "x", "x") is None
    assert unmet_constraint(constraints, "Several sectors [1].", "x", "x") is not None


def test_other_numbers_of_the_question_must_be_in_the_sources():
    constraints = question_constraints("What did the 13th plan say?")
    assert unmet_constraint(constraints, "It said more [1].", "", "the 14th plan said more") is not None
    assert unmet_constraint(constraints, "It said more [1].", "", "the 13th plan said more") is None


@pytest.mark.parametrize(
    ("question", "sentence", "window", "rival"),
    [
        # The question's name is swapped for another in the same frame.
        (
            "Who was the first Cetrum President?",
            "The first Warsaw President was Jan Andrzej Menich.",
            "Warsaw The first Warsaw President was Jan Andrzej Menich. It grew in Warsaw.",
            "Warsaw",
        ),
        (
            "How many rooms does the Katyn Historical Museum have?",
            "Dating back to 1936 Warsaw Historical Museum contains 60 rooms.",
            "Warsaw Dating back to 1936 Warsaw Historical Museum contains 60 rooms.",
            "Warsaw",
        ),
        # Left unsaid, not swapped: the country for its capital.
        (
            "Why is Beijing pushing breakthroughs in critical technologies?",
            "Zheng Shanjie said China will adopt measures to push breakthroughs in critical technologies.",
            "Plan Zheng Shanjie said China will adopt measures to push breakthroughs in critical technologies.",
            None,
        ),
        # A word that opens a sentence is not a name.
        (
            "How is this support different from China's earlier stimulus packages?",
            "Unlike previous stimulus measures, this round favours technology.",
            "Budget Unlike previous stimulus measures, this round favours technology.",
            None,
        ),
        # Inside what is asked for, the name stands next to the answer.
        (
            "Which Chinese premier outlined the path to modernization?",
            "The path to modernization outlined by premier Li Qiang needs a strategy.",
            "Plan The path to modernization outlined by premier Li Qiang needs a strategy.",
            None,
        ),
        # The name is in the window: nothing swapped.
        (
            "Who was the first Warsaw President?",
            "The first Warsaw President was Jan Andrzej Menich.",
            "Warsaw The first Warsaw President was Jan Andrzej Menich.",
            None,
        ),
    ],
)
def test_swapped_name(question, sentence, window, rival):
    title, text = window.split(" ", 1)
    problem = swapped_name(question_constraints(question), question, sentence, [text], title)
    if rival is None:
        assert problem is None
    else:
        assert problem is not None and f"names {rival} where" in problem
