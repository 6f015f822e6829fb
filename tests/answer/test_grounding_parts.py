"""rag.answer.grounding, questions of several parts: whether a sentence answers a part (its own words, the kind of answer it asks for)."""

from __future__ import annotations

import pytest

from rag.answer.answering import own_words, referent_words, search_text, unmet_need, unmet_own_words


def test_own_words_are_what_only_this_part_asks_about():
    parts = ("How much in special treasury bonds is China issuing?", "What maturity will those bonds have?")
    assert own_words(parts[1], parts) == {"maturi"}
    assert unmet_own_words(own_words(parts[1], parts), "China will issue 1.3 trillion yuan of bonds.") is not None
    assert unmet_own_words(own_words(parts[1], parts), "The bonds have a maturity of 30 years.") is None
    assert unmet_own_words(frozenset(), "anything") is None


@pytest.mark.parametrize(
    ("part", "sentence", "met"),
    [
        ("Who said so?", "Investment rose 10 percent in three quarters.", False),
        ("Who said so?", "Investment rose 10 percent, Ming Ming said.", True),
        ("Who is the economist?", "the economist is well known.", False),
        ("Who is the economist?", "Ming Ming, chief economist at CITIC, spoke.", True),
        ("When was it held?", "It was held at the Great Hall.", False),
        ("When was it held?", "It was held on January 30.", True),
        ("How much was spent?", "A lot was spent on chips.", False),
        ("How much was spent?", "1.3 trillion yuan was spent [1].", True),
        ("Why is capacity weak?", "Capacity is relatively weak.", False),
        ("Why is capacity weak?", "Capacity is weak because funding is short.", True),
        ("Where is the think tank based?", "the think tank is well known.", False),
        ("Where is the think tank based?", "It is based in Washington.", True),
        ("What did he predict?", "Anything at all.", True),  # no kind of answer asked for
        (
            "Which official leads the agency?",
            "The official who leads the National Development Commission spoke.",
            False,
        ),
        ("Which official leads the agency?", "Zheng Shanjie, head of the commission, spoke.", True),
        ("Which official leads the agency?", "It is led by the United States Trade Office.", False),
        ("When does the ferry leave?", "The ferry leaves at seven each morning.", True),
    ],
)
def test_unmet_need(part, sentence, met):
    assert (unmet_need(part, sentence) is None) is met


def test_a_part_that_points_back_is_searched_with_the_part_it_leans_on():
    parts = ("How much did investment grow?", "Who said so?")
    assert search_text("Who said so?", parts) == "Who said so? How much did investment grow?"
    assert search_text(parts[0], parts) == parts[0]
    short = ("Who is Ming Ming?", "What did he predict about policy?")
    assert search_text(short[0], short) == "Who is Ming Ming? What did he predict about policy?"  # few words
    full = ("What share of GDP did strategic industries account for?", "Which telecom firms keep expanding abroad?")
    assert search_text(full[1], full) == full[1]


def test_who_said_so_is_answered_only_by_a_sentence_about_what_was_said():
    parts = ("How much did investment in high-tech manufacturing grow?", "Who said so?")
    referent = referent_words(parts[1], parts)
    assert {"invest", "manufa"} <= referent and referent_words(parts[0], parts) == frozenset()
    words = own_words(parts[1], parts)
    unrelated = "Wang Peng, a researcher, said policymakers are expected to reinforce confidence."
    assert unmet_own_words(words, unrelated) is None, "a name and 'said' alone pass without the referent"
    assert unmet_own_words(words, unrelated, referent) is not None
    assert unmet_own_words(words, "Ming Ming said investment in manufacturing grew 10%.", referent) is None
