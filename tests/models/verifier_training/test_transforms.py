import random

import pytest

from rag.models.verifier_training.transforms import (
    drop_clause,
    flip_direction,
    names_in,
    numbers_in,
    swap_name,
    swap_number,
    swap_roles,
    toggle_negation,
)

SENTENCE = "Exports rose 12.5% in 2023, which was the fastest pace in years, and Huawei overtook Xiaomi."


@pytest.fixture
def rng():
    return random.Random(3)


def test_numbers_and_names_are_found_without_trailing_punctuation():
    assert numbers_in("In 2019, sales of 1,200 units rose 4.5%.") == ["2019", "1,200", "4.5"]
    assert names_in("Yesterday Brice Robin told CNN about Germanwings.") == ["Brice Robin", "CNN", "Germanwings"]


def test_a_swapped_number_differs_and_a_year_stays_a_year(rng):
    for _ in range(20):
        changed = swap_number(SENTENCE, ["2019", "40"], rng)
        assert changed != SENTENCE
        assert set(numbers_in(changed)) != set(numbers_in(SENTENCE))
    years = {numbers_in(swap_number("The plant opened in 2021.", [], rng))[0] for _ in range(10)}
    assert all(1990 < int(y) < 2030 and y != "2021" for y in years)


def test_a_swapped_name_comes_from_the_document_and_is_not_in_the_sentence(rng):
    changed = swap_name(SENTENCE, ["Alibaba", "Huawei"], rng)
    assert "Alibaba" in changed
    assert swap_name("no names here at all, none.", ["Alibaba"], rng) is None


def test_direction_negation_and_roles_change_the_meaning(rng):
    assert flip_direction("Profits rose sharply.", rng) == "Profits fell sharply."
    assert flip_direction("Before the vote, Up went the flag.", rng) in (
        "After the vote, Up went the flag.",
        "Before the vote, Down went the flag.",
    )
    assert toggle_negation("The plan was approved.", rng) == "The plan was not approved."
    assert toggle_negation("The plan was not approved.", rng) == "The plan was approved."
    assert toggle_negation("The firm didn't pay.", rng) == "The firm did pay."
    assert (
        swap_roles("Analysts said Huawei overtook Xiaomi in sales.", rng)
        == "Analysts said Xiaomi overtook Huawei in sales."
    )
    assert swap_roles("Only Huawei is named here.", rng) is None
    # Names of one list exchange nothing: no contradiction is made of them.
    assert swap_roles("Games in Germany, Austria and the United States were played.", rng) is None


def test_dropping_a_clause_keeps_the_main_statement(rng):
    shorter = drop_clause(SENTENCE, rng)
    assert shorter == "Exports rose 12.5% in 2023, and Huawei overtook Xiaomi."
    assert drop_clause("Short one, which ends.", rng) is None
