import pytest

from rag.answer.generators.base import finish_generation
from rag.types import REFUSAL_TEXT


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("I could not find this in the documents.", "do not contain"),
        ("Sorry. I could not find this in the documents. Maybe [2].", "do not contain"),
        ("The amount earmarked for chips is not provided in the given sources.", "do not say"),
        ("The passages do not mention the population.", "do not say"),
        ("[1]", "no answer"),
        ("  [1][2] .", "no answer"),
        ('Sources:\n[1] (from "Plan") the plan', "echoed"),
        ("Question: What is it?", "echoed"),
    ],
)
def test_refusals_and_non_answers(text, why):
    generation = finish_generation(text)
    assert generation.refused and generation.text == REFUSAL_TEXT
    assert why in generation.notes[0]


@pytest.mark.parametrize(
    "text",
    [
        "BYD is cited as challenging Tesla [1].",
        "Xinhua [1].",
        "The plan was not given much attention by the press [1].",
        "Investment rose 10 percent [2], not 12 percent [1].",
    ],
)
def test_answers_pass_through(text):
    generation = finish_generation(text)
    assert not generation.refused and generation.text == text.strip()
